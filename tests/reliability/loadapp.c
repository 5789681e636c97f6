/* loadapp — the programs of the load tests (tests/reliability), on the CUDA
 * driver API; they check their own results and exit 0 only when right.
 *
 *   loadapp kernels K   K distinct kernels (entries k0..k<K-1>), generated
 *                       as PTX in modules of up to 1000 entries; each module
 *                       is loaded, each of its kernels launched once, the
 *                       results checked, the module unloaded.
 *   loadapp threads T N N launches from T host threads at once, mixed: each
 *                       thread has two streams and cycles through three
 *                       kernels of different shapes.
 *
 * Prints one line: "loadapp: ... ok" with the number of launches. */
#include <pthread.h>

#include "app.h"

#define PER_MODULE 1000

/* Kernel k<i>: thread t of block b stores i + b*blockDim + t at out[b*blockDim+t]. */
static void gen_module(char **text, int first, int n)
{
    size_t cap = 256 + (size_t)n * 512, len = 0;
    char *s = malloc(cap);
    if (!s) exit(1);
    len += (size_t)snprintf(s, cap, ".version 7.0\n.target sm_50\n.address_size 64\n");
    for (int i = first; i < first + n; i++)
        len += (size_t)snprintf(s + len, cap - len,
            ".visible .entry k%d(.param .u64 out) {\n"
            "  .reg .u64 %%rd<3>; .reg .u32 %%r<5>;\n"
            "  ld.param.u64 %%rd0, [out]; cvta.to.global.u64 %%rd1, %%rd0;\n"
            "  mov.u32 %%r0, %%tid.x; mov.u32 %%r1, %%ctaid.x; mov.u32 %%r2, %%ntid.x;\n"
            "  mad.lo.u32 %%r3, %%r1, %%r2, %%r0; add.u32 %%r4, %%r3, %d;\n"
            "  mul.wide.u32 %%rd2, %%r3, 4; add.u64 %%rd1, %%rd1, %%rd2;\n"
            "  st.global.u32 [%%rd1], %%r4; ret;\n}\n", i, i);
    *text = s;
}

static int run_kernels(int k)
{
    CUdeviceptr out;
    CK(cuMemAlloc(&out, 32 * sizeof(unsigned)));
    char name[32];
    for (int first = 0; first < k; first += PER_MODULE) {
        int n = k - first < PER_MODULE ? k - first : PER_MODULE;
        char *text;
        gen_module(&text, first, n);
        CUmodule m;
        CK(cuModuleLoadData(&m, text));
        free(text);
        void *args[] = {&out};
        for (int i = first; i < first + n; i++) {
            CUfunction f;
            snprintf(name, sizeof name, "k%d", i);
            CK(cuModuleGetFunction(&f, m, name));
            CK(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, NULL, args, NULL));
        }
        unsigned got[32];
        CK(cuMemcpyDtoH(got, out, sizeof got));
        for (unsigned t = 0; t < 32; t++)
            EXPECT(got[t] == (unsigned)(first + n - 1) + t, "k%d thread %u: %u", first + n - 1, t, got[t]);
        CK(cuModuleUnload(m));
    }
    CK(cuMemFree(out));
    printf("loadapp: %d kernels, %d launches: ok\n", k, k);
    return 0;
}

/* ---- many threads ---- */
typedef struct worker {
    CUcontext  ctx;
    CUfunction f[3];
    int        id, n, rc;
} worker;

/* grid, block of each of the three kernels */
static const unsigned shape[3][2] = {{1, 32}, {2, 64}, {4, 16}};

static void *worker_main(void *arg)
{
    worker *w = arg;
    CUstream s[2];
    CUdeviceptr out[2];
    w->rc = 1;
    if (cuCtxSetCurrent(w->ctx)) return NULL;
    for (int j = 0; j < 2; j++)
        if (cuStreamCreate(&s[j], CU_STREAM_NON_BLOCKING) || cuMemAlloc(&out[j], 128 * sizeof(unsigned)))
            return NULL;
    int last[2] = {-1, -1};
    for (int i = 0; i < w->n; i++) {
        int j = i & 1, kk = (i / 2 + w->id) % 3;
        void *args[] = {&out[j]};
        if (cuLaunchKernel(w->f[kk], shape[kk][0], 1, 1, shape[kk][1], 1, 1, 0, s[j], args, NULL))
            return NULL;
        last[j] = kk;
    }
    for (int j = 0; j < 2; j++) {
        unsigned got[128];
        if (last[j] < 0) continue;
        if (cuStreamSynchronize(s[j]) || cuMemcpyDtoH(got, out[j], sizeof got)) return NULL;
        unsigned n = shape[last[j]][0] * shape[last[j]][1];
        for (unsigned t = 0; t < n; t++)   /* kernel kk is k<kk>: adds kk */
            if (got[t] != t + (unsigned)last[j]) return NULL;
        cuStreamDestroy(s[j]);
        cuMemFree(out[j]);
    }
    w->rc = 0;
    return NULL;
}

static int run_threads(CUcontext ctx, int nt, int n)
{
    char *text;
    gen_module(&text, 0, 3);
    CUmodule m;
    CK(cuModuleLoadData(&m, text));
    free(text);
    pthread_t *t = calloc((size_t)nt, sizeof *t);
    worker *w = calloc((size_t)nt, sizeof *w);
    if (!t || !w) return 1;
    for (int i = 0; i < nt; i++) {
        w[i] = (worker){.ctx = ctx, .id = i, .n = n / nt, .rc = 1};
        for (int kk = 0; kk < 3; kk++) {
            char name[8];
            snprintf(name, sizeof name, "k%d", kk);
            CK(cuModuleGetFunction(&w[i].f[kk], m, name));
        }
    }
    for (int i = 0; i < nt; i++) pthread_create(&t[i], NULL, worker_main, &w[i]);
    int bad = 0;
    for (int i = 0; i < nt; i++) {
        pthread_join(t[i], NULL);
        bad |= w[i].rc;
    }
    printf("loadapp: %d launches from %d threads: %s\n", nt * (n / nt), nt, bad ? "FAILED" : "ok");
    free(t);
    free(w);
    CK(cuModuleUnload(m));
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "kernels") && strcmp(argv[1], "threads")) ||
        (!strcmp(argv[1], "threads") && argc < 4)) {
        fprintf(stderr, "usage: loadapp kernels K | loadapp threads T N\n");
        return 2;
    }
    CUcontext ctx = app_init();
    int rc = !strcmp(argv[1], "kernels") ? run_kernels(atoi(argv[2]))
                                         : run_threads(ctx, atoi(argv[2]), atoi(argv[3]));
    app_fini();
    return rc;
}
