/* saxpy: y = a*x + y with a grid-stride loop (fewer threads than elements),
 * launched through cuLaunchKernelEx. */
#include <math.h>
#include "app.h"

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "vecadd");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "saxpy"));
    int n = 50000;
    float alpha = 2.5f;
    size_t bytes = (size_t)n * sizeof(float);
    float *x = malloc(bytes), *y = malloc(bytes), *r = malloc(bytes);
    for (int i = 0; i < n; i++) { x[i] = (float)(i % 100) * 0.25f; y[i] = (float)(i % 7); }
    CUdeviceptr dx, dy;
    CK(cuMemAlloc(&dx, bytes)); CK(cuMemAlloc(&dy, bytes));
    CK(cuMemcpyHtoD(dx, x, bytes)); CK(cuMemcpyHtoD(dy, y, bytes));
    void *args[] = { &n, &alpha, &dx, &dy };
    CUlaunchConfig cfg = { .gridDimX = 24, .gridDimY = 1, .gridDimZ = 1,
                           .blockDimX = 128, .blockDimY = 1, .blockDimZ = 1 };
    CK(cuLaunchKernelEx(&cfg, f, args, NULL));
    CK(cuMemcpyDtoH(r, dy, bytes));
    for (int i = 0; i < n; i++) {
        float want = fmaf(alpha, x[i], y[i]);
        EXPECT(r[i] == want, "y[%d] = %g, want %g", i, r[i], want);
    }
    CK(cuMemFree(dx)); CK(cuMemFree(dy));
    app_fini();
    free(x); free(y); free(r);
    printf("saxpy: ok (%d elements)\n", n);
    return 0;
}
