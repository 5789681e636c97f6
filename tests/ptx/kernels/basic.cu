// Test fixture for src/ptx: common constructs nvcc emits (compiled with
// nvcc -ptx -arch=sm_90 at build time; see src/ptx/module.mk).
#include <cstdio>

__device__ int g_counter = 0;
__device__ float g_table[4] = {1.0f, 2.5f, -3.0f, 0.125f};
__constant__ int c_coef[3] = {7, 11, 13};
__device__ int *g_ptr = &g_counter;

__device__ __noinline__ float helper_scale(float x, int k)
{
    return x * g_table[k & 3] + (float)c_coef[k % 3];
}

__device__ __noinline__ float helper_outer(float x, int k)
{
    return helper_scale(x, k) + helper_scale(x, k + 1);
}

typedef float (*op_fn)(float, int);
__device__ __noinline__ float op_a(float x, int k) { return x + k; }
__device__ __noinline__ float op_b(float x, int k) { return x * k; }
__device__ op_fn g_ops[2] = {op_a, op_b};

extern "C" __global__ void __launch_bounds__(256, 2)
vec_add(const float *__restrict__ a, const float *__restrict__ b, float *c, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) c[i] = a[i] + b[i];
}

extern "C" __global__ void reduce_shared(const float *in, float *out, int n)
{
    __shared__ float buf[256];
    int t = threadIdx.x;
    int i = blockIdx.x * blockDim.x + t;
    buf[t] = i < n ? in[i] : 0.0f;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) buf[t] += buf[t + s];
        __syncthreads();
    }
    if (t == 0) atomicAdd(out, buf[0]);
    if (t == 0) atomicAdd(&g_counter, 1);
}

extern "C" __global__ void calls_and_printf(float *x, int n, int which)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float v = helper_outer(x[i], i);
    v = g_ops[which & 1](v, i);
    if (v < -1000.0f) printf("thread %d: odd value %f\n", i, v);
    x[i] = v;
    *g_ptr += 0;
}

extern "C" __global__ void switch_local(int *data, int n, int sel)
{
    int local[16];
    for (int k = 0; k < 16; k++) local[k] = data[(k * 7 + sel) % n];
    int r;
    switch (sel) {
    case 0: r = local[1]; break;
    case 1: r = local[3] * 2; break;
    case 2: r = local[5] - 1; break;
    case 3: r = local[7] ^ 5; break;
    case 4: r = local[9] + 9; break;
    case 5: r = local[11] | 1; break;
    default: r = local[sel & 15]; break;
    }
    data[threadIdx.x % n] = r;
}

extern "C" __global__ void unused_kernel(int *p) { p[0] = 42; }
