/* streams: four streams each scale their own slice with async copies, a
 * host function and events; then special registers and a fault. */
#include "app.h"

static int host_fn_ran;
static void CUDA_CB on_host(void *p) { host_fn_ran += *(int *)p; }

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "streams");
    CUfunction f, fs, fb;
    CK(cuModuleGetFunction(&f, m, "scale_add"));
    CK(cuModuleGetFunction(&fs, m, "special_regs"));
    CK(cuModuleGetFunction(&fb, m, "bad_access"));
    enum { NS = 4, N = 4096 };
    CUstream st[NS];
    CUevent e0, e1;
    CK(cuEventCreate(&e0, 0)); CK(cuEventCreate(&e1, 0));
    float *h;
    CK(cuMemAllocHost((void **)&h, NS * N * sizeof(float)));
    for (int i = 0; i < NS * N; i++) h[i] = (float)i;
    CUdeviceptr d;
    CK(cuMemAlloc(&d, NS * N * sizeof(float)));
    CK(cuEventRecord(e0, NULL));
    int one = 1;
    for (int s = 0; s < NS; s++) {
        CK(cuStreamCreate(&st[s], CU_STREAM_NON_BLOCKING));
        CUdeviceptr ds = d + (CUdeviceptr)s * N * sizeof(float);
        float sc = (float)(s + 1), ad = (float)(10 * s);
        int n = N;
        CK(cuMemcpyHtoDAsync(ds, h + s * N, N * sizeof(float), st[s]));
        void *args[] = { &ds, &sc, &ad, &n };
        CK(cuLaunchKernel(f, N / 256, 1, 1, 256, 1, 1, 0, st[s], args, NULL));
        CK(cuMemcpyDtoHAsync(h + s * N, ds, N * sizeof(float), st[s]));
        CK(cuLaunchHostFunc(st[s], on_host, &one));
    }
    for (int s = 0; s < NS; s++) CK(cuStreamSynchronize(st[s]));
    CK(cuEventRecord(e1, NULL));
    CK(cuEventSynchronize(e1));
    float ms = -1;
    CK(cuEventElapsedTime(&ms, e0, e1));
    EXPECT(ms >= 0, "elapsed %g", ms);
    EXPECT(host_fn_ran == NS, "host functions ran %d times", host_fn_ran);
    for (int s = 0; s < NS; s++)
        for (int i = 0; i < N; i++) {
            float want = (float)(s * N + i) * (float)(s + 1) + (float)(10 * s);
            EXPECT(h[s * N + i] == want, "stream %d elem %d = %g, want %g", s, i, h[s * N + i], want);
        }
    for (int s = 0; s < NS; s++) CK(cuStreamDestroy(st[s]));

    /* special registers: 2 blocks of 64 threads */
    int nsm;
    CK(cuDeviceGetAttribute(&nsm, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 0));
    CUdeviceptr dsr;
    CK(cuMemAlloc(&dsr, 128 * 16));
    void *sargs[] = { &dsr };
    CK(cuLaunchKernel(fs, 2, 1, 1, 64, 1, 1, 0, NULL, sargs, NULL));
    unsigned sr[128 * 4];
    CK(cuMemcpyDtoH(sr, dsr, sizeof sr));
    for (int t = 0; t < 128; t++) {
        EXPECT(sr[4 * t] < (unsigned)nsm, "smid %u of %d", sr[4 * t], nsm);
        EXPECT(sr[4 * t + 2] == (unsigned)(t % 32), "laneid %u at thread %d", sr[4 * t + 2], t);
        EXPECT(sr[4 * t + 3] > 0, "clock64 did not advance across a barrier");
        /* threads of a warp share an SM and a warp id */
        if (t % 32) EXPECT(sr[4 * t] == sr[4 * (t - 1)] && sr[4 * t + 1] == sr[4 * (t - 1) + 1],
                           "warp split across SMs/warp ids at thread %d", t);
    }

    /* an out-of-bounds store fails the launch with CUDA_ERROR_ILLEGAL_ADDRESS */
    if (getenv("NT_APP_SKIP_FAULT") == NULL) {
        CUdeviceptr small;
        CK(cuMemAlloc(&small, 64));
        long long off = 1 << 20;
        void *bargs[] = { &small, &off };
        CUresult r = cuLaunchKernel(fb, 1, 1, 1, 32, 1, 1, 0, NULL, bargs, NULL);
        if (r == CUDA_SUCCESS) r = cuCtxSynchronize();
        EXPECT(r == CUDA_ERROR_ILLEGAL_ADDRESS, "bad access gave %d", (int)r);
        printf("streams: ok (fault reported as CUDA_ERROR_ILLEGAL_ADDRESS)\n");
        return 0;
    }
    app_fini();
    printf("streams: ok\n");
    return 0;
}
