/* launchloop_app — the program bench_inject measures: a tiny kernel (one
 * warp, one store) launched many times without synchronizing, so that the
 * time per cuLaunchKernel call is the host-side cost of a launch.  Prints
 * the first launch's time (where ntrace builds its twin) and the mean of
 * the rest.  Runs on the emulator or a GPU.  With a second argument
 * "nosync" it exits right after the launches, without synchronizing or
 * freeing anything (tests: ntrace must still store every buffer).  With
 * "threads" the launches come from 4 host threads at once, each on its own
 * stream (tests: the injector is thread-safe). */
#include <pthread.h>
#include <time.h>

#include "app.h"

static const char ptx[] =
    ".version 7.0\n.target sm_50\n.address_size 64\n"
    ".visible .entry tiny(.param .u64 out) {\n"
    "  .reg .u64 %rd<3>; .reg .u32 %r<2>;\n"
    "  ld.param.u64 %rd0, [out]; cvta.to.global.u64 %rd1, %rd0;\n"
    "  mov.u32 %r0, %tid.x; mul.wide.u32 %rd2, %r0, 4; add.u64 %rd1, %rd1, %rd2;\n"
    "  st.global.u32 [%rd1], %r0; ret;\n}\n";

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

typedef struct worker { CUcontext ctx; CUfunction f; int n; int rc; } worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    CUstream s;
    CUdeviceptr out;
    w->rc = 1;
    if (cuCtxSetCurrent(w->ctx) || cuStreamCreate(&s, CU_STREAM_NON_BLOCKING) ||
        cuMemAlloc(&out, 32 * sizeof(unsigned)))
        return NULL;
    void *args[] = {&out};
    for (int i = 0; i < w->n; i++)
        if (cuLaunchKernel(w->f, 1, 1, 1, 32, 1, 1, 0, s, args, NULL)) return NULL;
    unsigned got[32];
    if (cuStreamSynchronize(s) || cuMemcpyDtoH(got, out, sizeof got)) return NULL;
    for (unsigned i = 0; i < 32; i++)
        if (got[i] != i) return NULL;
    w->rc = 0;
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    CUmodule m;
    CUfunction f;
    CUstream s;
    CUdeviceptr out;
    CUcontext ctx = app_init();
    CK(cuModuleLoadData(&m, ptx));
    CK(cuModuleGetFunction(&f, m, "tiny"));
    CK(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
    CK(cuMemAlloc(&out, 32 * sizeof(unsigned)));
    if (argc > 2 && !strcmp(argv[2], "threads")) {
        pthread_t t[4];
        worker w[4];
        for (int i = 0; i < 4; i++) {
            w[i] = (worker){ctx, f, n / 4, 1};
            pthread_create(&t[i], NULL, worker_main, &w[i]);
        }
        int bad = 0;
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
            bad |= w[i].rc;
        }
        printf("launchloop: %d launches from 4 threads: %s\n", 4 * (n / 4), bad ? "FAILED" : "ok");
        return bad;
    }
    void *args[] = {&out};
    double t0 = now_us();
    CK(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, s, args, NULL));
    double t1 = now_us();
    for (int i = 1; i < n; i++) CK(cuLaunchKernel(f, 1, 1, 1, 32, 1, 1, 0, s, args, NULL));
    double t2 = now_us();
    if (argc > 2 && !strcmp(argv[2], "nosync")) {
        printf("launchloop: %d launches, exiting without synchronizing\n", n);
        return 0;
    }
    CK(cuStreamSynchronize(s));
    unsigned got[32];
    CK(cuMemcpyDtoH(got, out, sizeof got));
    for (unsigned i = 0; i < 32; i++)
        if (got[i] != i) { fprintf(stderr, "launchloop: wrong result at %u\n", i); return 1; }
    printf("launchloop: first_launch_us %.1f launch_us %.2f launches %d\n", t1 - t0,
           (t2 - t1) / (n > 1 ? n - 1 : 1), n);
    CK(cuMemFree(out));
    CK(cuStreamDestroy(s));
    CK(cuModuleUnload(m));
    app_fini();
    return 0;
}
