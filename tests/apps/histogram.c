/* histogram: shared-memory atomics merged with global atomics; atomics_mix:
 * atomicMax/Min on ints, atomicAdd on float, an atomicCAS loop. */
#include "app.h"

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "histo");
    CUfunction fh, fa;
    CK(cuModuleGetFunction(&fh, m, "histogram"));
    CK(cuModuleGetFunction(&fa, m, "atomics_mix"));
    int n = 65536;
    unsigned char *data = malloc((size_t)n);
    unsigned want[64] = { 0 }, got[64];
    unsigned s = 99;
    for (int i = 0; i < n; i++) { data[i] = (unsigned char)app_rand(&s); want[data[i] % 64]++; }
    CUdeviceptr dd, dh;
    CK(cuMemAlloc(&dd, (size_t)n)); CK(cuMemAlloc(&dh, sizeof want));
    CK(cuMemcpyHtoD(dd, data, (size_t)n));
    CK(cuMemsetD32(dh, 0, 64));
    void *args[] = { &dd, &n, &dh };
    CK(cuLaunchKernel(fh, 16, 1, 1, 128, 1, 1, 0, NULL, args, NULL));
    CK(cuMemcpyDtoH(got, dh, sizeof got));
    for (int i = 0; i < 64; i++) EXPECT(got[i] == want[i], "bin %d = %u, want %u", i, got[i], want[i]);

    int cnt = 1000, imax = -1000000, imin = 1000000;
    unsigned ctr = 0;
    float fsum = 0;
    CUdeviceptr dmax, dmin, dctr, dsum;
    CK(cuMemAlloc(&dmax, 4)); CK(cuMemAlloc(&dmin, 4)); CK(cuMemAlloc(&dctr, 4)); CK(cuMemAlloc(&dsum, 4));
    CK(cuMemcpyHtoD(dmax, &imax, 4)); CK(cuMemcpyHtoD(dmin, &imin, 4));
    CK(cuMemcpyHtoD(dctr, &ctr, 4)); CK(cuMemcpyHtoD(dsum, &fsum, 4));
    void *aargs[] = { &dmax, &dmin, &dctr, &dsum, &cnt };
    CK(cuLaunchKernel(fa, 8, 1, 1, 128, 1, 1, 0, NULL, aargs, NULL));
    CK(cuMemcpyDtoH(&imax, dmax, 4)); CK(cuMemcpyDtoH(&imin, dmin, 4));
    CK(cuMemcpyDtoH(&ctr, dctr, 4)); CK(cuMemcpyDtoH(&fsum, dsum, 4));
    EXPECT(imax == (cnt - 1) * 7 - 100, "max %d", imax);
    EXPECT(imin == 100 - (cnt - 1) * 3, "min %d", imin);
    EXPECT(ctr == 2u * (unsigned)cnt, "cas counter %u, want %u", ctr, 2u * cnt);
    EXPECT(fsum == 0.5f * (float)cnt, "float sum %g", fsum);
    app_fini();
    free(data);
    printf("histogram: ok\n");
    return 0;
}
