// Work for several streams: each stream scales its own slice.
extern "C" __global__ void scale_add(float *x, float s, float a, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] = x[i] * s + a;
}

extern "C" __global__ void bad_access(int *p, long long off)
{
    p[off + threadIdx.x] = 1;
}

extern "C" __global__ void special_regs(unsigned *out)
{
    unsigned t = blockIdx.x * blockDim.x + threadIdx.x;
    unsigned smid, warpid, laneid;
    unsigned long long c0, c1;
    asm volatile("mov.u32 %0, %%smid;" : "=r"(smid));
    asm volatile("mov.u32 %0, %%warpid;" : "=r"(warpid));
    asm volatile("mov.u32 %0, %%laneid;" : "=r"(laneid));
    asm volatile("mov.u64 %0, %%clock64;" : "=l"(c0));
    __syncthreads();
    asm volatile("mov.u64 %0, %%clock64;" : "=l"(c1));
    out[4 * t + 0] = smid;
    out[4 * t + 1] = warpid;
    out[4 * t + 2] = laneid;
    out[4 * t + 3] = (unsigned)(c1 - c0);
}
