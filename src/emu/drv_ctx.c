/*
 * drv_ctx.c — the emulated devices and their contexts (primary and
 * created), with a per-thread current context stack.
 *
 * NTRACE_EMU_DEVICES lists the devices by compute capability, e.g.
 * "90,80" (or "sm_90,sm_80"): device 0 is an sm_90, device 1 an sm_80.
 * Default: one sm_90.  A module loaded in a context runs the PTX a device
 * of that context's compute capability would JIT (drv_image.c).
 */
#include <stdlib.h>
#include <string.h>
#include "emu/drv.h"

#define DEV_NAME "NVIDIA emulated GPU"
#define CTX_STACK 16

/* Primary context of device d: uid d + 1; created contexts count on. */
static struct CUctx_st primary[DRV_MAX_DEVICES];
static int primary_refs[DRV_MAX_DEVICES];
static uint32_t ctx_uid_next = DRV_MAX_DEVICES + 1;
static __thread CUcontext stack[CTX_STACK];
static __thread int depth;

static unsigned dev_sm[DRV_MAX_DEVICES];
static int ndev;

/* Reads NTRACE_EMU_DEVICES once (at cuInit, under the driver lock). */
void drv_devices_init(void)
{
    if (ndev) return;
    const char *s = getenv("NTRACE_EMU_DEVICES");
    int n = 0;
    for (const char *p = s; p && *p && n < DRV_MAX_DEVICES;) {
        if (!strncmp(p, "sm_", 3)) p += 3;
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v < 30 || v > 1000 || (*end && *end != ',')) {
            nt_warn("emu: NTRACE_EMU_DEVICES=%s: expected compute capabilities such as 90,80; "
                    "using one sm_90", s);
            n = 0;
            break;
        }
        dev_sm[n++] = (unsigned)v;
        p = *end ? end + 1 : end;
    }
    if (n == 0) dev_sm[n++] = 90;
    for (int d = 0; d < n; d++) {
        primary[d] = (struct CUctx_st){ DRV_MAGIC_CTX, (uint32_t)d + 1, 1, 0, CUDA_SUCCESS, d };
    }
    ndev = n;
}

unsigned drv_ctx_sm(CUcontext c)
{
    return c && c->dev >= 0 && c->dev < ndev ? dev_sm[c->dev] : 90;
}

static CUresult dev_ok(CUdevice d) { return d >= 0 && d < ndev ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE; }

static CUresult ctx_ok(CUcontext c)
{
    return c && c->magic == DRV_MAGIC_CTX ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

/* ---- device ---------------------------------------------------------------- */
static CUresult dev_get(CUdevice *d, int ord)
{
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(ord)) return CUDA_ERROR_INVALID_DEVICE;
    *d = ord;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDeviceGet(CUdevice *device, int ordinal)
{
    cuDeviceGet_params p = { device, ordinal };
    DRV_CALL(cuDeviceGet, p, dev_get(p.device, p.ordinal));
}

NT_EXPORT CUresult CUDAAPI cuDeviceGetCount(int *count)
{
    cuDeviceGetCount_params p = { count };
    DRV_CALL(cuDeviceGetCount, p,
             p.count ? (*p.count = ndev, CUDA_SUCCESS) : CUDA_ERROR_INVALID_VALUE);
}

static CUresult dev_name(char *name, int len, CUdevice d)
{
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    snprintf(name, (size_t)len, "%s sm_%u (ntrace emulator)", DEV_NAME, dev_sm[d]);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDeviceGetName(char *name, int len, CUdevice dev)
{
    cuDeviceGetName_params p = { name, len, dev };
    DRV_CALL(cuDeviceGetName, p, dev_name(p.name, p.len, p.dev));
}

static CUresult dev_uuid(CUuuid *u, CUdevice d)
{
    if (!u) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    memcpy(u->bytes, "ntrace-emulator0", 16);
    u->bytes[15] = (char)('0' + d);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDeviceGetUuid(CUuuid *uuid, CUdevice dev)
{
    cuDeviceGetUuid_v2_params p = { uuid, dev };
    DRV_CALL(cuDeviceGetUuid_v2, p, dev_uuid(p.uuid, p.dev));
}

#define EMU_TOTAL_MEM (80ull << 30)

NT_EXPORT CUresult CUDAAPI cuDeviceTotalMem(size_t *bytes, CUdevice dev)
{
    cuDeviceTotalMem_v2_params p = { bytes, dev };
    DRV_CALL(cuDeviceTotalMem_v2, p,
             !p.bytes ? CUDA_ERROR_INVALID_VALUE : dev_ok(p.dev) ? CUDA_ERROR_INVALID_DEVICE
                      : (*p.bytes = EMU_TOTAL_MEM, CUDA_SUCCESS));
}

static int attr_value(CUdevice_attribute a, CUdevice d)
{
    const emu_config *c = emu_cfg();
    switch (a) {
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK:        return 1024;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X:              return 1024;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y:              return 1024;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z:              return 64;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X:               return 0x7fffffff;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y:               return 65535;
    case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z:               return 65535;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK:  return 48 * 1024;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: return (int)c->smem_per_sm - 1024;
    case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: return (int)c->smem_per_sm;
    case CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY:        return 64 * 1024;
    case CU_DEVICE_ATTRIBUTE_WARP_SIZE:                    return 32;
    case CU_DEVICE_ATTRIBUTE_MAX_PITCH:                    return 0x7fffffff;
    case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK:      return 65536;
    case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR: return 65536;
    case CU_DEVICE_ATTRIBUTE_CLOCK_RATE:                   return (int)(c->clock_hz / 1000);
    case CU_DEVICE_ATTRIBUTE_MEMORY_CLOCK_RATE:            return 2619000;
    case CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH:      return 5120;
    case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE:                return 50 << 20;
    case CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT:            return 512;
    case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:         return (int)c->num_sms;
    case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR: return 2048;
    case CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR: return 32;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:     return (int)dev_sm[d] / 10;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:     return (int)dev_sm[d] % 10;
    case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING:           return 1;
    case CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS:           return 1;
    case CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT:           return 2;
    case CU_DEVICE_ATTRIBUTE_CAN_MAP_HOST_MEMORY:          return 0;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_MODE:                 return CU_COMPUTEMODE_DEFAULT;
    case CU_DEVICE_ATTRIBUTE_ECC_ENABLED:                  return 0;
    case CU_DEVICE_ATTRIBUTE_PCI_BUS_ID:                   return 1 + (int)d;
    case CU_DEVICE_ATTRIBUTE_GLOBAL_L1_CACHE_SUPPORTED:    return 1;
    case CU_DEVICE_ATTRIBUTE_LOCAL_L1_CACHE_SUPPORTED:     return 1;
    case CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH:           return 0;
    case CU_DEVICE_ATTRIBUTE_STREAM_PRIORITIES_SUPPORTED:  return 1;
    default:                                               return 0;
    }
}

static CUresult dev_attr(int *pi, CUdevice_attribute a, CUdevice d)
{
    if (!pi) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    if ((int)a <= 0 || a >= CU_DEVICE_ATTRIBUTE_MAX) return CUDA_ERROR_INVALID_VALUE;
    *pi = attr_value(a, d);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDeviceGetAttribute(int *pi, CUdevice_attribute attrib, CUdevice dev)
{
    cuDeviceGetAttribute_params p = { pi, attrib, dev };
    DRV_CALL(cuDeviceGetAttribute, p, dev_attr(p.pi, p.attrib, p.dev));
}

static CUresult dev_cc(int *maj, int *min, CUdevice d)
{
    if (!maj || !min) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    *maj = (int)dev_sm[d] / 10; *min = (int)dev_sm[d] % 10;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDeviceComputeCapability(int *major, int *minor, CUdevice dev)
{
    cuDeviceComputeCapability_params p = { major, minor, dev };
    DRV_CALL(cuDeviceComputeCapability, p, dev_cc(p.major, p.minor, p.dev));
}

static CUresult dev_pci(char *id, int len, CUdevice d)
{
    if (!id || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    snprintf(id, (size_t)len, "0000:%02x:00.0", 1 + (unsigned)d);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDeviceGetPCIBusId(char *pciBusId, int len, CUdevice dev)
{
    cuDeviceGetPCIBusId_params p = { pciBusId, len, dev };
    DRV_CALL(cuDeviceGetPCIBusId, p, dev_pci(p.pciBusId, p.len, p.dev));
}

/* ---- contexts ------------------------------------------------------------------ */
static void make_current(CUcontext c)
{
    if (depth == 0) depth = 1;
    stack[depth - 1] = c;
    drv_set_ctx(c);
}

static CUresult primary_retain(CUcontext *pctx, CUdevice d)
{
    if (!pctx) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    if (primary_refs[d]++ == 0) {
        primary[d].sticky = CUDA_SUCCESS;
        drv_resource(CUPTI_CBID_RESOURCE_CONTEXT_CREATED, &primary[d], NULL, NULL);
    }
    *pctx = &primary[d];
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
    cuDevicePrimaryCtxRetain_params p = { pctx, dev };
    DRV_CALL(cuDevicePrimaryCtxRetain, p, primary_retain(p.pctx, p.dev));
}

static CUresult primary_release(CUdevice d)
{
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    if (primary_refs[d] == 0) return CUDA_ERROR_INVALID_CONTEXT;
    if (--primary_refs[d] == 0) {
        drv_resource(CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING, &primary[d], NULL, NULL);
        drv_unload_ctx_modules(&primary[d]);
    }
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDevicePrimaryCtxRelease(CUdevice dev)
{
    cuDevicePrimaryCtxRelease_v2_params p = { dev };
    DRV_CALL(cuDevicePrimaryCtxRelease_v2, p, primary_release(p.dev));
}

static CUresult primary_state(CUdevice d, unsigned *flags, int *active)
{
    if (!flags || !active) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    *flags = primary[d].flags;
    *active = primary_refs[d] > 0;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuDevicePrimaryCtxGetState(CUdevice dev, unsigned int *flags, int *active)
{
    cuDevicePrimaryCtxGetState_params p = { dev, flags, active };
    DRV_CALL(cuDevicePrimaryCtxGetState, p, primary_state(p.dev, p.flags, p.active));
}

NT_EXPORT CUresult CUDAAPI cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned int flags)
{
    cuDevicePrimaryCtxSetFlags_v2_params p = { dev, flags };
    DRV_CALL(cuDevicePrimaryCtxSetFlags_v2, p,
             dev_ok(p.dev) ? CUDA_ERROR_INVALID_DEVICE : (primary[p.dev].flags = p.flags, CUDA_SUCCESS));
}

NT_EXPORT CUresult CUDAAPI cuDevicePrimaryCtxReset(CUdevice dev)
{
    cuDevicePrimaryCtxReset_v2_params p = { dev };
    DRV_CALL(cuDevicePrimaryCtxReset_v2, p,
             dev_ok(p.dev) ? CUDA_ERROR_INVALID_DEVICE
                           : (primary[p.dev].sticky = CUDA_SUCCESS, CUDA_SUCCESS));
}

static CUresult ctx_create(CUcontext *pctx, unsigned flags, CUdevice d)
{
    if (!pctx) return CUDA_ERROR_INVALID_VALUE;
    if (dev_ok(d)) return CUDA_ERROR_INVALID_DEVICE;
    CUcontext c = nt_xcalloc(1, sizeof(*c));
    c->magic = DRV_MAGIC_CTX;
    c->uid = ctx_uid_next++;
    c->flags = flags;
    c->dev = d;
    /* cuCtxCreate pushes the new context onto the caller's stack. */
    if (depth < CTX_STACK) stack[depth++] = c;
    drv_set_ctx(c);
    *pctx = c;
    drv_resource(CUPTI_CBID_RESOURCE_CONTEXT_CREATED, c, NULL, NULL);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxCreate(CUcontext *pctx, CUctxCreateParams *ctxCreateParams,
                                       unsigned int flags, CUdevice dev)
{
    cuCtxCreate_v4_params p = { pctx, ctxCreateParams, flags, dev };
    DRV_CALL(cuCtxCreate_v4, p, ctx_create(p.pctx, p.flags, p.dev));
}

static CUresult ctx_destroy(CUcontext c)
{
    if (ctx_ok(c) || c->primary) return CUDA_ERROR_INVALID_CONTEXT;
    drv_resource(CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING, c, NULL, NULL);
    drv_unload_ctx_modules(c);
    for (int i = 0; i < depth; i++)
        if (stack[i] == c) {
            memmove(&stack[i], &stack[i + 1], (size_t)(depth - i - 1) * sizeof(stack[0]));
            depth--; i--;
        }
    drv_set_ctx(depth ? stack[depth - 1] : NULL);
    c->magic = 0;
    free(c);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxDestroy(CUcontext ctx)
{
    cuCtxDestroy_v2_params p = { ctx };
    DRV_CALL(cuCtxDestroy_v2, p, ctx_destroy(p.ctx));
}

static CUresult ctx_push(CUcontext c)
{
    if (ctx_ok(c)) return CUDA_ERROR_INVALID_CONTEXT;
    if (depth >= CTX_STACK) return CUDA_ERROR_INVALID_VALUE;
    stack[depth++] = c;
    drv_set_ctx(c);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxPushCurrent(CUcontext ctx)
{
    cuCtxPushCurrent_v2_params p = { ctx };
    DRV_CALL(cuCtxPushCurrent_v2, p, ctx_push(p.ctx));
}

static CUresult ctx_pop(CUcontext *pc)
{
    if (depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
    CUcontext c = stack[--depth];
    if (pc) *pc = c;
    drv_set_ctx(depth ? stack[depth - 1] : NULL);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxPopCurrent(CUcontext *pctx)
{
    cuCtxPopCurrent_v2_params p = { pctx };
    DRV_CALL(cuCtxPopCurrent_v2, p, ctx_pop(p.pctx));
}

static CUresult ctx_set(CUcontext c)
{
    if (c == NULL) {
        if (depth) depth--;
        drv_set_ctx(depth ? stack[depth - 1] : NULL);
        return CUDA_SUCCESS;
    }
    if (ctx_ok(c)) return CUDA_ERROR_INVALID_CONTEXT;
    make_current(c);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx)
{
    cuCtxSetCurrent_params p = { ctx };
    DRV_CALL(cuCtxSetCurrent, p, ctx_set(p.ctx));
}

NT_EXPORT CUresult CUDAAPI cuCtxGetCurrent(CUcontext *pctx)
{
    cuCtxGetCurrent_params p = { pctx };
    DRV_CALL(cuCtxGetCurrent, p,
             p.pctx ? (*p.pctx = drv_ctx(), CUDA_SUCCESS) : CUDA_ERROR_INVALID_VALUE);
}

static CUresult ctx_dev(CUdevice *d)
{
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (!drv_ctx()) return CUDA_ERROR_INVALID_CONTEXT;
    *d = drv_ctx()->dev;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxGetDevice(CUdevice *device)
{
    cuCtxGetDevice_params p = { device };
    DRV_CALL(cuCtxGetDevice, p, ctx_dev(p.device));
}

static CUresult ctx_id(CUcontext c, unsigned long long *id)
{
    if (!id) return CUDA_ERROR_INVALID_VALUE;
    if (!c) c = drv_ctx();
    if (ctx_ok(c)) return CUDA_ERROR_INVALID_CONTEXT;
    *id = c->uid;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxGetId(CUcontext ctx, unsigned long long *ctxId)
{
    cuCtxGetId_params p = { ctx, ctxId };
    DRV_CALL(cuCtxGetId, p, ctx_id(p.ctx, p.ctxId));
}

static CUresult ctx_flags(unsigned *f)
{
    if (!f) return CUDA_ERROR_INVALID_VALUE;
    if (!drv_ctx()) return CUDA_ERROR_INVALID_CONTEXT;
    *f = drv_ctx()->flags;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxGetFlags(unsigned int *flags)
{
    cuCtxGetFlags_params p = { flags };
    DRV_CALL(cuCtxGetFlags, p, ctx_flags(p.flags));
}

static CUresult ctx_api_version(CUcontext c, unsigned *v)
{
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    if (!c) c = drv_ctx();
    if (ctx_ok(c)) return CUDA_ERROR_INVALID_CONTEXT;
    *v = 3020;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxGetApiVersion(CUcontext ctx, unsigned int *version)
{
    cuCtxGetApiVersion_params p = { ctx, version };
    DRV_CALL(cuCtxGetApiVersion, p, ctx_api_version(p.ctx, p.version));
}

/* Work runs synchronously, so synchronizing only reports a sticky error. */
NT_EXPORT CUresult CUDAAPI cuCtxSynchronize(void)
{
    struct { int none; } p = { 0 };   /* no parameters: no meta struct */
    DRV_CALL(cuCtxSynchronize, p, drv_need_ctx());
}

NT_EXPORT CUresult CUDAAPI cuCtxSynchronize_v2(CUcontext ctx)
{
    cuCtxSynchronize_v2_params p = { ctx };
    DRV_CALL(cuCtxSynchronize_v2, p, p.ctx ? (ctx_ok(p.ctx) ? CUDA_ERROR_INVALID_CONTEXT
                                                          : p.ctx->sticky)
                                          : drv_need_ctx());
}

static CUresult ctx_limit(size_t *v, CUlimit l)
{
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    switch (l) {
    case CU_LIMIT_STACK_SIZE:       *v = 1024; return CUDA_SUCCESS;
    case CU_LIMIT_PRINTF_FIFO_SIZE: *v = 1 << 20; return CUDA_SUCCESS;
    case CU_LIMIT_MALLOC_HEAP_SIZE: *v = 8 << 20; return CUDA_SUCCESS;
    default: return CUDA_ERROR_UNSUPPORTED_LIMIT;
    }
}

NT_EXPORT CUresult CUDAAPI cuCtxGetLimit(size_t *pvalue, CUlimit limit)
{
    cuCtxGetLimit_params p = { pvalue, limit };
    DRV_CALL(cuCtxGetLimit, p, ctx_limit(p.pvalue, p.limit));
}

NT_EXPORT CUresult CUDAAPI cuCtxSetLimit(CUlimit limit, size_t value)
{
    cuCtxSetLimit_params p = { limit, value };
    size_t dummy;
    DRV_CALL(cuCtxSetLimit, p, ctx_limit(&dummy, p.limit));
}

static CUresult prio_range(int *lo, int *hi)
{
    if (lo) *lo = 0;
    if (hi) *hi = -5;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuCtxGetStreamPriorityRange(int *leastPriority, int *greatestPriority)
{
    cuCtxGetStreamPriorityRange_params p = { leastPriority, greatestPriority };
    DRV_CALL(cuCtxGetStreamPriorityRange, p, prio_range(p.leastPriority, p.greatestPriority));
}
