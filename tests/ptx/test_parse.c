/* Tests: the PTX parser, one construct at a time, and its error paths. */
#include "ptx_test.h"

#define HDR ".version 8.5\n.target sm_90\n.address_size 64\n"

static ptx_func *only_func(ptx_module *m, const char *name)
{
    ptx_func *fn = ptx_module_func(m, name);
    assert_non_null(fn);
    return fn;
}

static void header_directives(void **state)
{
    ptx_module *m = parse_ok("// c\n.version 9.0\n.target sm_90a, texmode_independent, debug\n"
                             ".address_size 32\n");
    assert_int_equal(m->ver_major, 9);
    assert_int_equal(m->ver_minor, 0);
    assert_int_equal(m->sm, 90);
    assert_true(ptx_str_eq(m->target, "sm_90a, texmode_independent, debug"));
    assert_int_equal(m->address_size, 32);
    int n = 0;
    ptx_block_foreach(&m->items, s) {
        assert_int_equal(s->kind, PTX_ST_DIR);
        n++;
    }
    assert_int_equal(n, 3);
    char *out = print_str(m);
    assert_string_equal(out, ".version 9.0\n.target sm_90a, texmode_independent, debug\n.address_size 32\n");
    free(out);
    ptx_module_free(m);
}

static void file_loc_section_pragma(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".file 1 \"/src/a.cu\", 1700000000, 1234\n"
        ".file 2 \"b.h\"\n"
        ".pragma \"nounroll\";\n"
        ".visible .entry k()\n{\n"
        "\t.loc 1 10 3\n"
        "\t.loc 2 5 1, function_name $L__info_string0, inlined_at 1 10 3\n"
        "\t.pragma \"nounroll\";\n"
        "\tret;\n}\n"
        ".section .debug_str\n{\n$L__info_string0:\n.b8 95,0\n}\n");
    ptx_func *fn = only_func(m, "k");
    ptx_stmt *s = fn->body.head.next;
    assert_int_equal(s->kind, PTX_ST_DIR);
    ptx_dir *d = (ptx_dir *)s;
    assert_int_equal(d->dkind, PTX_DIR_LOC);
    assert_int_equal(d->loc_file, 1);
    assert_int_equal(d->loc_line, 10);
    assert_int_equal(d->loc_col, 3);
    assert_true(ptx_str_eq(d->text, ".loc 1 10 3"));
    d = (ptx_dir *)s->next;
    assert_int_equal(d->loc_line, 5);
    assert_true(ptx_str_eq(d->text, ".loc 2 5 1, function_name $L__info_string0, inlined_at 1 10 3"));
    d = (ptx_dir *)s->next->next;
    assert_int_equal(d->dkind, PTX_DIR_PRAGMA);
    assert_true(ptx_str_eq(d->text, ".pragma \"nounroll\";"));
    ptx_dir *sec = (ptx_dir *)m->items.head.prev;
    assert_int_equal(sec->dkind, PTX_DIR_SECTION);
    assert_true(ptx_str_eq(sec->text, ".section .debug_str\n{\n$L__info_string0:\n.b8 95,0\n}"));
    ptx_dir *f1 = (ptx_dir *)m->items.head.next->next->next->next;
    assert_int_equal(f1->dkind, PTX_DIR_FILE);
    assert_int_equal(f1->loc_file, 1);
    assert_true(ptx_str_eq(f1->text, ".file 1 \"/src/a.cu\", 1700000000, 1234"));
    ptx_module_free(m);
}

static void linkage_and_alias(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".extern .func (.param .b32 r) ext_f (.param .b64 a);\n"
        ".weak .func wf()\n{\n\tret;\n}\n"
        ".visible .func vf()\n{\n\tret;\n}\n"
        ".alias al, vf;\n"
        ".common .global .align 8 .b8 cg[16];\n"
        ".extern .global .u32 ev;\n"
        ".weak .global .u32 wv = 3;\n");
    ptx_func *f = only_func(m, "ext_f");
    assert_int_equal(f->linkage, PTX_LINK_EXTERN);
    assert_false(f->has_body);
    assert_int_equal(f->nrets, 1);
    assert_int_equal(f->nparams, 1);
    assert_int_equal(only_func(m, "wf")->linkage, PTX_LINK_WEAK);
    assert_int_equal(only_func(m, "vf")->linkage, PTX_LINK_VISIBLE);
    assert_int_equal(ptx_module_var(m, "cg")->linkage, PTX_LINK_COMMON);
    assert_int_equal(ptx_module_var(m, "ev")->linkage, PTX_LINK_EXTERN);
    ptx_var *wv = ptx_module_var(m, "wv");
    assert_int_equal(wv->linkage, PTX_LINK_WEAK);
    assert_true(ptx_str_eq(wv->init_text, "3"));
    bool saw_alias = false;
    ptx_block_foreach(&m->items, s) if (s->kind == PTX_ST_ALIAS) {
        ptx_alias *a = (ptx_alias *)s;
        assert_true(ptx_str_eq(a->alias, "al"));
        assert_true(ptx_str_eq(a->target, "vf"));
        saw_alias = true;
    }
    assert_true(saw_alias);
    ptx_module_free(m);
}

static void performance_directives(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".visible .entry k()\n.maxnreg 64\n.maxntid 128, 2\n.reqntid 64, 1, 1\n"
        ".minnctapersm 3\n.reqnctapercluster 2, 1, 1\n.explicitcluster\n.maxclusterrank 8\n"
        ".blocksareclusters\n{\n\tret;\n}\n"
        ".func nr() .noreturn\n{\n\ttrap;\n}\n");
    ptx_func *k = only_func(m, "k");
    assert_int_equal(k->maxnreg, 64);
    assert_int_equal(k->nmaxntid, 2);
    assert_int_equal(k->maxntid[0], 128);
    assert_int_equal(k->maxntid[1], 2);
    assert_int_equal(k->nreqntid, 3);
    assert_int_equal(k->reqntid[0], 64);
    assert_int_equal(k->minnctapersm, 3);
    assert_int_equal(k->nreqnctapercluster, 3);
    assert_int_equal(k->reqnctapercluster[0], 2);
    assert_true(k->explicitcluster);
    assert_int_equal(k->maxclusterrank, 8);
    assert_int_equal(k->nextra, 1);
    assert_true(ptx_str_eq(k->extra[0], ".blocksareclusters"));
    assert_true(only_func(m, "nr")->noreturn);
    ptx_module_free(m);
}

static void parameters(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".visible .entry k(.param .u64 .ptr .global .align 16 p, .param .align 8 .b8 s[24],"
        " .param .v2 .f32 v, .param .b32 a)\n{\n\tret;\n}\n"
        ".func (.reg .b32 r) rf(.reg .b32 x)\n{\n\tmov.b32 r, x;\n\tret;\n}\n");
    ptx_func *k = only_func(m, "k");
    assert_int_equal(k->nparams, 4);
    ptx_var *p = &k->params[0];
    assert_true(ptx_str_eq(p->name, "p"));
    assert_int_equal(p->type, PTX_T_U64);
    assert_true(p->ptr.present);
    assert_int_equal(p->ptr.space, PTX_SP_GLOBAL);
    assert_int_equal(p->ptr.align, 16);
    assert_int_equal(p->align, 0);
    assert_int_equal(k->params[1].align, 8);
    assert_int_equal(k->params[1].ndims, 1);
    assert_int_equal(k->params[1].dims[0], 24);
    assert_int_equal(k->params[2].vec, 2);
    ptx_func *rf = only_func(m, "rf");
    assert_int_equal(rf->rets[0].space, PTX_SP_REG);
    /* .reg parameters are registers inside the body */
    ptx_instr *mv = nth_instr(rf, 0);
    assert_int_equal(mv->ops[0].kind, PTX_OPND_REG);
    assert_int_equal(mv->ops[1].kind, PTX_OPND_REG);
    assert_int_not_equal(mv->ops[0].reg, mv->ops[1].reg);
    ptx_module_free(m);
}

static void variables_and_initializers(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".global .align 4 .b8 tbl[8] = {1, 2, 0x10, -1, 0, 0, 0, 7};\n"
        ".const .align 4 .f32 cf[2] = {0f3F800000, 1.5};\n"
        ".const[2] .u32 bank2 = 5;\n"
        ".global .u32 m2[2][3] = {{1, 2}, {4, 5, 6}};\n"
        ".global .u64 gp = generic(tbl)+4;\n"
        ".global .u64 fp[2] = {tbl, cf+8};\n"
        ".global .u32 mk = mask(0xff, tbl);\n"
        ".shared .align 16 .b8 sh[256];\n"
        ".global .texref tx;\n"
        ".global .attribute(.managed) .align 4 .u32 man;\n"
        ".global .v4 .f32 vv = {0f00000000, 0f3F800000, 0f40000000, 0f40400000};\n"
        ".global .u32 la, lb = 2;\n");
    ptx_var *t = ptx_module_var(m, "tbl");
    assert_int_equal(t->space, PTX_SP_GLOBAL);
    assert_int_equal(t->align, 4);
    assert_int_equal(t->type, PTX_T_B8);
    assert_null(t->init);
    nt_err e = {0};
    assert_int_equal(ptx_var_init_elems(m, t, &e), 0);
    assert_int_equal(t->ninit, 8);
    assert_int_equal(t->init[2].kind, PTX_INIT_INT);
    assert_int_equal(t->init[2].i, 16);
    assert_int_equal(t->init[3].i, -1);
    assert_int_equal(t->init[7].index, 7);
    ptx_var *cf = ptx_module_var(m, "cf");
    assert_int_equal(ptx_var_init_elems(m, cf, &e), 0);
    assert_int_equal(cf->init[0].kind, PTX_INIT_F32);
    assert_int_equal(cf->init[0].bits, 0x3F800000);
    assert_int_equal(cf->init[1].kind, PTX_INIT_F64);
    assert_int_equal(ptx_module_var(m, "bank2")->const_bank, 2);
    ptx_var *m2 = ptx_module_var(m, "m2");
    assert_int_equal(ptx_var_init_elems(m, m2, &e), 0);
    assert_int_equal(m2->ninit, 5);
    assert_int_equal(m2->init[2].index, 3);   /* {1,2} left a gap at [0][2] */
    assert_int_equal(m2->init[4].index, 5);
    ptx_var *gp = ptx_module_var(m, "gp");
    assert_int_equal(ptx_var_init_elems(m, gp, &e), 0);
    assert_int_equal(gp->init[0].kind, PTX_INIT_GENERIC);
    assert_true(ptx_str_eq(gp->init[0].sym, "tbl"));
    assert_int_equal(gp->init[0].i, 4);
    ptx_var *fp = ptx_module_var(m, "fp");
    assert_int_equal(ptx_var_init_elems(m, fp, &e), 0);
    assert_int_equal(fp->init[1].kind, PTX_INIT_SYM);
    assert_true(ptx_str_eq(fp->init[1].sym, "cf"));
    assert_int_equal(fp->init[1].i, 8);
    ptx_var *mk = ptx_module_var(m, "mk");
    assert_int_equal(ptx_var_init_elems(m, mk, &e), 0);
    assert_int_equal(mk->init[0].kind, PTX_INIT_MASK);
    assert_int_equal(ptx_module_var(m, "sh")->space, PTX_SP_SHARED);
    assert_int_equal(ptx_module_var(m, "tx")->type, PTX_T_TEXREF);
    assert_true(ptx_str_eq(ptx_module_var(m, "man")->attrs, ".attribute(.managed)"));
    ptx_var *vv = ptx_module_var(m, "vv");
    assert_int_equal(vv->vec, 4);
    assert_int_equal(ptx_var_init_elems(m, vv, &e), 0);
    assert_int_equal(vv->ninit, 4);
    assert_non_null(ptx_module_var(m, "la"));
    assert_true(ptx_str_eq(ptx_module_var(m, "lb")->init_text, "2"));
    ptx_module_free(m);
}

static void registers_and_scopes(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".visible .entry k()\n{\n"
        "\t.reg .pred %p<3>;\n\t.reg .b32 %r<1024>;\n\t.reg .f64 %fd<2>, %x;\n"
        "\t.reg.b32 tight;\n"
        "\tmov.u32 %r1023, %r0;\n"
        "\t{\n\t.reg .pred p;\n\tsetp.ne.s32 p, %r1, 0;\n\t}\n"
        "\t{\n\t.reg .pred p;\n\tsetp.eq.s32 p, %r1, 0;\n\t}\n"
        "\tmov.f64 %x, %fd1;\n\tmov.b32 tight, 1;\n\tret;\n}\n");
    ptx_func *fn = only_func(m, "k");
    assert_int_equal(fn->nregs, 3 + 1024 + 2 + 1 + 1 + 1 + 1);
    ptx_instr *mv = nth_instr(fn, 0);
    char name[32];
    ptx_func_reg_name(fn, mv->ops[0].reg, name, sizeof name);
    assert_string_equal(name, "%r1023");
    ptx_func_reg_name(fn, mv->ops[1].reg, name, sizeof name);
    assert_string_equal(name, "%r0");
    assert_int_equal(ptx_func_reg_type(fn, mv->ops[0].reg), PTX_T_B32);
    /* the two sibling scopes each declare their own p */
    ptx_instr *s1 = nth_instr(fn, 1), *s2 = nth_instr(fn, 2);
    assert_int_not_equal(s1->ops[0].reg, s2->ops[0].reg);
    assert_int_equal(ptx_func_reg_type(fn, s1->ops[0].reg), PTX_T_PRED);
    ptx_instr *mx = nth_instr(fn, 3);
    ptx_func_reg_name(fn, mx->ops[0].reg, name, sizeof name);
    assert_string_equal(name, "%x");
    ptx_module_free(m);
}

static void instruction_decoding(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".visible .entry k(.param .u64 a)\n{\n"
        "\t.reg .pred %p<3>;\n\t.reg .b32 %r<9>;\n\t.reg .b64 %rd<5>;\n\t.reg .f32 %f<5>;\n"
        "\tld.global.nc.v4.f32 {%f1, %f2, %f3, _}, [%rd1+16];\n"
        "\tcvt.rn.f32.s32 %f1, %r1;\n"
        "\tcp.async.cg.shared.global [%r1], [%rd2], 16;\n"
        "\t@%p1 bra $L_end;\n"
        "\t@!%p2 st.shared::cluster.u32 [%r2+-4], %r3;\n"
        "\tsetp.lt.and.s32 %p1|%p2, %r1, %r2, !%p0;\n"
        "\tld.param.u64 %rd1, [a];\n"
        "\tmov.u32 %r4, %tid.x;\n"
        "\tmov.u32 %r5, %pm3;\n"
        "\tmov.u32 %r6, %envreg5;\n"
        "\tmov.u64 %rd3, %clock64;\n"
        "\tld.global.u32 %r7, [0x100];\n"
        "\tfoo.bar.baz %r1;\n"
        "$L_end:\n\tret;\n}\n");
    ptx_func *fn = only_func(m, "k");
    ptx_instr *in = nth_instr(fn, 0);
    assert_int_equal(in->op, PTX_OP_LD);
    assert_true(ptx_str_eq(ptx_instr_name(in), "ld.global.nc.v4.f32"));
    assert_int_equal(ptx_instr_nmods(in), 4);
    assert_int_equal(ptx_instr_mod(in, 0), PTX_MOD_GLOBAL);
    assert_int_equal(ptx_instr_mod(in, 1), PTX_MOD_NC);
    assert_int_equal(ptx_instr_mod(in, 2), PTX_MOD_V4);
    assert_int_equal(ptx_instr_mod(in, 3), PTX_MOD_F32);
    assert_int_equal(in->type, PTX_T_F32);
    assert_int_equal(in->space, PTX_SP_GLOBAL);
    assert_int_equal(in->vec, 4);
    assert_true(ptx_instr_has_mod(in, PTX_MOD_NC));
    assert_int_equal(in->ops[0].kind, PTX_OPND_VEC);
    assert_int_equal(ptx_opnd_count(&in->ops[0]), 4);
    assert_int_equal(ptx_opnd_elem(&in->ops[0], 3)->kind, PTX_OPND_SINK);
    assert_int_equal(in->ops[1].kind, PTX_OPND_ADDR);
    assert_int_equal(ptx_opnd_off(&in->ops[1]), 16);
    assert_int_not_equal(in->ops[1].reg, PTX_NOREG);
    in = nth_instr(fn, 1);
    assert_int_equal(in->type, PTX_T_F32);
    assert_int_equal(in->type2, PTX_T_S32);
    assert_int_equal(ptx_instr_mod(in, 0), PTX_MOD_RN);
    in = nth_instr(fn, 2);
    assert_int_equal(in->op, PTX_OP_CP);
    assert_int_equal(in->space, PTX_SP_SHARED);
    assert_int_equal(in->space2, PTX_SP_GLOBAL);
    assert_int_equal(in->ops[2].kind, PTX_OPND_IMM);
    assert_int_equal(in->ops[2].i, 16);
    in = nth_instr(fn, 3);
    assert_int_not_equal(in->guard, PTX_NOREG);
    assert_false(in->guard_neg);
    assert_int_equal(in->ops[0].kind, PTX_OPND_LABEL);
    assert_true(ptx_str_eq(ptx_opnd_name(&in->ops[0]), "$L_end"));
    in = nth_instr(fn, 4);
    assert_true(in->guard_neg);
    assert_int_equal(in->space, PTX_SP_SHARED_CLUSTER);
    assert_int_equal(ptx_opnd_off(&in->ops[0]), -4);
    in = nth_instr(fn, 5);
    assert_int_equal(in->ops[0].kind, PTX_OPND_PAIR);
    assert_int_equal(in->ops[3].kind, PTX_OPND_REG);
    assert_true(in->ops[3].flags & PTX_OPF_NEG);
    in = nth_instr(fn, 6);
    assert_int_equal(in->space, PTX_SP_PARAM);
    assert_int_equal(in->ops[1].reg, PTX_NOREG);
    assert_true(ptx_str_eq(ptx_opnd_name(&in->ops[1]), "a"));
    in = nth_instr(fn, 7);
    assert_int_equal(in->ops[1].kind, PTX_OPND_SREG);
    assert_int_equal(in->ops[1].reg, PTX_SREG_TID);
    assert_int_equal(in->ops[1].comp, 1);
    in = nth_instr(fn, 8);
    assert_int_equal(in->ops[1].reg, PTX_SREG_PM | 3u << 16);
    in = nth_instr(fn, 9);
    assert_int_equal(in->ops[1].reg, PTX_SREG_ENVREG | 5u << 16);
    in = nth_instr(fn, 10);
    assert_int_equal(in->ops[1].reg, PTX_SREG_CLOCK64);
    in = nth_instr(fn, 11);
    assert_int_equal(in->ops[1].reg, PTX_NOREG);
    assert_int_equal(ptx_opnd_name(&in->ops[1]).n, 0);
    assert_int_equal(ptx_opnd_off(&in->ops[1]), 0x100);
    in = nth_instr(fn, 12);
    assert_int_equal(in->op, PTX_OP_OTHER);
    assert_int_equal(ptx_instr_mod(in, 0), PTX_MOD_OTHER);
    assert_true(ptx_str_eq(ptx_instr_mod_text(in, 1), "baz"));
    char *out = print_str(m);
    assert_non_null(strstr(out, "\tld.global.nc.v4.f32 {%f1, %f2, %f3, _}, [%rd1+16];\n"));
    assert_non_null(strstr(out, "\t@!%p2 st.shared::cluster.u32 [%r2+-4], %r3;\n"));
    assert_non_null(strstr(out, "\tsetp.lt.and.s32 %p1|%p2, %r1, %r2, !%p0;\n"));
    assert_non_null(strstr(out, "\tmov.u32 %r5, %pm3;\n"));
    assert_non_null(strstr(out, "\tld.global.u32 %r7, [256];\n"));
    free(out);
    ptx_module_free(m);
}

static void immediates(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".visible .entry k()\n{\n\t.reg .b64 %rd<2>;\n\t.reg .f32 %f1;\n\t.reg .f64 %d1;\n"
        "\tmov.b64 %rd1, 0xFFFFFFFFFFFFFFFF;\n"
        "\tmov.b64 %rd1, -12;\n"
        "\tmov.b64 %rd1, 017;\n"
        "\tmov.b64 %rd1, 0b101;\n"
        "\tmov.b64 %rd1, 42U;\n"
        "\tmov.f32 %f1, 0f3F800000;\n"
        "\tmov.f64 %d1, 0d3FF0000000000000;\n"
        "\tmov.f64 %d1, 2.5e-1;\n"
        "\tmov.f32 %f1, -0f3F800000;\n"
        "\tret;\n}\n");
    ptx_func *fn = only_func(m, "k");
    assert_int_equal(nth_instr(fn, 0)->ops[1].i, -1);
    assert_true(nth_instr(fn, 0)->ops[1].flags & PTX_OPF_HEX);
    assert_int_equal(nth_instr(fn, 1)->ops[1].i, -12);
    assert_int_equal(nth_instr(fn, 2)->ops[1].i, 15);
    assert_int_equal(nth_instr(fn, 3)->ops[1].i, 5);
    assert_true(nth_instr(fn, 4)->ops[1].flags & PTX_OPF_UNS);
    assert_int_equal(nth_instr(fn, 5)->ops[1].kind, PTX_OPND_F32);
    assert_int_equal(nth_instr(fn, 5)->ops[1].bits, 0x3F800000);
    assert_int_equal(nth_instr(fn, 6)->ops[1].kind, PTX_OPND_F64);
    assert_int_equal(nth_instr(fn, 6)->ops[1].bits, 0x3FF0000000000000ull);
    double d;
    memcpy(&d, &nth_instr(fn, 7)->ops[1].bits, sizeof d);
    assert_true(d == 0.25);
    assert_int_equal(nth_instr(fn, 8)->ops[1].bits, 0xBF800000);
    char *out = print_str(m);
    assert_non_null(strstr(out, "mov.b64 %rd1, -0x1;"));
    assert_non_null(strstr(out, "mov.b64 %rd1, 017;"));
    assert_non_null(strstr(out, "mov.b64 %rd1, 0b101;"));
    assert_non_null(strstr(out, "mov.b64 %rd1, 42U;"));
    assert_non_null(strstr(out, "mov.f64 %d1, 0.25;"));
    free(out);
    ptx_module_free(m);
}

static void calls_prototypes_targets(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".func (.param .b32 r) f(.param .b32 a)\n{\n\tst.param.b32 [r], 1;\n\tret;\n}\n"
        ".visible .entry k()\n{\n\t.reg .b32 %r<3>;\n\t.reg .b64 %rd1;\n"
        "\t{\n\t.param .b32 p0;\n\tst.param.b32 [p0], %r1;\n\t.param .b32 rv;\n"
        "\tcall.uni (rv), f, (p0);\n\tld.param.b32 %r2, [rv];\n\t}\n"
        "\tproto: .callprototype (.param .b32 _) _ (.param .b32 _);\n"
        "\tct: .calltargets f;\n"
        "\t{\n\t.param .b32 q0;\n\t.param .b32 qr;\n\tcall (qr), %rd1, (q0), proto;\n\t}\n"
        "\tcall.uni f2, ();\n"
        "\tts: .branchtargets L1, L2;\n"
        "\tbrx.idx %r1, ts;\n"
        "L1:\n\tret;\nL2:\n\tret;\n}\n"
        ".func f2()\n{\n\tret;\n}\n");
    ptx_func *k = only_func(m, "k");
    ptx_instr *call = nth_instr(k, 1);
    assert_int_equal(call->op, PTX_OP_CALL);
    assert_int_equal(call->nops, 3);
    assert_int_equal(call->ops[0].kind, PTX_OPND_LIST);
    assert_int_equal(ptx_opnd_count(&call->ops[0]), 1);
    assert_int_equal(call->ops[1].kind, PTX_OPND_SYM);
    assert_true(ptx_str_eq(ptx_opnd_name(&call->ops[1]), "f"));
    ptx_instr *icall = nth_instr(k, 3);
    assert_int_equal(icall->ops[3].kind, PTX_OPND_LABEL);
    ptx_instr *c2 = nth_instr(k, 4);
    assert_int_equal(c2->ops[1].kind, PTX_OPND_LIST);
    assert_int_equal(ptx_opnd_count(&c2->ops[1]), 0);
    ptx_instr *brx = nth_instr(k, 5);
    assert_int_equal(brx->op, PTX_OP_BRX);
    assert_int_equal(brx->ops[1].kind, PTX_OPND_LABEL);
    int nproto = 0, ntg = 0;
    ptx_block_foreach(&k->body, s) {
        if (s->kind == PTX_ST_PROTO) {
            ptx_proto *p = (ptx_proto *)s;
            assert_true(ptx_str_eq(p->label, "proto"));
            assert_int_equal(p->sig->nrets, 1);
            assert_int_equal(p->sig->nparams, 1);
            assert_true(p->sig->params[0].is_sink);
            nproto++;
        } else if (s->kind == PTX_ST_TARGETS) {
            ptx_targets *t = (ptx_targets *)s;
            if (t->calltargets) assert_int_equal(t->n, 1);
            else { assert_int_equal(t->n, 2); assert_true(ptx_str_eq(t->names[1], "L2")); }
            ntg++;
        }
    }
    assert_int_equal(nproto, 1);
    assert_int_equal(ntg, 2);
    assert_non_null(ptx_func_label(k, "L2", 2));
    assert_null(ptx_func_label(k, "L3", 2));
    char *out = print_str(m);
    assert_non_null(strstr(out, "proto: .callprototype (.param .b32 _) _ (.param .b32 _);\n"));
    assert_non_null(strstr(out, "ts: .branchtargets L1, L2;\n"));
    assert_non_null(strstr(out, "\tcall (qr), %rd1, (q0), proto;\n"));
    assert_non_null(strstr(out, "\tcall.uni f2, ();\n"));
    free(out);
    ptx_module_free(m);
}

static void addresses_and_lists(void **state)
{
    ptx_module *m = parse_ok(HDR
        ".global .texref t;\n.global .b8 g[64];\n"
        ".visible .entry k()\n{\n\t.reg .f32 %f<6>;\n\t.reg .b32 %r<3>;\n"
        "\ttex.2d.v4.f32.f32 {%f1, %f2, %f3, %f4}, [t, {%f5, %f5}];\n"
        "\tld.global.u32 %r1, [g+8];\n"
        "\tld.global.u32 %r1, [g-8];\n"
        "\tmov.u32 %r2, g+4;\n"
        "\tret;\n}\n");
    ptx_func *k = only_func(m, "k");
    ptx_instr *tx = nth_instr(k, 0);
    assert_int_equal(tx->ops[1].kind, PTX_OPND_ADDR);
    assert_true(tx->ops[1].flags & PTX_OPF_ALIST);
    assert_int_equal(ptx_opnd_count(&tx->ops[1]), 2);
    assert_int_equal(ptx_opnd_elem(&tx->ops[1], 1)->kind, PTX_OPND_VEC);
    ptx_instr *ld = nth_instr(k, 1);
    assert_true(ptx_str_eq(ptx_opnd_name(&ld->ops[1]), "g"));
    assert_int_equal(ptx_opnd_off(&ld->ops[1]), 8);
    assert_int_equal(ptx_opnd_off(&nth_instr(k, 2)->ops[1]), -8);
    ptx_instr *mv = nth_instr(k, 3);
    assert_int_equal(mv->ops[1].kind, PTX_OPND_EXPR);
    assert_true(ptx_str_eq(ptx_opnd_name(&mv->ops[1]), "g+4"));
    char *out = print_str(m);
    assert_non_null(strstr(out, "[t, {%f5, %f5}]"));
    assert_non_null(strstr(out, "[g+-8]"));
    assert_non_null(strstr(out, "mov.u32 %r2, g+4;"));
    free(out);
    ptx_module_free(m);
}

/* Names longer than an operand holds, and an instruction with more
 * modifiers than the 10 an instruction held before they moved to its
 * name's record (all 11 are decoded now). */
static void operand_limits_and_long_names(void **state)
{
    (void)state;
    size_t n = 70000;
    char *name = malloc(n + 1);
    memset(name, 'a', n);
    name[n] = '\0';
    nt_sb sb = {0};
    nt_sb_printf(&sb, HDR ".global .b8 g[4];\n.entry k()\n{\n\t.reg .b64 %%rd<2>;\n"
                      "\tmov.u64 %%rd1, %s;\n\tret;\n}\n", name);
    parse_err(nt_sb_str(&sb), "t.ptx:8:16: name longer than 65535 bytes, found 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
    nt_sb_free(&sb);
    free(name);
    ptx_module *m = parse_ok(HDR ".entry k()\n{\n\t.reg .b32 %r<40>;\n"
        "\twmma.mma.sync.aligned.row.col.m16n16k16.s32.s8.s8.s32.satfinite "
        "{%r0, %r1, %r2, %r3, %r4, %r5, %r6, %r7}, {%r8, %r9}, {%r10, %r11}, "
        "{%r12, %r13, %r14, %r15, %r16, %r17, %r18, %r19};\n\tret;\n}\n");
    ptx_instr *in = nth_instr(only_func(m, "k"), 0);
    assert_int_equal(ptx_instr_nmods(in), 11);
    assert_int_equal(ptx_instr_mod(in, 10), PTX_MOD_SATFINITE);
    assert_true(ptx_instr_has_mod(in, PTX_MOD_ROW));
    assert_true(ptx_instr_has_mod(in, PTX_MOD_SATFINITE));   /* the 11th */
    assert_false(ptx_instr_has_mod(in, PTX_MOD_FTZ));
    assert_int_equal(ptx_opnd_count(&in->ops[0]), 8);
    assert_int_equal(ptx_opnd_elem(&in->ops[3], 7)->reg, 19);
    ptx_module_free(m);
}

static void comments_and_lines(void **state)
{
    const char *t = HDR "/* multi\n line\n comment */\n// line\n.visible .entry k()\n{\n"
                    "\tret; // trailing\n\t/* inline */ exit;\n}\n";
    ptx_module *m = parse_ok(t);
    ptx_func *k = only_func(m, "k");
    assert_int_equal(k->line, 8);
    assert_int_equal(nth_instr(k, 0)->st.line, 10);
    assert_int_equal(nth_instr(k, 1)->st.line, 11);
    ptx_module_free(m);
}

static void unparsed_text_need_not_be_terminated(void **state)
{
    const char *t = HDR ".visible .entry k()\n{\n\tret;\n}\n";
    size_t n = strlen(t);
    char *buf = malloc(n);   /* no NUL: ASan catches any read past n */
    memcpy(buf, t, n);
    nt_err e = {0};
    ptx_module *m = ptx_parse(buf, n, "x", 0, &e);
    assert_non_null(m);
    ptx_module_free(m);
    /* cut in the middle of every token: errors, never reads past the end */
    for (size_t k = 0; k < n; k++) {
        char *b2 = malloc(k ? k : 1);
        memcpy(b2, t, k);
        nt_err e2 = {0};
        ptx_module *m2 = ptx_parse(b2, k, "x", 0, &e2);
        if (m2) ptx_module_free(m2);
        else assert_true(e2.set);
        free(b2);
    }
    free(buf);
}

/* ---- errors: file:line:col, what was found, what was expected ---------- */

static void errors_module_level(void **state)
{
    parse_err(".version 9\n", "t.ptx:1:10: expected version as MAJOR.MINOR, found '9'");
    /* fuzz_emu_load reproducer: the digits used to overflow an int */
    parse_err(".version 7111111111.0\n",
              "t.ptx:1:10: expected a PTX version (major at most 99), found '7111111111.0'");
    parse_err(".version 9.0\n.address_size 48\n",
              "t.ptx:2:1: address size must be 32 or 64 (got 48), found '.address_size'");
    parse_err(".version 9.0\n.frobnicate 1;\n", "t.ptx:2:1: unknown module directive, found '.frobnicate'");
    parse_err(HDR "ret;\n",
              "t.ptx:4:1: expected a directive (.version, .target, .entry, .func, a variable, ...), found 'ret'");
    parse_err(HDR ".global .u32 x\n", "t.ptx:5:1: expected ';' after variable declaration, found end of input");
    parse_err(HDR ".global x;\n", "t.ptx:4:9: expected a type in declaration, found 'x'");
    parse_err(HDR ".global .bogus x;\n", "t.ptx:4:9: expected a state space, type or attribute in declaration, found '.bogus'");
    parse_err(HDR ".global .align 4 x;\n", "t.ptx:4:18: expected a type in declaration, found 'x'");
    parse_err(HDR ".u32 x;\n", "t.ptx:4:7: module variable 'x' needs a state space (.global, .const, .shared, ...), found ';'");
    parse_err(HDR ".global .u32 x[;\n", "t.ptx:4:16: expected array size, found ';'");
    parse_err(HDR ".global .u32 x[2] = {1, 2;\n", "t.ptx:4:26: expected ',' or '}' in initializer, found ';'");
    parse_err(HDR ".global .u32 x = generic();\n", "t.ptx:4:27: generic() needs a variable name, found ';'");
    parse_err(HDR ".entry k(.param .u32 a\n{\n}\n", "t.ptx:5:1: expected ',' or ')' after parameter, found '{'");
    parse_err(HDR ".entry k(a)\n{\n}\n", "t.ptx:4:10: expected '.param' or '.reg' parameter declaration, found 'a'");
    parse_err(HDR ".entry k()\n.maxntid x\n{\n}\n", "t.ptx:5:10: expected thread count, found 'x'");
    parse_err(HDR ".entry k() ret;\n", "t.ptx:4:12: expected '{' or ';' after function signature, found 'ret'");
    parse_err(HDR ".entry ()\n{\n}\n", "t.ptx:4:8: expected kernel name after .entry, found '('");
    parse_err(HDR ".alias a b;\n", "t.ptx:4:10: expected ',' after alias name, found 'b'");
    parse_err(HDR "/* open\n", "t.ptx:4:1: unterminated comment, found '/*'");
    parse_err(HDR ".pragma \"abc;\n", "t.ptx:4:9: unterminated string, found '\"abc;'");
    parse_err(HDR ".section .debug_info\n{\n.b8 1\n", "t.ptx:7:1: expected '}' closing .section, found end of input");
}

static void errors_in_bodies(void **state)
{
    parse_err(HDR ".entry k()\n{\n\tret;\n", "t.ptx:7:1: expected '}' closing the function body, found end of input");
    parse_err(HDR ".entry k()\n{\n\tadd.s32 %r1, 1, 2;\n}\n", "t.ptx:6:10: undeclared register, found '%r1'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<2>;\n\tadd.s32 %r2, 1, 2;\n}\n",
              "t.ptx:7:10: undeclared register, found '%r2'");
    parse_err(HDR ".entry k()\n{\n\t@%p1 ret;\n}\n", "t.ptx:6:3: undeclared guard predicate, found '%p1'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<2>;\n\tadd.s32 %r1 %r0;\n}\n",
              "t.ptx:7:14: expected ',' or ';' after operand, found '%r0'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<2>;\n\tld.u32 %r1, [%r0+x];\n}\n",
              "t.ptx:7:19: expected integer offset, found 'x'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<2>;\n\tld.u32 %r1, [%r0;\n}\n",
              "t.ptx:7:18: expected '+offset' or ']' in address, found ';'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<2>;\n\tmov.u32 %r1, {%r0, %r0;\n}\n",
              "t.ptx:7:24: expected ',' or '}' in vector operand, found ';'");
    parse_err(HDR ".entry k()\n{\n\tcall.uni f, (a;\n}\n",
              "t.ptx:6:16: expected ',' or ')' in operand list, found ';'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r1;\n\tmov.u32 %r1, 0x;\n}\n",
              "t.ptx:7:15: expected a number, found '0x'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r1;\n\tmov.u32 %r1, 0f3F80;\n}\n",
              "t.ptx:7:15: expected a number, found '0f3F80'");
    parse_err(HDR ".entry k()\n{\n\t.reg %r1;\n}\n", "t.ptx:6:7: expected a register type after .reg, found '%r1'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<0>;\n}\n", "t.ptx:6:15: expected register count, found '0'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<4;\n}\n", "t.ptx:6:16: expected '>' after register count, found ';'");
    parse_err(HDR ".entry k()\n{\n\t.maxnreg 4;\n}\n", "t.ptx:6:2: unknown directive in function body, found '.maxnreg'");
    parse_err(HDR ".entry k()\n{\n\tret\n}\n", "t.ptx:7:1: expected an operand, found '}'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r1;\n\t%r1;\n}\n", "t.ptx:7:2: expected an instruction, found '%r1'");
    parse_err(HDR ".entry k()\n{\n\tL: .branchtargets ;\n}\n", "t.ptx:6:20: expected a target name, found ';'");
    parse_err(HDR ".entry k()\n{\n\tp: .callprototype (.param .b32 _) x;\n}\n",
              "t.ptx:6:36: expected '_' in .callprototype, found 'x'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r1;\n\tmov.u32 %r1, !5;\n}\n",
              "t.ptx:7:17: '!' applies to a predicate register only; operand ends before, found ';'");
}

/* Reproducer of a fuzzing find: an error in the middle of a list built
 * in scratch memory (parameters, .reg names, extra directives, target
 * lists, initializers) leaked it.  Under make test SAN=1 LeakSanitizer
 * checks that nothing leaks; here each must fail cleanly. */
static void errors_inside_lists_leak_nothing(void **state)
{
    static const char *const bad[] = {
        HDR ".entry k(.param .u32 a, .param .u32 b, .param .u32 c, .param .u32 d, .param .u32 e, "
            ".param .u32 f, .param .u32 g, .param .u32 h, .param .u32 i, .param x)\n{\n}\n",
        HDR ".entry k()\n.pragma \"a\";\n.pragma \"b\";\n.abi_preserve 1\n}\n",
        HDR ".entry k()\n{\n\t.reg .b32 a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, 1;\n}\n",
        HDR ".entry k()\n{\n\tT: .branchtargets a, b, c, d, e, f, g, h, i, j, k, l, m, .x;\n}\n",
        HDR ".global .u32 t[20] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, x y};\n",
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(bad); i++) {
        nt_err e = {0};
        ptx_module *m = ptx_parse(bad[i], strlen(bad[i]), "t.ptx", 0, &e);
        if (m) fail_msg("case %zu parsed", i);
        assert_true(e.set);
    }
}

/* Parses src and requires print(parse(print(src))) == print(src). */
static ptx_module *parse_stable(const char *src)
{
    ptx_module *m = parse_ok(src);
    char *a = print_str(m);
    ptx_module *m2 = parse_ok(a);
    char *b = print_str(m2);
    assert_string_equal(a, b);
    free(a);
    free(b);
    ptx_module_free(m2);
    return m;
}

/* Reproducer of a fuzzing find: a body-less .func whose last header
 * directive is unknown, then a comment, then the next item.  The printer
 * drops the comment; the ';' must still end the declaration when the
 * printed text is read back (it used to swallow `.visible .entry`). */
static void unknown_header_directive_then_item(void **state)
{
    ptx_module *m = parse_stable(HDR ".func (.param .b32 r) f .frob x\n;\n// a comment\n"
                                 ".visible .entry k()\n{\n\tret;\n}\n");
    assert_prints(m, ".visible .entry k(", NULL);
    ptx_module_free(m);
    /* an initializer followed by a comment before its ';' (the comment
     * used to be kept in the initializer's text and swallowed the ';') */
    m = parse_stable(HDR ".global .align 4 .b8 tbl[8] = {1, 2, 3, 4, 5, 6, 7, 8};\n"
                     ".global .u64 gp = generic(tbl)+4 // a comment\n;\n");
    assert_prints(m, "= generic(tbl)+4;", NULL);
    ptx_module_free(m);
    /* `.file N "name"` with nothing after the name printed as a bare
     * `.file` (found by fuzz_parse) */
    m = parse_ok(HDR ".file 1 \"a.cu\"\n.file 2 \"b.cu\", 123, 456\n");
    assert_prints(m, ".file 1 \"a.cu\"\n", ".file 2 \"b.cu\", 123, 456\n", NULL);
    ptx_module_free(m);
    /* `%envreg.x`, `%pm` and `%pm_64` lack their family's number: no
     * special register but undeclared names (`%envreg.x` was taken for
     * %envreg0 and printed so; found by fuzz_parse) */
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<4>;\n\tmov.u32 %r3,%envreg.x;\n\tret;\n}\n",
              "t.ptx:7:14: undeclared register, found '%envreg.x'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b32 %r<4>;\n\tmov.u32 %r2, %pm;\n\tret;\n}\n",
              "t.ptx:7:15: undeclared register, found '%pm'");
    parse_err(HDR ".entry k()\n{\n\t.reg .b64 %r<4>;\n\tmov.u64 %r2, %pm_64;\n\tret;\n}\n",
              "t.ptx:7:15: undeclared register, found '%pm_64'");
    m = parse_stable(HDR ".entry k()\n{\n\t.reg .b32 %r<4>;\n\tmov.u32 %r0, %envreg31;\n"
                     "\tmov.u32 %r1, %pm7;\n\tret;\n}\n");
    assert_prints(m, "mov.u32 %r0, %envreg31;", "mov.u32 %r1, %pm7;", NULL);
    ptx_module_free(m);
    /* sym+N outside brackets, then a comment before the ',' or ';': the
     * expression's text ends at N (the comment, printed back, swallowed
     * the rest of the instruction; found by fuzz_parse) */
    m = parse_stable(HDR ".global .u32 g;\n.entry k()\n{\n\t.reg .b64 %rd<3>;\n"
                     "\tmov.u64 %rd1, g+4// c1\n// c2\n;\n\tmov.u64 %rd2, g-8 /* c3 */;\n\tret;\n}\n");
    assert_prints(m, "mov.u64 %rd1, g+4;", "mov.u64 %rd2, g-8;", NULL);
    ptx_module_free(m);
    /* a function-scope variable with no state space (`.align 0 .u32 ga`
     * printed as `.u32 ga;`, which did not parse back; fuzz_parse) */
    parse_err(HDR ".entry k()\n{\n\t.align 0 .u32 ga, gb;\n\tret;\n}\n",
              "t.ptx:6:18: variable 'ga' needs a state space (.local, .shared, .param, ...), found ','");
    /* a `.pragma "x";` before the body still belongs to the header */
    m = parse_ok(HDR ".entry k() .pragma \"nounroll\";\n{\n\tret;\n}\n");
    assert_prints(m, ".pragma \"nounroll\";", "ret;", NULL);
    ptx_module_free(m);
}

/* A function may declare two billion registers and use three: parsing
 * and printing cost what is used (the printer's name table once took
 * 16 bytes per declared register: 32 GB here, an abort). */
static void huge_register_declaration(void **state)
{
    (void)state;
    ptx_module *m = parse_stable(HDR ".entry k()\n{\n\t.reg .b32 %r<2000000000>;\n"
                                 "\tmov.u32 %r199999999, 7;\n\tmov.u32 %r0, %r199999999;\n"
                                 "\tmov.u32 %r1048576, %r1048575;\n\tret;\n}\n");
    assert_prints(m, "mov.u32 %r199999999, 7;", "mov.u32 %r0, %r199999999;",
                  "mov.u32 %r1048576, %r1048575;", NULL);
    ptx_module_free(m);
}

/* A predicate pair `%p1|%p2` cut after the '|': at the end of the text
 * (a buffer with no NUL after it, as ASan sees an exact-size mapping)
 * the parser read one byte past it; before a ',' it took the ',' for a
 * name.  Both are errors now (found by fuzz_parse). */
static void pair_operand_without_second_name(void **state)
{
    (void)state;
    static const char head[] = HDR ".entry k()\n{\n\t.reg .pred %p<3>;\n\t.reg .b32 %r<3>;\n"
                               "\tsetp.lt.s32 %p1|";
    char *text = nt_xmalloc(sizeof head - 1);
    memcpy(text, head, sizeof head - 1);          /* no NUL */
    nt_err e = {0};
    ptx_module *m = ptx_parse(text, sizeof head - 1, "t.ptx", 0, &e);
    assert_null(m);
    assert_non_null(strstr(e.msg, "expected a register after '|'"));
    free(text);
    parse_err(HDR ".entry k()\n{\n\t.reg .pred %p<3>;\n\t.reg .b32 %r<3>;\n"
                  "\tsetp.lt.s32 %p1|, %r1, %r2;\n\tret;\n}\n",
              "t.ptx:8:18: expected a register after '|', found ','");
}

/* A name with more modifiers than PTX_MAX_MODS: the first 255 are
 * decoded, ptx_instr_has_mod finds the rest in the text, and it prints
 * as written. */
static void more_modifiers_than_a_record_holds(void **state)
{
    (void)state;
    nt_sb nm = {0};
    nt_sb_printf(&nm, "foo");
    for (int i = 0; i < 299; i++) nt_sb_printf(&nm, ".x%d", i);
    nt_sb_printf(&nm, ".satfinite");
    nt_sb sb = {0};
    nt_sb_printf(&sb, HDR ".entry k()\n{\n\t.reg .b32 %%r<2>;\n\t%s %%r1;\n\tret;\n}\n",
                 nt_sb_str(&nm));
    ptx_module *m = parse_ok(nt_sb_str(&sb));
    ptx_instr *in = nth_instr(only_func(m, "k"), 0);
    assert_int_equal(ptx_instr_nmods(in), PTX_MAX_MODS);
    assert_int_equal(ptx_instr_mod(in, PTX_MAX_MODS - 1), PTX_MOD_OTHER);
    assert_true(ptx_str_eq(ptx_instr_mod_text(in, PTX_MAX_MODS - 1), "x254"));
    assert_true(ptx_instr_has_mod(in, PTX_MOD_SATFINITE));   /* the 300th */
    assert_false(ptx_instr_has_mod(in, PTX_MOD_FTZ));
    assert_true(ptx_str_eq(ptx_instr_name(in), nt_sb_str(&nm)));
    nt_sb_printf(&nm, " %%r1;\n");
    assert_prints(m, nt_sb_str(&nm), NULL);
    ptx_module_free(m);
    nt_sb_free(&sb);
    nt_sb_free(&nm);
}

/* Instructions of one name share its record (one name text); many
 * distinct names (more than the parser's name cache has slots, so some
 * share a slot, and more than it indexes, so the last ones are not
 * cached at all) each decode to their own op, type, space, vector and
 * modifiers. */
static void instruction_names_are_shared_records(void **state)
{
    (void)state;
    enum { NAMES = 70000 };
    nt_sb sb = {0};
    nt_sb_printf(&sb, HDR ".entry k()\n{\n\t.reg .b32 %%r<5>;\n\t.reg .b64 %%rd<2>;\n");
    for (int i = 0; i < NAMES; i++)
        nt_sb_printf(&sb, "\tld.global.v4.u32.k%d {%%r1, %%r2, %%r3, %%r4}, [%%rd1];\n"
                          "\tadd.s32 %%r1, %%r1, %d;\n", i, i);
    nt_sb_printf(&sb, "\tret;\n}\n");
    ptx_module *m = parse_ok(nt_sb_str(&sb));
    ptx_func *fn = only_func(m, "k");
    const char *add_name = NULL;
    int i = 0;
    char want[64];
    ptx_block_foreach(&fn->body, s) {
        if (s->kind != PTX_ST_INSTR) continue;
        ptx_instr *in = (ptx_instr *)s;
        if (i == 2 * NAMES) { assert_int_equal(in->op, PTX_OP_RET); break; }
        if (i % 2) {
            assert_int_equal(in->op, PTX_OP_ADD);
            assert_int_equal(in->type, PTX_T_S32);
            if (!add_name) add_name = ptx_instr_name(in).s;
            assert_ptr_equal(ptx_instr_name(in).s, add_name);
            assert_int_equal(in->ops[2].i, i / 2);
        } else {
            snprintf(want, sizeof want, "ld.global.v4.u32.k%d", i / 2);
            if (!ptx_str_eq(ptx_instr_name(in), want))
                fail_msg("instruction %d is '%.*s', want '%s'", i, (int)ptx_instr_name(in).n,
                         ptx_instr_name(in).s, want);
            assert_int_equal(in->op, PTX_OP_LD);
            assert_int_equal(in->space, PTX_SP_GLOBAL);
            assert_int_equal(in->vec, 4);
            assert_int_equal(in->type, PTX_T_U32);
            assert_int_equal(in->type2, PTX_T_NONE);
            assert_int_equal(ptx_instr_nmods(in), 4);
            assert_int_equal(ptx_instr_mod(in, 3), PTX_MOD_OTHER);
            assert_true(ptx_str_eq(ptx_instr_mod_text(in, 3), want + strlen("ld.global.v4.u32.")));
            assert_int_equal(in->nops, 2);
        }
        i++;
    }
    assert_int_equal(i, 2 * NAMES);
    char *out = print_str(m);
    snprintf(want, sizeof want, "\tld.global.v4.u32.k%d {%%r1, %%r2, %%r3, %%r4}, [%%rd1];\n", NAMES - 1);
    assert_non_null(strstr(out, want));
    free(out);
    ptx_module_free(m);
    nt_sb_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_directives),
        cmocka_unit_test(unknown_header_directive_then_item),
        cmocka_unit_test(file_loc_section_pragma),
        cmocka_unit_test(linkage_and_alias),
        cmocka_unit_test(performance_directives),
        cmocka_unit_test(parameters),
        cmocka_unit_test(variables_and_initializers),
        cmocka_unit_test(registers_and_scopes),
        cmocka_unit_test(instruction_decoding),
        cmocka_unit_test(immediates),
        cmocka_unit_test(calls_prototypes_targets),
        cmocka_unit_test(addresses_and_lists),
        cmocka_unit_test(operand_limits_and_long_names),
        cmocka_unit_test(comments_and_lines),
        cmocka_unit_test(unparsed_text_need_not_be_terminated),
        cmocka_unit_test(errors_module_level),
        cmocka_unit_test(errors_in_bodies),
        cmocka_unit_test(errors_inside_lists_leak_nothing),
        cmocka_unit_test(more_modifiers_than_a_record_holds),
        cmocka_unit_test(huge_register_declaration),
        cmocka_unit_test(pair_operand_without_second_name),
        cmocka_unit_test(instruction_names_are_shared_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
