/*
 * app.h — shared by the test apps: plain C on the CUDA driver API that run
 * unchanged on a real GPU and on the emulator (LD_LIBRARY_PATH=build/emu).
 * Each app loads its kernels as PTX from the directory given as argv[1]
 * (default: $NT_KERNEL_DIR, then build/fixtures/kernels), checks its own
 * results and exits 0 only when they are right.
 */
#ifndef APP_H
#define APP_H

#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK(x) do {                                                          \
        CUresult r_ = (x);                                                  \
        if (r_ != CUDA_SUCCESS) {                                           \
            const char *s_ = NULL;                                          \
            cuGetErrorName(r_, &s_);                                        \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__,   \
                    #x, s_ ? s_ : "?");                                     \
            exit(1);                                                        \
        }                                                                   \
    } while (0)

#define EXPECT(cond, ...) do {                                              \
        if (!(cond)) {                                                      \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
            exit(1);                                                        \
        }                                                                   \
    } while (0)

static inline CUcontext app_init(void)
{
    CUdevice dev;
    CUcontext ctx;
    CK(cuInit(0));
    CK(cuDeviceGet(&dev, 0));
    CK(cuDevicePrimaryCtxRetain(&ctx, dev));
    CK(cuCtxSetCurrent(ctx));
    return ctx;
}

static inline void app_fini(void)
{
    CK(cuCtxSynchronize());
    CK(cuDevicePrimaryCtxRelease(0));
}

/* The bytes of <dir>/<file> plus a NUL (caller frees); exits on error. */
static inline char *app_file(int argc, char **argv, const char *file, size_t *size)
{
    const char *dir = argc > 1 ? argv[1] : getenv("NT_KERNEL_DIR");
    if (!dir) dir = "build/fixtures/kernels";
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) { fprintf(stderr, "%s: read error\n", path); exit(1); }
    data[n] = 0;
    fclose(f);
    if (size) *size = (size_t)n;
    return data;
}

/* Loads <dir>/<name>.ptx with cuModuleLoadData. */
static inline CUmodule app_module(int argc, char **argv, const char *name)
{
    char file[256];
    snprintf(file, sizeof file, "%s.ptx", name);
    char *text = app_file(argc, argv, file, NULL);
    CUmodule m;
    CK(cuModuleLoadData(&m, text));
    free(text);
    return m;
}

/* Every synchronous device-to-host copy is also appended, byte for byte,
 * to the file $NT_APP_DUMP when it is set: the tests compare a probed run's
 * dump with an unprobed run's, so "instrumentation preserves semantics"
 * means bit-identical outputs, not just results within tolerance. */
static inline CUresult app_dtoh(void *dst, CUdeviceptr src, size_t n)
{
    CUresult r = cuMemcpyDtoH_v2(dst, src, n);
    const char *path = getenv("NT_APP_DUMP");
    if (r == CUDA_SUCCESS && path && *path) {
        FILE *f = fopen(path, "ab");
        if (!f || fwrite(dst, 1, n, f) != n) { perror(path); exit(1); }
        fclose(f);
    }
    return r;
}
#undef cuMemcpyDtoH
#define cuMemcpyDtoH(dst, src, n) app_dtoh((dst), (src), (n))

/* Deterministic pseudo-random numbers (xorshift). */
static inline unsigned app_rand(unsigned *s)
{
    *s ^= *s << 13; *s ^= *s >> 17; *s ^= *s << 5;
    return *s;
}

#endif
