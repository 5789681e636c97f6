// Test kernels for probe instrumentation: guards, early exits, vectors,
// halves, atomics, shared memory and barriers, a device-function call.
#include <cuda_fp16.h>

__global__ void vadd(const float *a, const float *b, float *c, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    c[i] = a[i] + b[i];
}

__global__ void vec4_half(const float4 *a, const __half *h, float4 *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float4 v = a[i];
        float s = __half2float(h[i]);
        v.x += s; v.w -= s;
        out[i] = v;
    }
}

__global__ void reduce_shared(const int *in, int *out, int n)
{
    __shared__ int buf[256];
    int t = threadIdx.x;
    int i = blockIdx.x * blockDim.x + t;
    buf[t] = i < n ? in[i] : 0;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) buf[t] += buf[t + s];
        __syncthreads();
    }
    if (t == 0) atomicAdd(out, buf[0]);
}

__device__ __noinline__ float poly(float x, int k)
{
    float r = 0.f;
    for (int j = 0; j < k; j++) r = r * x + (float)j;
    return r;
}

__global__ void branchy(const float *x, float *y, const int *k, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    float v = x[i % n];
    if (v > 0.f) v = poly(v, k[i % 7]);
    else if (v < -1.f) v = -v;
    else return;
    y[i % n] = v;
    atomicMax((int *)&y[0], (int)v);
}
