/* Tests: code generation and the rewriter — what each construct emits,
 * that the kernel's own code survives unchanged, and that ptxas accepts
 * every shipped probe on every test kernel (nvcc-made fixtures). */
#include "probe/ptest.h"

#include <unistd.h>

static const char *const fixtures[] = {
    "basic.sm90", "async_mma.sm90", "regions.sm90", "basic.sm80", "async_mma.sm80",
    "regions.sm80", "basic.sm75", "async_mma.sm75", "regions.sm75",
    "flow.sm90", "flow.sm80", "flow.sm75",
};

static const char *build_dir(void)
{
    const char *b = getenv("BUILD");
    return b && *b ? b : "build";
}

static char *read_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/probe/%s.ptx", build_dir(), name);
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) != 0) {
        fprintf(stderr, "%s\n", e.msg);
        fail();
    }
    char *s = nt_xstrndup(f.data, f.size);
    *len = f.size;
    nt_file_close(&f);
    return s;
}

static char *instrument(prb_probe *p, const char *fixture, const char *kernel,
                        prb_inst_stats *st, char *err)
{
    size_t len;
    char *ptx = read_fixture(fixture, &len);
    nt_err e = {0};
    char *out = prb_instrument_text(p, ptx, len, fixture, kernel, st, &e);
    if (err) snprintf(err, 512, "%s", e.msg);
    else if (!out) fprintf(stderr, "%s\n", e.msg);
    free(ptx);
    return out;
}

/* Every shipped probe instruments every kernel of every fixture, and
 * ptxas assembles the result.  One ptxas run per fixture: the module
 * carries each kernel once per probe (renamed). */
static void ptxas_accepts_every_probe_on_every_kernel(void **state)
{
    for (size_t f = 0; f < NT_ARRAY_LEN(fixtures); f++) {
        nt_sb all = {0};
        size_t len;
        char *orig = read_fixture(fixtures[f], &len);
        nt_sb_puts(&all, orig);
        free(orig);
        nt_sb_putc(&all, '\n');
        unsigned sites = 0;
        for (size_t i = 0; i < NT_ARRAY_LEN(pt_shipped); i++) {
            prb_probe *p = pt_shipped_probe(pt_shipped[i]);
            prb_inst_stats st;
            char *out = instrument(p, fixtures[f], NULL, &st, NULL);
            assert_non_null(out);
            assert_true(st.kernels >= 1);
            if (p->counters_map >= 0) assert_true(st.exits >= st.kernels);
            sites += st.sites;
            if (pt_needs_own_module(out)) {
                /* module-scope state or changed callees: on its own */
                const char *arch = strstr(fixtures[f], ".sm") + 1;
                char a[16], log[4096];
                snprintf(a, sizeof a, "sm_%s", arch + 2);
                int rc = ptxas(out, a, log, sizeof log);
                if (rc != 0) fprintf(stderr, "%s, %s: ptxas failed:\n%s\n", fixtures[f],
                                     pt_shipped[i], log);
                assert_int_equal(rc, 0);
            } else {
                append_entries(&all, out, pt_shipped[i]);
            }
            free(out);
            prb_free(p);
        }
        assert_true(sites > 10);
        const char *arch = strstr(fixtures[f], ".sm") + 1;
        char a[16], log[4096];
        snprintf(a, sizeof a, "sm_%s", arch + 2);
        int rc = ptxas(all.s, a, log, sizeof log);
        if (rc != 0) fprintf(stderr, "%s: ptxas failed:\n%s\n", fixtures[f], log);
        assert_int_equal(rc, 0);
        nt_sb_free(&all);
    }
}

/* The kernel minus the inserted statements (all marked synth) and the
 * added parameter is the original kernel. */
static void remove_synth(ptx_block *b)
{
    for (ptx_stmt *s = b->head.next, *next; s != &b->head; s = next) {
        next = s->next;
        if (s->synth) ptx_stmt_remove(s);
        else if (s->kind == PTX_ST_SCOPE) remove_synth(&((ptx_scope *)s)->body);
    }
}

static void original_code_survives(void **state)
{
    for (size_t f = 0; f < 2; f++) {
        size_t len;
        char *orig = read_fixture(fixtures[f], &len);
        nt_err e = {0};
        ptx_module *m = ptx_parse(orig, len, fixtures[f], 0, &e);
        assert_non_null(m);
        nt_sb want = {0};
        ptx_print(m, &want);
        ptx_module_free(m);
        for (size_t i = 0; i < NT_ARRAY_LEN(pt_shipped); i++) {
            prb_probe *p = pt_shipped_probe(pt_shipped[i]);
            m = ptx_parse(orig, len, fixtures[f], 0, &e);
            assert_non_null(m);
            unsigned n = 0;
            ptx_block_foreach(&m->items, s) {
                if (s->kind != PTX_ST_FUNC) continue;
                ptx_func *fn = ((ptx_funcitem *)s)->fn;
                if (!fn->is_entry || !fn->has_body) continue;
                uint32_t np = fn->nparams;
                assert_int_equal(prb_instrument(p, m, fn, NULL, NULL, &e), 0);
                assert_int_equal(fn->nparams, np + 1);
                assert_true(ptx_str_eq(fn->params[np].name, "__ntrace_buf"));
                remove_synth(&fn->body);
                remove_synth(&m->items);        /* block level: module-scope state */
                fn->nparams = np;
                n++;
            }
            assert_true(n >= 2);
            nt_sb got = {0};
            ptx_print(m, &got);
            if (strcmp(got.s, want.s))
                fprintf(stderr, "%s on %s changed the kernel's own code\n", pt_shipped[i],
                        fixtures[f]);
            assert_string_equal(got.s, want.s);
            nt_sb_free(&got);
            ptx_module_free(m);
            prb_free(p);
        }
        nt_sb_free(&want);
        free(orig);
    }
}

/* Instruments one kernel of basic.sm<arch> with a probe from source. */
static char *gen_src(const char *src, const char *fixture, const char *kernel)
{
    prb_probe *p = pt_compile(src);
    char *out = instrument(p, fixture, kernel, NULL, NULL);
    assert_non_null(out);
    prb_free(p);
    return out;
}

#define VADD "_Z4vaddPKfS0_Pfi"
#define RED  "_Z13reduce_sharedPKiPii"

static void expect_in(const char *text, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strstr(text, want[i])) fprintf(stderr, "missing: %s\n", want[i]);
        assert_non_null(strstr(text, want[i]));
    }
}
#define EXPECT(text, ...) do { \
    static const char *const w_[] = { __VA_ARGS__ }; \
    expect_in((text), w_, NT_ARRAY_LEN(w_)); \
} while (0)

static void codegen_per_construct(void **state)
{
    /* buffer setup: the map table positions of buffer.h, bounds checks */
    char *t = gen_src(PT_PROBE("level = 'thread', map = nt.map { a = 'u32', b = 'u64', cap = 4 },\n",
                               "nt.at 'kernel.exit'",
                               "p.rec.a = nt.laneid(); p.rec.b = nt.clock64(); p:save()"),
                      "basic.sm90", VADD);
    EXPECT(t, ".param .u64 __ntrace_buf", "ld.param.u64 %__pk_buf, [__ntrace_buf];",
           "[%__pk_buf+64]", "[%__pk_buf+72]", "[%__pk_buf+80]", "[%__pk_buf+84]",
           "[%__pk_buf+88]", "setp.eq.and.u32 %__pk_mok0, %__pxu8, 16, %__pk_mok0;",
           "atom.global.add.u32", "setp.lt.and.u32", "st.global.u64", "st.global.u32",
           "mov.u32 %__pvu", "%laneid", "%clock64");
    free(t);
    /* warp level: fields broadcast from the leader; counters by the leader,
     * flushed with red; p.bytes summed with popc(ballot(guard)) */
    t = gen_src(PT_PROBE("level = 'warp', counters = { n = 'u64' }, vars = { v = 'u32' },\n",
                         "nt.before 'ld.global*'",
                         "p.var.v = nt.laneid(); p.cnt.n = p.cnt.n + nt.u64(p.bytes)"),
                "basic.sm90", VADD);
    EXPECT(t, "shfl.sync.idx.b32", "bfind.shiftamt.u32", "popc.b32", "mul.wide.u32", "red.global.add.u64", "red.global.max.u32");
    free(t);
    /* generic warp sums: redux on sm_80+, ballots bit by bit before */
    const char *sum = PT_PROBE("level = 'warp', vars = { v = 'u32', w = 'u64', x = 'u32' },\n",
                               "nt.at 'kernel.exit'",
                               "p.var.v = nt.warp_sum(nt.laneid()); "
                               "p.var.w = nt.warp_sum(nt.u64(nt.laneid()))");
    t = gen_src(sum, "basic.sm80", VADD);
    EXPECT(t, "redux.sync.add.u32");
    free(t);
    t = gen_src(sum, "basic.sm75", VADD);
    assert_null(strstr(t, "redux"));
    EXPECT(t, "and.b32 %__pxu", ", 2147483648;", "vote.sync.ballot.b32");
    free(t);
    /* nt.when: predicated, no branch */
    t = gen_src(PT_PROBE("level = 'thread', vars = { v = 'u32' },\n", "nt.at 'kernel.entry'",
                         "nt.when(nt.laneid():lt(4), function() p.var.v = nt.smid() end)"),
                "basic.sm90", VADD);
    EXPECT(t, "setp.lt.u32", "mov.pred %__pxp", "@%__pxp");
    assert_null(strstr(t, "bra $__prb"));
    free(t);
    /* block level: shared record, exit ticket, last warp */
    t = gen_src(PT_PROBE("level = 'block', map = nt.map { t = 'u64' },\n", "nt.at 'kernel.exit'",
                         "p.rec.t = nt.globaltimer(); p:save()"),
                "basic.sm90", RED);
    EXPECT(t, ".shared .align 8 .b8 __prb_rec0[8];", ".shared .align 4 .u32 __prb_ticket;",
           "@%__pxp0 st.shared.u32 [__prb_ticket], 0;", "bar.sync 0;",
           "st.shared.u64 [__prb_rec0+0]", "ld.shared.u64",
           "atom.shared.add.u32 %__pxu4, [__prb_ticket]", "%__pk_last", "membar.cta;");
    assert_null(strstr(t, "atom.global.add.u32 %__pxu4"));
    free(t);
    /* raw PTX, operands substituted, predicated inside when */
    t = gen_src(PT_PROBE("level = 'thread', vars = { v = 'u32' },\n", "nt.at 'kernel.entry'",
                         "local r = nt.reg('u32')\n"
                         "nt.when(nt.laneid():eq(0), function()\n"
                         "  nt.ptx('mov.u32 $r, %nsmid;', { r = r }) end)\n"),
                "basic.sm90", VADD);
    EXPECT(t, ", %nsmid;");
    assert_non_null(strstr(strstr(t, ", %nsmid;") - 40, "@%__pxp"));
    free(t);
    /* operands at a site: address, guard */
    t = gen_src(PT_PROBE("level = 'thread', map = nt.map { a = 'u64', g = 'pred', s = 'u32' },\n",
                         "nt.before 'st.global*'",
                         "p.rec.a = p.addr; p.rec.g = p.guard; p.rec.s = p.space; p:save()"),
                "basic.sm90", VADD);
    EXPECT(t, "mov.u64 %__pvd", "add.u64 %__pvd", "selp.u32", "mov.u32 %__pvu");
    free(t);
}

static void first_use_and_after(void **state)
{
    char *t = gen_src(PT_PROBE("level = 'warp', counters = { w = 'u64' },\n",
                               "nt.first_use 'ld.global*'",
                               "p.cnt.w = p.cnt.w + (nt.clock64() - p.issue_clock)"),
                      "basic.sm90", VADD);
    /* the issue clock follows the load, the handler precedes the use */
    const char *ld = strstr(t, "ld.global.f32");
    assert_non_null(ld);
    const char *ic = strstr(ld, "mov.u64 %__pic0, %clock64;");
    assert_non_null(ic);
    assert_true(ic - ld < 80);
    const char *h = strstr(ic, "ntrace probe x: line 4 at ld.global.f32");
    assert_non_null(h);
    assert_non_null(strstr(h, "add.f32"));
    free(t);
    t = gen_src(PT_PROBE("level = 'warp', vars = { t0 = 'u64' }, counters = { w = 'u64' },\n",
                         "nt.after 'bar.sync'", "p.cnt.w = p.cnt.w + 1"),
                "basic.sm90", RED);
    const char *b = strstr(t, "bar.sync");
    assert_non_null(b);
    assert_non_null(strstr(b, "ntrace probe x: line 4 at bar.sync"));
    free(t);
}

static void guarded_ret_and_errors(void **state)
{
    /* a hand-written kernel with a guarded ret and no final ret */
    const char *k =
        ".version 8.0\n.target sm_80\n.address_size 64\n"
        ".visible .entry g(.param .u32 n)\n{\n"
        "\t.reg .pred %p<2>;\n\t.reg .b32 %r<3>;\n"
        "\tld.param.u32 %r1, [n];\n\tsetp.eq.u32 %p1, %r1, 0;\n"
        "\t@%p1 ret;\n\tadd.u32 %r2, %r1, 1;\n}\n";
    prb_probe *p = pt_shipped_probe("block_sched");
    prb_inst_stats st;
    nt_err e = {0};
    char *out = prb_instrument_text(p, k, strlen(k), "g.ptx", NULL, &st, &e);
    assert_non_null(out);
    assert_int_equal(st.exits, 2);          /* the guarded ret and the end */
    EXPECT(out, "@!%p1 bra $__prb_skip0;", "$__prb_skip0:");
    char log[4096];
    int rc = ptxas(out, "sm_80", log, sizeof log);
    if (rc) fprintf(stderr, "%s\n%s\n", log, out);
    assert_int_equal(rc, 0);
    /* instrumenting twice is refused */
    e = (nt_err){0};
    char *twice = prb_instrument_text(p, out, strlen(out), "g2.ptx", NULL, NULL, &e);
    assert_null(twice);
    assert_non_null(strstr(e.msg, "reserved for probes"));
    free(out);
    e = (nt_err){0};
    assert_null(prb_instrument_text(p, k, strlen(k), "g.ptx", "nope", NULL, &e));
    assert_non_null(strstr(e.msg, "nope"));
    /* old PTX and 32-bit addressing are refused with a reason */
    const char *old = ".version 6.0\n.target sm_75\n.address_size 64\n"
                      ".visible .entry o()\n{\n\tret;\n}\n";
    e = (nt_err){0};
    assert_null(prb_instrument_text(p, old, strlen(old), "o.ptx", NULL, NULL, &e));
    assert_non_null(strstr(e.msg, "older than 6.2"));
    const char *a32 = ".version 7.0\n.target sm_75\n.address_size 32\n"
                      ".visible .entry o()\n{\n\tret;\n}\n";
    e = (nt_err){0};
    assert_null(prb_instrument_text(p, a32, strlen(a32), "o.ptx", NULL, NULL, &e));
    assert_non_null(strstr(e.msg, ".address_size 32"));
    prb_free(p);
    /* module-scope texture references cannot be shared by a twin kernel */
    const char *tex = ".version 7.0\n.target sm_75\n.address_size 64\n.global .texref t;\n"
                      ".visible .entry o()\n{\n\t.reg .b32 %r<2>;\n\tret;\n}\n";
    p = pt_shipped_probe("block_sched");
    e = (nt_err){0};
    assert_null(prb_instrument_text(p, tex, strlen(tex), "t.ptx", NULL, NULL, &e));
    assert_non_null(strstr(e.msg, ".texref t at module scope"));
    prb_free(p);
    /* warp_max needs sm_80: refused on sm_75 with a reason */
    p = pt_compile(PT_PROBE("vars = { v = 'u32' },\n", "nt.at 'kernel.entry'",
                            "p.var.v = nt.warp_max(nt.laneid())"));
    char err[512];
    assert_null(instrument(p, "basic.sm75", NULL, NULL, err));
    assert_non_null(strstr(err, "needs sm_80 or newer, the kernel targets sm_75"));
    prb_free(p);
}

static void user_regions(void **state)
{
    prb_probe *p = pt_shipped_probe("regions");
    prb_inst_stats st;
    char *t = instrument(p, "regions.sm90", NULL, &st, NULL);
    assert_non_null(t);
    assert_int_equal(st.regions, 4);        /* load and compute, begin and end */
    char want[64];
    /* p.region is the name's id, so the host can map it back */
    snprintf(want, sizeof want, ", %u;", prb_region_id("compute", 7));
    assert_non_null(strstr(t, want));
    snprintf(want, sizeof want, ", %u;", prb_region_id("load", 4));
    assert_non_null(strstr(t, want));
    free(t);
    prb_free(p);
    /* a handler for one named region only */
    p = pt_compile(PT_PROBE("counters = { n = 'u32' },\n", "nt.at 'region.end:load'",
                            "p.cnt.n = p.cnt.n + 1"));
    t = instrument(p, "regions.sm90", NULL, &st, NULL);
    assert_int_equal(st.regions, 1);
    free(t);
    prb_free(p);
}

/* Found by fuzz_probe: an instruction without operands after a load. */
static void first_use_scan_survives_odd_code(void **state)
{
    const char *k =
        ".version 8.0\n.target sm_80\n.address_size 64\n"
        ".visible .entry g(.param .u64 a)\n{\n\t.reg .b32 %r<4>;\n\t.reg .b64 %rd<3>;\n"
        "\tld.param.u64 %rd1, [a];\n\tld.global.u32 %r1, [%rd1];\n\tbar.sync 0;\n"
        "\tbrkpt;\n\tadd.u32 %r2, %r1, 1;\n\tst.global.u32 [%rd1], %r2;\n\tret;\n}\n";
    prb_probe *p = pt_shipped_probe("mem_wait");
    prb_inst_stats st;
    nt_err e = {0};
    char *out = prb_instrument_text(p, k, strlen(k), "g.ptx", NULL, &st, &e);
    assert_non_null(out);
    assert_int_equal(st.sites, 1);          /* the use after bar.sync and brkpt */
    const char *h = strstr(out, "ntrace probe mem_wait: line");
    assert_non_null(h);
    assert_non_null(strstr(h, "add.u32"));
    free(out);
    prb_free(p);
}

/* Site templates (gen_site.c): sites of one shape share a template, and
 * each still gets its own values; each shape gets its own code. */
static void site_values_from_templates(void **state)
{
    const char *k =
        ".version 8.0\n.target sm_80\n.address_size 64\n.global .u32 gv;\n"
        ".visible .entry g(.param .u64 a)\n{\n\t.reg .pred %p<3>;\n\t.reg .b32 %r<9>;\n"
        "\t.reg .b64 %rd<4>;\n\tld.param.u64 %rd1, [a];\n\tsetp.eq.u64 %p1, %rd1, 0;\n"
        "\tld.global.u32 %r1, [%rd1+4];\n\tld.global.v2.u32 {%r2, %r3}, [%rd1+24];\n"
        "\t@%p1 ld.global.u32 %r4, [%rd1+12];\n\t@!%p1 ld.global.u16 %r5, [%rd1+-6];\n"
        "\tld.global.u32 %r6, [gv+8];\n\tcvt.u32.u64 %r7, %rd1;\n"
        "\tld.shared.u32 %r8, [%r7+16];\n\tret;\n}\n";
    prb_probe *p = pt_compile(PT_PROBE("level = 'thread', map = nt.map { {'a', 'u64'}, "
                                       "{'b', 'u32'}, {'s', 'u32'}, {'o', 'u32'}, {'g', 'pred'} },"
                                       " cap = 8,\n", "nt.before 'ld.*'",
                                       "p.rec.a = p.addr; p.rec.b = p.bytes; p.rec.s = p.space\n"
                                       "p.rec.o = p.opcode; p.rec.g = p.guard; p:save()"));
    nt_err e = {0};
    prb_inst_stats st;
    char *t = prb_instrument_text(p, k, strlen(k), "s.ptx", NULL, &st, &e);
    assert_non_null(t);
    assert_int_equal(st.sites, 7);          /* ld.param too */
    /* each site's code between its comment and its load has its values */
    static const struct { const char *ld, *want[3]; } sites[] = {
        { "ld.global.u32 %r1, [%rd1+4];", { "mov.u64 %__pvd", "%rd1;", ", 4;" } },
        { "ld.global.v2.u32 {%r2, %r3}", { "%rd1;", ", 24;", ", 8;" } },
        { "@%p1 ld.global.u32 %r4", { "mov.pred %__pxp", ", %p1;", ", 12;" } },
        { "@!%p1 ld.global.u16 %r5", { "not.pred %__pxp", ", %p1;", ", -6;" } },
        { "ld.global.u32 %r6, [gv+8];", { "mov.u64 %__pvd", ", gv;", ", 8;" } },
        { "ld.shared.u32 %r8, [%r7+16];", { "cvt.u64.u32 %__pvd", ", %r7;", ", 16;" } },
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(sites); i++) {
        const char *ld = strstr(t, sites[i].ld);
        assert_non_null(ld);
        const char *h = ld;
        while (h > t && strncmp(h, "// ntrace probe x: line", 23)) h--;
        char *code = nt_xstrndup(h, (size_t)(ld - h));
        for (int w = 0; w < 3; w++) {
            if (!strstr(code, sites[i].want[w]))
                fprintf(stderr, "site %s: missing %s in\n%s\n", sites[i].ld, sites[i].want[w], code);
            assert_non_null(strstr(code, sites[i].want[w]));
        }
        free(code);
    }
    char log[4096];
    int rc = ptxas(t, "sm_80", log, sizeof log);
    if (rc) fprintf(stderr, "%s\n", log);
    assert_int_equal(rc, 0);
    free(t);
    prb_free(p);
}

/* Records go out with st.v2.b32 where two 4-byte fields share an aligned
 * 8 bytes; a lone one or a u64 is stored alone. */
static void vector_record_stores(void **state)
{
    char *t = gen_src(PT_PROBE("level = 'thread', map = nt.map { {'a', 'u32'}, {'b', 'pred'},\n"
                               "  {'c', 'u64'}, {'d', 'u32'}, {'e', 'f32'}, {'f', 'u32'} },\n",
                               "nt.at 'kernel.exit'",
                               "p.rec.a = 1; p.rec.b = nt.laneid():eq(0); p.rec.c = 2;\n"
                               "p.rec.d = 3; p.rec.e = 1.5; p.rec.f = 4; p:save()"),
                      "basic.sm90", VADD);
    /* a@0 b@4 | c@8 | d@16 e@20 | f@24 (+8 for the slot header) */
    EXPECT(t, "st.global.v2.b32 [%__pxd0+8], {%__pvu", "st.global.u64 [%__pxd0+16]",
           "st.global.v2.b32 [%__pxd0+24], {%__pvu", "st.global.u32 [%__pxd0+32]");
    char log[4096];
    int rc = ptxas(t, "sm_90", log, sizeof log);
    if (rc) fprintf(stderr, "%s\n", log);
    assert_int_equal(rc, 0);
    free(t);
}

/* kernel.exit inside called functions: the state pointer is passed down
 * (an extra argument and parameter), the exit sequence precedes the
 * callee's exit; nothing else of the kernel's code changes. */
static void exit_inside_callees(void **state)
{
    prb_probe *p = pt_compile(PT_PROBE("level = 'thread', counters = { n = 'u32' },\n",
                                       "nt.at 'kernel.exit'", "p.cnt.n = p.cnt.n + 1"));
    prb_inst_stats st;
    char *t = instrument(p, "flow.sm90", "quit_odd", &st, NULL);
    assert_non_null(t);
    assert_int_equal(st.exits, 2);          /* the kernel's ret, the callee's exit */
    assert_int_equal(st.exits_untraced, 0);
    /* both functions on the way get the parameter, in their declarations too */
    const char *f = strstr(t, ".func _Z12leave_if_oddiPf(");
    assert_non_null(f);
    assert_non_null(strstr(f, ".param .b64 __ntrace_st\n)"));
    f = strstr(t, ".func _Z7throughiPf(");
    assert_non_null(f);
    assert_non_null(strstr(f, ".param .b64 __ntrace_st\n)"));
    /* the kernel saves its state, passes it; the middle one forwards it */
    EXPECT(t, "cvta.local.u64 %__pk_sp, __prb_spill;", "st.local.b32 [__prb_spill+",
           "st.param.b64 [__prb_st0], %__pk_sp;", "__prb_st0)");
    EXPECT(t, "ld.param.u64 %__pk_sp, [__ntrace_st];", "kernel.exit inside a called function",
           "ld.b32 %__pk_tlin, [%__pk_sp+0];", "red.global.add.u32", "}\n\texit;");
    char log[4096];
    int rc = ptxas(t, "sm_90", log, sizeof log);
    if (rc) fprintf(stderr, "%s\n", log);
    assert_int_equal(rc, 0);
    free(t);
    /* a may-exit function whose address is taken: not traced, not changed */
    const char *k =
        ".version 8.0\n.target sm_80\n.address_size 64\n"
        ".func q()\n{\n\texit;\n}\n"
        ".visible .entry g(.param .u64 a)\n{\n\t.reg .b64 %rd<2>;\n"
        "\tmov.u64 %rd1, q;\n\tcall q;\n\tret;\n}\n";
    nt_err e = {0};
    t = prb_instrument_text(p, k, strlen(k), "q.ptx", NULL, &st, &e);
    assert_non_null(t);
    assert_int_equal(st.exits, 1);
    assert_int_equal(st.exits_untraced, 1);
    assert_null(strstr(t, "__ntrace_st"));
    free(t);
    prb_free(p);
}

/* nt.first_use over the CFG (tests/probe/e2e/use_flow.ptx): a load used
 * on two paths, a load in a loop used at the loop head and after it. */
static void first_use_across_blocks(void **state)
{
    prb_probe *p = pt_shipped_probe("mem_wait");
    nt_file f;
    nt_err e = {0};
    assert_int_equal(nt_file_open(&f, "tests/probe/e2e/use_flow.ptx", &e), 0);
    prb_inst_stats st;
    char *t = prb_instrument_text(p, f.data, f.size, "use_flow.ptx", NULL, &st, &e);
    nt_file_close(&f);
    assert_non_null(t);
    assert_int_equal(st.uses_missed, 0);
    assert_int_equal(st.sites, 4);          /* add and mul; loop head and after */
    /* each load sets its pending flag, cleared at entry; uses check it */
    EXPECT(t, "setp.ne.u32 %__pfu0, %__pk_tlin, %__pk_tlin;",
           "setp.eq.u32 %__pfu0, %__pk_tlin, %__pk_tlin;", "@!%__pfu0 bra $__prb_fu",
           "setp.eq.u32 %__pfu1, %__pk_tlin, %__pk_tlin;", "@!%__pfu1 bra $__prb_fu");
    /* every first use is right after a site's label; the loop's head once */
    static const char *const uses[] = { "add.s32 %r7, %r5, 7;", "mul.lo.s32 %r7, %r5, 3;",
                                        "$LOOP:", "st.global.u32 [%rd5], %r7;" };
    for (size_t i = 0; i < NT_ARRAY_LEN(uses); i++) {
        const char *u = strstr(t, uses[i]);
        assert_non_null(u);
        if (i == 2) {                       /* the head's use follows the label */
            u = strstr(u, "add.s32 %r7, %r7, %r8;");
            assert_non_null(u);
        } else if (i == 3) {                /* the use after the loop: before the store */
            u = strstr(t, "@%p3 bra $LOOP;");
            u = strstr(u, "add.s32 %r7, %r7, %r8;");
            assert_non_null(u);
        }
        char lab[16];
        memcpy(lab, u - 14, 14);
        lab[14] = 0;
        assert_non_null(strstr(lab, "$__prb_fu"));
    }
    char log[4096];
    int rc = ptxas(t, "sm_80", log, sizeof log);
    if (rc) fprintf(stderr, "%s\n", log);
    assert_int_equal(rc, 0);
    free(t);
    prb_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codegen_per_construct),
        cmocka_unit_test(first_use_and_after),
        cmocka_unit_test(exit_inside_callees),
        cmocka_unit_test(vector_record_stores),
        cmocka_unit_test(site_values_from_templates),
        cmocka_unit_test(first_use_across_blocks),
        cmocka_unit_test(user_regions),
        cmocka_unit_test(first_use_scan_survives_odd_code),
        cmocka_unit_test(guarded_ret_and_errors),
        cmocka_unit_test(original_code_survives),
        cmocka_unit_test(ptxas_accepts_every_probe_on_every_kernel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
