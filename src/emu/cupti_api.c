/*
 * cupti_api.c — the emulated CUPTI callback API: one subscriber, per-domain
 * and per-callback enables, driver-API and resource callbacks fed by the
 * emulated driver through its private export table (emu_trace.h).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include "emu/cupti_int.h"

#define NCBID 1024

static struct {
    int                 active;
    CUpti_CallbackFunc  fn;
    void               *ud;
    uint8_t             on[CUPTI_CB_DOMAIN_SIZE][NCBID];
} sub;

static const emu_trace_table *drv;
static pthread_once_t drv_once = PTHREAD_ONCE_INIT;

static void find_drv(void)
{
    typedef CUresult (*get_t)(const void **, const CUuuid *);
    get_t get = (get_t)dlsym(RTLD_DEFAULT, "cuGetExportTable");
    if (!get) {
        void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
        if (!h) h = dlopen("libcuda.so.1", RTLD_NOW);
        if (h) get = (get_t)dlsym(h, "cuGetExportTable");
    }
    CUuuid id;
    memcpy(id.bytes, EMU_TRACE_UUID_BYTES, 16);
    const void *t = NULL;
    if (get && get(&t, &id) == CUDA_SUCCESS && t &&
        ((const emu_trace_table *)t)->version == EMU_TRACE_VERSION)
        drv = t;
    else
        nt_warn("emu cupti: the loaded libcuda.so.1 is not the ntrace emulator; no callbacks");
}

const emu_trace_table *cupti_drv(void)
{
    pthread_once(&drv_once, find_drv);
    return drv;
}

static void on_api(int site, uint32_t cbid, const char *name, void *params, CUresult *ret,
                   const char *symbol, CUcontext ctx, uint32_t ctx_uid, uint32_t corr_id,
                   uint64_t *corr_data)
{
    if (!sub.active || cbid >= NCBID || !sub.on[CUPTI_CB_DOMAIN_DRIVER_API][cbid]) return;
    CUpti_CallbackData d = {
        .callbackSite = site ? CUPTI_API_EXIT : CUPTI_API_ENTER,
        .functionName = name, .functionParams = params, .functionReturnValue = ret,
        .symbolName = symbol, .context = ctx, .contextUid = ctx_uid,
        .correlationData = corr_data, .correlationId = corr_id,
    };
    sub.fn(sub.ud, CUPTI_CB_DOMAIN_DRIVER_API, cbid, &d);
}

static void on_resource(uint32_t cbid, CUcontext ctx, CUstream s, void *desc)
{
    if (!sub.active || cbid >= NCBID || !sub.on[CUPTI_CB_DOMAIN_RESOURCE][cbid]) return;
    CUpti_ResourceData d = { .context = ctx, .resourceDescriptor = desc };
    d.resourceHandle.stream = s;
    sub.fn(sub.ud, CUPTI_CB_DOMAIN_RESOURCE, cbid, &d);
}

static void on_kernel(const emu_kernel_rec *r) { cupti_act_kernel(r); }

static const emu_tracer tracer = { on_api, on_resource, on_kernel };

void cupti_attach(void)
{
    const emu_trace_table *t = cupti_drv();
    if (t) t->set_tracer(&tracer);
}

NT_EXPORT CUptiResult CUPTIAPI cuptiSubscribe(CUpti_SubscriberHandle *subscriber,
                                              CUpti_CallbackFunc callback, void *userdata)
{
    if (!subscriber || !callback) return CUPTI_ERROR_INVALID_PARAMETER;
    if (sub.active) return CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED;
    memset(sub.on, 0, sizeof sub.on);
    /* Without the emulated driver there is nothing to subscribe to; a
     * failed subscription leaves CUPTI free. */
    if (!cupti_drv()) return CUPTI_ERROR_NOT_INITIALIZED;
    sub.fn = callback;
    sub.ud = userdata;
    sub.active = 1;
    *subscriber = (CUpti_SubscriberHandle)&sub;
    cupti_attach();
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiSubscribe_v2(CUpti_SubscriberHandle *subscriber,
                                                 CUpti_CallbackFunc callback, void *userdata,
                                                 CUpti_SubscriberParams *pParams)
{
    if (pParams && pParams->oldSubscriberName && pParams->oldSubscriberSize && sub.active)
        pParams->oldSubscriberName[0] = 0;
    return cuptiSubscribe(subscriber, callback, userdata);
}

static int sub_ok(CUpti_SubscriberHandle s) { return s == (CUpti_SubscriberHandle)&sub && sub.active; }

NT_EXPORT CUptiResult CUPTIAPI cuptiUnsubscribe(CUpti_SubscriberHandle subscriber)
{
    if (!sub_ok(subscriber)) return CUPTI_ERROR_INVALID_PARAMETER;
    sub.active = 0;
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiEnableCallback(uint32_t enable, CUpti_SubscriberHandle subscriber,
                                                   CUpti_CallbackDomain domain, CUpti_CallbackId cbid)
{
    if (!sub_ok(subscriber) || domain <= CUPTI_CB_DOMAIN_INVALID || domain >= CUPTI_CB_DOMAIN_SIZE ||
        cbid >= NCBID)
        return CUPTI_ERROR_INVALID_PARAMETER;
    sub.on[domain][cbid] = enable != 0;
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiEnableDomain(uint32_t enable, CUpti_SubscriberHandle subscriber,
                                                 CUpti_CallbackDomain domain)
{
    if (!sub_ok(subscriber) || domain <= CUPTI_CB_DOMAIN_INVALID || domain >= CUPTI_CB_DOMAIN_SIZE)
        return CUPTI_ERROR_INVALID_PARAMETER;
    memset(sub.on[domain], enable != 0, NCBID);
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiEnableAllDomains(uint32_t enable, CUpti_SubscriberHandle subscriber)
{
    if (!sub_ok(subscriber)) return CUPTI_ERROR_INVALID_PARAMETER;
    for (int d = 1; d < CUPTI_CB_DOMAIN_SIZE; d++) memset(sub.on[d], enable != 0, NCBID);
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetCallbackState(uint32_t *enable, CUpti_SubscriberHandle subscriber,
                                                     CUpti_CallbackDomain domain, CUpti_CallbackId cbid)
{
    if (!enable || !sub_ok(subscriber) || domain <= CUPTI_CB_DOMAIN_INVALID ||
        domain >= CUPTI_CB_DOMAIN_SIZE || cbid >= NCBID)
        return CUPTI_ERROR_INVALID_PARAMETER;
    *enable = sub.on[domain][cbid];
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiSupportedDomains(size_t *domainCount, CUpti_DomainTable *domainTable)
{
    static CUpti_CallbackDomain doms[] = { CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_CB_DOMAIN_RESOURCE };
    if (!domainCount || !domainTable) return CUPTI_ERROR_INVALID_PARAMETER;
    *domainCount = NT_ARRAY_LEN(doms);
    *domainTable = doms;
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetVersion(uint32_t *version)
{
    if (!version) return CUPTI_ERROR_INVALID_PARAMETER;
    *version = CUPTI_API_VERSION;
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetTimestamp(uint64_t *timestamp)
{
    if (!timestamp) return CUPTI_ERROR_INVALID_PARAMETER;
    const emu_trace_table *t = cupti_drv();
    *timestamp = t ? t->timestamp() : 0;
    return t ? CUPTI_SUCCESS : CUPTI_ERROR_NOT_INITIALIZED;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetContextId(CUcontext context, uint32_t *contextId)
{
    const emu_trace_table *t = cupti_drv();
    if (!contextId || !t) return CUPTI_ERROR_INVALID_PARAMETER;
    *contextId = t->context_uid(context);
    return *contextId ? CUPTI_SUCCESS : CUPTI_ERROR_INVALID_CONTEXT;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetStreamId(CUcontext context, CUstream stream, uint32_t *streamId)
{
    const emu_trace_table *t = cupti_drv();
    if (!streamId || !t) return CUPTI_ERROR_INVALID_PARAMETER;
    *streamId = t->stream_id(stream);
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetStreamIdEx(CUcontext context, CUstream stream,
                                                  uint8_t perThreadStream, uint32_t *streamId)
{
    return cuptiGetStreamId(context, stream, streamId);
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetDeviceId(CUcontext context, uint32_t *deviceId)
{
    if (!deviceId) return CUPTI_ERROR_INVALID_PARAMETER;
    *deviceId = 0;
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetResultString(CUptiResult result, const char **str)
{
    if (!str) return CUPTI_ERROR_INVALID_PARAMETER;
    switch (result) {
    case CUPTI_SUCCESS: *str = "CUPTI_SUCCESS"; break;
    case CUPTI_ERROR_INVALID_PARAMETER: *str = "CUPTI_ERROR_INVALID_PARAMETER"; break;
    case CUPTI_ERROR_MAX_LIMIT_REACHED: *str = "CUPTI_ERROR_MAX_LIMIT_REACHED"; break;
    case CUPTI_ERROR_NOT_INITIALIZED: *str = "CUPTI_ERROR_NOT_INITIALIZED"; break;
    case CUPTI_ERROR_INVALID_KIND: *str = "CUPTI_ERROR_INVALID_KIND"; break;
    case CUPTI_ERROR_NOT_SUPPORTED: *str = "CUPTI_ERROR_NOT_SUPPORTED"; break;
    case CUPTI_ERROR_INVALID_CONTEXT: *str = "CUPTI_ERROR_INVALID_CONTEXT"; break;
    case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
        *str = "CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED"; break;
    default: *str = "CUPTI_ERROR_UNKNOWN"; return CUPTI_ERROR_INVALID_PARAMETER;
    }
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiGetLastError(void) { return CUPTI_SUCCESS; }

NT_EXPORT CUptiResult CUPTIAPI cuptiFinalize(void)
{
    const emu_trace_table *t = cupti_drv();
    sub.active = 0;
    if (t) t->set_tracer(NULL);
    return CUPTI_SUCCESS;
}
