// Histogram with atomics: per-block shared histogram, merged with global atomics.
#define BINS 64
extern "C" __global__ void histogram(const unsigned char *data, int n, unsigned *hist)
{
    __shared__ unsigned local[BINS];
    for (int i = threadIdx.x; i < BINS; i += blockDim.x) local[i] = 0;
    __syncthreads();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x)
        atomicAdd(&local[data[i] % BINS], 1u);
    __syncthreads();
    for (int i = threadIdx.x; i < BINS; i += blockDim.x)
        if (local[i]) atomicAdd(&hist[i], local[i]);
}

extern "C" __global__ void atomics_mix(int *imax, int *imin, unsigned *cas_ctr, float *fsum, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    atomicMax(imax, i * 7 - 100);
    atomicMin(imin, 100 - i * 3);
    atomicAdd(fsum, 0.5f);
    unsigned old = *cas_ctr, assumed;
    do {
        assumed = old;
        old = atomicCAS(cas_ctr, assumed, assumed + 2);
    } while (old != assumed);
}
