/* Tests: what the rewriter shares and keeps from kernel to kernel — one
 * arena copy of each distinct inserted text (rw_insert), the arena a
 * freed module leaves for the next one, and prb_prepare's working memory. */
#include "probe/ptest.h"

/* Three loads of the same shape and values (one text, shared), one of
 * another width (its own text), two rets (the exit sequence, shared). */
static const char k_same[] =
    ".version 8.0\n.target sm_80\n.address_size 64\n"
    ".visible .entry same(.param .u64 a)\n{\n\t.reg .pred %p<2>;\n\t.reg .b32 %r<6>;\n"
    "\t.reg .b64 %rd<3>;\n\tld.param.u64 %rd1, [a];\n\tsetp.eq.u64 %p1, %rd1, 0;\n"
    "\tld.global.u32 %r1, [%rd1];\n\tld.global.u32 %r2, [%rd1];\n"
    "\t@%p1 bra DONE;\n\tld.global.u32 %r3, [%rd1];\n\tld.global.u16 %r4, [%rd1];\n"
    "\tret;\nDONE:\n\tret;\n}\n";

#define BYTES_PROBE PT_PROBE("level = 'warp', counters = { b = 'u64' },\n", \
                             "nt.before 'ld.global*'", "p.cnt.b = p.cnt.b + nt.u64(p.bytes)")

static size_t count(const char *s, const char *w)
{
    size_t n = 0;
    for (const char *p = strstr(s, w); p; p = strstr(p + 1, w)) n++;
    return n;
}

/* The synthetic statements of fn's body (scopes flattened). */
static void synth_dirs(ptx_block *b, const ptx_dir **out, size_t *n, size_t cap)
{
    ptx_block_foreach(b, s) {
        if (s->kind == PTX_ST_SCOPE) synth_dirs(&((ptx_scope *)s)->body, out, n, cap);
        else if (s->kind == PTX_ST_DIR && s->synth && *n < cap) out[(*n)++] = (const ptx_dir *)s;
    }
}

static void sites_share_one_text(void **state)
{
    prb_probe *p = pt_compile(BYTES_PROBE);
    nt_err e = {0};
    ptx_module *m = ptx_parse(k_same, strlen(k_same), "same.ptx", 0, &e);
    assert_non_null(m);
    ptx_func *fn = ptx_module_func(m, "same");
    prb_inst_stats st;
    assert_int_equal(prb_instrument(p, m, fn, NULL, &st, &e), 0);
    assert_int_equal(st.sites, 4);
    assert_int_equal(st.exits, 2);
    const ptx_dir *d[64];
    size_t n = 0;
    synth_dirs(&fn->body, d, &n, NT_ARRAY_LEN(d));
    /* equal texts are one copy; different texts are different copies */
    size_t shared = 0, distinct = 0;
    for (size_t i = 0; i < n; i++) {
        bool first = true;
        for (size_t j = 0; j < i; j++) {
            bool same = d[i]->text.n == d[j]->text.n &&
                        !memcmp(d[i]->text.s, d[j]->text.s, d[i]->text.n);
            assert_int_equal(same, d[i]->text.s == d[j]->text.s);
            if (same) first = false;
        }
        if (first) distinct++;
        else shared++;
    }
    /* u32 site x3 -> 2 shared; exit x2 -> 1 shared */
    assert_true(shared >= 3);
    assert_int_equal(shared + distinct, n);
    /* every site still prints its own copy of the code, where it belongs */
    nt_sb out = {0};
    ptx_print(m, &out);
    const char *t = nt_sb_str(&out);
    assert_int_equal(count(t, "// ntrace probe x: line"), 4);
    const char *ld = strstr(t, "ld.global.u32 %r3, [%rd1];");
    assert_non_null(ld);
    const char *h = ld;
    while (h > t && strncmp(h, "// ntrace probe x: line", 23)) h--;
    assert_true(h > t);
    assert_ptr_equal(strstr(h, "\tld.global.u32"), ld - 1);  /* its own code, just before */
    assert_non_null(strstr(h, "add.u64"));
    char log[4096];
    int rc = ptxas(t, "sm_80", log, sizeof log);
    if (rc) fprintf(stderr, "%s\n%s\n", log, t);
    assert_int_equal(rc, 0);
    nt_sb_free(&out);
    ptx_module_free(m);
    prb_free(p);
}

/* A module freed leaves its arena (and the shared texts in it) to the
 * next: instrumenting again, after a bigger module, and after
 * prb_prepare, prints the same text each time. */
static void freed_module_arena_reused(void **state)
{
    prb_probe *p = pt_compile(BYTES_PROBE);
    nt_err e = {0};
    char *a = prb_instrument_text(p, k_same, strlen(k_same), "same.ptx", NULL, NULL, &e);
    assert_non_null(a);
    /* a bigger module in between: the kept arena grows, old texts are gone */
    nt_sb big = {0};
    nt_sb_puts(&big, ".version 8.0\n.target sm_80\n.address_size 64\n");
    for (int k = 0; k < 200; k++)
        nt_sb_printf(&big, ".visible .entry k%d(.param .u64 a)\n{\n\t.reg .b32 %%r<3>;\n"
                     "\t.reg .b64 %%rd<2>;\n\tld.param.u64 %%rd1, [a];\n"
                     "\tld.global.u32 %%r1, [%%rd1+%d];\n\tst.global.u32 [%%rd1], %%r1;\n"
                     "\tret;\n}\n", k, 4 * k);
    char *b = prb_instrument_text(p, big.s, big.len, "big.ptx", NULL, NULL, &e);
    assert_non_null(b);
    assert_int_equal(count(b, "// ntrace probe x: line"), 200);
    char *a2 = prb_instrument_text(p, k_same, strlen(k_same), "same.ptx", NULL, NULL, &e);
    assert_non_null(a2);
    assert_string_equal(a, a2);
    /* prepared for the big module's kernels, then the small one again */
    ptx_index ix;
    assert_int_equal(ptx_index_build(&ix, big.s, big.len, "big.ptx", &e), 0);
    nt_sb out = {0};
    assert_true(prb_prepare(&ix, &out) > 0);
    ptx_index_free(&ix);
    char *a3 = prb_instrument_text(p, k_same, strlen(k_same), "same.ptx", NULL, NULL, &e);
    assert_non_null(a3);
    assert_string_equal(a, a3);
    ptx_release_cache();
    char *a4 = prb_instrument_text(p, k_same, strlen(k_same), "same.ptx", NULL, NULL, &e);
    assert_non_null(a4);
    assert_string_equal(a, a4);
    free(a);
    free(a2);
    free(a3);
    free(a4);
    free(b);
    nt_sb_free(&out);
    nt_sb_free(&big);
    prb_free(p);
}

/* prb_prepare sizes the kept arena and the output buffer for the largest
 * kernel: slicing and printing it then needs no more memory. */
static void prepare_covers_largest_kernel(void **state)
{
    prb_probe *p = pt_compile(BYTES_PROBE);
    nt_sb text = {0};
    nt_sb_puts(&text, ".version 8.0\n.target sm_80\n.address_size 64\n"
               ".visible .entry small(.param .u64 a)\n{\n\tret;\n}\n"
               ".visible .entry large(.param .u64 a)\n{\n\t.reg .b32 %r<3>;\n"
               "\t.reg .b64 %rd<2>;\n\tld.param.u64 %rd1, [a];\n");
    for (int i = 0; i < 3000; i++)
        nt_sb_printf(&text, "\tld.global.u32 %%r1, [%%rd1+%d];\n\tst.global.u32 [%%rd1], %%r1;\n",
                     4 * (i % 64));
    nt_sb_puts(&text, "\tret;\n}\n");
    nt_err e = {0};
    ptx_index ix;
    assert_int_equal(ptx_index_build(&ix, text.s, text.len, "large.ptx", &e), 0);
    ptx_release_cache();
    nt_sb out = {0};
    size_t ready = prb_prepare(&ix, &out);
    const ptx_ix_item *it = ptx_index_find(&ix, "large", 5);
    assert_non_null(it);
    size_t big = it->end - it->begin;
    assert_true(ready >= 6 * big);
    assert_true(out.cap >= 6 * big);
    char *before = out.s;
    ptx_module *m = ptx_slice(&ix, "large", &e);
    assert_non_null(m);
    /* one chunk (the prepared one): all but one chunk header is used or free */
    size_t total = m->arena.total;
    assert_true(total - (size_t)(m->arena.end - m->arena.cur) - nt_arena_used(&m->arena) <= 64);
    assert_true(total >= ready);
    assert_int_equal(prb_instrument(p, m, ptx_module_func(m, "large"), NULL, NULL, &e), 0);
    assert_int_equal(m->arena.total, total);  /* the rewrite fit in it too */
    nt_sb_reset(&out);
    prb_out_reserve(&out, m);
    ptx_print(m, &out);
    assert_ptr_equal(out.s, before);          /* printed without growing */
    assert_int_equal(count(out.s, "// ntrace probe x: line"), 3000);
    ptx_module_free(m);
    /* again: cheap, nothing replaced */
    assert_int_equal(prb_prepare(&ix, &out), ready);
    assert_ptr_equal(out.s, before);
    ptx_index_free(&ix);
    /* a kernel of more than 4 MiB of text: prepared as one of 4 MiB */
    nt_sb huge = {0};
    nt_sb_puts(&huge, ".version 8.0\n.target sm_80\n.address_size 64\n"
               ".visible .entry h(.param .u64 a)\n{\n\t.reg .b32 %r<2>;\n");
    while (huge.len < ((size_t)5 << 20)) nt_sb_puts(&huge, "\tmov.u32 %r1, 12345678;\n");
    nt_sb_puts(&huge, "\tret;\n}\n");
    assert_int_equal(ptx_index_build(&ix, huge.s, huge.len, "huge.ptx", &e), 0);
    nt_sb hout = {0};
    size_t hr = prb_prepare(&ix, &hout);
    assert_true(hr > 0 && hr <= 2 * (6 * ((size_t)4 << 20) + 8192));
    ptx_index_free(&ix);
    nt_sb_free(&hout);
    nt_sb_free(&huge);
    ptx_release_cache();
    /* an index without kernels prepares nothing */
    const char *none = ".version 8.0\n.target sm_80\n.address_size 64\n.global .u32 g;\n";
    assert_int_equal(ptx_index_build(&ix, none, strlen(none), "none.ptx", &e), 0);
    assert_int_equal(prb_prepare(&ix, &out), 0);
    ptx_index_free(&ix);
    nt_sb_free(&out);
    nt_sb_free(&text);
    prb_free(p);
}

/* ptx_raw_shared: no statement for empty text; the text is not copied. */
static void raw_shared_points_at_text(void **state)
{
    nt_err e = {0};
    ptx_module *m = ptx_parse(k_same, strlen(k_same), "same.ptx", 0, &e);
    assert_non_null(m);
    assert_null(ptx_raw_shared(m, "x", 0));
    static const char txt[] = "// shared";
    ptx_stmt *s = ptx_raw_shared(m, txt, sizeof txt - 1);
    assert_non_null(s);
    assert_ptr_equal(((ptx_dir *)s)->text.s, txt);
    assert_int_equal(((ptx_dir *)s)->text.n, sizeof txt - 1);
    ptx_stmt *c = ptx_raw_new(m, txt);
    assert_true(((ptx_dir *)c)->text.s != txt);
    assert_string_equal(((ptx_dir *)c)->text.s, txt);
    ptx_module_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sites_share_one_text),
        cmocka_unit_test(freed_module_arena_reused),
        cmocka_unit_test(prepare_covers_largest_kernel),
        cmocka_unit_test(raw_shared_points_at_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
