// archpick.cu — a kernel whose result names the PTX it was built from, so a
// test can tell which PTX of a fatbin (compute_80 or compute_90) a device ran.
extern "C" __global__ void arch_id(unsigned *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
#if __CUDA_ARCH__ >= 900
        out[i] = 900u + (unsigned)i;
#else
        out[i] = 800u + (unsigned)i;
#endif
    }
}

// Dynamic shared memory beyond the 48 KiB default: the app must raise the
// kernel's limit (cuKernelSetAttribute) before it launches it.
extern "C" __global__ void big_smem(unsigned *out, int words)
{
    extern __shared__ unsigned buf[];
    for (int i = threadIdx.x; i < words; i += blockDim.x) buf[i] = (unsigned)i * 3u;
    __syncthreads();
    unsigned s = 0;
    for (int i = threadIdx.x; i < words; i += blockDim.x) s += buf[words - 1 - i];
    atomicAdd(out, s);
}
