// Test kernel for user regions (ntrace/region.h markers).
#include <ntrace/region.h>

__global__ void tiled(const float *a, float *out, int n)
{
    __shared__ float tile[256];
    int t = threadIdx.x;
    int i = blockIdx.x * blockDim.x + t;
    NTRACE_REGION_BEGIN("load");
    tile[t] = i < n ? a[i] : 0.f;
    __syncthreads();
    NTRACE_REGION_END("load");
    NTRACE_REGION_BEGIN("compute");
    float s = 0.f;
    for (int k = 0; k < 8; k++) s += tile[(t + k) % blockDim.x] * k;
    NTRACE_REGION_END("compute");
    if (i < n) out[i] = s;
}
