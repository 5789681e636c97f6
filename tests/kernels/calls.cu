// __device__ functions that are really called (noinline), with a struct
// return, a recursive-free call chain and divergent calls.
struct pair { int lo; int hi; };

__device__ __noinline__ int gcd(int a, int b)
{
    while (b != 0) { int t = a % b; a = b; b = t; }
    return a;
}

__device__ __noinline__ pair minmax(int a, int b)
{
    pair p;
    p.lo = a < b ? a : b;
    p.hi = a < b ? b : a;
    return p;
}

__device__ __noinline__ float poly(float x, const float *c, int n)
{
    float r = 0.0f;
    for (int i = n - 1; i >= 0; i--) r = r * x + c[i];
    return r;
}

__device__ __noinline__ int combine(int a, int b)
{
    pair p = minmax(a, b);
    return gcd(p.hi, p.lo) * 1000 + p.lo;
}

extern "C" __global__ void calls(const int *a, const int *b, int *out, float *fout,
                                 const float *coef, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int r;
    if (a[i] & 1) r = combine(a[i], b[i]);
    else r = gcd(a[i] + 1, b[i] + 1);
    out[i] = r;
    fout[i] = poly((float)i / n, coef, 4);
}
