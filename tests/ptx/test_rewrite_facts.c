/* Tests: the rewriting API, instruction facts and the CFG. */
#include "ptx_test.h"

#include <ctype.h>

#define HDR ".version 9.0\n.target sm_90\n.address_size 64\n"

static const char *kernel_text =
    HDR
    ".global .align 4 .u32 counter;\n"
    ".visible .entry k(.param .u64 p, .param .u32 n)\n{\n"
    "\t.reg .pred %p<2>;\n\t.reg .b32 %r<4>;\n\t.reg .b64 %rd<4>;\n"
    "\tld.param.u64 %rd1, [p];\n"
    "\tld.param.u32 %r1, [n];\n"
    "\tsetp.ge.u32 %p1, %r1, 16;\n"
    "\t@%p1 bra $L_done;\n"
    "\tcvta.to.global.u64 %rd2, %rd1;\n"
    "\tld.global.u32 %r2, [%rd2+4];\n"
    "\tld.global.u32 %r3, [counter];\n"
    "\tadd.s32 %r2, %r2, %r3;\n"
    "\tst.global.u32 [counter+0], %r2;\n"
    "\tmov.u64 %rd3, counter;\n"
    "$L_done:\n"
    "\tret;\n}\n";

static void insert_and_fresh_registers(void **state)
{
    ptx_module *m = parse_ok(kernel_text);
    ptx_func *fn = ptx_module_func(m, "k");
    uint32_t old_nregs = fn->nregs;
    ptx_str name;
    uint32_t r = ptx_reg_new(m, fn, PTX_T_U64, &name);
    assert_int_equal(r, old_nregs);
    assert_int_equal(fn->nregs, old_nregs + 1);
    assert_int_equal(ptx_func_reg_type(fn, r), PTX_T_U64);
    char buf[64];
    snprintf(buf, sizeof buf, "mov.u64 %.*s, %%clock64", (int)name.n, name.s);
    nt_err e = {0};
    ptx_instr *clk = ptx_instr_parse(m, fn, buf, &e);
    if (!clk) fail_msg("%s", e.msg);
    assert_int_equal(clk->ops[0].reg, r);
    assert_true(clk->st.synth);
    /* before the first ld.global, after every ret */
    ptx_instr *ld = nth_instr(fn, 5);
    assert_true(ptx_str_eq(ptx_instr_name(ld), "ld.global.u32"));
    ptx_insert_before(&ld->st, &clk->st);
    ptx_instr *ret = nth_instr(fn, 11);
    assert_non_null(ret);
    assert_int_equal(ret->op, PTX_OP_RET);
    ptx_instr *c2 = ptx_instr_parse(m, fn, "add.u64 %rd3, %rd3, 1;", &e);
    assert_non_null(c2);
    ptx_insert_before(&ret->st, &c2->st);
    ptx_instr *br = ptx_instr_parse(m, fn, "@%p1 bra $L_done", &e);
    assert_non_null(br);
    assert_int_equal(br->ops[0].kind, PTX_OPND_LABEL);
    ptx_insert_after(&clk->st, &br->st);
    ptx_stmt *raw = ptx_raw_new(m, ".pragma \"nounroll\";");
    ptx_block_append(&fn->body, raw);
    assert_null(ptx_raw_new(m, ""));
    /* a second fresh register gets another name */
    ptx_str name2;
    uint32_t r2 = ptx_reg_new(m, fn, PTX_T_PRED, &name2);
    assert_int_equal(r2, r + 1);
    assert_false(ptx_str_same(name, name2));
    char *out = print_has(m, buf, ".pragma \"nounroll\";\n}", NULL);
    assert_ptxas(out, 90, "the rewritten kernel");
    /* and it parses back to the same text */
    ptx_module *m2 = parse_ok(out);
    char *out2 = print_str(m2);
    assert_string_equal(out, out2);
    free(out2);
    ptx_module_free(m2);
    free(out);
    /* remove and reinsert */
    ptx_stmt_remove(&c2->st);
    ptx_block_prepend(&fn->body, &c2->st);
    assert_ptr_equal(fn->body.head.next, &c2->st);
    ptx_module_free(m);
}

static void instr_parse_errors(void **state)
{
    ptx_module *m = parse_ok(kernel_text);
    ptx_func *fn = ptx_module_func(m, "k");
    nt_err e = {0};
    assert_null(ptx_instr_parse(m, fn, "add.u32 %r1, %nope, 1;", &e));
    assert_string_equal(e.msg, "<instr>:1:14: undeclared register, found '%nope'");
    nt_err e2 = {0};
    assert_null(ptx_instr_parse(m, fn, "add.u32 %r1, %r1, 1; add", &e2));
    assert_string_equal(e2.msg, "<instr>:1:22: expected end of instruction, found 'add'");
    ptx_module_free(m);
}

static void params_and_redirect(void **state)
{
    ptx_module *m = parse_ok(kernel_text);
    ptx_func *fn = ptx_module_func(m, "k");
    ptx_var *pv = ptx_func_add_param(m, fn, PTX_T_U64, "nt_probe_buf", 8);
    assert_int_equal(fn->nparams, 3);
    assert_ptr_equal(pv, &fn->params[2]);
    /* many parameters: the array grows */
    for (int i = 0; i < 10; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "extra%d", i);
        ptx_func_add_param(m, fn, PTX_T_U32, nm, 0);
    }
    assert_int_equal(fn->nparams, 13);
    assert_true(ptx_str_eq(fn->params[2].name, "nt_probe_buf"));
    ptx_str nm;
    uint32_t r = ptx_reg_new(m, fn, PTX_T_U64, &nm);
    char buf[64];
    snprintf(buf, sizeof buf, "ld.param.u64 %.*s, [nt_probe_buf]", (int)nm.n, nm.s);
    nt_err e = {0};
    ptx_instr *ld = ptx_instr_parse(m, fn, buf, &e);
    assert_non_null(ld);
    assert_int_equal(ptx_redirect_sym(m, fn, "counter", r), 3);
    /* the new load is inserted after the redirect (it names nt_probe_buf) */
    ptx_stmt *first = fn->body.head.next;
    while (first->kind != PTX_ST_INSTR) first = first->next;
    ptx_insert_before(first, &ld->st);
    char *out = print_has(m, "\tmov.u64 %rd3, %nt", ".param .align 8 .u64 nt_probe_buf", NULL);
    assert_null(strstr(out, "[counter"));
    assert_ptxas(out, 90, "the redirected kernel");
    free(out);
    assert_int_equal(ptx_redirect_sym(m, fn, "counter", r), 0);
    ptx_module_free(m);
}

/* Every operand shape a variable's name can take (the twin kernel reads
 * the original module's .globals through a register: a shape left
 * unrewritten would read the twin's private copy). */
static const char *shapes_text =
    HDR
    ".global .align 8 .u32 g[16];\n"
    ".global .align 8 .u32 g2[4];\n"
    ".global .align 8 .u64 gaddr;\n"
    ".global .align 8 .u64 tbl[3] = {generic(g), g+4, 0};\n"
    ".func (.reg .u64 r) f(.reg .u64 a)\n{\n"
    "\t.reg .u64 %t;\n"
    "\tmov.u64 %t, g+8;\n"
    "\tadd.u64 r, %t, a;\n"
    "\tret;\n}\n"
    ".visible .entry k(.param .u64 p)\n{\n"
    "\t.reg .b32 %r<8>;\n\t.reg .b64 %rd<12>;\n"
    "\tld.global.u32 %r1, [g];\n"
    "\tld.global.u32 %r2, [g+4];\n"
    "\tld.global.u32 %r3, [g+-4];\n"
    "\tmov.u64 %rd2, g;\n"
    "\tmov.u64 %rd3, g+8;\n"
    "\tmov.u64 %rd4, g+-8;\n"
    "\tcvta.global.u64 %rd5, g;\n"
    "\tcvta.global.u64 %rd6, g+12;\n"
    "\tmov.u64 %rd8, g2+4;\n"
    "\tst.global.u64 [%rd2], g+4;\n"
    "\tst.global.v2.u64 [%rd2], {g+4, g+8};\n"
    "\t{\n\t.reg .u32 %in;\n\tld.global.u32 %in, [g+8];\n\t}\n"
    "\tcall (%rd7), f, (%rd2);\n"
    "\tret;\n}\n";

/* Occurrences of name as a whole token in text. */
static int count_token(const char *text, const char *name)
{
    int c = 0;
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
        bool l = p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '%');
        bool r = isalnum((unsigned char)p[n]) || p[n] == '_';
        if (!l && !r) c++;
    }
    return c;
}

static void redirect_every_shape(void **state)
{
    ptx_module *m = parse_ok(shapes_text);
    const char *fns[] = {"k", "f"};
    size_t want[] = {12, 1};
    for (int i = 0; i < 2; i++) {
        ptx_func *fn = ptx_module_func(m, fns[i]);
        ptx_str nm;
        uint32_t r = ptx_reg_new(m, fn, PTX_T_U64, &nm);
        assert_int_equal(ptx_redirect_sym(m, fn, "g", r), want[i]);
        char buf[96];
        snprintf(buf, sizeof buf, "ld.global.u64 %.*s, [gaddr]", (int)nm.n, nm.s);
        nt_err e = {0};
        ptx_instr *ld = ptx_instr_parse(m, fn, buf, &e);
        assert_non_null(ld);
        ptx_stmt *first = fn->body.head.next;
        while (first->kind != PTX_ST_INSTR) first = first->next;
        ptx_insert_before(first, &ld->st);
    }
    char *out = print_str(m);
    /* g is left only in its declaration and in tbl's initializer */
    assert_int_equal(count_token(out, "g"), 3);
    assert_non_null(strstr(out, ".u64 tbl[3] = {generic(g), g+4, 0};"));
    assert_non_null(strstr(out, "\tmov.u64 %rd8, g2+4;\n"));   /* another name */
    /* k's address register is %nt<n>x with n = its id; the scratch ones
     * follow: sym+N becomes an add into a scratch register */
    ptx_func *k = ptx_module_func(m, "k");
    char a[16], t0[16], t1[16], line[128];
    ptx_func_reg_name(k, k->nregs - 3, a, sizeof a);
    ptx_func_reg_name(k, k->nregs - 2, t0, sizeof t0);
    ptx_func_reg_name(k, k->nregs - 1, t1, sizeof t1);
    snprintf(line, sizeof line, "\tld.global.u32 %%r3, [%s+-4];\n", a);
    assert_non_null(strstr(out, line));
    snprintf(line, sizeof line, "\tadd.s64 %s, %s, -8;\n\tmov.u64 %%rd4, %s;\n", t0, a, t0);
    assert_non_null(strstr(out, line));
    snprintf(line, sizeof line, "\tadd.s64 %s, %s, 12;\n\tcvta.global.u64 %%rd6, %s;\n", t0, a, t0);
    assert_non_null(strstr(out, line));
    snprintf(line, sizeof line,
             "\tadd.s64 %s, %s, 4;\n\tadd.s64 %s, %s, 8;\n\tst.global.v2.u64 [%%rd2], {%s, %s};\n",
             t0, a, t1, a, t0, t1);
    assert_non_null(strstr(out, line));
    snprintf(line, sizeof line, "\tmov.u64 %%rd2, %s;\n", a);
    assert_non_null(strstr(out, line));
    assert_ptxas(out, 90, "the rewritten kernel");
    free(out);
    ptx_module_free(m);
}

/* ptx_call_add_arg: a list is extended, a missing one is created after
 * the target (and after a return list), a non-call is refused. */
static void call_add_arg(void **state)
{
    (void)state;
    ptx_module *m = parse_ok(
        ".version 8.0\n.target sm_90\n.address_size 64\n"
        ".func (.param .b32 r) g(.param .b32 a)\n{\n\tret;\n}\n"
        ".func h()\n{\n\tret;\n}\n"
        ".visible .entry k()\n{\n"
        "\t.param .b32 x;\n\t.param .b32 y;\n"
        "\tcall (y), g, (x);\n\tcall h;\n\tcall.uni (y), g;\n\tret;\n}\n");
    ptx_func *k = ptx_module_func(m, "k");
    assert_true(ptx_call_add_arg(m, nth_instr(k, 0), "s1"));
    assert_true(ptx_call_add_arg(m, nth_instr(k, 1), "s2"));
    assert_true(ptx_call_add_arg(m, nth_instr(k, 1), "s3"));
    assert_true(ptx_call_add_arg(m, nth_instr(k, 2), "s4"));
    assert_false(ptx_call_add_arg(m, nth_instr(k, 3), "s5"));
    ptx_instr *c = nth_instr(k, 1);
    assert_int_equal(c->nops, 2);
    assert_int_equal(ptx_opnd_count(&c->ops[1]), 2);
    assert_true(ptx_str_eq(ptx_opnd_name(ptx_opnd_elem(&c->ops[1], 1)), "s3"));
    assert_prints(m, "\tcall (y), g, (x, s1);\n", "\tcall h, (s2, s3);\n",
                  "\tcall.uni (y), g, (s4);\n", (const char *)NULL);
    ptx_module_free(m);
}

static ptx_instr *one(ptx_module *m, ptx_func *fn, const char *text)
{
    nt_err e = {0};
    ptx_instr *in = ptx_instr_parse(m, fn, text, &e);
    if (!in) fail_msg("%s", e.msg);
    return in;
}

static void memory_facts(void **state)
{
    ptx_module *m = parse_ok(HDR ".visible .entry k()\n{\n\t.reg .b32 %r<9>;\n\t.reg .b64 %rd<9>;\n"
                             "\t.reg .f32 %f<9>;\n\t.reg .pred %p1;\n\tret;\n}\n");
    ptx_func *fn = ptx_module_func(m, "k");
    static const struct {
        const char *text;
        unsigned cls;
        int mem, space, space2, bytes, dyn, addr, addr2, load, store;
    } cases[] = {
        {"ld.global.nc.v4.f32 {%f1, %f2, %f3, %f4}, [%rd1]", PTX_IC_LOAD, 1, PTX_SP_GLOBAL, 0, 16, 0, 1, -1, 1, 0},
        {"ld.u64 %rd2, [%rd1+8]", PTX_IC_LOAD, 1, PTX_SP_NONE, 0, 8, 0, 1, -1, 1, 0},
        {"st.shared.v2.u32 [%r1], {%r2, %r3}", PTX_IC_STORE, 1, PTX_SP_SHARED, 0, 8, 0, 0, -1, 0, 1},
        {"atom.global.add.u32 %r1, [%rd1], 1", PTX_IC_LOAD | PTX_IC_STORE | PTX_IC_ATOMIC, 1, PTX_SP_GLOBAL, 0, 4, 0, 1, -1, 1, 1},
        {"red.shared.add.u64 [%r1], %rd2", PTX_IC_STORE | PTX_IC_ATOMIC, 1, PTX_SP_SHARED, 0, 8, 0, 0, -1, 0, 1},
        {"cp.async.cg.shared.global [%r1], [%rd1], 16", PTX_IC_LOAD | PTX_IC_STORE | PTX_IC_ASYNC, 1, PTX_SP_SHARED, PTX_SP_GLOBAL, 16, 0, 0, 1, 1, 1},
        {"cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%r1], [%rd1], %r2, [%r3]",
         PTX_IC_LOAD | PTX_IC_STORE | PTX_IC_ASYNC, 1, PTX_SP_SHARED_CLUSTER, PTX_SP_GLOBAL, 0, 1, 0, 1, 1, 1},
        {"cp.async.wait_group 0", PTX_IC_BARRIER | PTX_IC_ASYNC, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"cp.async.commit_group", PTX_IC_ASYNC, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%r1, %r2, %r3, %r4}, [%r5]", PTX_IC_LOAD, 1, PTX_SP_SHARED, 0, 16, 0, 1, -1, 1, 0},
        {"mbarrier.try_wait.parity.shared::cta.b64 %p1, [%r1], %r2", PTX_IC_BARRIER | PTX_IC_LOAD, 1, PTX_SP_SHARED, 0, 8, 0, 1, -1, 1, 0},
        {"bar.sync 0", PTX_IC_BARRIER, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"barrier.cluster.arrive", PTX_IC_BARRIER, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"fence.proxy.async", PTX_IC_BARRIER, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%f1, %f2, %f3, %f4}, {%r1, %r2, %r3, %r4}, {%r5, %r6}, {%f5, %f6, %f7, %f8}",
         PTX_IC_TENSOR, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"wgmma.mma_async.sync.aligned.m64n8k16.f32.f16.f16 {%f1, %f2, %f3, %f4}, %rd1, %rd2, 1, 1, 1, 0, 0",
         PTX_IC_TENSOR | PTX_IC_ASYNC, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"wgmma.wait_group.sync.aligned 0", PTX_IC_BARRIER | PTX_IC_ASYNC, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"bra.uni L", PTX_IC_BRANCH, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"exit", PTX_IC_EXIT, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"trap", PTX_IC_EXIT, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"call.uni f, ()", PTX_IC_CALL, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"add.s32 %r1, %r2, %r3", 0, 0, 0, 0, 0, 0, -1, -1, 0, 0},
        {"st.async.shared::cluster.mbarrier::complete_tx::bytes.u32 [%r1], %r2, [%r3]", PTX_IC_STORE | PTX_IC_ASYNC, 1, PTX_SP_SHARED_CLUSTER, 0, 4, 0, 0, -1, 0, 1},
        {"ld.global.L2::cache_hint.b128 %rd1, [%rd2], %rd3", PTX_IC_LOAD, 1, PTX_SP_GLOBAL, 0, 16, 0, 1, -1, 1, 0},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(cases); i++) {
        ptx_instr *in = one(m, fn, cases[i].text);
        unsigned c = ptx_instr_class(in);
        if (c != cases[i].cls) fail_msg("%s: class %#x, want %#x", cases[i].text, c, cases[i].cls);
        ptx_memfact f;
        bool mem = ptx_instr_mem(in, &f);
        if (mem != (bool)cases[i].mem) fail_msg("%s: mem %d", cases[i].text, mem);
        if (!mem) continue;
        if (f.space != cases[i].space || f.space2 != cases[i].space2 || (int)f.bytes != cases[i].bytes ||
            f.bytes_dynamic != cases[i].dyn || f.addr_op != cases[i].addr || f.addr_op2 != cases[i].addr2 ||
            f.load != cases[i].load || f.store != cases[i].store)
            fail_msg("%s: space %d/%d bytes %u dyn %d addr %d/%d load %d store %d", cases[i].text,
                     f.space, f.space2, f.bytes, f.bytes_dynamic, f.addr_op, f.addr_op2, f.load, f.store);
    }
    ptx_module_free(m);
}

static void control_flow_graph(void **state)
{
    ptx_module *m = parse_ok(HDR ".visible .entry k()\n{\n\t.reg .b32 %r<3>;\n\t.reg .pred %p1;\n"
        "\tmov.u32 %r1, 0;\n"                 /* 0  B0 */
        "$L_loop:\n"
        "\tadd.s32 %r1, %r1, 1;\n"            /* 1  B1 */
        "\tsetp.lt.s32 %p1, %r1, 10;\n"       /* 2 */
        "\t@%p1 bra $L_loop;\n"               /* 3 */
        "\t{\n\tts: .branchtargets $L_a, $L_b, $L_c;\n"
        "\tbrx.idx %r1, ts;\n\t}\n"           /* 4  B2 */
        "$L_a:\n\t@%p1 exit;\n"               /* 5  B3 */
        "$L_b:\n\tmov.u32 %r2, 1;\n"          /* 6  B4 */
        "$L_c:\n\tret;\n"                     /* 7  B5 */
        "}\n");
    ptx_func *fn = ptx_module_func(m, "k");
    nt_err e = {0};
    ptx_cfg *g = ptx_cfg_build(m, fn, &e);
    if (!g) fail_msg("%s", e.msg);
    assert_int_equal(g->ninstrs, 8);
    assert_int_equal(g->nblocks, 6);
    assert_int_equal(g->blocks[0].first, 0);
    assert_int_equal(g->blocks[0].last, 0);
    assert_int_equal(g->blocks[0].nsucc, 1);
    assert_int_equal(g->blocks[0].succ[0], 1);
    assert_int_equal(g->blocks[1].last, 3);
    assert_int_equal(g->blocks[1].nsucc, 2);      /* fallthrough first, then the loop */
    assert_int_equal(ptx_bb_succ(&g->blocks[1], 0), 2);
    assert_int_equal(ptx_bb_succ(&g->blocks[1], 1), 1);
    assert_int_equal(g->blocks[2].nsucc, 3);      /* brx.idx: the three targets */
    assert_int_equal(ptx_bb_succ(&g->blocks[2], 0), 3);
    assert_int_equal(ptx_bb_succ(&g->blocks[2], 2), 5);
    assert_true(g->blocks[3].exits);
    assert_int_equal(g->blocks[3].nsucc, 1);      /* guarded exit falls through */
    assert_true(g->blocks[5].exits);
    assert_int_equal(g->blocks[5].nsucc, 0);
    ptx_module_free(m);

    m = parse_ok(HDR ".visible .entry k()\n{\n\tbra.uni $L_nowhere;\n}\n");
    nt_err e2 = {0};
    assert_null(ptx_cfg_build(m, ptx_module_func(m, "k"), &e2));
    assert_string_equal(e2.msg, "k: branch to unknown label '$L_nowhere'");
    ptx_module_free(m);
}

static void name_tables(void **state)
{
    assert_int_equal(ptx_op_lookup("wgmma", 5), PTX_OP_WGMMA);
    assert_int_equal(ptx_op_lookup("nosuch", 6), PTX_OP_OTHER);
    assert_int_equal(ptx_mod_lookup("shared::cluster", 15), PTX_MOD_SHARED_CLUSTER);
    assert_int_equal(ptx_mod_lookup("L2::cache_hint", 14), PTX_MOD_L2_CACHE_HINT);
    assert_int_equal(ptx_type_lookup("bf16x2", 6), PTX_T_BF16X2);
    assert_int_equal(ptx_type_size(PTX_T_B128), 16);
    assert_int_equal(ptx_type_size(PTX_T_PRED), 0);
    assert_true(ptx_type_is_float(PTX_T_F16));
    assert_false(ptx_type_is_float(PTX_T_U32));
    assert_true(ptx_type_is_signed(PTX_T_S8));
    /* every name maps back to its own enum */
    for (int i = 1; i < PTX_OP_COUNT_; i++)
        assert_int_equal(ptx_op_lookup(ptx_op_names[i], strlen(ptx_op_names[i])), i);
    for (int i = 1; i < PTX_MOD_COUNT_; i++)
        assert_int_equal(ptx_mod_lookup(ptx_mod_names[i], strlen(ptx_mod_names[i])), i);
    for (int i = 1; i < PTX_T_COUNT_; i++)
        assert_int_equal(ptx_type_lookup(ptx_type_names[i], strlen(ptx_type_names[i])), i);
    /* type modifiers line up with types */
    assert_string_equal(ptx_mod_names[PTX_MOD_S2F6X2], ptx_type_names[PTX_T_S2F6X2]);
    assert_string_equal(ptx_mod_names[PTX_MOD_B8], ptx_type_names[PTX_T_B8]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(insert_and_fresh_registers),
        cmocka_unit_test(instr_parse_errors),
        cmocka_unit_test(params_and_redirect),
        cmocka_unit_test(redirect_every_shape),
        cmocka_unit_test(call_add_arg),
        cmocka_unit_test(memory_facts),
        cmocka_unit_test(control_flow_graph),
        cmocka_unit_test(name_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
