// CUDA math library and 64-bit integer code: exercises what nvcc expands
// these into (carry chains, directed roundings, f64 arithmetic, match,
// jump-table-like switches, 64-bit bit operations).
__device__ __noinline__ int tab(int x)
{
    switch (x) {
    case 0: return 11; case 1: return 7; case 2: return 99; case 3: return -4; case 4: return 5;
    case 5: return 17; case 6: return 1; case 7: return 33; case 8: return 2; default: return 0;
    }
}

extern "C" __global__ void mathlib(const double *din, double *dout, const float *fin, float *fout,
                                   const unsigned long long *uin, unsigned long long *uout,
                                   const long long *lin, long long *lout, unsigned *mout, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    double v = din[i];
    dout[4 * i + 0] = exp(v) + log1p(v);
    dout[4 * i + 1] = pow(v, 1.5);
    dout[4 * i + 2] = sin(v) * cos(v);
    dout[4 * i + 3] = sqrt(v) / 3.0 + (double)(i * 7) / 11.0;
    float f = fin[i];
    fout[3 * i + 0] = expf(f) + logf(f + 2.0f);
    fout[3 * i + 1] = sinf(f) + tanhf(f) + rsqrtf(f + 1.0f);
    fout[3 * i + 2] = truncf(f * 10.0f) + roundf(f * 3.0f) + floorf(-f) + (float)tab(i % 12);
    unsigned long long u = uin[i];
    uout[2 * i + 0] = __brevll(u) ^ (unsigned long long)__popcll(u) ^ ((unsigned long long)__clzll(u) << 40);
    uout[2 * i + 1] = u * 0x9E3779B97F4A7C15ull + __umul64hi(u, 0xC2B2AE3D27D4EB4Full);
    long long s = lin[i];
    lout[2 * i + 0] = s / 7 + s % 11;
    lout[2 * i + 1] = (s >> 3) * (long long)(i - 50);
    mout[i] = __match_any_sync(__activemask(), (unsigned)(i % 5));
}
