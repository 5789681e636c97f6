/*
 * drv_proc.c — cuGetProcAddress (v2, as CUDA 13 exposes it): the base
 * name of an entry point (without _v2 or _ptsz) maps to the newest version
 * we implement; with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM the
 * per-thread-stream variant is returned where one exists.
 */
#include <string.h>
#include "emu/drv.h"

CUresult CUDAAPI cuLaunchKernel_ptsz(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                     unsigned int gridDimZ, unsigned int blockDimX,
                                     unsigned int blockDimY, unsigned int blockDimZ,
                                     unsigned int sharedMemBytes, CUstream hStream,
                                     void **kernelParams, void **extra);
CUresult CUDAAPI cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f,
                                       void **kernelParams, void **extra);
CUresult CUDAAPI cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream);
CUresult CUDAAPI cuGetExportTable(const void **ppExportTable, const CUuuid *pExportTableId);

typedef struct proc { const char *name; void *fn; void *fn_ptsz; } proc;

/* The macro names (cuMemAlloc, cuCtxCreate, ...) expand to the versioned
 * symbols through cuda.h's #defines, which is exactly the mapping wanted. */
#define P(n) { #n, (void *)n, NULL },
/* Deprecated entry points are still exported, as by the real driver. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const proc procs[] = {
    P(cuCtxCreate)
    P(cuCtxDestroy)
    P(cuCtxGetApiVersion)
    P(cuCtxGetCurrent)
    P(cuCtxGetDevice)
    P(cuCtxGetFlags)
    P(cuCtxGetId)
    P(cuCtxGetLimit)
    P(cuCtxGetStreamPriorityRange)
    P(cuCtxPopCurrent)
    P(cuCtxPushCurrent)
    P(cuCtxSetCurrent)
    P(cuCtxSetLimit)
    P(cuCtxSynchronize)
    P(cuDeviceComputeCapability)
    P(cuDeviceGet)
    P(cuDeviceGetAttribute)
    P(cuDeviceGetCount)
    P(cuDeviceGetName)
    P(cuDeviceGetPCIBusId)
    P(cuDeviceGetUuid)
    P(cuDevicePrimaryCtxGetState)
    P(cuDevicePrimaryCtxRelease)
    P(cuDevicePrimaryCtxReset)
    P(cuDevicePrimaryCtxRetain)
    P(cuDevicePrimaryCtxSetFlags)
    P(cuDeviceTotalMem)
    P(cuDriverGetVersion)
    P(cuEventCreate)
    P(cuEventDestroy)
    P(cuEventElapsedTime)
    P(cuEventQuery)
    P(cuEventRecord)
    P(cuEventRecordWithFlags)
    P(cuEventSynchronize)
    P(cuFuncGetAttribute)
    P(cuFuncGetModule)
    P(cuFuncGetName)
    P(cuFuncGetParamInfo)
    P(cuFuncSetAttribute)
    P(cuFuncSetCacheConfig)
    P(cuGetErrorName)
    P(cuGetErrorString)
    P(cuInit)
    P(cuKernelGetAttribute)
    P(cuGraphAddKernelNode)
    P(cuGraphCreate)
    P(cuGraphDestroy)
    P(cuGraphExecDestroy)
    P(cuGraphInstantiate)
    P(cuKernelGetFunction)
    P(cuKernelGetLibrary)
    P(cuKernelGetName)
    P(cuKernelGetParamInfo)
    P(cuKernelSetAttribute)
    P(cuLaunchHostFunc)
    P(cuLibraryEnumerateKernels)
    P(cuLibraryGetGlobal)
    P(cuLibraryGetKernel)
    P(cuLibraryGetKernelCount)
    P(cuLibraryGetModule)
    P(cuLibraryLoadData)
    P(cuLibraryLoadFromFile)
    P(cuLibraryUnload)
    P(cuMemAlloc)
    P(cuMemAllocHost)
    P(cuMemAllocManaged)
    P(cuMemAllocPitch)
    P(cuMemFree)
    P(cuMemFreeHost)
    P(cuMemGetAddressRange)
    P(cuMemGetInfo)
    P(cuMemHostAlloc)
    P(cuMemHostRegister)
    P(cuMemHostUnregister)
    P(cuMemcpy)
    P(cuMemcpyAsync)
    P(cuMemcpyDtoD)
    P(cuMemcpyDtoDAsync)
    P(cuMemcpyDtoH)
    P(cuMemcpyDtoHAsync)
    P(cuMemcpyHtoD)
    P(cuMemcpyHtoDAsync)
    P(cuMemsetD16)
    P(cuMemsetD16Async)
    P(cuMemsetD32)
    P(cuMemsetD32Async)
    P(cuMemsetD8)
    P(cuMemsetD8Async)
    P(cuModuleEnumerateFunctions)
    P(cuModuleGetFunction)
    P(cuModuleGetFunctionCount)
    P(cuModuleGetGlobal)
    P(cuModuleGetLoadingMode)
    P(cuModuleLoad)
    P(cuModuleLoadData)
    P(cuModuleLoadDataEx)
    P(cuModuleUnload)
    P(cuStreamAddCallback)
    P(cuStreamCreate)
    P(cuStreamCreateWithPriority)
    P(cuStreamDestroy)
    P(cuStreamGetCtx)
    P(cuStreamGetFlags)
    P(cuStreamGetId)
    P(cuStreamGetPriority)
    P(cuStreamBeginCapture)
    P(cuStreamEndCapture)
    P(cuStreamIsCapturing)
    P(cuStreamQuery)
    P(cuStreamSynchronize)
    P(cuStreamWaitEvent)
    { "cuLaunchKernel", (void *)cuLaunchKernel, (void *)cuLaunchKernel_ptsz },
    { "cuLaunchKernelEx", (void *)cuLaunchKernelEx, (void *)cuLaunchKernelEx_ptsz },
    { "cuGraphLaunch", (void *)cuGraphLaunch, (void *)cuGraphLaunch_ptsz },
    { "cuGetExportTable", (void *)cuGetExportTable, NULL },
    { "cuGetProcAddress", (void *)cuGetProcAddress, NULL },
};
#undef P

static CUresult proc_get(const char *sym, void **pfn, int ver, cuuint64_t flags,
                        CUdriverProcAddressQueryResult *st)
{
    if (!sym || !pfn) return CUDA_ERROR_INVALID_VALUE;
    if (st) *st = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
    *pfn = NULL;
    for (size_t i = 0; i < NT_ARRAY_LEN(procs); i++) {
        if (strcmp(procs[i].name, sym) != 0)
            continue;
        if (ver > CUDA_VERSION) {
            if (st) *st = CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT;
            return CUDA_ERROR_NOT_FOUND;
        }
        *pfn = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) && procs[i].fn_ptsz
                   ? procs[i].fn_ptsz : procs[i].fn;
        if (st) *st = CU_GET_PROC_ADDRESS_SUCCESS;
        return CUDA_SUCCESS;
    }
    nt_debug("emu: cuGetProcAddress: %s is not emulated", sym);
    return CUDA_ERROR_NOT_FOUND;
}

NT_EXPORT CUresult CUDAAPI cuGetProcAddress(const char *symbol, void **pfn, int cudaVersion,
                                            cuuint64_t flags,
                                            CUdriverProcAddressQueryResult *symbolStatus)
{
    cuGetProcAddress_v2_params p = { symbol, pfn, cudaVersion, flags, symbolStatus };
    DRV_CALL(cuGetProcAddress_v2, p,
             proc_get(p.symbol, p.pfn, p.cudaVersion, p.flags, p.symbolStatus));
}
