/* bench_gpu — probe overhead on the device (issue 11, "bench gpu").
 *
 * For every shipped probe (probes/NAME.lua) on the test apps' kernels
 * (tests/kernels, PTX in $BUILD/fixtures/kernels):
 *   - base: the kernel sliced out of its module (src/ptx) and JIT-ed from
 *     that slice without probes, so the JIT itself is not counted as
 *     overhead and both sides are compiled the same way;
 *   - probed: the same slice instrumented (src/probe) and JIT-ed, launched
 *     with a probe buffer laid out by src/buffer (header written, slots
 *     zeroed before every launch, outside the timed interval);
 *   - kernel time: median over N launches after W warm-up launches, each
 *     launch timed by a pair of CUDA events;
 *   - registers: CU_FUNC_ATTRIBUTE_NUM_REGS of both;
 *   - first probed launch: instrument + JIT + launch + synchronize;
 *     cache hit: what the injector does when the instrumented text is in its
 *     disk cache: JIT that text again + launch + synchronize (the driver's
 *     own compute cache may serve the JIT, as it would in a real run);
 *   - check: the probed kernel's outputs equal the base kernel's bit for bit
 *     (fresh inputs, one launch each) and its buffer decodes (buf_open).
 *
 * The driver is opened with dlopen, so one binary runs on a GPU
 * (libcuda.so.1) and on the emulator ($BUILD/emu/libcuda.so.1, --emulate, or
 * automatically when no driver is installed; numbers are then meaningless,
 * but every step and the output format are exercised).
 *
 *   bench_gpu [--emulate|--gpu] [-n N] [-w W] [--small] [-k KERNEL] [-p PROBE]
 *             [-t SECONDS] [--probes DIR] [--kernels DIR]
 * -t: stop starting new measurements after that long (the summary of what
 * was measured is still printed): the GPU suite's time is bounded.
 *
 * Output: one "bench gpu_overhead KERNEL/PROBE: X %" line per pair (with
 * times, registers, first/cached launch and "outputs identical"), then per
 * probe "bench gpu_overhead_PROBE: X % median of K kernels (goal ...)",
 * "bench gpu_first_launch: X ms" and "bench gpu_cache_hit: X ms".
 * Exit 1 when any probed output differs or any step fails. */
#include <cuda.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "buffer/buffer.h"
#include "common/common.h"
#include "probe/probe.h"
#include "ptx/ptx.h"

/* ---- the driver, through dlopen ---------------------------------------- */
/* cuda.h maps some names to versioned symbols (cuMemAlloc -> cuMemAlloc_v2);
 * XSTR expands the macro first, so dlsym asks for the symbol cuda.h means. */
#define STR_(x) #x
#define XSTR(x) STR_(x)
#define CU_FUNCS(X) X(cuInit) X(cuDeviceGet) X(cuDeviceGetName) X(cuDeviceGetAttribute) \
    X(cuDriverGetVersion) X(cuDevicePrimaryCtxRetain) X(cuDevicePrimaryCtxRelease)      \
    X(cuCtxSetCurrent) X(cuCtxSynchronize) X(cuModuleLoadDataEx) X(cuModuleUnload)      \
    X(cuModuleGetFunction) X(cuFuncGetAttribute) X(cuMemAlloc) X(cuMemFree)             \
    X(cuMemcpyHtoD) X(cuMemcpyDtoH) X(cuMemsetD8) X(cuMemsetD8Async) X(cuLaunchKernel)  \
    X(cuEventCreate) X(cuEventRecord) X(cuEventSynchronize) X(cuEventElapsedTime)       \
    X(cuEventDestroy) X(cuGetErrorName)
static struct {
#define CU_MEMBER(f) __typeof__(&f) f;
    CU_FUNCS(CU_MEMBER)
} cu;

static const char *cu_load(void *h)
{
#define CU_SYM(f) if (!(*(void **)&cu.f = dlsym(h, XSTR(f)))) return XSTR(f);
    CU_FUNCS(CU_SYM)
    return NULL;
}

static const char *cu_errname(CUresult r)
{
    const char *s = NULL;
    if (cu.cuGetErrorName) cu.cuGetErrorName(r, &s);
    return s ? s : "?";
}

/* Calls a driver function; on failure prints where and what and returns -1. */
#define CKR(x) do {                                                            \
        CUresult r_ = (x);                                                     \
        if (r_ != CUDA_SUCCESS) {                                              \
            fprintf(stderr, "bench_gpu: %s: %s failed: %s\n", where, #x, cu_errname(r_)); \
            return -1;                                                         \
        }                                                                      \
    } while (0)

/* ---- the kernels ------------------------------------------------------- */
/* Parameters, one letter each: f f32 input, i i32 input (0..1023), d f64
 * input, o output (zeroed; compared), x f32 in-place (filled; compared),
 * N the problem size as s32, S a f32 scalar (1.25).  Every buffer holds
 * elems * elem_bytes bytes (8: any element type; mathlib writes up to four
 * doubles per element). */
typedef struct bk {
    const char *file, *name, *params;
    unsigned n_full, n_small;     /* problem size; tile: the matrix dimension */
    unsigned bx, by;              /* threads per block */
    bool tile;                    /* grid n/bx x n/by, elems n*n; else ceil(n/bx) */
    unsigned smem_per_thread;     /* dynamic shared memory */
    unsigned elem_bytes;          /* buffer bytes per element (0: 8) */
} bk;

/* Left out: atomics_mix (float atomics: order-dependent bits),
 * special_regs (%smid, %clock), bad_access (faults on purpose). */
static const bk kernels[] = {
    {"vecadd",  "vecadd",      "ffoN",       1u << 22, 1024, 256, 1, false, 0, 0},
    {"vecadd",  "saxpy",       "NSfx",       1u << 22, 1024, 256, 1, false, 0, 0},
    {"matmul",  "matmul",      "ffoN",       1024,     32,   16, 16, true, 0, 0},
    {"reduce",  "reduce_sum",  "ioN",        1u << 22, 1024, 256, 1, false, 4, 0},
    {"reduce",  "warp_ops",    "fooo",       1u << 22, 1024, 256, 1, false, 0, 0},
    {"histo",   "histogram",   "iNo",        1u << 22, 1024, 256, 1, false, 0, 0},
    {"diverge", "diverge",     "ioN",        1u << 22, 1024, 256, 1, false, 0, 0},
    {"globals", "use_globals", "oN",         1u << 22, 1024, 256, 1, false, 0, 0},
    {"calls",   "calls",       "iioofN",     1u << 20, 512,  256, 1, false, 0, 0},
    {"mathlib", "mathlib",     "dofoioiooN", 1u << 20, 256,  256, 1, false, 0, 32},
    {"streams", "scale_add",   "xSSN",       1u << 22, 1024, 256, 1, false, 0, 0},
};
#define NKERNELS (sizeof kernels / sizeof kernels[0])
#define MAXP 16

/* One kernel's arguments on the device. */
typedef struct kargs {
    const bk   *k;
    unsigned    n, np;
    size_t      bytes;            /* per buffer */
    CUdeviceptr buf[MAXP];        /* 0 for scalars */
    int         ival;
    float       fval;
    void       *args[MAXP + 1];   /* + the probe buffer */
    CUdeviceptr probe_buf;
    unsigned    grid[3], block[3], smem;
} kargs;

static void fill_host(char kind, void *h, size_t bytes)
{
    size_t n4 = bytes / 4;
    for (size_t j = 0; j < n4; j++) {
        uint32_t w = 0;
        if (kind == 'i') w = (uint32_t)((j * 7919u) % 1024u);
        else if (kind == 'f' || kind == 'x') { float f = (float)((j * 37u) % 1000u) / 1000.0f; memcpy(&w, &f, 4); }
        ((uint32_t *)h)[j] = w;
    }
    if (kind == 'd')
        for (size_t j = 0; j < bytes / 8; j++) ((double *)h)[j] = (double)((j * 31u) % 977u) / 97.0;
}

/* Fills inputs and in-place buffers, zeroes outputs. */
static int args_reset(kargs *a, void *host, const char *where)
{
    for (unsigned p = 0; p < a->np; p++) {
        char c = a->k->params[p];
        if (!a->buf[p]) continue;
        if (c == 'o') { CKR(cu.cuMemsetD8(a->buf[p], 0, a->bytes)); continue; }
        fill_host(c, host, a->bytes);
        CKR(cu.cuMemcpyHtoD(a->buf[p], host, a->bytes));
    }
    return 0;
}

static int args_init(kargs *a, const bk *k, bool small, void *host, const char *where)
{
    memset(a, 0, sizeof *a);
    a->k = k;
    a->n = small ? k->n_small : k->n_full;
    a->np = (unsigned)strlen(k->params);
    size_t elems = k->tile ? (size_t)a->n * a->n : a->n;
    a->bytes = elems * (k->elem_bytes ? k->elem_bytes : 8);
    a->ival = (int)a->n;
    a->fval = 1.25f;
    a->block[0] = k->bx; a->block[1] = k->by; a->block[2] = 1;
    a->grid[0] = k->tile ? a->n / k->bx : (a->n + k->bx - 1) / k->bx;
    a->grid[1] = k->tile ? a->n / k->by : 1;
    a->grid[2] = 1;
    a->smem = k->smem_per_thread * k->bx * k->by;
    for (unsigned p = 0; p < a->np; p++) {
        char c = k->params[p];
        if (c == 'N') a->args[p] = &a->ival;
        else if (c == 'S') a->args[p] = &a->fval;
        else {
            CKR(cu.cuMemAlloc(&a->buf[p], a->bytes));
            a->args[p] = &a->buf[p];
        }
    }
    a->args[a->np] = &a->probe_buf;
    return args_reset(a, host, where);
}

static void args_free(kargs *a)
{
    for (unsigned p = 0; p < a->np; p++)
        if (a->buf[p]) cu.cuMemFree(a->buf[p]);
}

/* Copies every output and in-place buffer, concatenated, to out. */
static int args_outputs(const kargs *a, uint8_t *out, const char *where)
{
    size_t off = 0;
    for (unsigned p = 0; p < a->np; p++) {
        char c = a->k->params[p];
        if (c != 'o' && c != 'x') continue;
        CKR(cu.cuMemcpyDtoH(out + off, a->buf[p], a->bytes));
        off += a->bytes;
    }
    return 0;
}

static size_t args_outbytes(const kargs *a)
{
    size_t n = 0;
    for (unsigned p = 0; p < a->np; p++)
        if (a->k->params[p] == 'o' || a->k->params[p] == 'x') n += a->bytes;
    return n;
}

/* ---- the probe buffer -------------------------------------------------- */
typedef struct pbuf {
    buf_layout  lay;
    CUdeviceptr dev;
    uint8_t    *hdr;
    int         reduced;
} pbuf;

#define PROBE_BUDGET (512ull << 20)

static int pbuf_init(pbuf *b, const prb_probe *p, const kargs *a, const char *where)
{
    buf_map_spec specs[BUF_MAX_MAPS];
    unsigned nmaps = prb_buffer_specs(p, specs);
    nt_err e = {0};
    memset(b, 0, sizeof *b);
    if (buf_layout_compute(&b->lay, a->grid, a->block, specs, nmaps, PROBE_BUDGET,
                           BUF_FIT_REDUCE_CAP, &b->reduced, &e) < 0) {
        fprintf(stderr, "bench_gpu: %s: probe buffer: %s\n", where, e.msg);
        return -1;
    }
    buf_layout_set_launch(&b->lay, 1);
    b->hdr = nt_xmalloc(b->lay.hdr.header_size);
    if (buf_layout_write(&b->lay, b->hdr, b->lay.hdr.header_size, &e) < 0) {
        fprintf(stderr, "bench_gpu: %s: probe buffer: %s\n", where, e.msg);
        return -1;
    }
    CKR(cu.cuMemAlloc(&b->dev, b->lay.hdr.total_size));
    CKR(cu.cuMemcpyHtoD(b->dev, b->hdr, b->lay.hdr.header_size));
    return 0;
}

/* Zeroes the slots (not the header), as the injector does per launch. */
static int pbuf_clear(const pbuf *b, const char *where)
{
    uint32_t h = b->lay.hdr.header_size;
    CKR(cu.cuMemsetD8Async(b->dev + h, 0, b->lay.hdr.total_size - h, NULL));
    return 0;
}

/* Copies the buffer back and decodes it; the records saved in *saved. */
static int pbuf_check(const pbuf *b, uint64_t *saved, const char *where)
{
    size_t n = b->lay.hdr.total_size;
    uint8_t *h = nt_xmalloc(n);
    CUresult r = cu.cuMemcpyDtoH(h, b->dev, n);
    buf_view v;
    nt_err e = {0};
    int rc = 0;
    if (r != CUDA_SUCCESS) {
        fprintf(stderr, "bench_gpu: %s: copying the probe buffer back: %s\n", where, cu_errname(r));
        rc = -1;
    } else if (buf_open(&v, h, n, &e) < 0) {
        fprintf(stderr, "bench_gpu: %s: the probe buffer does not decode: %s\n", where, e.msg);
        rc = -1;
    } else {
        *saved = 0;
        for (unsigned m = 0; m < v.hdr.nmaps; m++) *saved += v.tot[m].saved;
    }
    free(h);
    return rc;
}

static void pbuf_free(pbuf *b)
{
    if (b->dev) cu.cuMemFree(b->dev);
    free(b->hdr);
}

/* ---- JIT, launch, time ------------------------------------------------- */
static int jit(const char *text, const char *name, CUmodule *m, CUfunction *f, const char *where)
{
    char log[4096] = "";
    CUjit_option o[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
    void *v[] = {log, (void *)(uintptr_t)sizeof log};
    CUresult r = cu.cuModuleLoadDataEx(m, text, 2, o, v);
    if (r != CUDA_SUCCESS) {
        fprintf(stderr, "bench_gpu: %s: JIT failed (%s): %s\n", where, cu_errname(r), log);
        return -1;
    }
    CKR(cu.cuModuleGetFunction(f, *m, name));
    return 0;
}

static int launch(const kargs *a, CUfunction f, const char *where)
{
    CKR(cu.cuLaunchKernel(f, a->grid[0], a->grid[1], a->grid[2], a->block[0], a->block[1],
                          a->block[2], a->smem, NULL, (void **)a->args, NULL));
    return 0;
}

static int cmp_float(const void *x, const void *y)
{
    float a = *(const float *)x, b = *(const float *)y;
    return (a > b) - (a < b);
}

/* Median kernel time in microseconds over n launches after w warm-ups;
 * b (may be NULL) is cleared before every launch, outside the events. */
static int time_kernel(const kargs *a, CUfunction f, const pbuf *b, int w, int n, double *us,
                       const char *where)
{
    CUevent e0, e1;
    CKR(cu.cuEventCreate(&e0, CU_EVENT_DEFAULT));
    CKR(cu.cuEventCreate(&e1, CU_EVENT_DEFAULT));
    float *ms = nt_xcalloc((size_t)n, sizeof *ms);
    int rc = 0;
    for (int i = 0; i < w + n && rc == 0; i++) {
        if (b && pbuf_clear(b, where) < 0) { rc = -1; break; }
        if (cu.cuEventRecord(e0, NULL) || launch(a, f, where) < 0 || cu.cuEventRecord(e1, NULL) ||
            cu.cuEventSynchronize(e1)) {
            fprintf(stderr, "bench_gpu: %s: timed launch %d failed\n", where, i);
            rc = -1;
        } else if (i >= w && cu.cuEventElapsedTime(&ms[i - w], e0, e1)) {
            fprintf(stderr, "bench_gpu: %s: cuEventElapsedTime failed\n", where);
            rc = -1;
        }
    }
    if (rc == 0) {
        qsort(ms, (size_t)n, sizeof *ms, cmp_float);
        *us = (n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2.0) * 1000.0;
    }
    free(ms);
    cu.cuEventDestroy(e0);
    cu.cuEventDestroy(e1);
    return rc;
}

static double dmedian(double *v, size_t n)
{
    if (!n) return 0;
    for (size_t i = 1; i < n; i++)        /* insertion sort: n is small */
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            double t = v[j]; v[j] = v[j - 1]; v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- the run ----------------------------------------------------------- */
typedef struct probe_ent {
    char       name[64];
    prb_probe *p;
    double    *ovh;               /* per kernel, % */
    size_t     novh;
    int        max_extra_regs;
} probe_ent;

typedef struct opts {
    bool emulate, need_gpu, small;
    int  iters, warm;
    double seconds;               /* -t: time budget, 0 none */
    const char *kernel, *probe, *probe_dir, *kdir;
} opts;

typedef struct run {
    opts       o;
    unsigned   sm;
    probe_ent *probes;
    size_t     nprobes;
    double    *first, *cached;    /* ms, per pair */
    size_t     npairs;
    int        failures;
    void      *host;              /* scratch for fills */
    size_t     host_size;
    uint64_t   deadline_ns;       /* 0: none */
    bool       out_of_time;
} run;

/* True (once said) when the -t budget is spent. */
static bool over_time(run *R, const char *next)
{
    if (R->out_of_time) return true;
    if (!R->deadline_ns || nt_now_ns() < R->deadline_ns) return false;
    printf("bench gpu: the time budget (-t %g) is spent; stopping before %s\n", R->o.seconds, next);
    R->out_of_time = true;
    return true;
}

/* The goal of each probe the issue names; 0 for the others. */
static double goal_pct(const char *probe)
{
    if (!strcmp(probe, "block_sched") || !strcmp(probe, "kernel_time")) return 3;
    if (!strcmp(probe, "gmem_bytes") || !strcmp(probe, "barrier_wait")) return 15;
    return 0;
}

/* One probe on one kernel whose base was measured. */
static void bench_pair(run *R, probe_ent *pe, kargs *a, const char *ptx, size_t len,
                       const char *file, double base_us, int base_regs, const uint8_t *ref,
                       uint8_t *got)
{
    const bk *k = a->k;
    char where[256];
    snprintf(where, sizeof where, "%s/%s", k->name, pe->name);
    if (prb_min_sm(pe->p) > R->sm) {
        printf("bench gpu_overhead %s: skipped (the probe needs sm_%u, the device is sm_%u)\n",
               where, prb_min_sm(pe->p), R->sm);
        return;
    }
    nt_err e = {0};
    prb_inst_stats st;
    CUmodule m = NULL, m2 = NULL;
    CUfunction f, f2;
    pbuf b = {0};
    uint64_t t0 = nt_now_ns();
    char *text = prb_instrument_text(pe->p, ptx, len, file, k->name, &st, &e);
    if (!text) {
        printf("bench gpu_overhead %s: skipped (not instrumentable: %s)\n", where, e.msg);
        return;
    }
    int rc = -1;
    if (jit(text, k->name, &m, &f, where) < 0 || pbuf_init(&b, pe->p, a, where) < 0)
        goto out;
    a->probe_buf = b.dev;           /* the twin's last parameter */
    if (pbuf_clear(&b, where) < 0 || launch(a, f, where) < 0) goto out;
    if (cu.cuCtxSynchronize()) { fprintf(stderr, "bench_gpu: %s: first launch failed\n", where); goto out; }
    double first_ms = (double)(nt_now_ns() - t0) / 1e6;
    uint64_t t1 = nt_now_ns();
    if (jit(text, k->name, &m2, &f2, where) < 0 || pbuf_clear(&b, where) < 0 || launch(a, f2, where) < 0)
        goto out;
    if (cu.cuCtxSynchronize()) { fprintf(stderr, "bench_gpu: %s: cached launch failed\n", where); goto out; }
    double cached_ms = (double)(nt_now_ns() - t1) / 1e6;

    /* Semantics: fresh inputs, one probed launch, outputs as the base's. */
    uint64_t saved = 0;
    if (args_reset(a, R->host, where) < 0 || pbuf_clear(&b, where) < 0 ||
        launch(a, f, where) < 0 || cu.cuCtxSynchronize() || args_outputs(a, got, where) < 0 ||
        pbuf_check(&b, &saved, where) < 0)
        goto out;
    if (memcmp(ref, got, args_outbytes(a)) != 0) {
        printf("bench gpu_overhead %s: FAILED (probed outputs differ from the unprobed kernel's)\n", where);
        goto out;
    }
    double us;
    int regs = 0;
    if (time_kernel(a, f, &b, R->o.warm, R->o.iters, &us, where) < 0 ||
        cu.cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, f))
        goto out;
    double pct = base_us > 0 ? (us - base_us) / base_us * 100.0 : 0;
    printf("bench gpu_overhead %s: %.2f %% (base %.2f us, probed %.2f us, regs %d%+d, "
           "first %.1f ms, cached %.1f ms, %llu records%s, outputs identical)\n",
           where, pct, base_us, us, base_regs, regs - base_regs, first_ms, cached_ms,
           (unsigned long long)saved, b.reduced ? ", caps lowered to fit" : "");
    pe->ovh = nt_xrealloc(pe->ovh, (pe->novh + 1) * sizeof *pe->ovh);
    pe->ovh[pe->novh++] = pct;
    if (regs - base_regs > pe->max_extra_regs) pe->max_extra_regs = regs - base_regs;
    R->first = nt_xrealloc(R->first, (R->npairs + 1) * sizeof *R->first);
    R->cached = nt_xrealloc(R->cached, (R->npairs + 1) * sizeof *R->cached);
    R->first[R->npairs] = first_ms;
    R->cached[R->npairs++] = cached_ms;
    rc = 0;
out:
    if (rc < 0) R->failures++;
    pbuf_free(&b);
    if (m) cu.cuModuleUnload(m);
    if (m2) cu.cuModuleUnload(m2);
    free(text);
}

static char *read_text(const char *path, size_t *len)
{
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) < 0) {
        fprintf(stderr, "bench_gpu: %s\n", e.msg);
        return NULL;
    }
    char *t = nt_xstrndup(f.data, f.size);
    *len = f.size;
    nt_file_close(&f);
    return t;
}

/* The base kernel, then every probe on it. */
static void bench_kernel(run *R, const bk *k)
{
    char path[1024], where[128];
    snprintf(where, sizeof where, "%s", k->name);
    snprintf(path, sizeof path, "%s/%s.ptx", R->o.kdir, k->file);
    size_t len = 0;
    char *ptx = read_text(path, &len);
    if (!ptx) { R->failures++; return; }
    nt_err e = {0};
    ptx_index ix;
    memset(&ix, 0, sizeof ix);
    ptx_module *slice = NULL;
    char *text = NULL;
    CUmodule m = NULL;
    CUfunction f;
    kargs a;
    bool have_args = false;
    uint8_t *ref = NULL, *got = NULL;
    int ok = -1;
    if (ptx_index_build(&ix, ptx, len, path, &e) < 0 || !(slice = ptx_slice(&ix, k->name, &e))) {
        fprintf(stderr, "bench_gpu: %s: cannot slice: %s\n", where, e.msg);
        goto out;
    }
    nt_sb sb = {0};
    ptx_print(slice, &sb);
    text = nt_sb_take(&sb);
    if (jit(text, k->name, &m, &f, where) < 0) goto out;
    if (args_init(&a, k, R->o.small, R->host, where) < 0) goto out;
    have_args = true;
    size_t ob = args_outbytes(&a);
    ref = nt_xmalloc(ob);
    got = nt_xmalloc(ob);
    if (launch(&a, f, where) < 0 || cu.cuCtxSynchronize() || args_outputs(&a, ref, where) < 0) {
        fprintf(stderr, "bench_gpu: %s: the unprobed kernel failed\n", where);
        goto out;
    }
    double base_us;
    int regs = 0;
    if (time_kernel(&a, f, NULL, R->o.warm, R->o.iters, &base_us, where) < 0 ||
        cu.cuFuncGetAttribute(&regs, CU_FUNC_ATTRIBUTE_NUM_REGS, f))
        goto out;
    printf("bench gpu_base %s: %.2f us (regs %d, grid %ux%u, block %ux%u, n %u)\n", where, base_us,
           regs, a.grid[0], a.grid[1], a.block[0], a.block[1], a.n);
    for (size_t i = 0; i < R->nprobes; i++) {
        char next[160];
        snprintf(next, sizeof next, "%s/%s", k->name, R->probes[i].name);
        if (over_time(R, next)) break;
        bench_pair(R, &R->probes[i], &a, ptx, len, path, base_us, regs, ref, got);
    }
    ok = 0;
out:
    if (ok < 0) R->failures++;
    if (have_args) args_free(&a);
    if (m) cu.cuModuleUnload(m);
    free(ref);
    free(got);
    free(text);
    ptx_module_free(slice);
    ptx_index_free(&ix);
    free(ptx);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Compiles probes/NAME.lua for every shipped probe (or only o.probe). */
static int load_probes(run *R)
{
    DIR *d = opendir(R->o.probe_dir);
    if (!d) { fprintf(stderr, "bench_gpu: cannot open probe directory %s\n", R->o.probe_dir); return -1; }
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t l = strlen(de->d_name);
        if (l > 4 && l < 60 && !strcmp(de->d_name + l - 4, ".lua")) names[n++] = nt_xstrndup(de->d_name, l - 4);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    R->probes = nt_xcalloc(n ? n : 1, sizeof *R->probes);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (R->o.probe && strcmp(R->o.probe, names[i])) { free(names[i]); continue; }
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.lua", R->o.probe_dir, names[i]);
        nt_err e = {0};
        prb_probe *p = prb_compile_file(path, NULL, NULL, &e);
        if (!p) { fprintf(stderr, "bench_gpu: %s\n", e.msg); rc = -1; }
        else {
            probe_ent *pe = &R->probes[R->nprobes++];
            snprintf(pe->name, sizeof pe->name, "%s", names[i]);
            pe->p = p;
        }
        free(names[i]);
    }
    if (!R->nprobes) { fprintf(stderr, "bench_gpu: no probe to run in %s\n", R->o.probe_dir); rc = -1; }
    return rc;
}

static void summary(run *R)
{
    for (size_t i = 0; i < R->nprobes; i++) {
        probe_ent *pe = &R->probes[i];
        if (!pe->novh) continue;
        double med = dmedian(pe->ovh, pe->novh), worst = pe->ovh[pe->novh - 1], g = goal_pct(pe->name);
        char goal[96] = "";
        if (g > 0 && R->o.emulate) snprintf(goal, sizeof goal, ", goal <= %.0f %%: not judged on the emulator", g);
        else if (g > 0) snprintf(goal, sizeof goal, ", goal <= %.0f %%: %s", g, med <= g ? "met" : "MISSED");
        printf("bench gpu_overhead_%s: %.2f %% (median of %zu kernels, worst %.2f %%, extra regs <= %d%s)\n",
               pe->name, med, pe->novh, worst, pe->max_extra_regs, goal);
    }
    printf("bench gpu_first_launch: %.1f ms (median of %zu, instrument + JIT + launch)\n",
           dmedian(R->first, R->npairs), R->npairs);
    printf("bench gpu_cache_hit: %.1f ms (median of %zu, JIT of the cached text + launch)\n",
           dmedian(R->cached, R->npairs), R->npairs);
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_gpu [--emulate|--gpu] [-n ITERS] [-w WARMUP] [--small] "
                    "[-k KERNEL] [-p PROBE] [-t SECONDS] [--probes DIR] [--kernels DIR]\n");
    return 2;
}

static int parse_opts(opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--emulate")) o->emulate = true;
        else if (!strcmp(s, "--gpu")) o->need_gpu = true;
        else if (!strcmp(s, "--small")) o->small = true;
        else if (!v) return -1;
        else if (!strcmp(s, "-n")) { o->iters = atoi(v); i++; }
        else if (!strcmp(s, "-w")) { o->warm = atoi(v); i++; }
        else if (!strcmp(s, "-k")) { o->kernel = v; i++; }
        else if (!strcmp(s, "-p")) { o->probe = v; i++; }
        else if (!strcmp(s, "-t")) { o->seconds = atof(v); i++; if (o->seconds <= 0) return -1; }
        else if (!strcmp(s, "--probes")) { o->probe_dir = v; i++; }
        else if (!strcmp(s, "--kernels")) { o->kdir = v; i++; }
        else return -1;
    }
    return o->iters == 0 || o->iters < -1 || o->warm < -1 || (o->emulate && o->need_gpu) ? -1 : 0;
}

/* Opens the driver: the system's, else (unless --gpu) the emulator's. */
static void *open_driver(opts *o, const char *build)
{
    void *h = NULL;
    if (!o->emulate) {
        h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h && o->need_gpu) {
            fprintf(stderr, "bench_gpu: no CUDA driver (libcuda.so.1): %s\n", dlerror());
            return NULL;
        }
        if (!h) printf("bench gpu: no CUDA driver here; running on the emulator (numbers are meaningless)\n");
    }
    if (!h) {
        char path[1024];
        snprintf(path, sizeof path, "%s/emu/libcuda.so.1", build);
        o->emulate = true;
        if (!(h = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
            fprintf(stderr, "bench_gpu: cannot load the emulator %s: %s\n", path, dlerror());
    }
    return h;
}

int main(int argc, char **argv)
{
    const char *b = getenv("BUILD");
    char build[512], kdir[600];
    snprintf(build, sizeof build, "%s", b && *b ? b : "build");
    snprintf(kdir, sizeof kdir, "%s/fixtures/kernels", build);
    run R = {.o = {.iters = -1, .warm = -1, .probe_dir = "probes", .kdir = kdir}};
    if (parse_opts(&R.o, argc, argv) < 0) return usage();
    void *h = open_driver(&R.o, build);
    if (!h) return 1;
    const char *missing = cu_load(h);
    if (missing) { fprintf(stderr, "bench_gpu: the driver lacks %s\n", missing); return 1; }
    if (R.o.emulate) R.o.small = true;
    if (R.o.iters < 0) R.o.iters = R.o.emulate ? 3 : 50;
    if (R.o.warm < 0) R.o.warm = R.o.emulate ? 1 : 5;
    const char *where = "init";
    CUdevice dev;
    CUcontext ctx;
    int major = 0, minor = 0, drv = 0;
    char name[256] = "";
    CKR(cu.cuInit(0));
    CKR(cu.cuDeviceGet(&dev, 0));
    CKR(cu.cuDeviceGetName(name, sizeof name, dev));
    CKR(cu.cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
    CKR(cu.cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
    CKR(cu.cuDriverGetVersion(&drv));
    CKR(cu.cuDevicePrimaryCtxRetain(&ctx, dev));
    CKR(cu.cuCtxSetCurrent(ctx));
    R.sm = (unsigned)(major * 10 + minor);
    printf("bench gpu device: %s (sm_%u, driver %d%s), %d launches after %d warm-up, %s sizes\n", name,
           R.sm, drv, R.o.emulate ? ", emulator" : "", R.o.iters, R.o.warm, R.o.small ? "small" : "full");
    if (load_probes(&R) < 0) return 1;
    if (R.o.seconds > 0) R.deadline_ns = nt_now_ns() + (uint64_t)(R.o.seconds * 1e9);
    R.host_size = 0;
    for (size_t i = 0; i < NKERNELS; i++) {
        const bk *k = &kernels[i];
        size_t n = R.o.small ? k->n_small : k->n_full;
        size_t bytes = (k->tile ? n * n : n) * (k->elem_bytes ? k->elem_bytes : 8);
        if (bytes > R.host_size) R.host_size = bytes;
    }
    R.host = nt_xmalloc(R.host_size);
    size_t ran = 0;
    for (size_t i = 0; i < NKERNELS; i++) {
        if (R.o.kernel && strcmp(R.o.kernel, kernels[i].name)) continue;
        if (over_time(&R, kernels[i].name)) break;
        bench_kernel(&R, &kernels[i]);
        ran++;
        fflush(stdout);
        CUresult r = cu.cuCtxSynchronize();
        if (r != CUDA_SUCCESS) {   /* a fault is sticky: nothing after it can run */
            printf("bench gpu: the context is lost (%s) after %s; stopping\n", cu_errname(r), kernels[i].name);
            R.failures++;
            break;
        }
    }
    if (!ran && !R.out_of_time) { fprintf(stderr, "bench_gpu: no kernel named %s\n", R.o.kernel); R.failures++; }
    summary(&R);
    for (size_t i = 0; i < R.nprobes; i++) {
        prb_free(R.probes[i].p);
        free(R.probes[i].ovh);
    }
    free(R.probes);
    free(R.first);
    free(R.cached);
    free(R.host);
    cu.cuDevicePrimaryCtxRelease(dev);
    if (R.failures) printf("bench gpu: %d FAILED (see above)\n", R.failures);
    return R.failures ? 1 : 0;
}
