/* matmul: tiled C = A*B with shared memory and __syncthreads; compared
 * with a host product computed with the same fma order. */
#include <math.h>
#include "app.h"

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "matmul");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "matmul"));
    int n = argc > 2 ? atoi(argv[2]) : 64;
    size_t bytes = (size_t)n * n * sizeof(float);
    float *a = malloc(bytes), *b = malloc(bytes), *c = malloc(bytes);
    unsigned s = 7;
    for (int i = 0; i < n * n; i++) {
        a[i] = (float)(app_rand(&s) % 17) / 8.0f - 1.0f;
        b[i] = (float)(app_rand(&s) % 13) / 4.0f - 1.5f;
    }
    CUdeviceptr da, db, dc;
    CK(cuMemAlloc(&da, bytes)); CK(cuMemAlloc(&db, bytes)); CK(cuMemAlloc(&dc, bytes));
    CK(cuMemcpyHtoD(da, a, bytes)); CK(cuMemcpyHtoD(db, b, bytes));
    void *args[] = { &da, &db, &dc, &n };
    CK(cuLaunchKernel(f, (unsigned)n / 16, (unsigned)n / 16, 1, 16, 16, 1, 0, NULL, args, NULL));
    CK(cuMemcpyDtoH(c, dc, bytes));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            float acc = 0;
            for (int k = 0; k < n; k++) acc = fmaf(a[i * n + k], b[k * n + j], acc);
            EXPECT(c[i * n + j] == acc, "C[%d][%d] = %g, want %g", i, j, c[i * n + j], acc);
        }
    app_fini();
    free(a); free(b); free(c);
    printf("matmul: ok (%dx%d)\n", n, n);
    return 0;
}
