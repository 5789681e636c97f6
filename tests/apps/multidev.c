/* multidev: one fatbin (compute_80 and compute_90 PTX, tests/kernels/
 * archpick.cu) used on every device: as a module loaded into each
 * device's context, and as one context-less library whose CUkernel is
 * launched on each device.  Each device must run the PTX for its own
 * compute capability: arch_id writes 900+i from compute_90 PTX, 800+i
 * from compute_80.  Needs two devices of different compute capabilities
 * (on the emulator: NTRACE_EMU_DEVICES=90,80); with fewer it says so and
 * passes. */
#include "app.h"

static void launch_check(CUfunction f, int n, unsigned base, const char *how, int dev)
{
    CUdeviceptr out;
    CK(cuMemAlloc(&out, (size_t)n * 4));
    CK(cuMemsetD32(out, 0, (size_t)n));
    void *args[] = { &out, &n };
    CK(cuLaunchKernel(f, (unsigned)(n + 127) / 128, 1, 1, 128, 1, 1, 0, NULL, args, NULL));
    unsigned *h = malloc((size_t)n * 4);
    CK(cuMemcpyDtoH(h, out, (size_t)n * 4));
    for (int i = 0; i < n; i++)
        EXPECT(h[i] == base + (unsigned)i, "device %d, %s: out[%d] = %u, want %u", dev, how, i, h[i],
               base + (unsigned)i);
    free(h);
    CK(cuMemFree(out));
}

int main(int argc, char **argv)
{
    CK(cuInit(0));
    int ndev = 0;
    CK(cuDeviceGetCount(&ndev));
    if (ndev > 8) ndev = 8;
    int sm[8];
    for (int d = 0; d < ndev; d++) {
        int maj, min;
        CK(cuDeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, d));
        CK(cuDeviceGetAttribute(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, d));
        sm[d] = maj * 10 + min;
    }
    if (ndev < 2 || sm[0] == sm[1] || sm[0] < 80 || sm[1] < 80) {
        printf("multidev: ok (skipped: needs two devices of different compute capability >= 8.0)\n");
        return 0;
    }
    char *fatbin = app_file(argc, argv, "archpick.fatbin", NULL);
    CUcontext ctx[2];
    CUlibrary lib = NULL;
    CUkernel kid = NULL;
    int n = 300;
    for (int d = 0; d < 2; d++) {
        CK(cuDevicePrimaryCtxRetain(&ctx[d], d));
        CK(cuCtxSetCurrent(ctx[d]));
        unsigned base = sm[d] >= 90 ? 900 : 800;
        CUmodule m;
        CUfunction f;
        CK(cuModuleLoadData(&m, fatbin));
        CK(cuModuleGetFunction(&f, m, "arch_id"));
        launch_check(f, n, base, "module", d);
        if (!lib) {     /* loaded once, used on both devices */
            CK(cuLibraryLoadData(&lib, fatbin, NULL, NULL, 0, NULL, NULL, 0));
            CK(cuLibraryGetKernel(&kid, lib, "arch_id"));
        }
        launch_check((CUfunction)kid, n, base, "library kernel", d);
        CK(cuCtxSynchronize());
        CK(cuModuleUnload(m));
    }
    /* Back on the first device: its own PTX again. */
    CK(cuCtxSetCurrent(ctx[0]));
    launch_check((CUfunction)kid, n, sm[0] >= 90 ? 900 : 800, "library kernel again", 0);
    CK(cuLibraryUnload(lib));
    free(fatbin);
    for (int d = 0; d < 2; d++) {
        CK(cuCtxSetCurrent(ctx[d]));
        CK(cuCtxSynchronize());
        CK(cuDevicePrimaryCtxRelease(d));
    }
    printf("multidev: ok (sm_%d and sm_%d)\n", sm[0], sm[1]);
    return 0;
}
