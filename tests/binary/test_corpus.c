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
#include <dirent.h>
#include <sys/stat.h>

#include "corpus.c"

/* Small libraries that together hold every kind of entry header seen:
 * PTX with and without extensions, ELF raw and zstd, relocatable fatbins. */
static const char *const corpus_subset[] = {
    "libcudnn_ops.so.9", "libcurand.so.10", "libcufftw.so.12", "libcudnn_cnn.so.9",
    "libcudnn_engines_runtime_compiled.so.9",
};

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool want_full(void)
{
    const char *c = getenv("NTRACE_CORPUS"), *san = getenv("SAN");
    if (c && !strcmp(c, "full")) return true;
    if (c && !strcmp(c, "subset")) return false;
    return !(san && !strcmp(san, "1"));
}

static void every_library_entry_parses(void **state)
{
    const char *cuda = getenv("CUDA_HOME");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/lib64", cuda ? cuda : "/usr/local/cuda");
    DIR *d = opendir(dir);
    if (!d) {
        printf("corpus: no %s, skipped\n", dir);
        skip();
    }
    NT_VEC(char *) names = {0};
    bool full = want_full();
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strstr(de->d_name, ".so")) continue;
        bool pick = full;
        for (size_t i = 0; !pick && i < NT_ARRAY_LEN(corpus_subset); i++)
            pick = !strcmp(de->d_name, corpus_subset[i]);
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        /* Regular files only: the .so links name the same files. */
        if (pick && lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            nt_vec_push(&names, nt_xstrdup(path));
    }
    closedir(d);
    qsort(names.v, names.n, sizeof *names.v, name_cmp);
    corpus_totals t = {0};
    uint64_t t0 = nt_now_ns();
    for (size_t i = 0; i < names.n; i++) {
        corpus_file(names.v[i], &t);
        free(names.v[i]);
    }
    nt_vec_free(&names);
    printf("corpus: %s set of %s\n", full ? "full" : "subset", dir);
    corpus_print(&t, (double)(nt_now_ns() - t0) / 1e9);
    assert_int_equal(t.failures, 0);
    assert_true(t.fatbins > 0 && t.ptx_entries > 0 && t.elf_entries > 0 && t.kernels > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_library_entry_parses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
