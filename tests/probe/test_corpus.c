/* Tests: every shipped probe instruments a sample of kernels from the PTX
 * that CUDA's own libraries carry (the robustness corpus), and ptxas
 * accepts every result.  The library: $NTRACE_CORPUS_LIB, else cuRAND's
 * (small, quick to read); skipped when it is not there.  The sample:
 * $NTRACE_CORPUS_KERNELS kernels (default 4), spread over the module. */
#include "probe/ptest.h"
#include "binary/binary.h"

typedef struct pick {
    char    *text;      /* the chosen module's PTX */
    size_t   len;
    unsigned arch;
} pick;

/* The smallest module with kernels, for the lowest target ptxas knows
 * (the libraries carry PTX for their newest target only). */
static int choose(void *ctx, const bin_ptx *x)
{
    pick *pk = ctx;
    if (x->arch < 75 || x->len < 4096 || !strstr(x->text, ".entry")) return 0;
    if (pk->text && (pk->arch < x->arch || (pk->arch == x->arch && pk->len <= x->len)))
        return 0;
    free(pk->text);
    pk->text = nt_xstrndup(x->text, x->len);
    pk->len = x->len;
    pk->arch = x->arch;
    return 0;
}

static void corpus_sample(void **state)
{
    const char *lib = getenv("NTRACE_CORPUS_LIB");
    if (!lib || !*lib) lib = "/usr/local/cuda/lib64/libcurand.so.10";
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, lib, &e) != 0) {
        fprintf(stderr, "skipped: %s\n", e.msg);
        skip();
    }
    pick pk = {0};
    assert_int_equal(bin_foreach_ptx(f.data, f.size, choose, &pk, &e), 0);
    nt_file_close(&f);
    if (!pk.text) skip();
    ptx_index ix;
    assert_int_equal(ptx_index_build(&ix, pk.text, pk.len, lib, &e), 0);
    const char *kn = getenv("NTRACE_CORPUS_KERNELS");
    size_t want = kn && atoi(kn) > 0 ? (size_t)atoi(kn) : 4;
    size_t step = ix.nentries > want ? ix.nentries / want : 1;
    char arch[64];
    snprintf(arch, sizeof arch, "%.*s", (int)ix.target.n, ix.target.s);
    char *comma = strchr(arch, ',');
    if (comma) *comma = 0;
    size_t seen = 0, done = 0, bad_slices = 0;
    prb_probe *probes[NT_ARRAY_LEN(pt_shipped)];
    for (size_t i = 0; i < NT_ARRAY_LEN(pt_shipped); i++) probes[i] = pt_shipped_probe(pt_shipped[i]);
    for (size_t i = 0; i < ix.n && done + bad_slices < want; i++) {
        const ptx_ix_item *it = &ix.items[i];
        if (it->kind != PTX_IX_FUNC || !it->is_entry || !it->has_body) continue;
        if (seen++ % step) continue;
        char *name = nt_xstrndup(it->name.s, it->name.n);
        /* the kernel's slice, then one copy of its kernel per probe */
        ptx_module *m = ptx_slice(&ix, name, &e);
        if (!m) fprintf(stderr, "%s\n", e.msg);
        assert_non_null(m);
        nt_sb sl = {0};
        ptx_print(m, &sl);
        ptx_module_free(m);
        nt_sb all = {0};
        nt_sb_puts(&all, sl.s);
        for (size_t k = 0; k < NT_ARRAY_LEN(pt_shipped); k++) {
            char *out = prb_instrument_text(probes[k], sl.s, sl.len, name, name, NULL, &e);
            if (!out) fprintf(stderr, "%s: %s\n", pt_shipped[k], e.msg);
            assert_non_null(out);
            char log[4096];
            if (pt_needs_own_module(out) && ptxas(out, arch, log, sizeof log) != 0 &&
                ptxas(sl.s, arch, log, sizeof log) == 0) {
                fprintf(stderr, "%s (%s, %s): ptxas failed:\n%s\n", name, arch,
                        pt_shipped[k], log);
                fail();
            } else if (!pt_needs_own_module(out)) {
                append_entries(&all, out, pt_shipped[k]);
            }
            free(out);
        }
        char log[4096];
        int rc = ptxas(all.s, arch, log, sizeof log);
        if (rc && ptxas(sl.s, arch, log, sizeof log) != 0) {
            /* the slice itself does not assemble: not the probes' doing */
            fprintf(stderr, "%s: the unprobed slice fails ptxas too (slicer), skipped:\n%.300s\n",
                    name, log);
            bad_slices++;
        } else {
            if (rc) fprintf(stderr, "%s (%s): ptxas failed:\n%s\n", name, arch, log);
            assert_int_equal(rc, 0);
            done++;
        }
        nt_sb_free(&all);
        nt_sb_free(&sl);
        free(name);
    }
    fprintf(stderr, "%zu kernels x %zu probes assembled, %zu slices skipped\n", done,
            NT_ARRAY_LEN(pt_shipped), bad_slices);
    for (size_t i = 0; i < NT_ARRAY_LEN(pt_shipped); i++) prb_free(probes[i]);
    ptx_index_free(&ix);
    free(pk.text);
    if (!done && bad_slices) {
        fprintf(stderr, "skipped: no slice of this module assembles unprobed\n");
        skip();
    }
    assert_true(done >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
