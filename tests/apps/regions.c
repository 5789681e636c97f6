/* regions: a kernel with user regions (tests/kernels/regions.cu): a tile
 * load, three stencil steps, a store, each marked with ntrace/region.h.
 * 4 blocks of 128 threads (16 warps); the result is checked on the host. */
#include "app.h"

#include <math.h>

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "regions");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "regions_stencil"));
    enum { B = 128, G = 4, N = B * G };
    float in[N], out[N], want[N];
    unsigned s = 777;
    for (int i = 0; i < N; i++) in[i] = (float)(app_rand(&s) % 1000) / 100.0f;
    /* the same stencil on the host, block by block (the tile wraps) */
    for (int b = 0; b < G; b++) {
        float t[B], v[B];
        for (int k = 0; k < B; k++) t[k] = v[k] = in[b * B + k];
        for (int step = 0; step < 3; step++) {
            for (int k = 0; k < B; k++)
                v[k] = 0.25f * t[(k + B - 1) % B] + 0.5f * v[k] + 0.25f * t[(k + 1) % B];
            for (int k = 0; k < B; k++) t[k] = v[k];
        }
        for (int k = 0; k < B; k++) want[b * B + k] = v[k];
    }
    CUdeviceptr din, dout;
    CK(cuMemAlloc(&din, sizeof in));
    CK(cuMemAlloc(&dout, sizeof out));
    CK(cuMemcpyHtoD(din, in, sizeof in));
    int n = N;
    void *args[] = { &din, &dout, &n };
    CK(cuLaunchKernel(f, G, 1, 1, B, 1, 1, 0, NULL, args, NULL));
    CK(cuMemcpyDtoH(out, dout, sizeof out));
    for (int i = 0; i < N; i++)
        EXPECT(fabsf(out[i] - want[i]) <= 1e-4f * (1 + fabsf(want[i])), "out[%d] = %g, want %g",
               i, out[i], want[i]);
    app_fini();
    printf("regions: ok (%d values)\n", N);
    return 0;
}
