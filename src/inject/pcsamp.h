/* pcsamp.h — hardware warp-stall sampling (CUPTI PC Sampling API), private
 * to the injector.  See docs/pc-sampling.md.
 *
 * Two parts:
 *   - conversion (pure): a CUpti_PCSamplingData that CUPTI filled, as
 *     cupti_pcsampling.h documents it, becomes col_pc_sample rows; CUPTI's
 *     stall-reason names become col_stall_reason calls;
 *   - driving: per context, enable, configure, start continuous collection,
 *     drain with cuptiPCSamplingGetData (which never synchronizes), stop
 *     and disable.  The CUPTI entry points are looked up at run time, so a
 *     CUPTI without PC sampling (the emulator's) means "not supported",
 *     never a failed load; tests pass their own.
 *
 * Nothing here can fail the app: every CUPTI failure turns PC sampling off
 * for that context, with one line on stderr ("not permitted ..." when CUPTI
 * says CUPTI_ERROR_INSUFFICIENT_PRIVILEGES, "not supported ..." otherwise).
 *
 * Calls, from callbacks.c / inject_main.c (see docs/pc-sampling.md):
 *   start-up, when cfg.pc_sampling:      inj_pcs_init(inj.col, NULL, &e)
 *   CUPTI_CBID_RESOURCE_CONTEXT_CREATED: inj_pcs_context_start(ctx)
 *   API_EXIT of every launch:            inj_pcs_on_launch(cb->context)
 *   cuModuleUnload / cuLibraryUnload ENTER: inj_pcs_drain(cb->context)
 *   CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING: inj_pcs_context_end(ctx)
 *   exit, before the collector closes:   inj_pcs_stop_all()
 * All of them are thread-safe and cheap when PC sampling is off. */
#ifndef NT_INJECT_PCSAMP_H
#define NT_INJECT_PCSAMP_H

#include <cuda.h>
#include <cupti.h>
#include <cupti_pcsampling.h>

#include "common/common.h"

struct col;

/* Default sampling period: 2^12 cycles per sample per SM (see the doc). */
#define INJ_PCS_PERIOD_DEFAULT 12u
#define INJ_PCS_PERIOD_MIN 5u           /* CUPTI's valid range, 2^5 .. 2^31 */
#define INJ_PCS_PERIOD_MAX 31u
/* PC records per GetData buffer, and the CUPTI buffers we ask for. */
#define INJ_PCS_COLLECT_PCS 4096u
#define INJ_PCS_SCRATCH_BYTES ((size_t)4 << 20)
#define INJ_PCS_HW_BYTES ((size_t)512 << 20)
/* Default time between drains from the launch path. */
#define INJ_PCS_DRAIN_MS_DEFAULT 100u

/* Counters over a run (all contexts). */
typedef struct inj_pcs_stats {
    uint64_t buffers;           /* CUpti_PCSamplingData buffers converted */
    uint64_t pcs;               /* PC records read */
    uint64_t rows;              /* rows handed to the collector */
    uint64_t samples;           /* samples in those rows */
    uint64_t total_samples;     /* CUPTI's totalSamples, summed */
    uint64_t dropped_samples;   /* CUPTI's droppedSamples (hardware overflow) */
    uint64_t non_user_samples;  /* CUPTI's nonUsrKernelsTotalSamples */
    uint64_t buffer_full;       /* drains that found the hardware buffer full */
    uint64_t malformed;         /* inconsistent counts that were clamped or skipped */
    uint64_t rows_lost;         /* rows the collector refused (queue full) */
    uint64_t lines;             /* PCs given a source line (NTRACE_PC_LINES rows) */
} inj_pcs_stats;

/* ---- conversion ---------------------------------------------------------- */
/* Hands every (PC, stall reason) of d with a non-zero sample count to c as
 * col_pc_sample rows, and adds to st.  A PC whose cubin's line table is
 * known (inj_pcl_cubin_crc saw it) also gets one col_pc_line row, the
 * first time it is seen in the run.  Reads d->pPcData[0 .. n) with
 * n = min(totalNumPcs, collectNumPcs), and at most max_reasons stall
 * reasons per PC (0: no limit beyond stallReasonCount): counts larger than
 * what the buffer holds are clamped and counted in st->malformed, never
 * read past.  A NULL function name is stored as NULL.  Returns the number
 * of rows. */
size_t inj_pcs_convert(struct col *c, const CUpti_PCSamplingData *d, size_t max_reasons,
                       inj_pcs_stats *st);

/* Stores CUPTI's stall-reason names: index[i] -> names[i], i < n.  A NULL
 * name is skipped. */
void inj_pcs_stall_names(struct col *c, size_t n, const uint32_t *index, char *const *names);

/* "12" -> 12: the sampling period's exponent (2^exp cycles), 5..31. */
int inj_pcs_parse_period(const char *s, uint32_t *exp, nt_err *e);

/* ---- driving --------------------------------------------------------------- */
/* The CUPTI entry points used, as cupti_pcsampling.h declares them. */
typedef struct inj_pcs_api {
    CUptiResult (*get_num_stall_reasons)(CUpti_PCSamplingGetNumStallReasonsParams *);
    CUptiResult (*get_stall_reasons)(CUpti_PCSamplingGetStallReasonsParams *);
    CUptiResult (*set_config)(CUpti_PCSamplingConfigurationInfoParams *);
    CUptiResult (*enable)(CUpti_PCSamplingEnableParams *);
    CUptiResult (*start)(CUpti_PCSamplingStartParams *);
    CUptiResult (*stop)(CUpti_PCSamplingStopParams *);
    CUptiResult (*get_data)(CUpti_PCSamplingGetDataParams *);
    CUptiResult (*disable)(CUpti_PCSamplingDisableParams *);
    CUptiResult (*result_string)(CUptiResult, const char **);   /* may be NULL */
    /* cuptiRegisterComputeCrcCallback; may be NULL (no source lines). */
    CUptiResult (*register_crc)(CUpti_ComputeCrcCallbackFunc);
} inj_pcs_api;

/* Turns PC sampling on for the run: api NULL looks CUPTI's entry points up
 * in the process.  Reads NTRACE_PC_SAMPLING_PERIOD (exponent, default
 * INJ_PCS_PERIOD_DEFAULT) and NTRACE_PC_SAMPLING_DRAIN_MS (default 100).
 * Returns -1 with e set (and PC sampling off) when the API is missing or a
 * variable is malformed; the message is also printed once. */
int  inj_pcs_init(struct col *c, const inj_pcs_api *api, nt_err *e);
/* Enables, configures and starts sampling on ctx (once per context). */
int  inj_pcs_context_start(CUcontext ctx);
/* After a launch on ctx: starts sampling there if not yet tried, and
 * drains if the drain interval has passed (skipped if another thread is
 * draining: it never waits). */
void inj_pcs_on_launch(CUcontext ctx);
/* Drains ctx now (a module is about to be unloaded). */
void inj_pcs_drain(CUcontext ctx);
/* Stops ctx, drains what is left, disables (context about to go). */
void inj_pcs_context_end(CUcontext ctx);
/* Ends every context, frees everything, logs the totals.  Afterwards
 * inj_pcs_init may be called again. */
void inj_pcs_stop_all(void);

/* ---- source lines (pclines.c) ------------------------------------------------ */
/* The CRC callback registered with CUPTI: *crc = a 64-bit hash of the
 * cubin; the cubin's line table (nvcc -lineinfo) is read and kept. */
void CUPTIAPI inj_pcl_cubin_crc(const void *cubin, size_t size, uint64_t *crc);

typedef struct inj_pcl_line { const char *file; unsigned line, column; } inj_pcl_line;
/* The source line of (crc, function, pc): 0 none, 1 found for the first
 * time in the run, 2 found again.  out->file stays valid until
 * inj_pcl_reset. */
int  inj_pcl_lookup(uint64_t crc, const char *function, uint64_t pc, inj_pcl_line *out);
/* Cubins seen by the callback, and those with a line table. */
void inj_pcl_counts(uint64_t *cubins, uint64_t *with_lines);
/* Forgets every table and every PC sent (inj_pcs_stop_all calls it). */
void inj_pcl_reset(void);

/* NULL while PC sampling works (or was never asked for); otherwise the one
 * line that says why it is off (the last such reason). */
const char *inj_pcs_status(void);
inj_pcs_stats inj_pcs_totals(void);

#endif
