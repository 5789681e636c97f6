/* pcsamp.c — hardware warp-stall sampling with CUPTI's PC Sampling API.
 *
 * Invariants:
 *   - Only what CUPTI says is filled is read: min(totalNumPcs,
 *     collectNumPcs) PC records, and per record at most the stall reasons
 *     our buffer has room for.  A count beyond that is clamped and counted.
 *   - Nothing here synchronizes the device: cuptiPCSamplingGetData never
 *     does, and the launch path only drains when no other thread is
 *     draining (trylock), at most once per drain interval.
 *   - A CUPTI failure turns sampling off for that context (after Disable if
 *     Enable had succeeded) and is said once; the app never sees it.
 *   - Function names are CUPTI's allocations, possibly shared between
 *     records and drains (cupti_pcsampling.h): each distinct pointer is
 *     kept and freed once, after the last Disable. */
#include "inject/pcsamp.h"
#include "collector/collector.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- conversion ---- */
#define PCS_BATCH 256

static void flush_rows(struct col *c, col_pc_sample *rows, size_t *n, inj_pcs_stats *st)
{
    if (!*n) return;
    if (col_pc_samples(c, rows, *n) < 0) st->rows_lost += *n;
    *n = 0;
}

static void flush_lines(struct col *c, col_pc_line *rows, size_t *n, inj_pcs_stats *st)
{
    if (!*n) return;
    if (col_pc_lines(c, rows, *n) < 0) st->rows_lost += *n;
    *n = 0;
}

size_t inj_pcs_convert(struct col *c, const CUpti_PCSamplingData *d, size_t max_reasons,
                       inj_pcs_stats *st)
{
    st->buffers++;
    st->total_samples += d->totalSamples;
    st->dropped_samples += d->droppedSamples;
    st->non_user_samples += d->nonUsrKernelsTotalSamples;
    if (d->hardwareBufferFull) st->buffer_full++;
    size_t npcs = d->totalNumPcs;
    if (npcs > d->collectNumPcs) {      /* more than the buffer holds: never read past it */
        npcs = d->collectNumPcs;
        st->malformed++;
    }
    if (npcs && !d->pPcData) {
        st->malformed++;
        return 0;
    }
    col_pc_sample rows[PCS_BATCH];
    col_pc_line lrows[PCS_BATCH];
    size_t n = 0, nl = 0, total = 0;
    for (size_t i = 0; i < npcs; i++) {
        const CUpti_PCSamplingPCData *pc = &d->pPcData[i];
        st->pcs++;
        inj_pcl_line where;
        if (inj_pcl_lookup(pc->cubinCrc, pc->functionName, pc->pcOffset, &where) == 1) {
            lrows[nl++] = (col_pc_line){.function = pc->functionName, .cubin_crc = pc->cubinCrc,
                                        .pc_offset = pc->pcOffset, .file = where.file,
                                        .line = where.line, .column = where.column};
            st->lines++;
            if (nl == PCS_BATCH) flush_lines(c, lrows, &nl, st);
        }
        size_t nr = pc->stallReasonCount;
        if (max_reasons && nr > max_reasons) {
            nr = max_reasons;
            st->malformed++;
        }
        if (nr && !pc->stallReason) {
            st->malformed++;
            continue;
        }
        for (size_t r = 0; r < nr; r++) {
            const CUpti_PCSamplingStallReason *sr = &pc->stallReason[r];
            if (!sr->samples) continue;     /* CUPTI lists every selected reason */
            rows[n++] = (col_pc_sample){.correlation_id = pc->correlationId,
                                        .function = pc->functionName,
                                        .cubin_crc = pc->cubinCrc,
                                        .pc_offset = pc->pcOffset,
                                        .stall_reason = sr->pcSamplingStallReasonIndex,
                                        .samples = sr->samples};
            st->samples += sr->samples;
            total++;
            if (n == PCS_BATCH) flush_rows(c, rows, &n, st);
        }
    }
    flush_rows(c, rows, &n, st);
    flush_lines(c, lrows, &nl, st);
    st->rows += total;
    return total;
}

void inj_pcs_stall_names(struct col *c, size_t n, const uint32_t *index, char *const *names)
{
    for (size_t i = 0; i < n; i++)
        if (names[i]) col_stall_reason(c, index[i], names[i]);
}

int inj_pcs_parse_period(const char *s, uint32_t *exp, nt_err *e)
{
    char *end = NULL;
    long v = s && *s ? strtol(s, &end, 10) : -1;
    if (!s || !*s || *end || v < INJ_PCS_PERIOD_MIN || v > INJ_PCS_PERIOD_MAX)
        return nt_err_set(e, "NTRACE_PC_SAMPLING_PERIOD='%s': expected an exponent from %u to %u "
                             "(a sample every 2^N cycles)", s ? s : "", INJ_PCS_PERIOD_MIN,
                          INJ_PCS_PERIOD_MAX), -1;
    *exp = (uint32_t)v;
    return 0;
}

/* ---- driving ---- */
typedef struct pcs_ctx {
    CUcontext ctx;
    bool      on;               /* enabled and started */
    size_t    nreasons;
    CUpti_PCSamplingData cfg;   /* given to CUPTI at configuration: filled at Disable */
    CUpti_PCSamplingData get;   /* filled by GetData */
    uint64_t  last_drain;
} pcs_ctx;

static struct {
    pthread_mutex_t mu;
    bool        on;             /* init succeeded; read without the lock (atomic) */
    struct col *col;
    inj_pcs_api api;
    uint32_t    period;
    uint64_t    drain_ns;
    NT_VEC(pcs_ctx *) ctxs;
    nt_imap     names;          /* function-name pointers from CUPTI, freed at the end */
    inj_pcs_stats st;
    char        status[320];
    bool        warned_full, warned_drain;
} pcs = {.mu = PTHREAD_MUTEX_INITIALIZER};

static const char *result_name(CUptiResult r)
{
    const char *s = NULL;
    if (pcs.api.result_string && pcs.api.result_string(r, &s) != CUPTI_SUCCESS) s = NULL;
    return s ? s : "CUPTI error";
}

/* Says why sampling is off, once per distinct reason. */
static void say_off(const char *fmt, ...) NT_PRINTF(1, 2);
static void say_off(const char *fmt, ...)
{
    char line[sizeof pcs.status];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (strcmp(line, pcs.status)) fprintf(stderr, "ntrace: %s\n", line);
    snprintf(pcs.status, sizeof pcs.status, "%s", line);
}

static void say_failed(const char *what, CUptiResult r)
{
    if (r == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES || r == CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES)
        say_off("PC sampling not permitted (needs root or NVreg_RestrictProfilingToAdminUsers=0); "
                "the run continues without it");
    else
        say_off("PC sampling not supported here (%s: %s); the run continues without it", what,
                result_name(r));
}

static void *lookup(void *h, const char *name)
{
    void *p = h ? dlsym(h, name) : NULL;
    return p ? p : dlsym(RTLD_DEFAULT, name);
}

/* CUPTI's entry points, from the objects this library was linked with
 * (the driver may load us RTLD_LOCAL, so RTLD_DEFAULT alone may miss). */
static int lookup_api(inj_pcs_api *a)
{
    Dl_info di;
    void *h = NULL;
    if (dladdr((void *)lookup_api, &di) && di.dli_fname)
        h = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    a->get_num_stall_reasons = lookup(h, "cuptiPCSamplingGetNumStallReasons");
    a->get_stall_reasons = lookup(h, "cuptiPCSamplingGetStallReasons");
    a->set_config = lookup(h, "cuptiPCSamplingSetConfigurationAttribute");
    a->enable = lookup(h, "cuptiPCSamplingEnable");
    a->start = lookup(h, "cuptiPCSamplingStart");
    a->stop = lookup(h, "cuptiPCSamplingStop");
    a->get_data = lookup(h, "cuptiPCSamplingGetData");
    a->disable = lookup(h, "cuptiPCSamplingDisable");
    a->result_string = lookup(h, "cuptiGetResultString");
    a->register_crc = lookup(h, "cuptiRegisterComputeCrcCallback");
    if (h) dlclose(h);
    return a->get_num_stall_reasons && a->get_stall_reasons && a->set_config && a->enable &&
           a->start && a->stop && a->get_data && a->disable ? 0 : -1;
}

static int env_u32(const char *var, uint32_t def, uint32_t *out, nt_err *e)
{
    const char *s = getenv(var);
    if (!s) return *out = def, 0;
    char *end = NULL;
    unsigned long v = *s ? strtoul(s, &end, 10) : 0;
    if (!*s || *end || v > 3600000)
        return nt_err_set(e, "%s='%s': expected milliseconds (0 to 3600000)", var, s), -1;
    *out = (uint32_t)v;
    return 0;
}

int inj_pcs_init(struct col *c, const inj_pcs_api *api, nt_err *e)
{
    pthread_mutex_lock(&pcs.mu);
    pcs.status[0] = 0;
    pcs.col = c;
    memset(&pcs.st, 0, sizeof pcs.st);
    pcs.warned_full = pcs.warned_drain = false;
    uint32_t ms = 0;
    const char *ps = getenv("NTRACE_PC_SAMPLING_PERIOD");
    nt_err le = {0};
    int rc = 0;
    if (api) pcs.api = *api;
    else if (lookup_api(&pcs.api) < 0) {
        nt_err_set(&le, "PC sampling not supported here (this CUPTI has no PC Sampling API); "
                        "the run continues without it");
        rc = -1;
    }
    pcs.period = INJ_PCS_PERIOD_DEFAULT;
    if (!rc && ps && inj_pcs_parse_period(ps, &pcs.period, &le) < 0) rc = -1;
    if (!rc && env_u32("NTRACE_PC_SAMPLING_DRAIN_MS", INJ_PCS_DRAIN_MS_DEFAULT, &ms, &le) < 0) rc = -1;
    pcs.drain_ns = (uint64_t)ms * 1000000u;
    if (rc) {
        say_off("%s", le.msg);
        nt_err_set(e, "%s", le.msg);
    }
    /* Before the app loads its modules, so that CUPTI asks us for the CRC
     * of each and we can read its line table. */
    if (!rc && pcs.api.register_crc && pcs.api.register_crc(inj_pcl_cubin_crc) != CUPTI_SUCCESS)
        nt_warn("PC sampling: cuptiRegisterComputeCrcCallback failed; no source lines");
    __atomic_store_n(&pcs.on, rc == 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&pcs.mu);
    return rc;
}

static pcs_ctx *find(CUcontext ctx)
{
    for (size_t i = 0; i < pcs.ctxs.n; i++)
        if (pcs.ctxs.v[i]->ctx == ctx) return pcs.ctxs.v[i];
    return NULL;
}

/* A buffer for n PC records of up to nreasons stall reasons each, laid out
 * as cupti_pcsampling.h asks: the caller allocates every array. */
static void buf_alloc(CUpti_PCSamplingData *d, size_t n, size_t nreasons)
{
    memset(d, 0, sizeof *d);
    d->size = sizeof *d;
    d->collectNumPcs = n;
    d->pPcData = nt_xcalloc(n, sizeof *d->pPcData);
    for (size_t i = 0; i < n; i++) {
        d->pPcData[i].size = sizeof d->pPcData[i];
        d->pPcData[i].stallReason = nt_xcalloc(nreasons ? nreasons : 1, sizeof(CUpti_PCSamplingStallReason));
    }
}

static void buf_free(CUpti_PCSamplingData *d)
{
    for (size_t i = 0; d->pPcData && i < d->collectNumPcs; i++) free(d->pPcData[i].stallReason);
    free(d->pPcData);
    d->pPcData = NULL;
}

/* Converts d and keeps its function names for freeing at the end. */
static void take(pcs_ctx *x, CUpti_PCSamplingData *d)
{
    inj_pcs_convert(pcs.col, d, x->nreasons, &pcs.st);
    size_t n = d->totalNumPcs < d->collectNumPcs ? d->totalNumPcs : d->collectNumPcs;
    for (size_t i = 0; d->pPcData && i < n; i++) {
        char *f = d->pPcData[i].functionName;
        if (f) nt_imap_put(&pcs.names, (uint64_t)(uintptr_t)f, 1);
        d->pPcData[i].functionName = NULL;
    }
}

/* Stall-reason names, read from CUPTI for this context's device. */
static CUptiResult read_reasons(pcs_ctx *x)
{
    CUpti_PCSamplingGetNumStallReasonsParams np = {.size = CUpti_PCSamplingGetNumStallReasonsParamsSize,
                                                   .ctx = x->ctx, .numStallReasons = &x->nreasons};
    CUptiResult r = pcs.api.get_num_stall_reasons(&np);
    if (r != CUPTI_SUCCESS) return r;
    size_t n = x->nreasons;
    uint32_t *index = nt_xcalloc(n ? n : 1, sizeof *index);
    char **names = nt_xcalloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++) names[i] = nt_xcalloc(1, CUPTI_STALL_REASON_STRING_SIZE);
    CUpti_PCSamplingGetStallReasonsParams sp = {.size = CUpti_PCSamplingGetStallReasonsParamsSize,
                                                .ctx = x->ctx, .numStallReasons = n,
                                                .stallReasonIndex = index, .stallReasons = names};
    r = pcs.api.get_stall_reasons(&sp);
    if (r == CUPTI_SUCCESS) {
        for (size_t i = 0; i < n; i++) names[i][CUPTI_STALL_REASON_STRING_SIZE - 1] = 0;
        inj_pcs_stall_names(pcs.col, n, index, names);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    free(index);
    return r;
}

static CUptiResult configure(pcs_ctx *x, const char **what)
{
    CUpti_PCSamplingConfigurationInfo a[7];
    memset(a, 0, sizeof a);
    a[0].attributeType = CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_SAMPLING_PERIOD;
    a[0].attributeData.samplingPeriodData.samplingPeriod = pcs.period;
    a[1].attributeType = CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_SCRATCH_BUFFER_SIZE;
    a[1].attributeData.scratchBufferSizeData.scratchBufferSize = INJ_PCS_SCRATCH_BYTES;
    a[2].attributeType = CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_HARDWARE_BUFFER_SIZE;
    a[2].attributeData.hardwareBufferSizeData.hardwareBufferSize = INJ_PCS_HW_BYTES;
    a[3].attributeType = CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_COLLECTION_MODE;
    a[3].attributeData.collectionModeData.collectionMode = CUPTI_PC_SAMPLING_COLLECTION_MODE_CONTINUOUS;
    a[4].attributeType = CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_ENABLE_START_STOP_CONTROL;
    a[4].attributeData.enableStartStopControlData.enableStartStopControl = 1;
    a[5].attributeType = CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_OUTPUT_DATA_FORMAT;
    a[5].attributeData.outputDataFormatData.outputDataFormat = CUPTI_PC_SAMPLING_OUTPUT_DATA_FORMAT_PARSED;
    a[6].attributeType = CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_SAMPLING_DATA_BUFFER;
    a[6].attributeData.samplingDataBufferData.samplingDataBuffer = &x->cfg;
    CUpti_PCSamplingConfigurationInfoParams p = {.size = CUpti_PCSamplingConfigurationInfoParamsSize,
                                                 .ctx = x->ctx, .numAttributes = 7,
                                                 .pPCSamplingConfigurationInfo = a};
    static const char *names[7] = {"sampling period", "scratch buffer size", "hardware buffer size",
                                   "collection mode", "start/stop control", "output data format",
                                   "sampling data buffer"};
    CUptiResult r = pcs.api.set_config(&p);
    for (int i = 0; r != CUPTI_SUCCESS && i < 7; i++)
        if (a[i].attributeStatus != CUPTI_SUCCESS) {
            *what = names[i];
            break;
        }
    return r;
}

/* Called with the lock held; x is new.  Leaves x->on saying whether
 * sampling runs there. */
static void ctx_start(pcs_ctx *x)
{
    CUpti_PCSamplingEnableParams ep = {.size = CUpti_PCSamplingEnableParamsSize, .ctx = x->ctx};
    CUptiResult r = pcs.api.enable(&ep);
    if (r != CUPTI_SUCCESS) {
        say_failed("cuptiPCSamplingEnable", r);
        return;
    }
    const char *what = "cuptiPCSamplingGetStallReasons";
    char w[128];
    if ((r = read_reasons(x)) == CUPTI_SUCCESS) {
        buf_alloc(&x->cfg, INJ_PCS_COLLECT_PCS, x->nreasons);
        buf_alloc(&x->get, INJ_PCS_COLLECT_PCS, x->nreasons);
        const char *attr = NULL;
        what = "cuptiPCSamplingSetConfigurationAttribute";
        if ((r = configure(x, &attr)) != CUPTI_SUCCESS) {
            if (attr) {
                snprintf(w, sizeof w, "cuptiPCSamplingSetConfigurationAttribute (%s)", attr);
                what = w;
            }
        } else {
            CUpti_PCSamplingStartParams sp = {.size = CUpti_PCSamplingStartParamsSize, .ctx = x->ctx};
            what = "cuptiPCSamplingStart";
            r = pcs.api.start(&sp);
        }
    }
    if (r != CUPTI_SUCCESS) {
        say_failed(what, r);
        CUpti_PCSamplingDisableParams dp = {.size = CUpti_PCSamplingDisableParamsSize, .ctx = x->ctx};
        pcs.api.disable(&dp);
        buf_free(&x->cfg);
        buf_free(&x->get);
        return;
    }
    x->on = true;
    x->last_drain = nt_now_ns();
    nt_debug("PC sampling on for context %p: a sample every 2^%u cycles, %zu stall reasons",
             (void *)x->ctx, pcs.period, x->nreasons);
}

static pcs_ctx *ctx_get(CUcontext ctx)
{
    pcs_ctx *x = find(ctx);
    if (x) return x;
    x = nt_xcalloc(1, sizeof *x);
    x->ctx = ctx;
    nt_vec_push(&pcs.ctxs, x);
    ctx_start(x);
    return x;
}

/* Reads everything CUPTI has for x now (bounded rounds: never spins). */
static void ctx_drain(pcs_ctx *x)
{
    x->last_drain = nt_now_ns();
    for (int round = 0; round < 64; round++) {
        CUpti_PCSamplingData *d = &x->get;
        d->totalNumPcs = d->remainingNumPcs = 0;
        d->totalSamples = d->droppedSamples = d->nonUsrKernelsTotalSamples = 0;
        d->hardwareBufferFull = 0;
        CUpti_PCSamplingGetDataParams p = {.size = CUpti_PCSamplingGetDataParamsSize, .ctx = x->ctx,
                                           .pcSamplingData = d};
        CUptiResult r = pcs.api.get_data(&p);
        if (r == CUPTI_ERROR_OUT_OF_MEMORY) {   /* hardware buffer full: no PC data this time */
            pcs.st.buffer_full++;
            if (!pcs.warned_full)
                nt_warn("PC sampling: the hardware buffer filled up and samples were lost; "
                        "a larger NTRACE_PC_SAMPLING_PERIOD or NTRACE_PC_SAMPLING_DRAIN_MS "
                        "smaller helps");
            pcs.warned_full = true;
            return;
        }
        if (r != CUPTI_SUCCESS) {
            if (!pcs.warned_drain) nt_warn("PC sampling: cuptiPCSamplingGetData: %s", result_name(r));
            pcs.warned_drain = true;
            return;
        }
        take(x, d);
        if (!d->remainingNumPcs) return;
    }
}

static void ctx_end(pcs_ctx *x)
{
    if (!x->on) return;
    CUpti_PCSamplingStopParams sp = {.size = CUpti_PCSamplingStopParamsSize, .ctx = x->ctx};
    pcs.api.stop(&sp);
    ctx_drain(x);       /* the range ended: what it left is read now */
    x->cfg.totalNumPcs = x->cfg.remainingNumPcs = 0;
    CUpti_PCSamplingDisableParams dp = {.size = CUpti_PCSamplingDisableParamsSize, .ctx = x->ctx};
    if (pcs.api.disable(&dp) == CUPTI_SUCCESS) take(x, &x->cfg);   /* Disable fills cfg */
    buf_free(&x->cfg);
    buf_free(&x->get);
    x->on = false;
}

static bool running(void) { return __atomic_load_n(&pcs.on, __ATOMIC_ACQUIRE); }

int inj_pcs_context_start(CUcontext ctx)
{
    if (!running() || !ctx) return -1;
    pthread_mutex_lock(&pcs.mu);
    int rc = ctx_get(ctx)->on ? 0 : -1;
    pthread_mutex_unlock(&pcs.mu);
    return rc;
}

void inj_pcs_on_launch(CUcontext ctx)
{
    if (!running() || !ctx || pthread_mutex_trylock(&pcs.mu)) return;
    pcs_ctx *x = ctx_get(ctx);
    if (x->on && nt_now_ns() - x->last_drain >= pcs.drain_ns) ctx_drain(x);
    pthread_mutex_unlock(&pcs.mu);
}

void inj_pcs_drain(CUcontext ctx)
{
    if (!running() || !ctx) return;
    pthread_mutex_lock(&pcs.mu);
    pcs_ctx *x = find(ctx);
    if (x && x->on) ctx_drain(x);
    pthread_mutex_unlock(&pcs.mu);
}

void inj_pcs_context_end(CUcontext ctx)
{
    if (!running() || !ctx) return;
    pthread_mutex_lock(&pcs.mu);
    pcs_ctx *x = find(ctx);
    if (x) ctx_end(x);
    pthread_mutex_unlock(&pcs.mu);
}

void inj_pcs_stop_all(void)
{
    pthread_mutex_lock(&pcs.mu);
    for (size_t i = 0; i < pcs.ctxs.n; i++) {
        ctx_end(pcs.ctxs.v[i]);
        free(pcs.ctxs.v[i]);
    }
    nt_vec_free(&pcs.ctxs);
    for (size_t i = 0; i < pcs.names.cap; i++)
        if (pcs.names.used && pcs.names.used[i]) free((void *)(uintptr_t)pcs.names.keys[i]);
    nt_imap_free(&pcs.names);
    memset(&pcs.names, 0, sizeof pcs.names);
    if (running()) {
        const inj_pcs_stats *s = &pcs.st;
        uint64_t cubins, with_lines;
        inj_pcl_counts(&cubins, &with_lines);
        nt_info("PC sampling: %llu samples in %llu rows (%llu PCs); CUPTI counted %llu, "
                "%llu dropped by the hardware, %llu in non-user kernels; source lines for "
                "%llu PCs (%llu of %llu cubins have line info)",
                (unsigned long long)s->samples, (unsigned long long)s->rows,
                (unsigned long long)s->pcs, (unsigned long long)s->total_samples,
                (unsigned long long)s->dropped_samples, (unsigned long long)s->non_user_samples,
                (unsigned long long)s->lines, (unsigned long long)with_lines,
                (unsigned long long)cubins);
        if (s->dropped_samples || s->buffer_full)
            nt_warn("PC sampling lost samples (%llu dropped, hardware buffer full %llu times)",
                    (unsigned long long)s->dropped_samples, (unsigned long long)s->buffer_full);
    }
    inj_pcl_reset();
    __atomic_store_n(&pcs.on, false, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&pcs.mu);
}

const char *inj_pcs_status(void) { return pcs.status[0] ? pcs.status : NULL; }

inj_pcs_stats inj_pcs_totals(void)
{
    pthread_mutex_lock(&pcs.mu);
    inj_pcs_stats s = pcs.st;
    pthread_mutex_unlock(&pcs.mu);
    return s;
}
