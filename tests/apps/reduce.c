/* reduce: shared-memory tree + warp shuffles + one 64-bit atomic per block;
 * warp_ops: shfl.bfly max, ballot, any/all. */
#include "app.h"

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "reduce");
    CUfunction fr, fw;
    CK(cuModuleGetFunction(&fr, m, "reduce_sum"));
    CK(cuModuleGetFunction(&fw, m, "warp_ops"));

    int n = 100003;
    int *in = malloc((size_t)n * sizeof(int));
    unsigned s = 12345;
    unsigned long long want = 0;
    for (int i = 0; i < n; i++) { in[i] = (int)(app_rand(&s) % 1000) - 300; want += (unsigned long long)(long long)in[i]; }
    CUdeviceptr din, dout;
    CK(cuMemAlloc(&din, (size_t)n * sizeof(int)));
    CK(cuMemAlloc(&dout, 8));
    CK(cuMemcpyHtoD(din, in, (size_t)n * sizeof(int)));
    CK(cuMemsetD8(dout, 0, 8));
    void *args[] = { &din, &dout, &n };
    unsigned block = 256;
    CK(cuLaunchKernel(fr, 40, 1, 1, block, 1, 1, block * sizeof(int), NULL, args, NULL));
    unsigned long long got;
    CK(cuMemcpyDtoH(&got, dout, 8));
    EXPECT(got == want, "sum %lld, want %lld", (long long)got, (long long)want);

    /* warp ops on 4 blocks of 64 threads */
    int nt = 256, nw = nt / 32;
    float *fin = malloc((size_t)nt * sizeof(float));
    for (int i = 0; i < nt; i++) fin[i] = (float)((i * 37) % 101) / 100.0f;
    CUdeviceptr dfin, dmax, dball, dany;
    CK(cuMemAlloc(&dfin, (size_t)nt * 4)); CK(cuMemAlloc(&dmax, (size_t)nw * 4));
    CK(cuMemAlloc(&dball, (size_t)nw * 4)); CK(cuMemAlloc(&dany, (size_t)nw * 4));
    CK(cuMemcpyHtoD(dfin, fin, (size_t)nt * 4));
    void *wargs[] = { &dfin, &dmax, &dball, &dany };
    CK(cuLaunchKernel(fw, 4, 1, 1, 64, 1, 1, 0, NULL, wargs, NULL));
    float mx[8]; unsigned ball[8]; int anyall[8];
    CK(cuMemcpyDtoH(mx, dmax, (size_t)nw * 4));
    CK(cuMemcpyDtoH(ball, dball, (size_t)nw * 4));
    CK(cuMemcpyDtoH(anyall, dany, (size_t)nw * 4));
    for (int w = 0; w < nw; w++) {
        float wm = 0;
        for (int l = 0; l < 32; l++) if (fin[w * 32 + l] > wm) wm = fin[w * 32 + l];
        EXPECT(mx[w] == wm, "warp %d max %g, want %g", w, mx[w], wm);
        /* the ballot reads in[threadIdx.x]: warp w's lanes in its block */
        unsigned wb = 0;
        int t0 = (w % 2) * 32;
        for (int l = 0; l < 32; l++) if (fin[t0 + l] > 0.5f) wb |= 1u << l;
        EXPECT(ball[w] == wb, "warp %d ballot %08x, want %08x", w, ball[w], wb);
        EXPECT(anyall[w] == 3, "warp %d any/all %d, want 3", w, anyall[w]);
    }
    app_fini();
    free(in); free(fin);
    printf("reduce: ok (sum %lld)\n", (long long)got);
    return 0;
}
