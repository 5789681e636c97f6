/* calls: __device__ __noinline__ functions (struct return, nested and
 * divergent calls, a loop in a callee). */
#include <math.h>
#include "app.h"

static int gcd(int a, int b) { while (b != 0) { int t = a % b; a = b; b = t; } return a; }

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "calls");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "calls"));
    int n = 777;
    int *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4), *out = malloc((size_t)n * 4);
    float *fout = malloc((size_t)n * 4), coef[4] = { 1.0f, -0.5f, 0.25f, 2.0f };
    unsigned s = 31337;
    for (int i = 0; i < n; i++) { a[i] = 1 + (int)(app_rand(&s) % 1000); b[i] = 1 + (int)(app_rand(&s) % 1000); }
    CUdeviceptr da, db, dout, dfout, dcoef;
    CK(cuMemAlloc(&da, (size_t)n * 4)); CK(cuMemAlloc(&db, (size_t)n * 4));
    CK(cuMemAlloc(&dout, (size_t)n * 4)); CK(cuMemAlloc(&dfout, (size_t)n * 4));
    CK(cuMemAlloc(&dcoef, sizeof coef));
    CK(cuMemcpyHtoD(da, a, (size_t)n * 4)); CK(cuMemcpyHtoD(db, b, (size_t)n * 4));
    CK(cuMemcpyHtoD(dcoef, coef, sizeof coef));
    void *args[] = { &da, &db, &dout, &dfout, &dcoef, &n };
    CK(cuLaunchKernel(f, (unsigned)(n + 63) / 64, 1, 1, 64, 1, 1, 0, NULL, args, NULL));
    CK(cuMemcpyDtoH(out, dout, (size_t)n * 4)); CK(cuMemcpyDtoH(fout, dfout, (size_t)n * 4));
    for (int i = 0; i < n; i++) {
        int want;
        if (a[i] & 1) {
            int lo = a[i] < b[i] ? a[i] : b[i], hi = a[i] < b[i] ? b[i] : a[i];
            want = gcd(hi, lo) * 1000 + lo;
        } else {
            want = gcd(a[i] + 1, b[i] + 1);
        }
        EXPECT(out[i] == want, "out[%d] = %d, want %d", i, out[i], want);
        float x = (float)i / (float)n, r = 0;
        for (int k = 3; k >= 0; k--) r = r * x + coef[k];
        EXPECT(fabsf(fout[i] - r) <= 1e-6f * (1 + fabsf(r)), "fout[%d] = %g, want %g", i, fout[i], r);
    }
    app_fini();
    free(a); free(b); free(out); free(fout);
    printf("calls: ok\n");
    return 0;
}
