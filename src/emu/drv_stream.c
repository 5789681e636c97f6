/*
 * drv_stream.c — streams, events and host functions.
 *
 * Work on a stream runs when it is issued (drv.h), so every stream is idle
 * between calls: queries return CUDA_SUCCESS and synchronizing only reports
 * the context's sticky error.  Events take the driver clock when recorded.
 */
#include <stdlib.h>
#include "emu/drv.h"

#define NULL_STREAM_ID 7u

static uint32_t stream_id_next = 13;

/* Live streams and events: handles are looked up here, never trusted by
 * reading through them (a destroyed handle may be passed again). */
static NT_VEC(void *) live;

static int is_live(const void *h)
{
    for (size_t i = 0; i < live.n; i++)
        if (live.v[i] == h) return 1;
    return 0;
}

static void unlive(const void *h)
{
    for (size_t i = 0; i < live.n; i++)
        if (live.v[i] == h) { live.v[i] = live.v[--live.n]; return; }
}

int drv_stream_ok(CUstream s)
{
    return s == NULL || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD ||
           (is_live(s) && s->magic == DRV_MAGIC_STRM);
}

struct CUgraph_st *drv_stream_capture(CUstream s)
{
    if (s == NULL || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD || !is_live(s)) return NULL;
    return s->capture;
}

uint32_t drv_stream_id(CUstream s)
{
    if (s == NULL || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD)
        return NULL_STREAM_ID;
    return is_live(s) ? s->id : 0;
}

static CUresult stream_create(CUstream *ps, unsigned flags, int prio)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (!ps || flags > CU_STREAM_NON_BLOCKING) return CUDA_ERROR_INVALID_VALUE;
    CUstream s = nt_xcalloc(1, sizeof(*s));
    s->magic = DRV_MAGIC_STRM;
    s->id = stream_id_next++;
    s->ctx = drv_ctx();
    s->flags = flags;
    s->prio = prio;
    nt_vec_push(&live, s);
    *ps = s;
    drv_resource(CUPTI_CBID_RESOURCE_STREAM_CREATED, s->ctx, s, NULL);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuStreamCreate(CUstream *phStream, unsigned int Flags)
{
    cuStreamCreate_params p = { phStream, Flags };
    DRV_CALL(cuStreamCreate, p, stream_create(p.phStream, p.Flags, 0));
}

NT_EXPORT CUresult CUDAAPI cuStreamCreateWithPriority(CUstream *phStream, unsigned int flags,
                                                      int priority)
{
    cuStreamCreateWithPriority_params p = { phStream, flags, priority };
    DRV_CALL(cuStreamCreateWithPriority, p,
             stream_create(p.phStream, p.flags, p.priority));
}

static CUresult stream_destroy(CUstream s)
{
    if (!s || !drv_stream_ok(s) || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD)
        return CUDA_ERROR_INVALID_HANDLE;
    drv_resource(CUPTI_CBID_RESOURCE_STREAM_DESTROY_STARTING, s->ctx, s, NULL);
    unlive(s);
    if (!live.n) nt_vec_free(&live);
    free(s);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuStreamDestroy(CUstream hStream)
{
    cuStreamDestroy_v2_params p = { hStream };
    DRV_CALL(cuStreamDestroy_v2, p, stream_destroy(p.hStream));
}

static CUresult stream_check(CUstream s)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    return drv_stream_ok(s) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

static CUresult stream_capturing(CUstream s, CUstreamCaptureStatus *st)
{
    if (!st) return CUDA_ERROR_INVALID_VALUE;
    CUresult r = stream_check(s);
    if (r) return r;
    *st = drv_stream_capture(s) ? CU_STREAM_CAPTURE_STATUS_ACTIVE : CU_STREAM_CAPTURE_STATUS_NONE;
    return CUDA_SUCCESS;
}

/* Stream work other than kernels is not captured: refused while capturing. */
static CUresult stream_work(CUstream s)
{
    CUresult r = stream_check(s);
    if (r) return r;
    return drv_stream_capture(s) ? CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED : CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuStreamIsCapturing(CUstream hStream, CUstreamCaptureStatus *captureStatus)
{
    cuStreamIsCapturing_params p = { hStream, captureStatus };
    DRV_CALL(cuStreamIsCapturing, p, stream_capturing(p.hStream, p.captureStatus));
}

NT_EXPORT CUresult CUDAAPI cuStreamSynchronize(CUstream hStream)
{
    cuStreamSynchronize_params p = { hStream };
    DRV_CALL(cuStreamSynchronize, p, stream_work(p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuStreamQuery(CUstream hStream)
{
    cuStreamQuery_params p = { hStream };
    DRV_CALL(cuStreamQuery, p, stream_check(p.hStream));
}

static CUresult stream_wait(CUstream s, CUevent e)
{
    if (!e || !is_live(e) || e->magic != DRV_MAGIC_EVT) return CUDA_ERROR_INVALID_HANDLE;
    return stream_check(s);
}

NT_EXPORT CUresult CUDAAPI cuStreamWaitEvent(CUstream hStream, CUevent hEvent, unsigned int Flags)
{
    cuStreamWaitEvent_params p = { hStream, hEvent, Flags };
    DRV_CALL(cuStreamWaitEvent, p, stream_wait(p.hStream, p.hEvent));
}

static CUresult stream_flags(CUstream s, unsigned *f, int *prio, unsigned long long *id,
                             CUcontext *pc)
{
    CUresult r = stream_check(s);
    if (r) return r;
    int user = s && s != CU_STREAM_LEGACY && s != CU_STREAM_PER_THREAD;
    if (f) *f = user ? s->flags : 0;
    if (prio) *prio = user ? s->prio : 0;
    if (id) *id = drv_stream_id(s);
    if (pc) *pc = user ? s->ctx : drv_ctx();
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuStreamGetFlags(CUstream hStream, unsigned int *flags)
{
    cuStreamGetFlags_params p = { hStream, flags };
    DRV_CALL(cuStreamGetFlags, p,
             p.flags ? stream_flags(p.hStream, p.flags, NULL, NULL, NULL) : CUDA_ERROR_INVALID_VALUE);
}

NT_EXPORT CUresult CUDAAPI cuStreamGetPriority(CUstream hStream, int *priority)
{
    cuStreamGetPriority_params p = { hStream, priority };
    DRV_CALL(cuStreamGetPriority, p,
             p.priority ? stream_flags(p.hStream, NULL, p.priority, NULL, NULL)
                        : CUDA_ERROR_INVALID_VALUE);
}

NT_EXPORT CUresult CUDAAPI cuStreamGetId(CUstream hStream, unsigned long long *streamId)
{
    cuStreamGetId_params p = { hStream, streamId };
    DRV_CALL(cuStreamGetId, p,
             p.streamId ? stream_flags(p.hStream, NULL, NULL, p.streamId, NULL)
                        : CUDA_ERROR_INVALID_VALUE);
}

NT_EXPORT CUresult CUDAAPI cuStreamGetCtx(CUstream hStream, CUcontext *pctx)
{
    cuStreamGetCtx_params p = { hStream, pctx };
    DRV_CALL(cuStreamGetCtx, p,
             p.pctx ? stream_flags(p.hStream, NULL, NULL, NULL, p.pctx) : CUDA_ERROR_INVALID_VALUE);
}

/* Host functions run at once: all earlier work on the stream is done. */
static CUresult host_func(CUstream s, CUhostFn fn, void *ud)
{
    CUresult r = stream_work(s);
    if (r) return r;
    if (!fn) return CUDA_ERROR_INVALID_VALUE;
    fn(ud);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuLaunchHostFunc(CUstream hStream, CUhostFn fn, void *userData)
{
    cuLaunchHostFunc_params p = { hStream, fn, userData };
    DRV_CALL(cuLaunchHostFunc, p, host_func(p.hStream, p.fn, p.userData));
}

static CUresult stream_cb(CUstream s, CUstreamCallback cb, void *ud, unsigned flags)
{
    CUresult r = stream_work(s);
    if (r) return r;
    if (!cb || flags) return CUDA_ERROR_INVALID_VALUE;
    cb(s, CUDA_SUCCESS, ud);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuStreamAddCallback(CUstream hStream, CUstreamCallback callback,
                                               void *userData, unsigned int flags)
{
    cuStreamAddCallback_params p = { hStream, callback, userData, flags };
    DRV_CALL(cuStreamAddCallback, p, stream_cb(p.hStream, p.callback, p.userData, p.flags));
}

/* ---- events ------------------------------------------------------------------- */
static CUresult event_create(CUevent *pe, unsigned flags)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (!pe) return CUDA_ERROR_INVALID_VALUE;
    CUevent e = nt_xcalloc(1, sizeof(*e));
    e->magic = DRV_MAGIC_EVT;
    e->flags = flags;
    nt_vec_push(&live, e);
    *pe = e;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuEventCreate(CUevent *phEvent, unsigned int Flags)
{
    cuEventCreate_params p = { phEvent, Flags };
    DRV_CALL(cuEventCreate, p, event_create(p.phEvent, p.Flags));
}

static int ev_ok(CUevent e) { return e && is_live(e) && e->magic == DRV_MAGIC_EVT; }

static CUresult event_destroy(CUevent e)
{
    if (!ev_ok(e)) return CUDA_ERROR_INVALID_HANDLE;
    unlive(e);
    if (!live.n) nt_vec_free(&live);
    free(e);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuEventDestroy(CUevent hEvent)
{
    cuEventDestroy_v2_params p = { hEvent };
    DRV_CALL(cuEventDestroy_v2, p, event_destroy(p.hEvent));
}

static CUresult event_record(CUevent e, CUstream s)
{
    if (!ev_ok(e)) return CUDA_ERROR_INVALID_HANDLE;
    CUresult r = stream_check(s);
    if (r) return r;
    e->recorded = 1;
    e->t_ns = drv_now();
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuEventRecord(CUevent hEvent, CUstream hStream)
{
    cuEventRecord_params p = { hEvent, hStream };
    DRV_CALL(cuEventRecord, p, event_record(p.hEvent, p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuEventRecordWithFlags(CUevent hEvent, CUstream hStream,
                                                  unsigned int flags)
{
    cuEventRecordWithFlags_params p = { hEvent, hStream, flags };
    DRV_CALL(cuEventRecordWithFlags, p, event_record(p.hEvent, p.hStream));
}

NT_EXPORT CUresult CUDAAPI cuEventQuery(CUevent hEvent)
{
    cuEventQuery_params p = { hEvent };
    DRV_CALL(cuEventQuery, p, ev_ok(p.hEvent) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE);
}

NT_EXPORT CUresult CUDAAPI cuEventSynchronize(CUevent hEvent)
{
    cuEventSynchronize_params p = { hEvent };
    DRV_CALL(cuEventSynchronize, p,
             ev_ok(p.hEvent) ? drv_need_ctx() : CUDA_ERROR_INVALID_HANDLE);
}

static CUresult elapsed(float *ms, CUevent a, CUevent b)
{
    if (!ms) return CUDA_ERROR_INVALID_VALUE;
    if (!ev_ok(a) || !ev_ok(b)) return CUDA_ERROR_INVALID_HANDLE;
    if ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING) return CUDA_ERROR_INVALID_HANDLE;
    if (!a->recorded || !b->recorded) return CUDA_ERROR_NOT_READY;
    *ms = (float)((double)((int64_t)(b->t_ns - a->t_ns)) / 1e6);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuEventElapsedTime(float *pMilliseconds, CUevent hStart, CUevent hEnd)
{
    cuEventElapsedTime_v2_params p = { pMilliseconds, hStart, hEnd };
    DRV_CALL(cuEventElapsedTime_v2, p, elapsed(p.pMilliseconds, p.hStart, p.hEnd));
}
