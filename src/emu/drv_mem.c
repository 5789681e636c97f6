/*
 * drv_mem.c — device memory entry points: alloc/free, host (pinned)
 * allocations, copies and memsets, synchronous and on streams.
 *
 * Stream work runs at once, in order (see drv.h), so the async forms do the
 * same as the sync ones after checking the stream.
 */
#include <stdlib.h>
#include <string.h>
#include "emu/drv.h"

static CUresult mem_alloc(CUdeviceptr *d, size_t n)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (!d || n == 0) return CUDA_ERROR_INVALID_VALUE;
    uint64_t a = emu_mem_alloc(n);
    if (!a) return CUDA_ERROR_OUT_OF_MEMORY;
    *d = a;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuMemAlloc(CUdeviceptr *dptr, size_t bytesize)
{
    cuMemAlloc_v2_params p = { dptr, bytesize };
    DRV_CALL(cuMemAlloc_v2, p, mem_alloc(p.dptr, p.bytesize));
}

static CUresult mem_alloc_pitch(CUdeviceptr *d, size_t *pitch, size_t w, size_t h, unsigned elt)
{
    if (!pitch || (elt != 4 && elt != 8 && elt != 16)) return CUDA_ERROR_INVALID_VALUE;
    size_t pw = (w + 511) & ~(size_t)511;
    CUresult r = mem_alloc(d, pw * h);
    if (!r) *pitch = pw;
    return r;
}

NT_EXPORT CUresult CUDAAPI cuMemAllocPitch(CUdeviceptr *dptr, size_t *pPitch, size_t WidthInBytes,
                                           size_t Height, unsigned int ElementSizeBytes)
{
    cuMemAllocPitch_v2_params p = { dptr, pPitch, WidthInBytes, Height, ElementSizeBytes };
    DRV_CALL(cuMemAllocPitch_v2, p,
             mem_alloc_pitch(p.dptr, p.pPitch, p.WidthInBytes, p.Height, p.ElementSizeBytes));
}

NT_EXPORT CUresult CUDAAPI cuMemAllocManaged(CUdeviceptr *dptr, size_t bytesize, unsigned int flags)
{
    cuMemAllocManaged_params p = { dptr, bytesize, flags };
    DRV_CALL(cuMemAllocManaged, p, mem_alloc(p.dptr, p.bytesize));
}

static CUresult mem_free(CUdeviceptr d)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (d == 0) return CUDA_SUCCESS;
    return emu_mem_free(d) ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuMemFree(CUdeviceptr dptr)
{
    cuMemFree_v2_params p = { dptr };
    DRV_CALL(cuMemFree_v2, p, mem_free(p.dptr));
}

static CUresult mem_info(size_t *fr, size_t *tot)
{
    const size_t total = 80ull << 30;
    if (fr) *fr = total - NT_MIN(emu_mem_used(), total);
    if (tot) *tot = total;
    return drv_need_ctx();
}

NT_EXPORT CUresult CUDAAPI cuMemGetInfo(size_t *free_, size_t *total)
{
    cuMemGetInfo_v2_params p = { free_, total };
    DRV_CALL(cuMemGetInfo_v2, p, mem_info(p.free, p.total));
}

static CUresult mem_range(CUdeviceptr *pbase, size_t *psize, CUdeviceptr d)
{
    uint64_t b; size_t s;
    if (emu_mem_range(d, &b, &s)) return CUDA_ERROR_NOT_FOUND;
    if (pbase) *pbase = b;
    if (psize) *psize = s;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuMemGetAddressRange(CUdeviceptr *pbase, size_t *psize, CUdeviceptr dptr)
{
    cuMemGetAddressRange_v2_params p = { pbase, psize, dptr };
    DRV_CALL(cuMemGetAddressRange_v2, p, mem_range(p.pbase, p.psize, p.dptr));
}

/* Pinned host memory is ordinary host memory here. */
static CUresult host_alloc(void **pp, size_t n)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (!pp) return CUDA_ERROR_INVALID_VALUE;
    *pp = calloc(1, n ? n : 1);
    return *pp ? CUDA_SUCCESS : CUDA_ERROR_OUT_OF_MEMORY;
}

NT_EXPORT CUresult CUDAAPI cuMemAllocHost(void **pp, size_t bytesize)
{
    cuMemAllocHost_v2_params p = { pp, bytesize };
    DRV_CALL(cuMemAllocHost_v2, p, host_alloc(p.pp, p.bytesize));
}

NT_EXPORT CUresult CUDAAPI cuMemHostAlloc(void **pp, size_t bytesize, unsigned int Flags)
{
    cuMemHostAlloc_params p = { pp, bytesize, Flags };
    DRV_CALL(cuMemHostAlloc, p, host_alloc(p.pp, p.bytesize));
}

NT_EXPORT CUresult CUDAAPI cuMemFreeHost(void *ptr)
{
    cuMemFreeHost_params p = { ptr };
    DRV_CALL(cuMemFreeHost, p, (free(p.p), CUDA_SUCCESS));
}

NT_EXPORT CUresult CUDAAPI cuMemHostRegister(void *ptr, size_t bytesize, unsigned int Flags)
{
    cuMemHostRegister_v2_params p = { ptr, bytesize, Flags };
    DRV_CALL(cuMemHostRegister_v2, p, p.p && p.bytesize ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE);
}

NT_EXPORT CUresult CUDAAPI cuMemHostUnregister(void *ptr)
{
    cuMemHostUnregister_params p = { ptr };
    DRV_CALL(cuMemHostUnregister, p, p.p ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE);
}

/* ---- copies ------------------------------------------------------------------- */
/* Resolves a pointer that may be device (inside an allocation) or host
 * (anything else, for unified copies). */
static void *resolve(uint64_t a, size_t n, int may_be_host)
{
    void *p = emu_mem_ptr(a, n);
    if (p) return p;
    if (n == 0 && emu_mem_ptr(a, 1)) return emu_mem_ptr(a, 1);
    if (may_be_host && (a < EMU_GLOBAL_BASE || a >= EMU_LOCAL_WIN + EMU_WIN_SIZE))
        return (void *)(uintptr_t)a;
    return NULL;
}

static CUresult copy(uint64_t dst, int dst_host, uint64_t src, int src_host, size_t n,
                     CUstream s)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (!drv_stream_ok(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (drv_stream_capture(s)) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (n == 0) return CUDA_SUCCESS;
    void *d = dst_host == 1 ? (void *)(uintptr_t)dst : resolve(dst, n, dst_host == 2);
    const void *sp = src_host == 1 ? (const void *)(uintptr_t)src : resolve(src, n, src_host == 2);
    if (!d || !sp) return CUDA_ERROR_INVALID_VALUE;
    memmove(d, sp, n);
    return CUDA_SUCCESS;
}

#define H(p) ((uint64_t)(uintptr_t)(p))

NT_EXPORT CUresult CUDAAPI cuMemcpyHtoD(CUdeviceptr dstDevice, const void *srcHost, size_t ByteCount)
{
    cuMemcpyHtoD_v2_params p = { dstDevice, srcHost, ByteCount };
    DRV_CALL(cuMemcpyHtoD_v2, p, copy(p.dstDevice, 0, H(p.srcHost), 1, p.ByteCount, NULL));
}

NT_EXPORT CUresult CUDAAPI cuMemcpyDtoH(void *dstHost, CUdeviceptr srcDevice, size_t ByteCount)
{
    cuMemcpyDtoH_v2_params p = { dstHost, srcDevice, ByteCount };
    DRV_CALL(cuMemcpyDtoH_v2, p, copy(H(p.dstHost), 1, p.srcDevice, 0, p.ByteCount, NULL));
}

NT_EXPORT CUresult CUDAAPI cuMemcpyDtoD(CUdeviceptr dstDevice, CUdeviceptr srcDevice, size_t ByteCount)
{
    cuMemcpyDtoD_v2_params p = { dstDevice, srcDevice, ByteCount };
    DRV_CALL(cuMemcpyDtoD_v2, p, copy(p.dstDevice, 0, p.srcDevice, 0, p.ByteCount, NULL));
}

NT_EXPORT CUresult CUDAAPI cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount)
{
    cuMemcpy_params p = { dst, src, ByteCount };
    DRV_CALL(cuMemcpy, p, copy(p.dst, 2, p.src, 2, p.ByteCount, NULL));
}

NT_EXPORT CUresult CUDAAPI cuMemcpyHtoDAsync(CUdeviceptr dstDevice, const void *srcHost,
                                             size_t ByteCount, CUstream hStream)
{
    cuMemcpyHtoDAsync_v2_params p = { dstDevice, srcHost, ByteCount, hStream };
    DRV_CALL(cuMemcpyHtoDAsync_v2, p,
             copy(p.dstDevice, 0, H(p.srcHost), 1, p.ByteCount, p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuMemcpyDtoHAsync(void *dstHost, CUdeviceptr srcDevice,
                                             size_t ByteCount, CUstream hStream)
{
    cuMemcpyDtoHAsync_v2_params p = { dstHost, srcDevice, ByteCount, hStream };
    DRV_CALL(cuMemcpyDtoHAsync_v2, p,
             copy(H(p.dstHost), 1, p.srcDevice, 0, p.ByteCount, p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuMemcpyDtoDAsync(CUdeviceptr dstDevice, CUdeviceptr srcDevice,
                                             size_t ByteCount, CUstream hStream)
{
    cuMemcpyDtoDAsync_v2_params p = { dstDevice, srcDevice, ByteCount, hStream };
    DRV_CALL(cuMemcpyDtoDAsync_v2, p,
             copy(p.dstDevice, 0, p.srcDevice, 0, p.ByteCount, p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t ByteCount,
                                         CUstream hStream)
{
    cuMemcpyAsync_params p = { dst, src, ByteCount, hStream };
    DRV_CALL(cuMemcpyAsync, p, copy(p.dst, 2, p.src, 2, p.ByteCount, p.hStream));
}

/* ---- memsets ------------------------------------------------------------------- */
static CUresult set(uint64_t dst, uint32_t v, unsigned elt, size_t n, CUstream s)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (!drv_stream_ok(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (drv_stream_capture(s)) return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (n == 0) return CUDA_SUCCESS;
    if (dst % elt) return CUDA_ERROR_INVALID_VALUE;
    if (n > SIZE_MAX / elt) return CUDA_ERROR_INVALID_VALUE;
    uint8_t *d = emu_mem_ptr(dst, n * elt);
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (elt == 1) { memset(d, (int)(v & 0xff), n); return CUDA_SUCCESS; }
    for (size_t i = 0; i < n; i++) {
        if (elt == 2) { uint16_t x = (uint16_t)v; memcpy(d + 2 * i, &x, 2); }
        else memcpy(d + 4 * i, &v, 4);
    }
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuMemsetD8(CUdeviceptr dstDevice, unsigned char uc, size_t N)
{
    cuMemsetD8_v2_params p = { dstDevice, uc, N };
    DRV_CALL(cuMemsetD8_v2, p, set(p.dstDevice, p.uc, 1, p.N, NULL));
}

NT_EXPORT CUresult CUDAAPI cuMemsetD16(CUdeviceptr dstDevice, unsigned short us, size_t N)
{
    cuMemsetD16_v2_params p = { dstDevice, us, N };
    DRV_CALL(cuMemsetD16_v2, p, set(p.dstDevice, p.us, 2, p.N, NULL));
}

NT_EXPORT CUresult CUDAAPI cuMemsetD32(CUdeviceptr dstDevice, unsigned int ui, size_t N)
{
    cuMemsetD32_v2_params p = { dstDevice, ui, N };
    DRV_CALL(cuMemsetD32_v2, p, set(p.dstDevice, p.ui, 4, p.N, NULL));
}

NT_EXPORT CUresult CUDAAPI cuMemsetD8Async(CUdeviceptr dstDevice, unsigned char uc, size_t N,
                                           CUstream hStream)
{
    cuMemsetD8Async_params p = { dstDevice, uc, N, hStream };
    DRV_CALL(cuMemsetD8Async, p, set(p.dstDevice, p.uc, 1, p.N, p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuMemsetD16Async(CUdeviceptr dstDevice, unsigned short us, size_t N,
                                            CUstream hStream)
{
    cuMemsetD16Async_params p = { dstDevice, us, N, hStream };
    DRV_CALL(cuMemsetD16Async, p, set(p.dstDevice, p.us, 2, p.N, p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuMemsetD32Async(CUdeviceptr dstDevice, unsigned int ui, size_t N,
                                            CUstream hStream)
{
    cuMemsetD32Async_params p = { dstDevice, ui, N, hStream };
    DRV_CALL(cuMemsetD32Async, p, set(p.dstDevice, p.ui, 4, p.N, p.hStream));
}
