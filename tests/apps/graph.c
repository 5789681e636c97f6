/* graph: vecadd as a CUDA graph of two kernel nodes (c = a + b, then
 * d = c + b), instantiated and launched twice; the same two launches
 * captured from a stream into a graph, launched once; and the kernel
 * launched once directly.  The graphs' kernels run unprobed (ntrace does
 * not instrument graph launches); the direct launch is probed like any
 * other. */
#include "app.h"

int main(int argc, char **argv)
{
    app_init();
    CUmodule m = app_module(argc, argv, "vecadd");
    CUfunction f;
    CK(cuModuleGetFunction(&f, m, "vecadd"));
    int n = 5000;
    size_t bytes = (size_t)n * sizeof(float);
    float *a = malloc(bytes), *b = malloc(bytes), *d = malloc(bytes);
    for (int i = 0; i < n; i++) { a[i] = (float)i; b[i] = 0.25f * (float)(n - i); }
    CUdeviceptr da, db, dc, dd;
    CK(cuMemAlloc(&da, bytes)); CK(cuMemAlloc(&db, bytes));
    CK(cuMemAlloc(&dc, bytes)); CK(cuMemAlloc(&dd, bytes));
    CK(cuMemcpyHtoD(da, a, bytes)); CK(cuMemcpyHtoD(db, b, bytes));

    CUgraph g;
    CUgraphNode n1, n2;
    CK(cuGraphCreate(&g, 0));
    void *args1[] = { &da, &db, &dc, &n };
    CUDA_KERNEL_NODE_PARAMS kp = { .func = f, .gridDimX = (unsigned)(n + 255) / 256, .gridDimY = 1,
                                   .gridDimZ = 1, .blockDimX = 256, .blockDimY = 1, .blockDimZ = 1,
                                   .kernelParams = args1 };
    CK(cuGraphAddKernelNode(&n1, g, NULL, 0, &kp));
    void *args2[] = { &dc, &db, &dd, &n };
    kp.kernelParams = args2;
    CK(cuGraphAddKernelNode(&n2, g, &n1, 1, &kp));
    CUgraphExec ge;
    CK(cuGraphInstantiate(&ge, g, 0));
    for (int rep = 0; rep < 2; rep++) {
        CK(cuMemsetD32(dd, 0, (size_t)n));
        CK(cuGraphLaunch(ge, NULL));
        CK(cuCtxSynchronize());
        CK(cuMemcpyDtoH(d, dd, bytes));
        for (int i = 0; i < n; i++)
            EXPECT(d[i] == (a[i] + b[i]) + b[i], "graph launch %d: d[%d] = %g", rep, i, d[i]);
    }
    /* The same graph by stream capture: the launches become nodes. */
    CUstream s;
    CUgraph gc;
    CUgraphExec gce;
    CK(cuStreamCreate(&s, CU_STREAM_NON_BLOCKING));
    CK(cuMemsetD32(dd, 0, (size_t)n));
    CK(cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_GLOBAL));
    CUstreamCaptureStatus cs;
    CK(cuStreamIsCapturing(s, &cs));
    EXPECT(cs == CU_STREAM_CAPTURE_STATUS_ACTIVE, "capture status %d", (int)cs);
    CK(cuLaunchKernel(f, (unsigned)(n + 255) / 256, 1, 1, 256, 1, 1, 0, s, args1, NULL));
    CK(cuLaunchKernel(f, (unsigned)(n + 255) / 256, 1, 1, 256, 1, 1, 0, s, args2, NULL));
    CK(cuStreamEndCapture(s, &gc));
    CK(cuCtxSynchronize());
    CK(cuMemcpyDtoH(d, dd, bytes));
    EXPECT(d[1] == 0.0f, "a captured launch ran at capture time");
    CK(cuGraphInstantiate(&gce, gc, 0));
    CK(cuGraphLaunch(gce, s));
    CK(cuStreamSynchronize(s));
    CK(cuMemcpyDtoH(d, dd, bytes));
    for (int i = 0; i < n; i++)
        EXPECT(d[i] == (a[i] + b[i]) + b[i], "captured graph: d[%d] = %g", i, d[i]);
    CK(cuGraphExecDestroy(gce));
    CK(cuGraphDestroy(gc));
    CK(cuStreamDestroy(s));
    /* The same kernel launched directly. */
    CK(cuLaunchKernel(f, (unsigned)(n + 255) / 256, 1, 1, 256, 1, 1, 0, NULL, args2, NULL));
    CK(cuMemcpyDtoH(d, dd, bytes));
    for (int i = 0; i < n; i++)
        EXPECT(d[i] == (a[i] + b[i]) + b[i], "direct launch: d[%d] = %g", i, d[i]);
    CK(cuGraphExecDestroy(ge));
    CK(cuGraphDestroy(g));
    CK(cuMemFree(da)); CK(cuMemFree(db)); CK(cuMemFree(dc)); CK(cuMemFree(dd));
    CK(cuModuleUnload(m));
    app_fini();
    free(a); free(b); free(d);
    printf("graph: ok (3 graph launches of 2 kernel nodes, one graph captured; 1 direct launch)\n");
    return 0;
}
