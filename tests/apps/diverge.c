/* diverge: data-dependent loops, nested branches, a switch and early
 * exits in every warp; compared with the same code on the host. */
#include "app.h"

static int host(const int *in, int i)
{
    int x = in[i], acc = 0;
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
    return acc;
}

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "diverge");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "diverge"));
    int n = 3000;
    int *in = malloc((size_t)n * 4), *out = malloc((size_t)n * 4);
    unsigned s = 4242;
    for (int i = 0; i < n; i++) in[i] = 1 + (int)(app_rand(&s) % 5000);
    CUdeviceptr di, dout;
    CK(cuMemAlloc(&di, (size_t)n * 4)); CK(cuMemAlloc(&dout, (size_t)n * 4));
    CK(cuMemcpyHtoD(di, in, (size_t)n * 4));
    void *args[] = { &di, &dout, &n };
    CK(cuLaunchKernel(f, (unsigned)(n + 127) / 128, 1, 1, 128, 1, 1, 0, NULL, args, NULL));
    CK(cuMemcpyDtoH(out, dout, (size_t)n * 4));
    for (int i = 0; i < n; i++) EXPECT(out[i] == host(in, i), "out[%d] = %d, want %d", i, out[i], host(in, i));
    app_fini();
    free(in); free(out);
    printf("diverge: ok\n");
    return 0;
}
