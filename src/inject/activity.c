/* activity.c — CUPTI activity records (kernel, memcpy, memset) for the
 * launch timeline of every kernel, probed or not.
 *
 * CUPTI fills buffers we hand it and gives them back full on its own
 * thread (or at cuptiActivityFlushAll); we only copy each record's fields
 * into the collector's queue. */
#include "inject/inject_int.h"
#include "collector/collector.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define INJ_ACT_BUF (1u << 20)

/* Lock order: inj_lock may be held when names_mu is taken, never the
 * reverse; nothing under names_mu calls the driver. */
static pthread_mutex_t names_mu = PTHREAD_MUTEX_INITIALIZER;
static nt_map names;            /* keys owned, freed never (process life) */

void inj_names_put(const char *name, int64_t col_id)
{
    pthread_mutex_lock(&names_mu);
    if (!nt_map_get(&names, name, strlen(name), NULL)) {
        char *key = nt_xstrdup(name);
        nt_map_put(&names, key, strlen(key), (uint64_t)col_id);
    }
    pthread_mutex_unlock(&names_mu);
}

/* The kernel row of a kernel seen in a graph launch: the one its direct
 * launches made, or a new one saying it is not instrumented. */
static int64_t graph_kernel_id(const char *name)
{
    uint64_t v = 0;
    pthread_mutex_lock(&names_mu);
    if (!nt_map_get(&names, name, strlen(name), &v)) {
        char *dem = bin_demangle(name);
        col_kernel_info ki = {.mangled = name, .demangled = dem, .instrumented = false,
                              .reason = "launched only by CUDA graphs, which are not instrumented"};
        v = (uint64_t)col_kernel(inj.col, &ki);
        free(dem);
        char *key = nt_xstrdup(name);
        nt_map_put(&names, key, strlen(key), v);
    }
    pthread_mutex_unlock(&names_mu);
    return (int64_t)v;
}

/* A kernel a graph launched: its launch row says so (the callbacks never
 * see it), made just before the record that fills in its times: the
 * collector joins the two by correlation id, in queue order, so the
 * several kernels of one graph launch (one correlation id) each get theirs. */
static void graph_launch(const CUpti_ActivityKernel10 *k)
{
    col_launch_info li = {
        .kernel_id = k->name ? graph_kernel_id(k->name) : 0, .not_probed = INJ_GRAPH_REASON,
        .grid = {(uint32_t)k->gridX, (uint32_t)k->gridY, (uint32_t)k->gridZ},
        .block = {(uint32_t)k->blockX, (uint32_t)k->blockY, (uint32_t)k->blockZ},
        .static_shared = (uint32_t)k->staticSharedMemory,
        .dynamic_shared = (uint32_t)k->dynamicSharedMemory, .registers = k->registersPerThread,
        .device_id = k->deviceId, .context_id = k->contextId, .stream_id = k->streamId,
        .correlation_id = k->correlationId};
    col_launch(inj.col, &li);
}

static void CUPTIAPI act_request(uint8_t **buf, size_t *size, size_t *max_records)
{
    *buf = aligned_alloc(8, INJ_ACT_BUF);
    *size = *buf ? INJ_ACT_BUF : 0;
    *max_records = 0;
}

static void act_record(const CUpti_Activity *r)
{
    switch (r->kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
        const CUpti_ActivityKernel10 *k = (const CUpti_ActivityKernel10 *)r;
        if (k->correlationId == inj_canary_corr) break;   /* ntrace's own */
        if (k->graphId) graph_launch(k);
        col_kernel_activity a = {
            .correlation_id = k->correlationId, .start = k->start, .end = k->end,
            .device_id = k->deviceId, .context_id = k->contextId, .stream_id = k->streamId,
            .name = k->name,
            .grid = {(uint32_t)k->gridX, (uint32_t)k->gridY, (uint32_t)k->gridZ},
            .block = {(uint32_t)k->blockX, (uint32_t)k->blockY, (uint32_t)k->blockZ},
            .static_shared = (uint32_t)k->staticSharedMemory,
            .dynamic_shared = (uint32_t)k->dynamicSharedMemory,
            .registers = k->registersPerThread};
        col_kernel_done(inj.col, &a);
        break;
    }
    case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const CUpti_ActivityMemcpy6 *m = (const CUpti_ActivityMemcpy6 *)r;
        col_memcpy_activity a = {
            .correlation_id = m->correlationId, .start = m->start, .end = m->end,
            .device_id = m->deviceId, .context_id = m->contextId, .stream_id = m->streamId,
            .bytes = m->bytes, .copy_kind = m->copyKind, .src_kind = m->srcKind,
            .dst_kind = m->dstKind};
        col_memcpy(inj.col, &a);
        break;
    }
    case CUPTI_ACTIVITY_KIND_MEMSET: {
        const CUpti_ActivityMemset4 *m = (const CUpti_ActivityMemset4 *)r;
        col_memset_activity a = {
            .correlation_id = m->correlationId, .start = m->start, .end = m->end,
            .device_id = m->deviceId, .context_id = m->contextId, .stream_id = m->streamId,
            .bytes = m->bytes, .value = m->value, .mem_kind = (uint8_t)m->memoryKind};
        col_memset(inj.col, &a);
        break;
    }
    default:
        break;
    }
}

static void CUPTIAPI act_complete(CUcontext ctx, uint32_t stream, uint8_t *buf, size_t size,
                                  size_t valid)
{
    CUpti_Activity *r = NULL;
    if (inj.col)
        while (cuptiActivityGetNextRecord(buf, valid, &r) == CUPTI_SUCCESS) act_record(r);
    free(buf);
}

int inj_activity_start(nt_err *e)
{
    if (cuptiActivityRegisterCallbacks(act_request, act_complete) != CUPTI_SUCCESS)
        return nt_err_set(e, "cannot register CUPTI activity buffers");
    /* Concurrent kernel records keep the app's kernels overlapping. */
    if (cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) != CUPTI_SUCCESS)
        return nt_err_set(e, "cannot enable CUPTI kernel activity records");
    cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY);
    cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMSET);
    return 0;
}
