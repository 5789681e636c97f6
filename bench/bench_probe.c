/* bench_probe.c — the probe engine's speed:
 *   probe_compile        median time to compile a shipped probe (Lua -> IR)
 *   probe_instrument_*   slice + rewrite + print of one kernel, median and
 *                        worst over the nvcc fixtures and every shipped probe
 *   probe_corpus_*       the same over the kernels of a big library module
 *                        ($NTRACE_BENCH_LIB, default cuSOLVER; its largest
 *                        PTX module; $NTRACE_BENCH_KERNELS kernels, default
 *                        300, spread over it) with gmem_bytes; for the
 *                        worst kernel, its name and the time split into
 *                        slicing, rewriting and printing ($NTRACE_BENCH_PROBE
 *                        names another probe).
 *                        $NTRACE_BENCH_ONLY=NAME times that kernel only
 *                        (for a profiler: valgrind --tool=callgrind).
 *                        $NTRACE_BENCH_TRACE=1 prints one line per kernel
 *                        on stderr: time and faults of each phase.
 *   probe_corpus_prepare prb_prepare: the working memory for the module's
 *                        largest kernel made ready (its pages touched),
 *                        once per module index, as the injector does; in
 *                        probe_corpus_total, not in the per-kernel times.
 *   probe_corpus_faults_* minor page faults (first touch of fresh memory)
 *                        per kernel: median, of the worst kernel, and over
 *                        the run (prb_prepare's included).
 * Run from the repository root (make bench): it reads probes/, lua/ and
 * $BUILD/fixtures/probe/.  Times are CPU time of the thread (the build
 * machines are shared and loaded; wall time there says little). */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "binary/binary.h"
#include "probe/probe.h"

static const char *const probes[] = {
    "block_sched", "gmem_bytes", "barrier_wait", "mem_wait", "kernel_time", "dmat",
    "tensor_ops", "instr_mix", "branch_divergence", "regions",
};

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Minor page faults of this thread so far. */
static uint64_t minflt(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? (uint64_t)ru.ru_minflt : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double median_ms(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return n ? v[n / 2] / 1e6 : 0;
}

static prb_probe *load(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "probes/%s.lua", name);
    nt_err e = {0};
    prb_probe *p = prb_compile_file(path, "lua", NULL, &e);
    if (!p) fprintf(stderr, "bench_probe: %s\n", e.msg);
    return p;
}

static void bench_compile(void)
{
    enum { REPS = 15 };
    uint64_t all[NT_ARRAY_LEN(probes) * REPS];
    size_t n = 0;
    for (size_t i = 0; i < NT_ARRAY_LEN(probes); i++) {
        uint64_t t[REPS];
        for (int r = 0; r < REPS; r++) {
            uint64_t t0 = cpu_ns();
            prb_probe *p = load(probes[i]);
            t[r] = all[n++] = cpu_ns() - t0;
            if (!p) exit(1);
            prb_free(p);
        }
        printf("bench probe_compile_%s: %.3f ms\n", probes[i], median_ms(t, REPS));
    }
    printf("bench probe_compile: %.3f ms\n", median_ms(all, n));
}

typedef NT_VEC(uint64_t) times;

/* The slowest kernel: its time and faults, in all and per phase
 * (0 slice, 1 rewrite, 2 print). */
typedef struct worst {
    uint64_t prep_t, prep_f;     /* prb_prepare: once per module index */
    uint64_t total, faults, t[3], f[3];
    char     name[256];
} worst;

/* Instruments every kernel of `text` (sliced one by one) with p; adds the
 * time of each to ts and its minor page faults to fs (may be NULL). */
static size_t instrument_all(const prb_probe *p, const char *text, size_t len,
                             const char *file, size_t max, times *ts, times *fs, worst *w)
{
    const char *only = getenv("NTRACE_BENCH_ONLY"), *trace = getenv("NTRACE_BENCH_TRACE");
    ptx_index ix;
    nt_err e = {0};
    if (ptx_index_build(&ix, text, len, file, &e) != 0) {
        fprintf(stderr, "bench_probe: %s\n", e.msg);
        return 0;
    }
    size_t step = max && ix.nentries > max ? ix.nentries / max : 1, seen = 0, done = 0;
    /* One output buffer for every kernel, as the injector keeps one: its
     * pages, once touched, serve the next kernel.  prb_prepare readies it
     * and the kept arena once per module index, as the injector does: a
     * one-time cost, timed apart (w->prep_*). */
    nt_sb out = {0};
    uint64_t pf = minflt(), pt = cpu_ns();
    prb_prepare(&ix, &out);
    if (w) {
        w->prep_t = cpu_ns() - pt;
        w->prep_f = minflt() - pf;
    }
    for (size_t i = 0; i < ix.n; i++) {
        const ptx_ix_item *it = &ix.items[i];
        if (it->kind != PTX_IX_FUNC || !it->is_entry || !it->has_body) continue;
        if (seen++ % step && !(only && *only)) continue;
        char *name = nt_xstrndup(it->name.s, it->name.n);
        if (only && *only && strcmp(only, name)) {
            free(name);
            continue;
        }
        uint64_t t[4], f[4];
        f[0] = minflt(), t[0] = cpu_ns();
        ptx_module *m = ptx_slice(&ix, name, &e);
        f[1] = minflt(), t[1] = cpu_ns();
        ptx_func *fn = m ? ptx_module_func(m, name) : NULL;
        nt_sb_reset(&out);
        int rc = fn ? prb_instrument(p, m, fn, NULL, NULL, &e) : -1;
        f[2] = minflt(), t[2] = cpu_ns();
        if (rc == 0) {
            prb_out_reserve(&out, m);
            ptx_print(m, &out);
        } else fprintf(stderr, "bench_probe: %s: %s\n", name, e.msg);
        f[3] = minflt(), t[3] = cpu_ns();
        uint64_t dt = t[3] - t[0], df = f[3] - f[0];
        if (trace && *trace == '1')
            fprintf(stderr, "kernel %zu %.3f ms: slice %.3f (%llu) rewrite %.3f (%llu) "
                    "print %.3f (%llu) ir %zu KiB text %zu KiB out %zu KiB %s\n", seen - 1, dt / 1e6,
                    (t[1] - t[0]) / 1e6, (unsigned long long)(f[1] - f[0]),
                    (t[2] - t[1]) / 1e6, (unsigned long long)(f[2] - f[1]),
                    (t[3] - t[2]) / 1e6, (unsigned long long)(f[3] - f[2]),
                    m ? nt_arena_used(&m->arena) >> 10 : 0, (it->end - it->begin) >> 10,
                    out.len >> 10, name);
        nt_vec_push(ts, dt);
        if (fs) nt_vec_push(fs, df);
        if (w && dt > w->total) {
            w->total = dt;
            w->faults = df;
            for (int k = 0; k < 3; k++) {
                w->t[k] = t[k + 1] - t[k];
                w->f[k] = f[k + 1] - f[k];
            }
            snprintf(w->name, sizeof w->name, "%s", name);
        }
        if (m) ptx_module_free(m);
        nt_err_clear(&e);
        free(name);
        done++;
    }
    nt_sb_free(&out);
    ptx_index_free(&ix);
    return done;
}

static void bench_fixtures(void)
{
    static const char *const fx[] = { "basic.sm90", "async_mma.sm90", "regions.sm90" };
    const char *build = getenv("BUILD");
    times ts = {0};
    for (size_t f = 0; f < NT_ARRAY_LEN(fx); f++) {
        char path[512];
        snprintf(path, sizeof path, "%s/fixtures/probe/%s.ptx", build ? build : "build", fx[f]);
        nt_file file;
        nt_err e = {0};
        if (nt_file_open(&file, path, &e) != 0) {
            fprintf(stderr, "bench_probe: %s\n", e.msg);
            continue;
        }
        for (size_t i = 0; i < NT_ARRAY_LEN(probes); i++) {
            prb_probe *p = load(probes[i]);
            if (!p) continue;
            for (int r = 0; r < 5; r++) instrument_all(p, file.data, file.size, path, 0, &ts, NULL, NULL);
            prb_free(p);
        }
        nt_file_close(&file);
    }
    if (ts.n) {
        qsort(ts.v, ts.n, sizeof *ts.v, cmp_u64);
        printf("bench probe_instrument_median: %.3f ms\n", ts.v[ts.n / 2] / 1e6);
        printf("bench probe_instrument_worst: %.3f ms\n", ts.v[ts.n - 1] / 1e6);
    }
    nt_vec_free(&ts);
}

typedef struct biggest {
    char    *text;
    size_t   len;
    unsigned arch;
} biggest;

static int keep_biggest(void *ctx, const bin_ptx *x)
{
    biggest *b = ctx;
    if (x->len <= b->len) return 0;
    free(b->text);
    b->text = nt_xstrndup(x->text, x->len);
    b->len = x->len;
    b->arch = x->arch;
    return 0;
}

static void bench_corpus(void)
{
    const char *lib = getenv("NTRACE_BENCH_LIB");
    if (!lib || !*lib) lib = "/usr/local/cuda/lib64/libcusolver.so.12";
    const char *kn = getenv("NTRACE_BENCH_KERNELS");
    size_t max = kn && atoi(kn) > 0 ? (size_t)atoi(kn) : 300;
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, lib, &e) != 0) {
        printf("bench probe_corpus: skipped (%s)\n", e.msg);
        return;
    }
    biggest b = {0};
    if (bin_foreach_ptx(f.data, f.size, keep_biggest, &b, &e) != 0 || !b.text) {
        printf("bench probe_corpus: skipped (%s)\n", e.set ? e.msg : "no PTX");
        nt_file_close(&f);
        return;
    }
    nt_file_close(&f);
    ptx_index ix;
    uint64_t ti = cpu_ns();
    if (ptx_index_build(&ix, b.text, b.len, lib, &e) == 0) {
        printf("bench probe_corpus_index: %.1f ms (once per module)\n", (cpu_ns() - ti) / 1e6);
        ptx_index_free(&ix);
    }
    const char *pn = getenv("NTRACE_BENCH_PROBE");
    prb_probe *p = load(pn && *pn ? pn : "gmem_bytes");
    times ts = {0}, fs = {0};
    uint64_t t0 = cpu_ns(), f0 = minflt();
    worst w = {0};
    size_t n = p ? instrument_all(p, b.text, b.len, lib, max, &ts, &fs, &w) : 0;
    uint64_t total = cpu_ns() - t0, faults = minflt() - f0;
    if (n) {
        qsort(ts.v, ts.n, sizeof *ts.v, cmp_u64);
        printf("bench probe_corpus_module: %.1f MB of PTX (sm_%u), %zu kernels timed\n",
               b.len / 1e6, b.arch, n);
        printf("bench probe_corpus_prepare: %.3f ms (%llu faults; once per module index: "
               "prb_prepare)\n", w.prep_t / 1e6, (unsigned long long)w.prep_f);
        printf("bench probe_corpus_median: %.3f ms\n", ts.v[ts.n / 2] / 1e6);
        printf("bench probe_corpus_worst: %.3f ms\n", ts.v[ts.n - 1] / 1e6);
        static const char *const phase[3] = { "slice", "rewrite", "print" };
        for (int k = 0; k < 3; k++)
            printf("bench probe_corpus_worst_%s: %.3f ms (%llu faults)%s%s\n", phase[k],
                   w.t[k] / 1e6, (unsigned long long)w.f[k], k ? "" : " ", k ? "" : w.name);
        printf("bench probe_corpus_total: %.1f ms\n", total / 1e6);
        qsort(fs.v, fs.n, sizeof *fs.v, cmp_u64);
        printf("bench probe_corpus_faults_median: %llu faults per kernel\n",
               (unsigned long long)fs.v[fs.n / 2]);
        printf("bench probe_corpus_faults_worst: %llu faults (the worst kernel)\n",
               (unsigned long long)w.faults);
        printf("bench probe_corpus_faults_total: %llu faults\n", (unsigned long long)faults);
    }
    nt_vec_free(&ts);
    nt_vec_free(&fs);
    prb_free(p);
    free(b.text);
}

/* Registers per kernel from `ptxas -v` (sum over the module's kernels). */
static long ptxas_regs(const char *text, unsigned *kernels)
{
    char dir[] = "/tmp/ntrace_benchXXXXXX";
    if (!mkdtemp(dir)) return -1;
    char in[128], cmd[512];
    snprintf(in, sizeof in, "%s/k.ptx", dir);
    nt_err e = {0};
    if (nt_file_write(in, text, strlen(text), &e) != 0) return -1;
    const char *cuda = getenv("CUDA_HOME");
    snprintf(cmd, sizeof cmd, "%s/bin/ptxas -v -arch=sm_90 %s -o %s/k.cubin 2>&1; rm -rf %s",
             cuda && *cuda ? cuda : "/usr/local/cuda", in, dir, dir);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char line[1024];
    long sum = 0;
    *kernels = 0;
    while (fgets(line, sizeof line, f)) {
        const char *u = strstr(line, "Used ");
        int r;
        if (u && sscanf(u, "Used %d registers", &r) == 1) {
            sum += r;
            (*kernels)++;
        }
    }
    return pclose(f) == 0 ? sum : -1;
}

/* The register cost of each probe (what Neutrino's paper reports): the
 * mean of registers(probed) - registers(unprobed) over the fixture's kernels. */
static void bench_registers(void)
{
    const char *build = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/probe/basic.sm90.ptx", build ? build : "build");
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) != 0) return;
    char *orig = nt_xstrndup(f.data, f.size);
    nt_file_close(&f);
    unsigned k0 = 0, k1 = 0;
    long base = ptxas_regs(orig, &k0);
    for (size_t i = 0; base >= 0 && i < NT_ARRAY_LEN(probes); i++) {
        prb_probe *p = load(probes[i]);
        char *out = p ? prb_instrument_text(p, orig, strlen(orig), path, NULL, NULL, &e) : NULL;
        long r = out ? ptxas_regs(out, &k1) : -1;
        if (r >= 0 && k1 == k0 && k0)
            printf("bench probe_regs_%s: %+.1f registers per kernel (%u kernels, sm_90)\n",
                   probes[i], (double)(r - base) / k0, k0);
        free(out);
        prb_free(p);
    }
    free(orig);
}

int main(void)
{
    const char *only = getenv("NTRACE_BENCH_ONLY");
    if (only && *only) {
        bench_corpus();
        return 0;
    }
    bench_compile();
    bench_fixtures();
    bench_corpus();
    bench_registers();
    return 0;
}
