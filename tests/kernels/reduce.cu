// Sum reduction: shared memory tree, then warp shuffles, one atomic per block.
extern "C" __global__ void reduce_sum(const int *in, unsigned long long *out, int n)
{
    extern __shared__ int sdata[];
    unsigned tid = threadIdx.x;
    int v = 0;
    for (int i = blockIdx.x * blockDim.x + tid; i < n; i += blockDim.x * gridDim.x)
        v += in[i];
    sdata[tid] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s >= 32; s >>= 1) {
        if (tid < s) sdata[tid] += sdata[tid + s];
        __syncthreads();
    }
    if (tid < 32) {
        v = sdata[tid];
        for (int off = 16; off > 0; off >>= 1)
            v += __shfl_down_sync(0xffffffffu, v, off);
        if (tid == 0) atomicAdd(out, (unsigned long long)v);
    }
}

// Float max over a block with warp shuffles (xor) and a vote.
extern "C" __global__ void warp_ops(const float *in, float *maxout, unsigned *ballots, int *anyall)
{
    unsigned lane = threadIdx.x & 31;
    float v = in[blockIdx.x * blockDim.x + threadIdx.x];
    for (int off = 16; off > 0; off >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
    unsigned b = __ballot_sync(0xffffffffu, in[threadIdx.x] > 0.5f);
    int any = __any_sync(0xffffffffu, lane == 7);
    int all = __all_sync(0xffffffffu, lane < 32);
    if (lane == 0) {
        unsigned w = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
        maxout[w] = v;
        ballots[w] = b;
        anyall[w] = any * 2 + all;
    }
}
