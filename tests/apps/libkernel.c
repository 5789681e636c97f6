/* libkernel: library kernels (CUkernel): first through the CUfunction that
 * cuKernelGetFunction gives, then as the CUDA runtime launches them: cast
 * to CUfunction, through cuLaunchKernel and cuLaunchKernelEx.  big_smem needs 64 KiB of dynamic shared
 * memory, allowed on the kernel with cuKernelSetAttribute. */
#include "app.h"

static void check_ids(CUdeviceptr d, int n, unsigned base, const char *how)
{
    unsigned *h = malloc((size_t)n * sizeof *h);
    CK(cuMemcpyDtoH(h, d, (size_t)n * sizeof *h));
    for (int i = 0; i < n; i++)
        EXPECT(h[i] == base + (unsigned)i, "%s: out[%d] = %u, want %u", how, i, h[i], base + (unsigned)i);
    free(h);
}

int main(int argc, char **argv)
{
    app_init();
    CUdevice dev;
    CK(cuCtxGetDevice(&dev));
    int maj = 0, min = 0;
    CK(cuDeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
    CK(cuDeviceGetAttribute(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
    unsigned base = maj * 10 + min >= 90 ? 900 : 800;
    char *ptx = app_file(argc, argv, "archpick.ptx", NULL);
    CUlibrary lib;
    CK(cuLibraryLoadData(&lib, ptx, NULL, NULL, 0, NULL, NULL, 0));
    free(ptx);
    CUkernel kid, ksm;
    CK(cuLibraryGetKernel(&kid, lib, "arch_id"));
    CK(cuLibraryGetKernel(&ksm, lib, "big_smem"));
    const char *name = NULL;
    CK(cuKernelGetName(&name, kid));
    EXPECT(name && !strcmp(name, "arch_id"), "cuKernelGetName: %s", name ? name : "(null)");

    int n = 1000;
    CUdeviceptr out, sum;
    CK(cuMemAlloc(&out, (size_t)n * 4));
    CK(cuMemAlloc(&sum, 4));
    void *args[] = { &out, &n };
    unsigned grid = (unsigned)(n + 127) / 128;
    /* 1. the context's CUfunction of the kernel (its module is the
     *    library's: no module load of the app names it) */
    CUfunction fid;
    CK(cuKernelGetFunction(&fid, kid));
    CK(cuMemsetD32(out, 0, (size_t)n));
    CK(cuLaunchKernel(fid, grid, 1, 1, 128, 1, 1, 0, NULL, args, NULL));
    check_ids(out, n, base, "cuLaunchKernel(cuKernelGetFunction)");
    /* 2. the CUkernel cast to CUfunction, cuLaunchKernel */
    CK(cuMemsetD32(out, 0, (size_t)n));
    CK(cuLaunchKernel((CUfunction)kid, grid, 1, 1, 128, 1, 1, 0, NULL, args, NULL));
    check_ids(out, n, base, "cuLaunchKernel(CUkernel)");
    /* 3. the same through cuLaunchKernelEx */
    CK(cuMemsetD32(out, 0, (size_t)n));
    CUlaunchConfig cfg = { grid, 1, 1, 128, 1, 1, 0, NULL, NULL, 0 };
    CK(cuLaunchKernelEx(&cfg, (CUfunction)kid, args, NULL));
    check_ids(out, n, base, "cuLaunchKernelEx(CUkernel)");

    /* 4. 64 KiB of dynamic shared memory, allowed on the CUkernel */
    int words = 16384;
    size_t smem = (size_t)words * 4;
    CK(cuKernelSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, (int)smem, ksm, dev));
    CK(cuMemsetD32(sum, 0, 1));
    void *sargs[] = { &sum, &words };
    CK(cuLaunchKernel((CUfunction)ksm, 1, 1, 1, 256, 1, 1, (unsigned)smem, NULL, sargs, NULL));
    unsigned got = 0, want = 0;
    for (int i = 0; i < words; i++) want += (unsigned)i * 3u;
    CK(cuMemcpyDtoH(&got, sum, 4));
    EXPECT(got == want, "big_smem: sum %u, want %u", got, want);

    CK(cuMemFree(out));
    CK(cuMemFree(sum));
    CK(cuLibraryUnload(lib));
    app_fini();
    printf("libkernel: ok (CUkernel launches, sm_%d%d)\n", maj, min);
    return 0;
}
