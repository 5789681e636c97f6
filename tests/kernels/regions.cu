// User regions (probes/include/ntrace/region.h): a tile load, then three
// steps of a stencil, each step a region of its own visit.  Per warp:
// one "load", three "step", one "store" region record under -p regions.
#include <ntrace/region.h>

extern "C" __global__ void regions_stencil(const float *in, float *out, int n)
{
    __shared__ float tile[128];
    int t = threadIdx.x;
    int i = blockIdx.x * blockDim.x + t;
    NTRACE_REGION_BEGIN("load");
    tile[t] = i < n ? in[i] : 0.f;
    __syncthreads();
    NTRACE_REGION_END("load");
    float v = tile[t];
#pragma unroll 1
    for (int s = 0; s < 3; s++) {
        NTRACE_REGION_BEGIN("step");
        float l = tile[(t + blockDim.x - 1) % blockDim.x], r = tile[(t + 1) % blockDim.x];
        v = 0.25f * l + 0.5f * v + 0.25f * r;
        __syncthreads();
        tile[t] = v;
        __syncthreads();
        NTRACE_REGION_END("step");
    }
    NTRACE_REGION_BEGIN("store");
    if (i < n) out[i] = v;
    NTRACE_REGION_END("store");
}
