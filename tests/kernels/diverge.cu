// Heavy divergence: per-thread data-dependent loops, nested branches, early exit.
extern "C" __global__ void diverge(const int *in, int *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    int x = in[i], acc = 0;
    // Collatz steps: a different trip count in every lane.
    while (x != 1 && acc < 1000) {
        if (x & 1) x = 3 * x + 1;
        else x >>= 1;
        acc++;
    }
    if (i % 3 == 0) {
        if (i % 2 == 0) acc += 1000;
        else acc -= 1000;
    } else if (i % 5 == 0) {
        for (int k = 0; k < (i & 7); k++) acc ^= k << 4;
    }
    switch (i & 3) {
    case 0: acc += 1; break;
    case 1: acc *= 2; break;
    case 2: acc -= 7; break;
    default: acc = -acc;
    }
    out[i] = acc;
}
