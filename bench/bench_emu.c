/* bench_emu.c — emulator speed: thread-instructions per second on the
 * tiled matrix multiply (tests/kernels/matmul.cu, compiled by nvcc at build
 * time), one core, run through the emulator API directly.  Also checks the
 * result, so a fast wrong emulator does not pass for a fast one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>
#include "emu/emu.h"

/* Thread CPU time: the machine is shared, so wall time measures the load. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *build = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/kernels/matmul.ptx", build ? build : "build");
    nt_file f;
    nt_err e = { 0 };
    if (nt_file_open(&f, path, &e)) { fprintf(stderr, "bench_emu: %s\n", e.msg); return 1; }
    emu_module *m = emu_module_load(f.data, f.size, &e);
    nt_file_close(&f);
    if (!m) { fprintf(stderr, "bench_emu: %s\n", e.msg); return 1; }
    emu_kernel *k = emu_module_kernel(m, "matmul");
    int n = argc > 1 ? atoi(argv[1]) : 256;
    size_t bytes = (size_t)n * n * sizeof(float);
    uint64_t da = emu_mem_alloc(bytes), db = emu_mem_alloc(bytes), dc = emu_mem_alloc(bytes);
    float *a = emu_mem_ptr(da, bytes), *b = emu_mem_ptr(db, bytes), *c = emu_mem_ptr(dc, bytes);
    for (int i = 0; i < n * n; i++) { a[i] = (float)(i % 7) - 3.0f; b[i] = (float)(i % 5) * 0.5f; }
    uint8_t params[32] = { 0 };
    uint64_t vals[4] = { da, db, dc, (uint64_t)n };
    for (int i = 0; i < 4; i++) {
        uint32_t off, size;
        emu_kernel_param(k, i, &off, &size);
        memcpy(params + off, &vals[i], size);
    }
    emu_launch l = { .k = k, .grid = { (uint32_t)n / 16, (uint32_t)n / 16, 1 },
                     .block = { 16, 16, 1 }, .params = params, .grid_id = 1 };
    emu_stats st;
    uint64_t t0 = cpu_ns();
    int rs = emu_launch_run(&l, &st, &e);
    uint64_t t1 = cpu_ns();
    if (rs) { fprintf(stderr, "bench_emu: %s\n", e.msg); return 1; }
    for (int i = 0; i < n; i += 17)
        for (int j = 0; j < n; j += 13) {
            float acc = 0;
            for (int kk = 0; kk < n; kk++) acc = fmaf(a[i * n + kk], b[kk * n + j], acc);
            if (acc != c[i * n + j]) { fprintf(stderr, "bench_emu: wrong result at %d,%d\n", i, j); return 1; }
        }
    double secs = (double)(t1 - t0) / 1e9;
    printf("bench emu_matmul: %.1f Minstr/s\n", (double)st.thread_instrs / secs / 1e6);
    printf("bench emu_matmul_warp: %.2f Mwarpinstr/s (%llu thread-instructions, %dx%d, %.3f s)\n",
           (double)st.warp_instrs / secs / 1e6, (unsigned long long)st.thread_instrs, n, n, secs);
    emu_module_free(m);
    return 0;
}
