/* globals: __device__ and __constant__ variables found with
 * cuModuleGetGlobal and written by the host (one has a PTX initializer). */
#include "app.h"

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "globals");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "use_globals"));
    CUdeviceptr dscale, doff, dctr, dtable;
    size_t sz;
    CK(cuModuleGetGlobal(&dscale, &sz, m, "scale")); EXPECT(sz == 16, "scale size %zu", sz);
    CK(cuModuleGetGlobal(&doff, &sz, m, "offsets")); EXPECT(sz == 16, "offsets size %zu", sz);
    CK(cuModuleGetGlobal(&dctr, &sz, m, "counter")); EXPECT(sz == 4, "counter size %zu", sz);
    CK(cuModuleGetGlobal(&dtable, &sz, m, "table")); EXPECT(sz == 1024, "table size %zu", sz);
    EXPECT(cuModuleGetGlobal(&dctr, &sz, m, "no_such_symbol") == CUDA_ERROR_NOT_FOUND, "missing symbol");
    int offs[4];
    CK(cuMemcpyDtoH(offs, doff, sizeof offs));
    EXPECT(offs[0] == 1 && offs[3] == 4, "initializer %d %d", offs[0], offs[3]);
    float scale[4] = { 1.0f, 2.0f, 0.5f, -1.0f }, table[256];
    for (int i = 0; i < 256; i++) table[i] = (float)i;
    CK(cuMemcpyHtoD(dscale, scale, sizeof scale));
    CK(cuMemcpyHtoD(dtable, table, sizeof table));
    int zero = 0;
    CK(cuMemcpyHtoD(dctr, &zero, 4));
    int n = 1000;
    CUdeviceptr dout;
    CK(cuMemAlloc(&dout, (size_t)n * 4));
    void *args[] = { &dout, &n };
    CK(cuLaunchKernel(f, 8, 1, 1, 128, 1, 1, 0, NULL, args, NULL));
    float *out = malloc((size_t)n * 4);
    CK(cuMemcpyDtoH(out, dout, (size_t)n * 4));
    for (int i = 0; i < n; i++) {
        float want = table[i & 255] * scale[i & 3] + (float)offs[i & 3];
        EXPECT(out[i] == want, "out[%d] = %g, want %g", i, out[i], want);
    }
    int ctr;
    CK(cuMemcpyDtoH(&ctr, dctr, 4));
    EXPECT(ctr == n, "counter %d, want %d", ctr, n);
    app_fini();
    free(out);
    printf("globals: ok\n");
    return 0;
}
