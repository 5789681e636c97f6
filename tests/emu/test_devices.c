/* The emulated driver with two devices (NTRACE_EMU_DEVICES=90,80): each
 * context runs the PTX its device would JIT; library kernels (CUkernel)
 * are objects of their own, resolved per context; graphs of kernel nodes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cuda.h>

#define KERNEL(target) \
    ".version 7.0\n.target " target "\n.address_size 64\n"                          \
    ".global .align 4 .u32 gv = 7;\n"                                                 \
    ".visible .entry k(.param .u64 p, .param .u32 v)\n"                                \
    "{ .reg .b32 %r<3>; .reg .b64 %rd<2>;\n"                                          \
    "  ld.param.u64 %rd1, [p]; ld.param.u32 %r1, [v]; ld.global.u32 %r2, [gv];\n"      \
    "  add.u32 %r1, %r1, %r2; st.global.u32 [%rd1], %r1; ret; }\n"

static const char ptx90[] = KERNEL("sm_90");
static const char ptx80[] = KERNEL("sm_80");
static CUcontext ctx[2];

static unsigned run_k(CUfunction f, unsigned v, CUresult *res)
{
    CUdeviceptr d;
    unsigned out = 0;
    assert_int_equal(cuMemAlloc(&d, 4), CUDA_SUCCESS);
    void *args[] = { &d, &v };
    *res = cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, NULL, args, NULL);
    if (*res == CUDA_SUCCESS) assert_int_equal(cuMemcpyDtoH(&out, d, 4), CUDA_SUCCESS);
    assert_int_equal(cuMemFree(d), CUDA_SUCCESS);
    return out;
}

static void two_devices(void **state)
{
    assert_int_equal(cuInit(0), CUDA_SUCCESS);
    int n = 0, maj = 0, min = 0;
    assert_int_equal(cuDeviceGetCount(&n), CUDA_SUCCESS);
    assert_int_equal(n, 2);
    assert_int_equal(cuDeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 1), CUDA_SUCCESS);
    assert_int_equal(cuDeviceGetAttribute(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 1), CUDA_SUCCESS);
    assert_int_equal(maj * 10 + min, 80);
    assert_int_equal(cuDeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 0), CUDA_SUCCESS);
    assert_int_equal(maj, 9);
    CUdevice d;
    assert_int_equal(cuDeviceGet(&d, 2), CUDA_ERROR_INVALID_DEVICE);
    for (int i = 0; i < 2; i++) assert_int_equal(cuDevicePrimaryCtxRetain(&ctx[i], i), CUDA_SUCCESS);
    assert_ptr_not_equal(ctx[0], ctx[1]);
    assert_int_equal(cuCtxSetCurrent(ctx[1]), CUDA_SUCCESS);
    assert_int_equal(cuCtxGetDevice(&d), CUDA_SUCCESS);
    assert_int_equal(d, 1);
    /* sm_90 PTX does not JIT for the sm_80; sm_80 PTX does. */
    CUmodule m90, m80;
    assert_int_equal(cuModuleLoadData(&m90, ptx90), CUDA_ERROR_INVALID_PTX);
    assert_int_equal(cuModuleLoadData(&m80, ptx80), CUDA_SUCCESS);
    CUfunction f80;
    CUresult r;
    assert_int_equal(cuModuleGetFunction(&f80, m80, "k"), CUDA_SUCCESS);
    assert_int_equal(run_k(f80, 1, &r), 8);
    /* A function runs only in its own context. */
    assert_int_equal(cuCtxSetCurrent(ctx[0]), CUDA_SUCCESS);
    assert_int_equal(cuModuleLoadData(&m90, ptx90), CUDA_SUCCESS);
    run_k(f80, 1, &r);
    assert_int_equal(r, CUDA_ERROR_INVALID_HANDLE);
    assert_int_equal(cuModuleUnload(m90), CUDA_SUCCESS);
    assert_int_equal(cuCtxSetCurrent(ctx[1]), CUDA_SUCCESS);
    assert_int_equal(cuModuleUnload(m80), CUDA_SUCCESS);
}

static void kernels_are_not_functions(void **state)
{
    assert_int_equal(cuCtxSetCurrent(ctx[0]), CUDA_SUCCESS);
    CUlibrary lib;
    CUkernel k;
    assert_int_equal(cuLibraryLoadData(&lib, ptx80, NULL, NULL, 0, NULL, NULL, 0), CUDA_SUCCESS);
    assert_int_equal(cuLibraryGetKernel(&k, lib, "k"), CUDA_SUCCESS);
    assert_int_equal(cuLibraryGetKernel(&k, lib, "nope"), CUDA_ERROR_NOT_FOUND);
    assert_int_equal(cuLibraryGetKernel(&k, lib, "k"), CUDA_SUCCESS);
    const char *name = NULL;
    int v = 0;
    /* The cuFunc* calls refuse a CUkernel; the cuKernel* calls take it. */
    assert_int_equal(cuFuncGetName(&name, (CUfunction)k), CUDA_ERROR_INVALID_HANDLE);
    assert_int_equal(cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_NUM_REGS, (CUfunction)k), CUDA_ERROR_INVALID_HANDLE);
    CUmodule mod;
    assert_int_equal(cuFuncGetModule(&mod, (CUfunction)k), CUDA_ERROR_INVALID_HANDLE);
    assert_int_equal(cuKernelGetName(&name, k), CUDA_SUCCESS);
    assert_string_equal(name, "k");
    assert_int_equal(cuKernelGetAttribute(&v, CU_FUNC_ATTRIBUTE_NUM_REGS, k, 0), CUDA_SUCCESS);
    assert_true(v > 0);
    /* One function per context; the limit set on the kernel holds in both,
     * also where its module is loaded later. */
    assert_int_equal(cuKernelSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, 70000, k, 0),
                     CUDA_SUCCESS);
    CUfunction f0, f1;
    assert_int_equal(cuKernelGetFunction(&f0, k), CUDA_SUCCESS);
    assert_int_equal(cuCtxSetCurrent(ctx[1]), CUDA_SUCCESS);
    assert_int_equal(cuKernelGetFunction(&f1, k), CUDA_SUCCESS);
    assert_ptr_not_equal(f0, f1);
    assert_ptr_not_equal(f0, (CUfunction)k);
    assert_int_equal(cuFuncGetAttribute(&v, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, f1), CUDA_SUCCESS);
    assert_int_equal(v, 70000);
    CUlibrary back;
    assert_int_equal(cuKernelGetLibrary(&back, k), CUDA_SUCCESS);
    assert_ptr_equal(back, lib);
    /* Each context has the library's globals of its own. */
    CUdeviceptr g0, g1;
    size_t sz;
    assert_int_equal(cuLibraryGetGlobal(&g1, &sz, lib, "gv"), CUDA_SUCCESS);
    unsigned nine = 9;
    assert_int_equal(cuMemcpyHtoD(g1, &nine, 4), CUDA_SUCCESS);
    CUresult r;
    assert_int_equal(run_k((CUfunction)k, 1, &r), 10);   /* the CUkernel, cast */
    assert_int_equal(cuCtxSetCurrent(ctx[0]), CUDA_SUCCESS);
    assert_int_equal(cuLibraryGetGlobal(&g0, &sz, lib, "gv"), CUDA_SUCCESS);
    assert_true(g0 != g1);
    assert_int_equal(run_k((CUfunction)k, 1, &r), 8);
    assert_int_equal(run_k(f0, 2, &r), 9);
    assert_int_equal(cuLibraryUnload(lib), CUDA_SUCCESS);
    assert_int_equal(cuKernelGetName(&name, k), CUDA_ERROR_INVALID_HANDLE);
    run_k((CUfunction)k, 1, &r);
    assert_int_equal(r, CUDA_ERROR_INVALID_HANDLE);
}

static void graphs_of_kernel_nodes(void **state)
{
    assert_int_equal(cuCtxSetCurrent(ctx[0]), CUDA_SUCCESS);
    CUmodule m;
    CUfunction f;
    assert_int_equal(cuModuleLoadData(&m, ptx90), CUDA_SUCCESS);
    assert_int_equal(cuModuleGetFunction(&f, m, "k"), CUDA_SUCCESS);
    CUdeviceptr d;
    assert_int_equal(cuMemAlloc(&d, 8), CUDA_SUCCESS);
    CUgraph g;
    CUgraphNode a, b;
    assert_int_equal(cuGraphCreate(&g, 0), CUDA_SUCCESS);
    unsigned v = 1;
    void *args[] = { &d, &v };
    CUDA_KERNEL_NODE_PARAMS kp = { .func = f, .gridDimX = 1, .gridDimY = 1, .gridDimZ = 1,
                                   .blockDimX = 1, .blockDimY = 1, .blockDimZ = 1, .kernelParams = args };
    assert_int_equal(cuGraphAddKernelNode(&a, g, NULL, 0, &kp), CUDA_SUCCESS);
    CUdeviceptr d2 = d + 4;
    v = 5;                       /* the node keeps the values it was given */
    args[0] = &d2;
    assert_int_equal(cuGraphAddKernelNode(&b, g, &a, 1, &kp), CUDA_SUCCESS);
    CUgraphNode stray = (CUgraphNode)&kp;
    assert_int_equal(cuGraphAddKernelNode(&b, g, &stray, 1, &kp), CUDA_ERROR_INVALID_VALUE);
    CUgraphExec ge;
    assert_int_equal(cuGraphInstantiate(&ge, g, 0), CUDA_SUCCESS);
    assert_int_equal(cuMemsetD32(d, 0, 2), CUDA_SUCCESS);
    assert_int_equal(cuGraphLaunch(ge, NULL), CUDA_SUCCESS);
    unsigned out[2];
    assert_int_equal(cuMemcpyDtoH(out, d, 8), CUDA_SUCCESS);
    assert_int_equal(out[0], 8);
    assert_int_equal(out[1], 12);
    assert_int_equal(cuGraphExecDestroy(ge), CUDA_SUCCESS);
    assert_int_equal(cuGraphLaunch(ge, NULL), CUDA_ERROR_INVALID_HANDLE);
    assert_int_equal(cuGraphDestroy(g), CUDA_SUCCESS);
    assert_int_equal(cuGraphDestroy(g), CUDA_ERROR_INVALID_HANDLE);
    /* Stream capture: launches become nodes; other work is refused. */
    CUstream s;
    assert_int_equal(cuStreamCreate(&s, 0), CUDA_SUCCESS);
    CUstreamCaptureStatus cs = CU_STREAM_CAPTURE_STATUS_ACTIVE;
    assert_int_equal(cuStreamIsCapturing(s, &cs), CUDA_SUCCESS);
    assert_int_equal(cs, CU_STREAM_CAPTURE_STATUS_NONE);
    assert_int_equal(cuStreamBeginCapture(NULL, CU_STREAM_CAPTURE_MODE_GLOBAL),
                     CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
    assert_int_equal(cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_GLOBAL), CUDA_SUCCESS);
    assert_int_equal(cuStreamIsCapturing(s, &cs), CUDA_SUCCESS);
    assert_int_equal(cs, CU_STREAM_CAPTURE_STATUS_ACTIVE);
    assert_int_equal(cuMemsetD32(d, 0, 2), CUDA_SUCCESS);
    v = 3;
    args[0] = &d;
    assert_int_equal(cuLaunchKernel(f, 1, 1, 1, 1, 1, 1, 0, s, args, NULL), CUDA_SUCCESS);
    assert_int_equal(cuMemsetD32Async(d, 0, 2, s), CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
    assert_int_equal(cuMemcpyDtoH(out, d, 4), CUDA_SUCCESS);
    assert_int_equal(out[0], 0);                 /* nothing ran yet */
    CUgraph gc;
    assert_int_equal(cuStreamEndCapture(s, &gc), CUDA_SUCCESS);
    assert_int_equal(cuStreamEndCapture(s, &gc), CUDA_ERROR_ILLEGAL_STATE);
    assert_int_equal(cuGraphInstantiate(&ge, gc, 0), CUDA_SUCCESS);
    assert_int_equal(cuGraphLaunch(ge, s), CUDA_SUCCESS);
    assert_int_equal(cuMemcpyDtoH(out, d, 4), CUDA_SUCCESS);
    assert_int_equal(out[0], 10);
    assert_int_equal(cuGraphExecDestroy(ge), CUDA_SUCCESS);
    assert_int_equal(cuGraphDestroy(gc), CUDA_SUCCESS);
    assert_int_equal(cuStreamDestroy(s), CUDA_SUCCESS);
    assert_int_equal(cuMemFree(d), CUDA_SUCCESS);
    assert_int_equal(cuModuleUnload(m), CUDA_SUCCESS);
    for (int i = 0; i < 2; i++) assert_int_equal(cuDevicePrimaryCtxRelease(i), CUDA_SUCCESS);
}

int main(void)
{
    setenv("NTRACE_EMU_DEVICES", "sm_90,80", 1);
    unsetenv("CUDA_INJECTION64_PATH");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_devices),
        cmocka_unit_test(kernels_are_not_functions),
        cmocka_unit_test(graphs_of_kernel_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
