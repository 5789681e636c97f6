/* Tests: the PTX front end over NVIDIA's own PTX (the libraries in
 * $CUDA_HOME/lib64, read with bin_foreach_ptx).
 *
 * make test runs a fixed sample: every SAMPLE_STEP-th module of a few
 * libraries (sample_libs) is indexed,
 * parsed, printed and re-parsed (the print must be a fixpoint), and two
 * of its kernels are sliced; a few small modules and slices go through
 * ptxas.  With NTRACE_PTX_CORPUS_OUT=DIR (make corpus-test) every module
 * is parsed and checked the same way, and the original, printed and
 * sliced texts are written under DIR for tests/ptx/corpus_test.sh to
 * assemble in parallel. */
#include "ptx_test.h"

#include "binary/binary.h"

#include <dirent.h>
#include <sys/stat.h>

/* make test: these libraries only, every SAMPLE_STEP-th module */
static const char *const sample_libs[] = {"libcurand.so.", "libcusolverMg.so.", "libcufft.so.", "libnccl.so."};
#define SAMPLE_STEP 9
#define PTXAS_MAX_BYTES (300 * 1024)   /* ptxas only on small modules in make test */
#define PTXAS_MAX_RUNS 4

typedef struct corpus {
    const char *outdir;       /* full mode: where to write, else NULL */
    unsigned long seen, parsed, checked, slices, ptxas_runs;
    unsigned long failures;
    const char *lib;
    FILE *list;
} corpus;

static void fail_note(corpus *c, const char *what, const char *origin, const char *msg)
{
    fprintf(stderr, "FAIL %s: %s %s: %s\n", what, c->lib, origin, msg);
    c->failures++;
}

/* "sm_90a" out of ".target sm_90a, texmode_independent" */
static void target_arch(const ptx_module *m, char *buf, size_t cap)
{
    size_t n = 0;
    while (n < m->target.n && n + 1 < cap && m->target.s[n] != ',' && m->target.s[n] != ' ') {
        buf[n] = m->target.s[n];
        n++;
    }
    buf[n] = 0;
}

static void write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    nt_err e = {0};
    if (nt_file_write(path, text, len, &e) < 0) fail_msg("%s", e.msg);
}

/* ptx_check reporter: keeps the first message */
static void keep_first(void *ctx, const char *msg)
{
    char *first = ctx;
    if (!first[0]) snprintf(first, 768, "%s", msg);
}

static int one(void *ctx, const bin_ptx *p)
{
    corpus *c = ctx;
    unsigned long idx = c->seen++;
    if (!c->outdir && idx % SAMPLE_STEP) return 0;
    c->checked++;
    nt_err e = {0};
    ptx_index ix;
    if (ptx_index_build(&ix, p->text, p->len, p->origin, &e) < 0) {
        fail_note(c, "index", p->origin, e.msg);
        return 0;
    }
    ptx_module *m = ptx_parse(p->text, p->len, p->origin, 0, &e);
    if (!m) {
        fail_note(c, "parse", p->origin, e.msg);
        ptx_index_free(&ix);
        return 0;
    }
    c->parsed++;
    /* ntrace ptx check must accept every module NVIDIA ships */
    char first[768] = "";
    size_t nerr = ptx_check(m, keep_first, first);
    if (nerr) fail_note(c, "check", p->origin, first);
    nt_sb a = {0}, b = {0};
    ptx_print(m, &a);
    ptx_module *m2 = ptx_parse(a.s ? a.s : "", a.len, "printed", 0, &e);
    if (!m2) {
        fail_note(c, "reparse", p->origin, e.msg);
    } else {
        ptx_print(m2, &b);
        if (a.len != b.len || memcmp(a.s, b.s, a.len)) fail_note(c, "fixpoint", p->origin, "print(parse(print(x))) differs");
        ptx_module_free(m2);
    }
    char arch[32];
    target_arch(m, arch, sizeof arch);
    char base[64];
    snprintf(base, sizeof base, "m%05lu", idx);
    if (c->outdir) {
        char name[96];
        snprintf(name, sizeof name, "%s.orig.ptx", base);
        write_file(c->outdir, name, p->text, p->len);
        snprintf(name, sizeof name, "%s.print.ptx", base);
        write_file(c->outdir, name, a.s ? a.s : "", a.len);
        fprintf(c->list, "%s %s %s | %s %s\n", base, arch, "module", c->lib, p->origin);
    } else if (p->len <= PTXAS_MAX_BYTES && c->ptxas_runs < PTXAS_MAX_RUNS && a.len) {
        char log[4096];
        c->ptxas_runs++;
        int rc = ptxas_ok(a.s, a.len, m->sm, log, sizeof log);
        if (rc != 0 && rc != 77) {
            /* counted as a failure only when the original assembles */
            if (ptxas_ok(p->text, p->len, m->sm, NULL, 0) == 0) fail_note(c, "ptxas(print)", p->origin, log);
        }
    }
    /* slices: first, middle and last kernel (two in sample mode) */
    size_t nent = ix.nentries, k = 0;
    size_t want[3] = {0, nent / 2, nent ? nent - 1 : 0};
    int nwant = c->outdir ? 3 : 2;
    for (size_t i = 0; i < ix.n && nent; i++) {
        const ptx_ix_item *it = &ix.items[i];
        if (!(it->kind == PTX_IX_FUNC && it->is_entry && it->has_body)) continue;
        bool pick = false;
        for (int w = 0; w < nwant; w++) pick |= want[w] == k;
        k++;
        if (!pick) continue;
        char kname[4096];
        snprintf(kname, sizeof kname, "%.*s", (int)it->name.n, it->name.s);
        ptx_module *s = ptx_slice(&ix, kname, &e);
        if (!s) { fail_note(c, "slice", p->origin, e.msg); continue; }
        nt_sb sb = {0};
        ptx_print(s, &sb);
        ptx_module *s2 = ptx_parse(sb.s, sb.len, "slice", 0, &e);
        if (!s2) fail_note(c, "slice reparse", p->origin, e.msg);
        else if (!ptx_module_func(s2, kname)) fail_note(c, "slice", p->origin, "kernel missing from its slice");
        else if (ptx_check(s2, keep_first, first)) fail_note(c, "slice check", p->origin, first);
        ptx_module_free(s2);
        c->slices++;
        if (c->outdir) {
            char name[96];
            snprintf(name, sizeof name, "%s.slice%zu.ptx", base, k - 1);
            write_file(c->outdir, name, sb.s, sb.len);
            fprintf(c->list, "%s.slice%zu %s slice | %s %s %s\n", base, k - 1, arch, c->lib, p->origin, kname);
        } else if (c->ptxas_runs < PTXAS_MAX_RUNS + 2 && sb.len <= PTXAS_MAX_BYTES) {
            char log[4096];
            c->ptxas_runs++;
            int rc = ptxas_ok(sb.s, sb.len, m->sm, log, sizeof log);
            if (rc != 0 && rc != 77) fail_note(c, "ptxas(slice)", p->origin, log);
        }
        nt_sb_free(&sb);
        ptx_module_free(s);
    }
    nt_sb_free(&a);
    nt_sb_free(&b);
    ptx_module_free(m);
    ptx_index_free(&ix);
    return 0;
}

static void corpus_round_trip(void **state)
{
    const char *cuda = getenv("CUDA_HOME");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/lib64", cuda ? cuda : "/usr/local/cuda");
    corpus c = {0};
    c.outdir = getenv("NTRACE_PTX_CORPUS_OUT");
    if (c.outdir) {
        char lp[1024];
        snprintf(lp, sizeof lp, "%s/list.txt", c.outdir);
        c.list = fopen(lp, "w");
        if (!c.list) fail_msg("cannot write %s", lp);
    }
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) skip();
    for (int i = 0; i < n; i++) {
        const char *nm = names[i]->d_name;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        struct stat st;
        bool want = c.outdir != NULL;
        for (size_t k = 0; k < NT_ARRAY_LEN(sample_libs); k++) want |= strncmp(nm, sample_libs[k], strlen(sample_libs[k])) == 0;
        if (want && strstr(nm, ".so.") && lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            nt_file f;
            nt_err e = {0};
            if (nt_file_open(&f, path, &e) == 0) {
                c.lib = nm;
                if (bin_foreach_ptx(f.data, f.size, one, &c, &e) < 0)
                    fprintf(stderr, "note: %s: %s\n", nm, e.msg);
                nt_file_close(&f);
            }
        }
        free(names[i]);
    }
    free(names);
    if (c.list) fclose(c.list);
    printf("corpus: %lu modules seen, %lu checked, %lu parsed, %lu slices, %lu ptxas runs, %lu failures\n",
           c.seen, c.checked, c.parsed, c.slices, c.ptxas_runs, c.failures);
    if (!c.seen) skip();
    assert_int_equal(c.failures, 0);
    assert_int_equal(c.parsed, c.checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
