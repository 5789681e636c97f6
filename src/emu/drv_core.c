/*
 * drv_core.c — the emulated driver's global state: initialization (with
 * CUDA_INJECTION64_PATH), the current context, the call wrapper that feeds
 * CUPTI, and the private export table CUPTI reaches us through.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "emu/drv.h"

pthread_mutex_t drv_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
int drv_inited;
const emu_tracer *drv_tracer;

static __thread CUcontext cur_ctx;
static uint32_t corr_next;
static void *inject_handle;

CUcontext drv_ctx(void) { return cur_ctx; }
void drv_set_ctx(CUcontext c) { cur_ctx = c; }

uint64_t drv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint32_t drv_next_corr(void)
{
    return __atomic_add_fetch(&corr_next, 1, __ATOMIC_RELAXED);
}

CUresult drv_need_ctx(void)
{
    CUcontext c = cur_ctx;
    if (!c || c->magic != DRV_MAGIC_CTX)
        return CUDA_ERROR_INVALID_CONTEXT;
    return c->sticky;
}

void drv_resource(uint32_t cbid, CUcontext ctx, CUstream s, void *desc)
{
    const emu_tracer *t = drv_tracer;
    if (t && t->resource)
        t->resource(cbid, ctx, s, desc);
}

/* Calls that work before cuInit, as in the real driver. */
static int pre_init_ok(uint32_t cbid)
{
    return cbid == CUPTI_DRIVER_TRACE_CBID_cuInit ||
           cbid == CUPTI_DRIVER_TRACE_CBID_cuDriverGetVersion ||
           cbid == CUPTI_DRIVER_TRACE_CBID_cuGetProcAddress_v2;
}

void drv_enter(drv_call *c, uint32_t cbid, const char *name, void *params,
               const char *symbol)
{
    memset(c, 0, sizeof(*c));
    c->cbid = cbid;
    c->name = name;
    c->params = params;
    c->symbol = symbol;
    c->ctx = cur_ctx;
    if (!drv_inited && !pre_init_ok(cbid)) {
        c->ret = CUDA_ERROR_NOT_INITIALIZED;
        return;
    }
    c->corr = drv_next_corr();
    const emu_tracer *t = drv_tracer;
    if (t && t->api) {
        c->traced = 1;
        t->api(0, cbid, name, params, &c->ret, symbol, c->ctx,
               c->ctx ? c->ctx->uid : 0, c->corr, &c->corr_data);
    }
}

CUresult drv_exit(drv_call *c)
{
    const emu_tracer *t = drv_tracer;
    if (c->traced && t && t->api)
        t->api(1, c->cbid, c->name, c->params, &c->ret, c->symbol, c->ctx,
               c->ctx ? c->ctx->uid : 0, c->corr, &c->corr_data);
    return c->ret;
}

/* ---- private export table for CUPTI --------------------------------------- */
static void set_tracer(const emu_tracer *t) { drv_tracer = t; }
static uint32_t ctx_uid(CUcontext c) { return c && c->magic == DRV_MAGIC_CTX ? c->uid : 0; }

static const emu_trace_table trace_table = {
    .version = EMU_TRACE_VERSION,
    .size = sizeof(emu_trace_table),
    .set_tracer = set_tracer,
    .timestamp = drv_now,
    .context_uid = ctx_uid,
    .stream_id = drv_stream_id,
};

NT_EXPORT CUresult CUDAAPI cuGetExportTable(const void **ppExportTable,
                                            const CUuuid *pExportTableId)
{
    if (!ppExportTable || !pExportTableId)
        return CUDA_ERROR_INVALID_VALUE;
    if (memcmp(pExportTableId->bytes, EMU_TRACE_UUID_BYTES, 16) != 0) {
        nt_debug("emu: cuGetExportTable: a private table (as cudart asks for) is not emulated");
        *ppExportTable = NULL;
        return CUDA_ERROR_INVALID_VALUE;
    }
    *ppExportTable = &trace_table;
    return CUDA_SUCCESS;
}

/* ---- init ------------------------------------------------------------------ */
/* As the real driver: the first cuInit loads CUDA_INJECTION64_PATH and calls
 * its InitializeInjection(); a library that fails to load or lacks the
 * symbol is reported and ignored. */
static void load_injection(void)
{
    const char *path = getenv("CUDA_INJECTION64_PATH");
    if (!path || !*path)
        return;
    inject_handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (!inject_handle) {
        nt_warn("emu: CUDA_INJECTION64_PATH: %s", dlerror());
        return;
    }
    int (*init)(void) = (int (*)(void))dlsym(inject_handle, "InitializeInjection");
    if (!init) {
        nt_warn("emu: %s has no InitializeInjection", path);
        return;
    }
    init();
}

static CUresult do_init(unsigned flags)
{
    if (flags != 0)
        return CUDA_ERROR_INVALID_VALUE;
    if (drv_inited)
        return CUDA_SUCCESS;
    drv_inited = 1;
    emu_cfg();
    drv_devices_init();
    load_injection();
    drv_resource(CUPTI_CBID_RESOURCE_CU_INIT_FINISHED, NULL, NULL, NULL);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuInit(unsigned int Flags)
{
    cuInit_params p = { Flags };
    DRV_CALL(cuInit, p, do_init(p.Flags));
}

NT_EXPORT CUresult CUDAAPI cuDriverGetVersion(int *driverVersion)
{
    cuDriverGetVersion_params p = { driverVersion };
    DRV_CALL(cuDriverGetVersion, p,
             p.driverVersion ? (*p.driverVersion = CUDA_VERSION, CUDA_SUCCESS)
                             : CUDA_ERROR_INVALID_VALUE);
}

/* ---- errors ------------------------------------------------------------------ */
static const struct { CUresult code; const char *name, *msg; } errtab[] = {
#define X(n, m) { n, #n, m },
#include "emu/drv_errtab.h"
#undef X
};

static CUresult err_lookup(CUresult error, const char **pStr, int want_name)
{
    if (!pStr)
        return CUDA_ERROR_INVALID_VALUE;
    for (size_t i = 0; i < NT_ARRAY_LEN(errtab); i++)
        if (errtab[i].code == error) {
            *pStr = want_name ? errtab[i].name : errtab[i].msg;
            return CUDA_SUCCESS;
        }
    *pStr = NULL;
    return CUDA_ERROR_INVALID_VALUE;
}

NT_EXPORT CUresult CUDAAPI cuGetErrorString(CUresult error, const char **pStr)
{
    return err_lookup(error, pStr, 0);
}

NT_EXPORT CUresult CUDAAPI cuGetErrorName(CUresult error, const char **pStr)
{
    return err_lookup(error, pStr, 1);
}

CUresult drv_status(int st)
{
    switch (st) {
    case EMU_OK:                return CUDA_SUCCESS;
    case EMU_E_ILLEGAL_ADDRESS: return CUDA_ERROR_ILLEGAL_ADDRESS;
    case EMU_E_MISALIGNED:      return CUDA_ERROR_MISALIGNED_ADDRESS;
    case EMU_E_TRAP:            return CUDA_ERROR_LAUNCH_FAILED;
    case EMU_E_UNSUPPORTED:     return CUDA_ERROR_ILLEGAL_INSTRUCTION;
    case EMU_E_INVALID:         return CUDA_ERROR_INVALID_VALUE;
    case EMU_E_HANG:            return CUDA_ERROR_LAUNCH_TIMEOUT;
    default:                    return CUDA_ERROR_UNKNOWN;
    }
}
