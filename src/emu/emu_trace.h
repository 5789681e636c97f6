/*
 * emu_trace.h — the private contract between the emulated driver
 * (libcuda.so.1) and the emulated CUPTI (libcupti.so.13).
 *
 * As with NVIDIA's own pair, CUPTI reaches the driver through
 * cuGetExportTable with a private UUID; the table lets CUPTI install one
 * tracer (callbacks into CUPTI) and read the driver's clock.  Nothing here
 * is part of any public ABI; both sides are built from the same tree.
 */
#ifndef EMU_TRACE_H
#define EMU_TRACE_H

#include <stdint.h>
#include <cuda.h>

/* 16 bytes, "ntrace-emu-trc-1" */
#define EMU_TRACE_UUID_BYTES "ntrace-emu-trc-1"
#define EMU_TRACE_VERSION 1

/* One kernel execution, as CUPTI's activity records need it. */
typedef struct emu_kernel_rec {
    uint64_t    start, end;           /* ns, on the driver's clock */
    uint64_t    grid_id;
    uint32_t    correlation_id;
    uint32_t    context_id, device_id, stream_id;
    uint32_t    grid[3], block[3];
    uint32_t    static_smem, dyn_smem, local_per_thread;
    uint16_t    regs_per_thread;
    const char *name;                 /* valid while the module is loaded */
    uint32_t    graph_id;             /* 0 unless launched by cuGraphLaunch */
    uint64_t    graph_node_id;
} emu_kernel_rec;

typedef struct emu_tracer {
    /* Driver API call: site 0 = enter, 1 = exit.  params is the call's own
     * parameter block (generated_cuda_meta.h); what the callback writes
     * there at enter is what the call then uses.  corr_data is one slot
     * that lives from enter to exit of this call. */
    void (*api)(int site, uint32_t cbid, const char *name, void *params,
                CUresult *ret, const char *symbol, CUcontext ctx,
                uint32_t ctx_uid, uint32_t corr_id, uint64_t *corr_data);
    /* Resource event (CUpti_CallbackIdResource); desc as CUPTI defines it. */
    void (*resource)(uint32_t cbid, CUcontext ctx, CUstream stream, void *desc);
    /* A kernel finished (called on the thread that ran it). */
    void (*kernel)(const emu_kernel_rec *r);
} emu_tracer;

typedef struct emu_trace_table {
    uint32_t version;
    uint32_t size;
    /* Installs (or, with NULL, removes) the tracer. */
    void     (*set_tracer)(const emu_tracer *t);
    uint64_t (*timestamp)(void);                 /* ns */
    uint32_t (*context_uid)(CUcontext ctx);
    uint32_t (*stream_id)(CUstream s);
} emu_trace_table;

#endif
