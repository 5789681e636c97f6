/* The emulated driver API (linked statically here): initialization and
 * injection, errors, cuGetProcAddress, contexts, memory bounds, modules
 * and their JIT log, function attributes and parameter info, launches
 * with kernelParams, extra buffers and cuLaunchKernelEx, events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cuda.h>

static const char *ptx =
".version 8.0\n.target sm_90\n.address_size 64\n"
".global .align 4 .u32 gv = 5;\n"
".visible .entry k(.param .u64 p, .param .u32 v, .param .u8 b)\n"
"{ .reg .b32 %r<4>; .reg .b64 %rd<3>; .reg .b16 %rs<2>;\n"
"  ld.param.u64 %rd1, [p]; ld.param.u32 %r1, [v]; ld.param.u8 %rs1, [b];\n"
"  cvt.u32.u16 %r2, %rs1; add.u32 %r1, %r1, %r2;\n"
"  ld.global.u32 %r3, [gv]; add.u32 %r1, %r1, %r3;\n"
"  st.global.u32 [%rd1], %r1; ret; }\n"
".visible .entry smem() { .shared .align 4 .b8 s[1024]; ret; }\n";

static void before_init_and_injection(void **state)
{
    CUdevice d;
    assert_int_equal(cuDeviceGet(&d, 0), CUDA_ERROR_NOT_INITIALIZED);
    int v = 0;
    assert_int_equal(cuDriverGetVersion(&v), CUDA_SUCCESS);
    assert_int_equal(v, CUDA_VERSION);
    const char *build = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/emu/libinject_stub.so", build ? build : "build");
    setenv("CUDA_INJECTION64_PATH", path, 1);
    unsetenv("NT_STUB_INJECTED");
    assert_int_equal(cuInit(1), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuInit(0), CUDA_SUCCESS);
    assert_non_null(getenv("NT_STUB_INJECTED"));       /* InitializeInjection ran */
    assert_int_equal(cuInit(0), CUDA_SUCCESS);
    assert_int_equal(cuDeviceGet(&d, 1), CUDA_ERROR_INVALID_DEVICE);
}

static void error_strings_and_proc_address(void **state)
{
    const char *s;
    assert_int_equal(cuGetErrorName(CUDA_ERROR_ILLEGAL_ADDRESS, &s), CUDA_SUCCESS);
    assert_string_equal(s, "CUDA_ERROR_ILLEGAL_ADDRESS");
    assert_int_equal(cuGetErrorString(CUDA_ERROR_INVALID_VALUE, &s), CUDA_SUCCESS);
    assert_non_null(strstr(s, "parameters"));
    assert_int_equal(cuGetErrorName((CUresult)12345, &s), CUDA_ERROR_INVALID_VALUE);
    void *fn = NULL;
    CUdriverProcAddressQueryResult st;
    assert_int_equal(cuGetProcAddress("cuMemAlloc", &fn, 12000, 0, &st), CUDA_SUCCESS);
    assert_true(fn == (void *)cuMemAlloc);             /* cuMemAlloc_v2 */
    assert_int_equal(st, CU_GET_PROC_ADDRESS_SUCCESS);
    assert_int_equal(cuGetProcAddress("cuLaunchKernel", &fn, 12000,
                                      CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM, &st), CUDA_SUCCESS);
    assert_true(fn != (void *)cuLaunchKernel);         /* the _ptsz variant */
    assert_int_equal(cuGetProcAddress("cuNoSuchThing", &fn, 12000, 0, &st), CUDA_ERROR_NOT_FOUND);
    assert_int_equal(st, CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND);
    assert_int_equal(cuGetProcAddress("cuInit", &fn, 99000, 0, &st), CUDA_ERROR_NOT_FOUND);
    assert_int_equal(st, CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT);
}

static void contexts_stack(void **state)
{
    CUcontext a, b, cur, popped;
    CUdeviceptr p;
    assert_int_equal(cuCtxSetCurrent(NULL), CUDA_SUCCESS);
    assert_int_equal(cuMemAlloc(&p, 16), CUDA_ERROR_INVALID_CONTEXT);
    assert_int_equal(cuCtxCreate(&a, NULL, 0, 0), CUDA_SUCCESS);
    assert_int_equal(cuCtxCreate(&b, NULL, 0, 0), CUDA_SUCCESS);
    assert_int_equal(cuCtxGetCurrent(&cur), CUDA_SUCCESS);
    assert_ptr_equal(cur, b);
    assert_int_equal(cuCtxPopCurrent(&popped), CUDA_SUCCESS);
    assert_ptr_equal(popped, b);
    assert_int_equal(cuCtxGetCurrent(&cur), CUDA_SUCCESS);
    assert_ptr_equal(cur, a);
    unsigned long long ida, idb;
    assert_int_equal(cuCtxGetId(a, &ida), CUDA_SUCCESS);
    assert_int_equal(cuCtxGetId(b, &idb), CUDA_SUCCESS);
    assert_true(ida != idb);
    assert_int_equal(cuCtxDestroy(b), CUDA_SUCCESS);
    assert_int_equal(cuCtxDestroy(a), CUDA_SUCCESS);
    assert_int_equal(cuCtxGetCurrent(&cur), CUDA_SUCCESS);
    assert_null(cur);
    CUcontext prim;
    assert_int_equal(cuDevicePrimaryCtxRetain(&prim, 0), CUDA_SUCCESS);
    assert_int_equal(cuCtxSetCurrent(prim), CUDA_SUCCESS);
}

static void memory_is_checked(void **state)
{
    CUdeviceptr p, base;
    size_t size;
    assert_int_equal(cuMemAlloc(&p, 100), CUDA_SUCCESS);
    assert_true(p >= 0x0001000000000000ull);           /* never a host pointer */
    char buf[200] = { 0 };
    assert_int_equal(cuMemcpyHtoD(p, buf, 100), CUDA_SUCCESS);
    assert_int_equal(cuMemcpyHtoD(p, buf, 101), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuMemcpyDtoH(buf, p + 50, 60), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuMemsetD32(p + 1, 0, 4), CUDA_ERROR_INVALID_VALUE);     /* misaligned */
    assert_int_equal(cuMemsetD32(p, 0x01020304, 25), CUDA_SUCCESS);
    assert_int_equal(cuMemsetD32(p, 0, 26), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuMemGetAddressRange(&base, &size, p + 42), CUDA_SUCCESS);
    assert_true(base == p && size == 100);
    assert_int_equal(cuMemFree(p), CUDA_SUCCESS);
    assert_int_equal(cuMemFree(p), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuMemcpyHtoD(p, buf, 4), CUDA_ERROR_INVALID_VALUE);     /* freed */
}

static void modules_functions_launches(void **state)
{
    CUmodule m;
    char log[256] = { 0 };
    CUjit_option opts[] = { CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES };
    void *vals[] = { log, (void *)(uintptr_t)sizeof log };
    assert_int_equal(cuModuleLoadDataEx(&m, ".version 8.0\n.target sm_90\n.entry k( {", 2, opts, vals),
                     CUDA_ERROR_INVALID_PTX);
    assert_true(strlen(log) > 0);                      /* the parse error, in the JIT log */
    assert_int_equal(cuModuleLoadData(&m, ptx), CUDA_SUCCESS);
    CUfunction f, fs;
    assert_int_equal(cuModuleGetFunction(&f, m, "nope"), CUDA_ERROR_NOT_FOUND);
    assert_int_equal(cuModuleGetFunction(&f, m, "k"), CUDA_SUCCESS);
    assert_int_equal(cuModuleGetFunction(&fs, m, "smem"), CUDA_SUCCESS);
    unsigned count;
    assert_int_equal(cuModuleGetFunctionCount(&count, m), CUDA_SUCCESS);
    assert_int_equal(count, 2);
    int v;
    assert_int_equal(cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, fs), CUDA_SUCCESS);
    assert_int_equal(v, 1024);
    assert_int_equal(cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f), CUDA_SUCCESS);
    assert_int_equal(v, 1024);
    size_t off, sz;
    assert_int_equal(cuFuncGetParamInfo(f, 2, &off, &sz), CUDA_SUCCESS);
    assert_true(off == 12 && sz == 1);
    assert_int_equal(cuFuncGetParamInfo(f, 3, &off, &sz), CUDA_ERROR_INVALID_VALUE);
    const char *name;
    assert_int_equal(cuFuncGetName(&name, f), CUDA_SUCCESS);
    assert_string_equal(name, "k");

    CUdeviceptr out, gv;
    size_t gsz;
    assert_int_equal(cuMemAlloc(&out, 4), CUDA_SUCCESS);
    assert_int_equal(cuModuleGetGlobal(&gv, &gsz, m, "gv"), CUDA_SUCCESS);
    assert_int_equal(gsz, 4);
    unsigned val = 100;
    unsigned char b = 7;
    void *args[] = { &out, &val, &b };
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, args, NULL), CUDA_SUCCESS);
    unsigned r = 0;
    assert_int_equal(cuMemcpyDtoH(&r, out, 4), CUDA_SUCCESS);
    assert_int_equal(r, 112);                          /* 100 + 7 + gv(5) */
    /* extra-style: one packed buffer */
    struct { CUdeviceptr p; unsigned v; unsigned char b; } pk = { out, 1000, 1 };
    size_t pksz = sizeof pk;
    void *extra[] = { CU_LAUNCH_PARAM_BUFFER_POINTER, &pk, CU_LAUNCH_PARAM_BUFFER_SIZE, &pksz,
                      CU_LAUNCH_PARAM_END };
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, NULL, extra), CUDA_SUCCESS);
    assert_int_equal(cuMemcpyDtoH(&r, out, 4), CUDA_SUCCESS);
    assert_int_equal(r, 1006);
    /* cuLaunchKernelEx; clusters are refused */
    CUlaunchAttribute at = { .id = CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION };
    at.value.clusterDim.x = 2; at.value.clusterDim.y = 1; at.value.clusterDim.z = 1;
    CUlaunchConfig cfg = { .gridDimX = 2, .gridDimY = 1, .gridDimZ = 1, .blockDimX = 1,
                           .blockDimY = 1, .blockDimZ = 1, .attrs = &at, .numAttrs = 1 };
    assert_int_equal(cuLaunchKernelEx(&cfg, f, args, NULL), CUDA_ERROR_NOT_SUPPORTED);
    cfg.numAttrs = 0;
    assert_int_equal(cuLaunchKernelEx(&cfg, f, args, NULL), CUDA_SUCCESS);
    /* bad configurations */
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 2048, 1, 1, 0, NULL, args, NULL), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 64 * 1024, NULL, args, NULL), CUDA_ERROR_INVALID_VALUE);
    assert_int_equal(cuFuncSetAttribute(fs, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 100 * 1024),
                     CUDA_SUCCESS);
    assert_int_equal(cuLaunchKernel(fs, 1, 1, 1, 32, 1, 1, 64 * 1024, NULL, NULL, NULL), CUDA_SUCCESS);
    assert_int_equal(cuFuncSetAttribute(fs, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 1 << 20),
                     CUDA_ERROR_INVALID_VALUE);
    /* events */
    CUevent e0, e1;
    float ms;
    assert_int_equal(cuEventCreate(&e0, 0), CUDA_SUCCESS);
    assert_int_equal(cuEventCreate(&e1, 0), CUDA_SUCCESS);
    assert_int_equal(cuEventElapsedTime(&ms, e0, e1), CUDA_ERROR_NOT_READY);
    assert_int_equal(cuEventRecord(e0, NULL), CUDA_SUCCESS);
    assert_int_equal(cuEventRecord(e1, NULL), CUDA_SUCCESS);
    assert_int_equal(cuEventElapsedTime(&ms, e0, e1), CUDA_SUCCESS);
    assert_true(ms >= 0);
    assert_int_equal(cuEventDestroy(e0), CUDA_SUCCESS);
    assert_int_equal(cuEventDestroy(e1), CUDA_SUCCESS);
    assert_int_equal(cuEventDestroy(e1), CUDA_ERROR_INVALID_HANDLE);    /* stale handle */
    CUstream s;
    assert_int_equal(cuStreamCreate(&s, 0), CUDA_SUCCESS);
    assert_int_equal(cuMemsetD8Async(out, 0, 4, s), CUDA_SUCCESS);
    assert_int_equal(cuStreamDestroy(s), CUDA_SUCCESS);
    assert_int_equal(cuMemsetD8Async(out, 0, 4, s), CUDA_ERROR_INVALID_HANDLE);
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, s, args, NULL), CUDA_ERROR_INVALID_HANDLE);
    assert_int_equal(cuMemFree(out), CUDA_SUCCESS);
    assert_int_equal(cuModuleUnload(m), CUDA_SUCCESS);
    assert_int_equal(cuModuleUnload(m), CUDA_ERROR_INVALID_HANDLE);
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, args, NULL), CUDA_ERROR_INVALID_HANDLE);
}

static void *read_fixture(const char *name, size_t *n)
{
    const char *build = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/kernels/%s", build ? build : "build", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc((size_t)len);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return p;
}

/* A fatbin runs from its PTX entry; a SASS-only cubin cannot run here. */
static void fatbin_and_cubin_images(void **state)
{
    size_t n;
    void *fat = read_fixture("vecadd.fatbin", &n);
    CUmodule m;
    assert_int_equal(cuModuleLoadData(&m, fat), CUDA_SUCCESS);
    CUfunction f;
    assert_int_equal(cuModuleGetFunction(&f, m, "vecadd"), CUDA_SUCCESS);
    enum { N = 100 };
    float a[N], c[N];
    for (int i = 0; i < N; i++) a[i] = (float)i;
    CUdeviceptr da, dc;
    assert_int_equal(cuMemAlloc(&da, sizeof a), CUDA_SUCCESS);
    assert_int_equal(cuMemAlloc(&dc, sizeof c), CUDA_SUCCESS);
    assert_int_equal(cuMemcpyHtoD(da, a, sizeof a), CUDA_SUCCESS);
    int cnt = N;
    void *args[] = { &da, &da, &dc, &cnt };
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 128, 1, 1, 0, NULL, args, NULL), CUDA_SUCCESS);
    assert_int_equal(cuMemcpyDtoH(c, dc, sizeof c), CUDA_SUCCESS);
    for (int i = 0; i < N; i++) assert_true(c[i] == 2.0f * (float)i);
    assert_int_equal(cuModuleUnload(m), CUDA_SUCCESS);
    /* the driver's wrapper form, as cudart registers fatbins */
    struct { int magic, version; const void *data; void *filename; } wrap = { 0x466243b1, 1, fat, NULL };
    assert_int_equal(cuModuleLoadFatBinary(&m, &wrap), CUDA_SUCCESS);
    assert_int_equal(cuModuleGetFunction(&f, m, "saxpy"), CUDA_SUCCESS);
    assert_int_equal(cuModuleUnload(m), CUDA_SUCCESS);
    free(fat);
    void *cub = read_fixture("vecadd.cubin", &n);
    assert_int_equal(cuModuleLoadData(&m, cub), CUDA_ERROR_NO_BINARY_FOR_GPU);
    free(cub);
    unsigned char junk[64];
    memset(junk, 0xab, sizeof junk);
    junk[63] = 0;
    assert_int_not_equal(cuModuleLoadData(&m, junk), CUDA_SUCCESS);
    assert_int_equal(cuMemFree(da), CUDA_SUCCESS);
    assert_int_equal(cuMemFree(dc), CUDA_SUCCESS);
}

static void library_api(void **state)
{
    CUlibrary lib;
    CUkernel k;
    CUfunction f;
    assert_int_equal(cuLibraryLoadData(&lib, ptx, NULL, NULL, 0, NULL, NULL, 0), CUDA_SUCCESS);
    assert_int_equal(cuLibraryGetKernel(&k, lib, "k"), CUDA_SUCCESS);
    assert_int_equal(cuKernelGetFunction(&f, k), CUDA_SUCCESS);
    CUdeviceptr gv;
    size_t sz;
    assert_int_equal(cuLibraryGetGlobal(&gv, &sz, lib, "gv"), CUDA_SUCCESS);
    unsigned five = 0;
    assert_int_equal(cuMemcpyDtoH(&five, gv, 4), CUDA_SUCCESS);
    assert_int_equal(five, 5);
    CUmodule m;
    assert_int_equal(cuLibraryGetModule(&m, lib), CUDA_SUCCESS);
    assert_int_equal(cuModuleUnload(m), CUDA_ERROR_INVALID_HANDLE);   /* owned by the library */
    assert_int_equal(cuLibraryUnload(lib), CUDA_SUCCESS);
    assert_int_equal(cuDevicePrimaryCtxRelease(0), CUDA_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(before_init_and_injection),
        cmocka_unit_test(error_strings_and_proc_address),
        cmocka_unit_test(contexts_stack),
        cmocka_unit_test(memory_is_checked),
        cmocka_unit_test(modules_functions_launches),
        cmocka_unit_test(fatbin_and_cubin_images),
        cmocka_unit_test(library_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
