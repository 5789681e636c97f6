/* mathlib: the CUDA math library (f64 exp/log1p/pow/sin/cos/sqrt, f32
 * expf/logf/sinf/tanhf/rsqrtf, rounding functions) and 64-bit integer code,
 * compared with the host's libm (within a few ulps: the two libraries are
 * different implementations) and exactly for integers. */
#include <math.h>
#include <stdint.h>
#include "app.h"

static int close_d(double a, double b, double rel) { return fabs(a - b) <= rel * fmax(1.0, fabs(b)); }

static unsigned long long brev64(unsigned long long v)
{
    unsigned long long r = 0;
    for (int i = 0; i < 64; i++) if (v >> i & 1) r |= 1ull << (63 - i);
    return r;
}

static int tab(int x)
{
    static const int t[] = { 11, 7, 99, -4, 5, 17, 1, 33, 2 };
    return x >= 0 && x < 9 ? t[x] : 0;
}

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "mathlib");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "mathlib"));
    enum { N = 200 };
    double din[N], dout[4 * N];
    float fin[N], fout[3 * N];
    unsigned long long uin[N], uout[2 * N];
    long long lin[N], lout[2 * N];
    unsigned mout[N];
    unsigned s = 2024;
    for (int i = 0; i < N; i++) {
        din[i] = (double)(app_rand(&s) % 100000) / 20000.0;
        fin[i] = (float)(app_rand(&s) % 1000) / 250.0f;
        uin[i] = ((unsigned long long)app_rand(&s) << 32) | app_rand(&s);
        lin[i] = (long long)(((unsigned long long)app_rand(&s) << 20) ^ app_rand(&s)) - (1ll << 40);
    }
    CUdeviceptr b[9];
    size_t sz[9] = { sizeof din, sizeof dout, sizeof fin, sizeof fout, sizeof uin, sizeof uout,
                     sizeof lin, sizeof lout, sizeof mout };
    for (int i = 0; i < 9; i++) CK(cuMemAlloc(&b[i], sz[i]));
    CK(cuMemcpyHtoD(b[0], din, sizeof din)); CK(cuMemcpyHtoD(b[2], fin, sizeof fin));
    CK(cuMemcpyHtoD(b[4], uin, sizeof uin)); CK(cuMemcpyHtoD(b[6], lin, sizeof lin));
    int n = N;
    void *args[] = { &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6], &b[7], &b[8], &n };
    CK(cuLaunchKernel(f, 2, 1, 1, 128, 1, 1, 0, NULL, args, NULL));
    CK(cuMemcpyDtoH(dout, b[1], sizeof dout)); CK(cuMemcpyDtoH(fout, b[3], sizeof fout));
    CK(cuMemcpyDtoH(uout, b[5], sizeof uout)); CK(cuMemcpyDtoH(lout, b[7], sizeof lout));
    CK(cuMemcpyDtoH(mout, b[8], sizeof mout));
    for (int i = 0; i < N; i++) {
        double v = din[i];
        EXPECT(close_d(dout[4 * i], exp(v) + log1p(v), 1e-14), "exp+log1p(%g): %.17g", v, dout[4 * i]);
        EXPECT(close_d(dout[4 * i + 1], pow(v, 1.5), 1e-14), "pow(%g): %.17g vs %.17g", v, dout[4 * i + 1], pow(v, 1.5));
        EXPECT(close_d(dout[4 * i + 2], sin(v) * cos(v), 1e-14), "sin*cos(%g)", v);
        EXPECT(dout[4 * i + 3] == sqrt(v) / 3.0 + (double)(i * 7) / 11.0, "sqrt/div(%g)", v);
        float x = fin[i];
        EXPECT(close_d(fout[3 * i], expf(x) + logf(x + 2.0f), 1e-6), "expf+logf(%g): %g", x, fout[3 * i]);
        EXPECT(close_d(fout[3 * i + 1], sinf(x) + tanhf(x) + 1.0f / sqrtf(x + 1.0f), 1e-5), "sinf+tanhf(%g)", x);
        float r = truncf(x * 10.0f) + roundf(x * 3.0f) + floorf(-x) + (float)tab(i % 12);
        EXPECT(fout[3 * i + 2] == r, "rounding functions(%g): %g vs %g", x, fout[3 * i + 2], r);
        unsigned long long u = uin[i];
        unsigned long long w0 = brev64(u) ^ (unsigned long long)__builtin_popcountll(u) ^
                                ((unsigned long long)(u ? __builtin_clzll(u) : 64) << 40);
        EXPECT(uout[2 * i] == w0, "bit ops on %llx", u);
        unsigned long long hi = (unsigned long long)(((unsigned __int128)u * 0xC2B2AE3D27D4EB4Full) >> 64);
        EXPECT(uout[2 * i + 1] == u * 0x9E3779B97F4A7C15ull + hi, "64-bit multiply on %llx", u);
        long long sv = lin[i];
        EXPECT(lout[2 * i] == sv / 7 + sv % 11, "64-bit div/rem of %lld", sv);
        EXPECT(lout[2 * i + 1] == (sv >> 3) * (long long)(i - 50), "64-bit shift/mul of %lld", sv);
        /* lanes of the same warp with the same i % 5 */
        int w = i / 32, last = (w + 1) * 32 < N ? (w + 1) * 32 : N;
        unsigned want = 0;
        for (int j = w * 32; j < last; j++) if (j % 5 == i % 5) want |= 1u << (j - w * 32);
        EXPECT(mout[i] == want, "match.any at %d: %08x vs %08x", i, mout[i], want);
    }
    for (int i = 0; i < 9; i++) CK(cuMemFree(b[i]));
    app_fini();
    printf("mathlib: ok\n");
    return 0;
}
