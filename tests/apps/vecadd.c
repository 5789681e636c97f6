/* vecadd: c = a + b over a size that is not a multiple of the block. */
#include "app.h"

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "vecadd");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "vecadd"));
    int n = 10007;
    size_t bytes = (size_t)n * sizeof(float);
    float *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
    for (int i = 0; i < n; i++) { a[i] = (float)i * 0.5f; b[i] = (float)(n - i); }
    CUdeviceptr da, db, dc;
    CK(cuMemAlloc(&da, bytes)); CK(cuMemAlloc(&db, bytes)); CK(cuMemAlloc(&dc, bytes));
    CK(cuMemcpyHtoD(da, a, bytes)); CK(cuMemcpyHtoD(db, b, bytes));
    CK(cuMemsetD32(dc, 0xdeadbeef, (size_t)n));
    void *args[] = { &da, &db, &dc, &n };
    CK(cuLaunchKernel(f, (unsigned)(n + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, args, NULL));
    CK(cuCtxSynchronize());
    CK(cuMemcpyDtoH(c, dc, bytes));
    for (int i = 0; i < n; i++)
        EXPECT(c[i] == a[i] + b[i], "c[%d] = %g, want %g", i, c[i], a[i] + b[i]);
    CK(cuMemFree(da)); CK(cuMemFree(db)); CK(cuMemFree(dc));
    CK(cuModuleUnload(m));
    app_fini();
    free(a); free(b); free(c);
    printf("vecadd: ok (%d elements)\n", n);
    return 0;
}
