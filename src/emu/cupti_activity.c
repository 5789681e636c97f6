/*
 * cupti_activity.c — the emulated CUPTI activity API, for kernel records
 * (CUPTI_ACTIVITY_KIND_KERNEL and _CONCURRENT_KERNEL, CUpti_ActivityKernel10).
 *
 * Records go into the buffer the client hands out through its "buffer
 * requested" callback; a full buffer, and every buffer at
 * cuptiActivityFlushAll, goes back through "buffer completed".  Records are
 * fixed-size and 8-byte aligned, which cuptiActivityGetNextRecord relies on.
 */
#include <pthread.h>
#include <string.h>
#include "emu/cupti_int.h"

#define REC_SIZE ((sizeof(CUpti_ActivityKernel10) + 7) & ~(size_t)7)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static CUpti_BuffersCallbackRequestFunc req_fn;
static CUpti_BuffersCallbackCompleteFunc done_fn;
static int kernel_on;
static uint8_t *buf;
static size_t buf_size, buf_used;
static uint32_t dropped;

int cupti_act_wants_kernels(void) { return kernel_on; }

/* Kernel names in records belong to CUPTI and stay valid after the module
 * is unloaded (records are often flushed later): one interned copy each,
 * kept for the life of the process. */
static nt_map names;

static const char *intern(const char *s)
{
    if (!s) return NULL;
    uint64_t v;
    size_t n = strlen(s);
    if (nt_map_get(&names, s, n, &v)) return (const char *)(uintptr_t)v;
    char *c = nt_xstrdup(s);
    nt_map_put(&names, c, n, (uint64_t)(uintptr_t)c);
    return c;
}

/* Hands the current buffer back (caller holds mu; the callback runs
 * without it so the client may call CUPTI from there). */
static void complete(void)
{
    uint8_t *b = buf;
    size_t used = buf_used;
    buf = NULL;
    buf_used = buf_size = 0;
    if (!b || !done_fn) return;
    pthread_mutex_unlock(&mu);
    done_fn(NULL, 0, b, used, used);
    pthread_mutex_lock(&mu);
}

void cupti_act_kernel(const emu_kernel_rec *r)
{
    if (!kernel_on) return;
    pthread_mutex_lock(&mu);
    if (buf && buf_size - buf_used < REC_SIZE) complete();
    if (!buf && req_fn) {
        size_t max = 0;
        req_fn(&buf, &buf_size, &max);
        buf_used = 0;
        if (buf && ((uintptr_t)buf & 7)) {          /* CUPTI requires 8-byte alignment */
            size_t skip = 8 - ((uintptr_t)buf & 7);
            buf_used = skip < buf_size ? skip : buf_size;
        }
    }
    if (!buf || buf_size - buf_used < REC_SIZE) {
        dropped++;
        pthread_mutex_unlock(&mu);
        return;
    }
    CUpti_ActivityKernel10 k;
    memset(&k, 0, sizeof k);
    k.kind = kernel_on == 2 ? CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL : CUPTI_ACTIVITY_KIND_KERNEL;
    k.registersPerThread = r->regs_per_thread;
    k.start = r->start;
    k.end = r->end;
    k.completed = r->end;
    k.queued = k.submitted = r->start;
    k.deviceId = r->device_id;
    k.contextId = r->context_id;
    k.streamId = r->stream_id;
    k.gridX = (int32_t)r->grid[0]; k.gridY = (int32_t)r->grid[1]; k.gridZ = (int32_t)r->grid[2];
    k.blockX = (int32_t)r->block[0]; k.blockY = (int32_t)r->block[1]; k.blockZ = (int32_t)r->block[2];
    k.staticSharedMemory = (int32_t)r->static_smem;
    k.dynamicSharedMemory = (int32_t)r->dyn_smem;
    k.localMemoryPerThread = r->local_per_thread;
    k.correlationId = r->correlation_id;
    k.gridId = (int64_t)r->grid_id;
    k.graphId = r->graph_id;
    k.graphNodeId = r->graph_node_id;
    k.name = intern(r->name);
    k.clusterX = k.clusterY = k.clusterZ = 1;
    memcpy(buf + buf_used, &k, sizeof k);
    buf_used += REC_SIZE;
    pthread_mutex_unlock(&mu);
}

NT_EXPORT CUptiResult CUPTIAPI cuptiActivityRegisterCallbacks(CUpti_BuffersCallbackRequestFunc funcBufferRequested,
                                                              CUpti_BuffersCallbackCompleteFunc funcBufferCompleted)
{
    if (!funcBufferRequested || !funcBufferCompleted) return CUPTI_ERROR_INVALID_PARAMETER;
    req_fn = funcBufferRequested;
    done_fn = funcBufferCompleted;
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiActivityEnable(CUpti_ActivityKind kind)
{
    if (kind == CUPTI_ACTIVITY_KIND_KERNEL) kernel_on = 1;
    else if (kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) kernel_on = 2;
    else return CUPTI_ERROR_NOT_SUPPORTED;
    cupti_attach();
    return cupti_drv() ? CUPTI_SUCCESS : CUPTI_ERROR_NOT_INITIALIZED;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiActivityDisable(CUpti_ActivityKind kind)
{
    if (kind != CUPTI_ACTIVITY_KIND_KERNEL && kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL)
        return CUPTI_ERROR_NOT_SUPPORTED;
    kernel_on = 0;
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiActivityFlushAll(uint32_t flag)
{
    pthread_mutex_lock(&mu);
    complete();
    pthread_mutex_unlock(&mu);
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiActivityFlush(CUcontext context, uint32_t streamId, uint32_t flag)
{
    return cuptiActivityFlushAll(flag);
}

NT_EXPORT CUptiResult CUPTIAPI cuptiActivityGetNextRecord(uint8_t *buffer, size_t validBufferSizeBytes,
                                                          CUpti_Activity **record)
{
    if (!buffer || !record) return CUPTI_ERROR_INVALID_PARAMETER;
    size_t off;
    if (*record == NULL) {
        off = (uintptr_t)buffer & 7 ? 8 - ((uintptr_t)buffer & 7) : 0;
    } else {
        uintptr_t cur = (uintptr_t)*record;
        if (cur < (uintptr_t)buffer) return CUPTI_ERROR_INVALID_PARAMETER;
        off = cur - (uintptr_t)buffer + REC_SIZE;
    }
    if (off >= validBufferSizeBytes || validBufferSizeBytes - off < REC_SIZE) {
        *record = NULL;
        return CUPTI_ERROR_MAX_LIMIT_REACHED;
    }
    *record = (CUpti_Activity *)(buffer + off);
    return CUPTI_SUCCESS;
}

NT_EXPORT CUptiResult CUPTIAPI cuptiActivityGetNumDroppedRecords(CUcontext context, uint32_t streamId,
                                                                 size_t *dropped_)
{
    if (!dropped_) return CUPTI_ERROR_INVALID_PARAMETER;
    *dropped_ = dropped;
    return CUPTI_SUCCESS;
}
