// Control-flow fixtures for the probe engine (tests/probe): an exit inside
// a called function that ends the thread.  (Loads first used in another
// block or a loop: tests/probe/e2e/use_flow.ptx, written by hand since
// nvcc turns such small branches into selects.)
//
// quit_odd: threads with an odd index leave from inside a called function
// (exit), the others return normally; every thread must still count as
// exited (kernel.exit, block exit tickets, per-warp counters).
__device__ __noinline__ void leave_if_odd(int i, float *out)
{
    if (i & 1) {
        out[i] = 1.0f;
        asm volatile("exit;");
    }
}

// The exit is two calls deep: the state pointer is forwarded.
__device__ __noinline__ void through(int i, float *out)
{
    leave_if_odd(i, out);
}

extern "C" __global__ void quit_odd(const float *in, float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    through(i, out);
    out[i] = 2.0f + in[i];
}

// A second kernel reaching the same exit: instrumenting the whole module
// changes the shared callee once.
extern "C" __global__ void quit_direct(float *out, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) leave_if_odd(i, out);
}
