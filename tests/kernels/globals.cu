// __device__ globals and __constant__ data written by the host.
__constant__ float scale[4];
__constant__ int offsets[4] = { 1, 2, 3, 4 };
__device__ int counter;
__device__ float table[256];

extern "C" __global__ void use_globals(float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    out[i] = table[i & 255] * scale[i & 3] + (float)offsets[i & 3];
    atomicAdd(&counter, 1);
}
