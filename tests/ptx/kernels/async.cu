// Test fixture for src/ptx: sm_90 constructs (cp.async, mma, shuffles,
// clusters, inline PTX with nested scopes).
#include <cuda_pipeline.h>
#include <mma.h>
using namespace nvcuda;

extern "C" __global__ void cp_async_copy(const float4 *in, float4 *out)
{
    __shared__ float4 s[128];
    __pipeline_memcpy_async(&s[threadIdx.x], &in[blockIdx.x * 128 + threadIdx.x], sizeof(float4));
    __pipeline_commit();
    __pipeline_wait_prior(0);
    __syncthreads();
    out[blockIdx.x * 128 + threadIdx.x] = s[127 - threadIdx.x];
}

extern "C" __global__ void wmma_tile(const half *a, const half *b, float *c)
{
    wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> fa;
    wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> fb;
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> fc;
    wmma::fill_fragment(fc, 0.0f);
    wmma::load_matrix_sync(fa, a, 16);
    wmma::load_matrix_sync(fb, b, 16);
    wmma::mma_sync(fc, fa, fb, fc);
    wmma::store_matrix_sync(c, fc, 16, wmma::mem_row_major);
}

extern "C" __global__ void shuffle_vote(int *out)
{
    int v = threadIdx.x;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    unsigned m = __ballot_sync(0xffffffffu, v & 1);
    unsigned long long t0 = clock64();
    unsigned sm;
    asm volatile("mov.u32 %0, %%smid;" : "=r"(sm));
    int pred_out;
    asm("{\n\t.reg .pred p;\n\tsetp.ne.s32 p, %1, 0;\n\tselp.s32 %0, 1, 0, p;\n\t}" : "=r"(pred_out) : "r"(v));
    asm("{\n\t.reg .pred p;\n\tsetp.eq.s32 p, %1, 3;\n\t@!p add.s32 %0, %0, 1;\n\t}" : "+r"(pred_out) : "r"(v));
    if (threadIdx.x == 0) out[blockIdx.x] = v + (int)m + (int)sm + pred_out + (int)(clock64() - t0);
}

extern "C" __global__ void __cluster_dims__(2, 1, 1) cluster_kernel(int *out)
{
    out[blockIdx.x] = (int)blockIdx.x;
}
