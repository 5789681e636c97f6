/* Test: every fatbin entry of every shared library in $CUDA_HOME/lib64
 * parses, decompresses to its declared size, every PTX entry starts with
 * .version and has only NULs after its text, every cubin parses with its
 * arch equal to the entry header's and a register count per kernel.
 *
 * The full set takes ~9 s here (2 cores).  Under SAN=1 (ASan is ~5x slower)
 * or with NTRACE_CORPUS=subset a fixed subset runs instead; NTRACE_CORPUS=full
 * forces the full set (make corpus-test). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "corpus.c"

/* Small libraries that together hold every kind of entry header seen:
 * PTX with and without extensions, ELF raw and zstd, relocatable fatbins. */
static const char *const corpus_subset[] = {
    "libcudnn_ops.so.9", "libcurand.so.10", "libcufftw.so.12", "libcudnn_cnn.so.9",
    "libcudnn_engines_runtime_compiled.so.9",
};

static bool want_full(void)
{
    const char *c = getenv("NTRACE_CORPUS"), *san = getenv("SAN");
    if (c && !strcmp(c, "full")) return true;
    if (c && !strcmp(c, "subset")) return false;
    return !(san && !strcmp(san, "1"));
}

static void every_library_entry_parses(void **state)
{
    char **all;
    size_t nall;
    nt_err e = {0};
    if (bin_list_libs(NULL, &all, &nall, &e) < 0) {
        printf("corpus: %s, skipped\n", e.msg);
        skip();
    }
    NT_VEC(const char *) names = {0};
    bool full = want_full();
    for (size_t i = 0; i < nall; i++) {
        const char *base = strrchr(all[i], '/') + 1;
        bool pick = full;
        for (size_t k = 0; !pick && k < NT_ARRAY_LEN(corpus_subset); k++)
            pick = !strcmp(base, corpus_subset[k]);
        if (pick) nt_vec_push(&names, all[i]);
    }
    corpus_totals t = {0};
    uint64_t t0 = nt_now_ns();
    for (size_t i = 0; i < names.n; i++) corpus_file(names.v[i], &t);
    printf("corpus: %s set, %zu of %zu libraries\n", full ? "full" : "subset", names.n, nall);
    nt_vec_free(&names);
    bin_free_libs(all, nall);
    corpus_print(&t, (double)(nt_now_ns() - t0) / 1e9);
    assert_int_equal(t.failures, 0);
    if (t.fatbins == 0) {
        /* A toolkit without NVIDIA's math libraries: nothing to check. */
        printf("corpus: no fatbins in the chosen libraries, skipped\n");
        skip();
    }
    assert_true(t.ptx_entries > 0 && t.elf_entries > 0 && t.kernels > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_library_entry_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
