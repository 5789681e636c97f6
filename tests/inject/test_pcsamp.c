/* Tests: PC sampling — CUpti_PCSamplingData built to cupti_pcsampling.h's
 * documented layout, converted into a real collector and checked with SQL;
 * and the driving code run against a fake CUPTI that plays the documented
 * protocol (enable, stall reasons, configure, start, get data, stop,
 * disable), including its failures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/col_test.h"
#include "binary/binary.h"
#include "inject/pcsamp.h"

#include <pthread.h>

/* Each test: a temporary directory with a real collector writing pcs.db,
 * closed and reopened for SQL by done(); teardown cleans up. */
typedef struct tdb { char *dir; char path[512]; col *c; sqlite3 *db; } tdb;

static void fake_reset(void);

static int setup(void **state)
{
    tdb *t = calloc(1, sizeof *t);
    t->dir = t_tmpdir();
    snprintf(t->path, sizeof t->path, "%s/pcs.db", t->dir);
    col_config cfg = {.command_line = "./app", .host = "h", .pid = 1, .config = "{}"};
    nt_err e = {0};
    if (!(t->c = col_open(t->path, &cfg, &e))) fail_msg("col_open: %s", e.msg);
    fake_reset();
    unsetenv("NTRACE_PC_SAMPLING_PERIOD");
    setenv("NTRACE_PC_SAMPLING_DRAIN_MS", "0", 1);
    *state = t;
    return 0;
}

static sqlite3 *done(tdb *t)
{
    nt_err e = {0};
    col_totals tot;
    int rc = col_close(t->c, &tot, &e);
    t->c = NULL;
    if (rc) fail_msg("col_close: %s", e.msg);
    if (col_db_open(t->path, &t->db, &e)) fail_msg("col_db_open: %s", e.msg);
    return t->db;
}

static int teardown(void **state)
{
    tdb *t = *state;
    inj_pcs_stop_all();
    if (t->c) done(t);
    sqlite3_close(t->db);
    t_rmdir(t->dir);
    free(t);
    return 0;
}

#define assert_q(db, sql, want) assert_int_equal(q_int((db), (sql)), (want))
#define assert_qs(db, sql, want) assert_string_equal(q_text((db), (sql)), (want))

/* Rows as "function|crc|pc|reason|samples|corr" in a stable order. */
#define ROWS_SQL                                                                            \
    "SELECT group_concat(r, ' ') FROM (SELECT coalesce(s.value, 'NULL') || '|' ||           \
    printf('%x', p.cubinCrc) || '|' || printf('%x', p.pcOffset) || '|' || p.stallReason ||  \
    '|' || p.samples || '|' || p.correlationId AS r FROM NTRACE_PC_SAMPLES p LEFT JOIN      \
    StringIds s ON s.id = p.functionName ORDER BY p.pcOffset, p.stallReason)"

/* ---- conversion ---- */
typedef struct t_pc { const char *fn; uint64_t crc, pc; uint32_t corr; size_t nr; uint32_t r[4][2]; } t_pc;

/* Fills pc[i] from t[i], with reason arrays of 4 entries each (the
 * caller's allocation, as CUPTI asks). */
static void fill(CUpti_PCSamplingData *d, CUpti_PCSamplingPCData *pc, CUpti_PCSamplingStallReason (*sr)[4],
                 const t_pc *t, size_t n, size_t collect)
{
    memset(d, 0, sizeof *d);
    d->size = sizeof *d;
    d->collectNumPcs = collect;
    d->totalNumPcs = n;
    d->pPcData = pc;
    for (size_t i = 0; i < collect; i++) {
        pc[i] = (CUpti_PCSamplingPCData){.size = sizeof pc[i], .stallReason = sr[i]};
        if (i >= n) continue;
        pc[i].cubinCrc = t[i].crc;
        pc[i].pcOffset = t[i].pc;
        pc[i].functionName = (char *)t[i].fn;
        pc[i].functionIndex = (uint32_t)i;
        pc[i].correlationId = t[i].corr;
        pc[i].stallReasonCount = t[i].nr;
        for (size_t r = 0; r < 4; r++)
            sr[i][r] = (CUpti_PCSamplingStallReason){t[i].r[r][0], t[i].r[r][1]};
    }
}

static void convert_rows(void **state)
{
    tdb *t = *state;
    col *c = t->c;
    static const t_pc T[] = {
        {"_Z4axpyPfS_f", 0xc0ffee, 0x10, 0, 3, {{1, 5}, {7, 0}, {9, 2}}},      /* one zero reason */
        {"_Z4axpyPfS_f", 0xc0ffee, 0x20, 0, 2, {{1, 1}, {3, 4}}},
        {NULL, 0xbeef, 0x30, 42, 1, {{9, 8}}},                                  /* no name */
        {"_Z4idlev", 0xbeef, 0x40, 0, 2, {{1, 0}, {3, 0}}},                    /* all zero */
    };
    CUpti_PCSamplingData d;
    CUpti_PCSamplingPCData pc[4];
    CUpti_PCSamplingStallReason sr[4][4];
    fill(&d, pc, sr, T, 4, 4);
    d.totalSamples = 30;
    d.droppedSamples = 2;
    d.nonUsrKernelsTotalSamples = 3;
    d.hardwareBufferFull = 1;
    inj_pcs_stats st = {0};
    assert_int_equal(inj_pcs_convert(c, &d, 4, &st), 5);
    assert_int_equal(st.pcs, 4);
    assert_int_equal(st.rows, 5);
    assert_int_equal(st.samples, 20);
    assert_int_equal(st.total_samples, 30);
    assert_int_equal(st.dropped_samples, 2);
    assert_int_equal(st.non_user_samples, 3);
    assert_int_equal(st.buffer_full, 1);
    assert_int_equal(st.malformed, 0);
    char *names[3] = {"smsp__pcsamp_warps_issue_stalled_long_scoreboard", NULL,
                      "smsp__pcsamp_warps_issue_stalled_barrier"};
    uint32_t idx[3] = {1, 3, 9};
    inj_pcs_stall_names(c, 3, idx, names);
    sqlite3 *db = done(t);
    assert_qs(db, ROWS_SQL, "_Z4axpyPfS_f|c0ffee|10|1|5|0 _Z4axpyPfS_f|c0ffee|10|9|2|0 "
                            "_Z4axpyPfS_f|c0ffee|20|1|1|0 _Z4axpyPfS_f|c0ffee|20|3|4|0 "
                            "NULL|beef|30|9|8|42");
    assert_qs(db, "SELECT group_concat(id || '=' || name, ' ') FROM (SELECT * FROM "
                  "NTRACE_STALL_REASONS ORDER BY id)",
              "1=smsp__pcsamp_warps_issue_stalled_long_scoreboard "
              "9=smsp__pcsamp_warps_issue_stalled_barrier");
    assert_qs(db, "SELECT group_concat(t, ' ') FROM (SELECT r.name || ':' || SUM(p.samples) AS t "
                  "FROM NTRACE_PC_SAMPLES p JOIN NTRACE_STALL_REASONS r ON r.id = p.stallReason "
                  "GROUP BY r.name ORDER BY r.name)",
              "smsp__pcsamp_warps_issue_stalled_barrier:10 "
              "smsp__pcsamp_warps_issue_stalled_long_scoreboard:6");
}

/* Counts larger than the buffers: clamped, counted, never read past. */
static void convert_clamps(void **state)
{
    tdb *t = *state;
    col *c = t->c;
    static const t_pc T[] = {
        {"_Z1fv", 1, 0x10, 0, 4, {{1, 1}, {2, 1}, {3, 1}, {4, 1}}},
        {"_Z1fv", 1, 0x20, 0, 1, {{1, 7}}},
    };
    CUpti_PCSamplingData d;
    CUpti_PCSamplingPCData pc[2];
    CUpti_PCSamplingStallReason sr[2][4];
    fill(&d, pc, sr, T, 2, 2);
    d.totalNumPcs = 1000;            /* more than collectNumPcs */
    pc[0].stallReasonCount = 100;    /* more than the 2 we say the buffer holds */
    inj_pcs_stats st = {0};
    assert_int_equal(inj_pcs_convert(c, &d, 2, &st), 3);
    assert_int_equal(st.malformed, 2);
    assert_int_equal(st.pcs, 2);
    /* A record that claims reasons but has no array is skipped. */
    pc[0].stallReason = NULL;
    pc[0].stallReasonCount = 2;
    d.totalNumPcs = 2;
    assert_int_equal(inj_pcs_convert(c, &d, 2, &st), 1);
    assert_int_equal(st.malformed, 3);
    /* No PC array at all, and an empty buffer. */
    d.pPcData = NULL;
    assert_int_equal(inj_pcs_convert(c, &d, 2, &st), 0);
    assert_int_equal(st.malformed, 4);
    d.totalNumPcs = 0;
    assert_int_equal(inj_pcs_convert(c, &d, 2, &st), 0);
    assert_int_equal(st.buffers, 4);
    sqlite3 *db = done(t);
    assert_qs(db, ROWS_SQL, "_Z1fv|1|10|1|1|0 _Z1fv|1|10|2|1|0 _Z1fv|1|20|1|7|0 _Z1fv|1|20|1|7|0");
}

/* More rows than one batch to the collector. */
static void convert_many(void **state)
{
    tdb *t = *state;
    col *c = t->c;
    enum { N = 700 };
    CUpti_PCSamplingData d = {.size = sizeof d, .collectNumPcs = N, .totalNumPcs = N};
    d.pPcData = calloc(N, sizeof *d.pPcData);
    CUpti_PCSamplingStallReason(*sr)[2] = calloc(N, sizeof *sr);
    for (size_t i = 0; i < N; i++) {
        sr[i][0] = (CUpti_PCSamplingStallReason){1, (uint32_t)i + 1};
        sr[i][1] = (CUpti_PCSamplingStallReason){2, 1};
        d.pPcData[i] = (CUpti_PCSamplingPCData){.size = sizeof d.pPcData[i], .cubinCrc = 5,
                                                .pcOffset = i * 16, .functionName = "_Z1kv",
                                                .stallReasonCount = 2, .stallReason = sr[i]};
    }
    inj_pcs_stats st = {0};
    assert_int_equal(inj_pcs_convert(c, &d, 2, &st), 2 * N);
    free(sr);
    free(d.pPcData);
    sqlite3 *db = done(t);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PC_SAMPLES", 2 * N);
    assert_q(db, "SELECT SUM(samples) FROM NTRACE_PC_SAMPLES", N * (N + 1) / 2 + N);
}

static void period_parse(void **state)
{
    uint32_t p = 0;
    nt_err e = {0};
    assert_int_equal(inj_pcs_parse_period("5", &p, &e), 0);
    assert_int_equal(p, 5);
    assert_int_equal(inj_pcs_parse_period("31", &p, &e), 0);
    assert_int_equal(p, 31);
    const char *bad[] = {"4", "32", "", "12x", "-1", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        nt_err e2 = {0};
        assert_int_equal(inj_pcs_parse_period(bad[i], &p, &e2), -1);
        assert_non_null(strstr(e2.msg, "NTRACE_PC_SAMPLING_PERIOD"));
        assert_non_null(strstr(e2.msg, "5 to 31"));
    }
    assert_int_equal(p, 31);
}

/* ---- a fake CUPTI playing the documented protocol ---- */
static struct fake {
    char calls[1024];           /* "enable start getdata ..." */
    CUptiResult fail_enable, fail_config, fail_getdata;
    int fail_attr;              /* attribute index whose status is set on failure */
    bool enabled, started, start_stop;
    uint32_t period, mode, format;
    CUpti_PCSamplingData *cfg_buf;
    unsigned pending;           /* PCs waiting to be read */
    char *shared_name;          /* non-NULL: every record gets this one pointer */
    int in_call, max_in_call;   /* concurrent calls into the fake */
    unsigned next_pc;
} F;

static void call(const char *s)
{
    if (F.calls[0]) strncat(F.calls, " ", sizeof F.calls - strlen(F.calls) - 1);
    strncat(F.calls, s, sizeof F.calls - strlen(F.calls) - 1);
}

static CUptiResult f_num(CUpti_PCSamplingGetNumStallReasonsParams *p)
{
    call("nreasons");
    assert_int_equal(p->size, CUpti_PCSamplingGetNumStallReasonsParamsSize);
    *p->numStallReasons = 3;
    return CUPTI_SUCCESS;
}
static CUptiResult f_reasons(CUpti_PCSamplingGetStallReasonsParams *p)
{
    call("reasons");
    assert_int_equal(p->numStallReasons, 3);
    static const char *n[3] = {"smsp__pcsamp_warps_issue_stalled_selected",
                               "smsp__pcsamp_warps_issue_stalled_wait",
                               "smsp__pcsamp_warps_issue_stalled_math_pipe_throttle"};
    for (unsigned i = 0; i < 3; i++) {
        p->stallReasonIndex[i] = 10 + i;
        snprintf(p->stallReasons[i], CUPTI_STALL_REASON_STRING_SIZE, "%s", n[i]);
    }
    return CUPTI_SUCCESS;
}
static CUptiResult f_config(CUpti_PCSamplingConfigurationInfoParams *p)
{
    call("config");
    assert_true(F.enabled);
    assert_int_equal(p->size, CUpti_PCSamplingConfigurationInfoParamsSize);
    if (F.fail_config) {
        p->pPCSamplingConfigurationInfo[F.fail_attr].attributeStatus = F.fail_config;
        return F.fail_config;
    }
    for (size_t i = 0; i < p->numAttributes; i++) {
        CUpti_PCSamplingConfigurationInfo *a = &p->pPCSamplingConfigurationInfo[i];
        switch (a->attributeType) {
        case CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_SAMPLING_PERIOD:
            F.period = a->attributeData.samplingPeriodData.samplingPeriod; break;
        case CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_COLLECTION_MODE:
            F.mode = a->attributeData.collectionModeData.collectionMode; break;
        case CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_ENABLE_START_STOP_CONTROL:
            F.start_stop = a->attributeData.enableStartStopControlData.enableStartStopControl; break;
        case CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_OUTPUT_DATA_FORMAT:
            F.format = a->attributeData.outputDataFormatData.outputDataFormat; break;
        case CUPTI_PC_SAMPLING_CONFIGURATION_ATTR_TYPE_SAMPLING_DATA_BUFFER:
            F.cfg_buf = a->attributeData.samplingDataBufferData.samplingDataBuffer; break;
        default: break;
        }
    }
    return CUPTI_SUCCESS;
}
static CUptiResult f_enable(CUpti_PCSamplingEnableParams *p)
{
    call("enable");
    if (F.fail_enable) return F.fail_enable;
    F.enabled = true;
    return CUPTI_SUCCESS;
}
static CUptiResult f_start(CUpti_PCSamplingStartParams *p)
{
    call("start");
    if (!F.start_stop) return CUPTI_ERROR_INVALID_OPERATION;
    F.started = true;
    return CUPTI_SUCCESS;
}
static CUptiResult f_stop(CUpti_PCSamplingStopParams *p)
{
    call("stop");
    F.started = false;
    return CUPTI_SUCCESS;
}

/* Moves up to collectNumPcs pending PCs into d; names are malloc'd, as
 * CUPTI's are (the injector frees them). */
static void produce(CUpti_PCSamplingData *d)
{
    size_t n = F.pending < d->collectNumPcs ? F.pending : d->collectNumPcs;
    for (size_t i = 0; i < n; i++) {
        CUpti_PCSamplingPCData *pc = &d->pPcData[i];
        assert_int_equal(pc->size, sizeof *pc);
        assert_non_null(pc->stallReason);
        pc->cubinCrc = 0xabc;
        pc->pcOffset = 16u * F.next_pc++;
        pc->functionName = F.shared_name ? F.shared_name : strdup("_Z6kernelPf");
        pc->stallReasonCount = 3;
        pc->stallReason[0] = (CUpti_PCSamplingStallReason){10, 2};
        pc->stallReason[1] = (CUpti_PCSamplingStallReason){11, 0};
        pc->stallReason[2] = (CUpti_PCSamplingStallReason){12, 1};
    }
    F.pending -= (unsigned)n;
    d->totalNumPcs = n;
    d->remainingNumPcs = F.pending;
    d->totalSamples = 3 * n;
}

static CUptiResult f_getdata(CUpti_PCSamplingGetDataParams *p)
{
    int in = __atomic_add_fetch(&F.in_call, 1, __ATOMIC_SEQ_CST);
    if (in > F.max_in_call) F.max_in_call = in;
    call("getdata");
    CUptiResult r = CUPTI_SUCCESS;
    if (p->size != CUpti_PCSamplingGetDataParamsSize || !F.enabled) r = CUPTI_ERROR_INVALID_OPERATION;
    else if (F.fail_getdata) r = F.fail_getdata;
    else if (p->pcSamplingData == F.cfg_buf) r = CUPTI_ERROR_INVALID_PARAMETER;
    else {
        if (!F.pending && F.shared_name) F.pending = 2;    /* keep data coming */
        produce(p->pcSamplingData);
    }
    __atomic_sub_fetch(&F.in_call, 1, __ATOMIC_SEQ_CST);
    return r;
}
static CUptiResult f_disable(CUpti_PCSamplingDisableParams *p)
{
    call("disable");
    if (F.enabled && F.cfg_buf) produce(F.cfg_buf);    /* what is left lands in cfg */
    F.enabled = false;
    return CUPTI_SUCCESS;
}
static CUptiResult f_str(CUptiResult r, const char **s)
{
    *s = r == CUPTI_ERROR_NOT_SUPPORTED ? "CUPTI_ERROR_NOT_SUPPORTED" : "CUPTI_ERROR_UNKNOWN";
    return CUPTI_SUCCESS;
}

static void fake_reset(void) { memset(&F, 0, sizeof F); }

static CUpti_ComputeCrcCallbackFunc registered_crc;
static CUptiResult f_register_crc(CUpti_ComputeCrcCallbackFunc f)
{
    call("crc");
    registered_crc = f;
    return CUPTI_SUCCESS;
}

static const inj_pcs_api API = {f_num, f_reasons, f_config, f_enable, f_start, f_stop, f_getdata,
                                f_disable, f_str, f_register_crc};
#define CTX ((CUcontext)(uintptr_t)0x1000)

/* PC sampling on, with the fake CUPTI, into this test's collector. */
static tdb *started(void **state)
{
    tdb *t = *state;
    nt_err e = {0};
    assert_int_equal(inj_pcs_init(t->c, &API, &e), 0);
    assert_null(inj_pcs_status());
    return t;
}

static void drive_lifecycle(void **state)
{
    tdb *t = *state;
    col *c = t->c;
    setenv("NTRACE_PC_SAMPLING_PERIOD", "9", 1);
    nt_err e = {0};
    assert_int_equal(inj_pcs_init(c, &API, &e), 0);
    assert_null(inj_pcs_status());
    assert_int_equal(inj_pcs_context_start(CTX), 0);
    assert_string_equal(F.calls, "crc enable nreasons reasons config start");
    assert_int_equal(F.period, 9);
    assert_int_equal(F.mode, CUPTI_PC_SAMPLING_COLLECTION_MODE_CONTINUOUS);
    assert_int_equal(F.format, CUPTI_PC_SAMPLING_OUTPUT_DATA_FORMAT_PARSED);
    assert_true(F.start_stop && F.started);
    assert_non_null(F.cfg_buf);
    assert_int_equal(F.cfg_buf->collectNumPcs, INJ_PCS_COLLECT_PCS);
    /* A second start on the same context does nothing. */
    F.calls[0] = 0;
    assert_int_equal(inj_pcs_context_start(CTX), 0);
    assert_string_equal(F.calls, "");
    /* A launch drains: more PCs than one buffer -> GetData until none remain. */
    F.pending = INJ_PCS_COLLECT_PCS + 5;
    inj_pcs_on_launch(CTX);
    assert_string_equal(F.calls, "getdata getdata");
    /* Module unload drains too. */
    F.calls[0] = 0;
    F.pending = 2;
    inj_pcs_drain(CTX);
    assert_string_equal(F.calls, "getdata");
    /* At the end: stop, read what the range left, disable (fills cfg). */
    F.calls[0] = 0;
    F.pending = 1;
    inj_pcs_context_end(CTX);
    assert_string_equal(F.calls, "stop getdata disable");
    F.pending = 3;              /* disable saw none left; nothing more is read */
    F.calls[0] = 0;
    inj_pcs_stop_all();         /* the context already ended: no CUPTI calls */
    assert_string_equal(F.calls, "");
    inj_pcs_stats st = inj_pcs_totals();
    unsigned pcs = INJ_PCS_COLLECT_PCS + 5 + 2 + 1;
    assert_int_equal(st.pcs, pcs);
    assert_int_equal(st.rows, 2 * pcs);
    assert_int_equal(st.samples, 3 * pcs);
    sqlite3 *db = done(t);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PC_SAMPLES", 2 * pcs);
    assert_q(db, "SELECT COUNT(DISTINCT pcOffset) FROM NTRACE_PC_SAMPLES", pcs);
    assert_qs(db, "SELECT group_concat(t, ' ') FROM (SELECT r.name || ':' || SUM(p.samples) AS t "
                  "FROM NTRACE_PC_SAMPLES p JOIN NTRACE_STALL_REASONS r ON r.id = p.stallReason "
                  "GROUP BY r.id ORDER BY r.id)",
              "smsp__pcsamp_warps_issue_stalled_selected:8208 "
              "smsp__pcsamp_warps_issue_stalled_math_pipe_throttle:4104");
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_STALL_REASONS", 3);
    assert_qs(db, "SELECT DISTINCT s.value FROM NTRACE_PC_SAMPLES p JOIN StringIds s ON "
                  "s.id = p.functionName", "_Z6kernelPf");
}

/* Lazy start on the first launch, and stop_all ending a live context. */
static void drive_first_launch(void **state)
{
    tdb *t = started(state);
    inj_pcs_on_launch(CTX);
    assert_string_equal(F.calls, "crc enable nreasons reasons config start getdata");
    assert_int_equal(F.period, INJ_PCS_PERIOD_DEFAULT);
    F.calls[0] = 0;
    F.pending = 4;
    inj_pcs_stop_all();
    assert_string_equal(F.calls, "stop getdata disable");
    assert_int_equal(inj_pcs_totals().pcs, 4);
    /* After stop_all everything is off and cheap. */
    F.calls[0] = 0;
    inj_pcs_on_launch(CTX);
    inj_pcs_drain(CTX);
    assert_int_equal(inj_pcs_context_start(CTX), -1);
    assert_string_equal(F.calls, "");
    sqlite3 *db = done(t);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PC_SAMPLES", 8);
}

/* Samples that Disable leaves in the configuration buffer are kept. */
static void drive_disable_fills_cfg(void **state)
{
    tdb *t = started(state);
    assert_int_equal(inj_pcs_context_start(CTX), 0);
    F.fail_getdata = CUPTI_ERROR_UNKNOWN;    /* GetData fails: only Disable delivers */
    F.pending = 6;
    inj_pcs_context_end(CTX);
    assert_int_equal(inj_pcs_totals().pcs, 6);
    inj_pcs_stop_all();
    sqlite3 *db = done(t);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PC_SAMPLES", 12);
}

static void drive_not_permitted(void **state)
{
    tdb *t = started(state);
    F.fail_enable = CUPTI_ERROR_INSUFFICIENT_PRIVILEGES;
    assert_int_equal(inj_pcs_context_start(CTX), -1);
    assert_string_equal(F.calls, "crc enable");
    assert_non_null(inj_pcs_status());
    assert_non_null(strstr(inj_pcs_status(), "PC sampling not permitted (needs root or "
                                             "NVreg_RestrictProfilingToAdminUsers=0)"));
    /* The context is remembered as off: launches make no CUPTI calls. */
    inj_pcs_on_launch(CTX);
    inj_pcs_drain(CTX);
    inj_pcs_context_end(CTX);
    inj_pcs_stop_all();
    assert_string_equal(F.calls, "crc enable");
    sqlite3 *db = done(t);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PC_SAMPLES", 0);
}

static void drive_not_supported(void **state)
{
    tdb *t = started(state);
    F.fail_config = CUPTI_ERROR_NOT_SUPPORTED;
    F.fail_attr = 2;
    assert_int_equal(inj_pcs_context_start(CTX), -1);
    /* Enabled, so disabled again. */
    assert_string_equal(F.calls, "crc enable nreasons reasons config disable");
    assert_false(F.enabled);
    assert_string_equal(inj_pcs_status(), "PC sampling not supported here "
                                          "(cuptiPCSamplingSetConfigurationAttribute (hardware "
                                          "buffer size): CUPTI_ERROR_NOT_SUPPORTED); the run "
                                          "continues without it");
    inj_pcs_stop_all();
    sqlite3 *db = done(t);
    /* the stall-reason names were read before the failure */
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_STALL_REASONS", 3);
}

static void drive_buffer_full(void **state)
{
    tdb *t = started(state);
    assert_int_equal(inj_pcs_context_start(CTX), 0);
    F.fail_getdata = CUPTI_ERROR_OUT_OF_MEMORY;
    F.pending = 3;
    inj_pcs_on_launch(CTX);
    inj_pcs_on_launch(CTX);
    assert_int_equal(inj_pcs_totals().buffer_full, 2);
    assert_int_equal(inj_pcs_totals().pcs, 0);
    F.fail_getdata = 0;
    inj_pcs_on_launch(CTX);            /* recovers */
    assert_int_equal(inj_pcs_totals().pcs, 3);
    inj_pcs_stop_all();
    done(t);
}

/* The drain interval: launches within it do not drain. */
static void drive_interval(void **state)
{
    tdb *t = *state;
    col *c = t->c;
    nt_err e = {0};
    setenv("NTRACE_PC_SAMPLING_DRAIN_MS", "60000", 1);
    assert_int_equal(inj_pcs_init(c, &API, &e), 0);
    assert_int_equal(inj_pcs_context_start(CTX), 0);
    F.calls[0] = 0;
    for (int i = 0; i < 10; i++) inj_pcs_on_launch(CTX);
    assert_string_equal(F.calls, "");
    inj_pcs_stop_all();
    done(t);
}

/* A function name shared by every record, across drains (the header says
 * CUPTI may do so): freed once at the end (ASan/valgrind catch a double
 * free or a leak). */
static void drive_shared_names(void **state)
{
    tdb *t = started(state);
    F.shared_name = strdup("_Z6sharedv");
    assert_int_equal(inj_pcs_context_start(CTX), 0);
    for (int i = 0; i < 5; i++) inj_pcs_on_launch(CTX);
    inj_pcs_stop_all();
    assert_int_equal(inj_pcs_totals().pcs, 12);     /* 5 drains + the final one, 2 each */
    sqlite3 *db = done(t);
    assert_qs(db, "SELECT group_concat(DISTINCT s.value) FROM NTRACE_PC_SAMPLES p JOIN StringIds s "
                  "ON s.id = p.functionName", "_Z6sharedv");
}

/* Launch exits on many threads at once: CUPTI is never entered
 * concurrently, and nothing is lost or counted twice. */
static void *launcher(void *arg)
{
    for (int i = 0; i < 300; i++) {
        if (i % 50 == 0) inj_pcs_drain(CTX);
        else inj_pcs_on_launch(CTX);
    }
    return NULL;
}

static void drive_threads(void **state)
{
    tdb *t = started(state);
    F.shared_name = strdup("_Z6sharedv");
    assert_int_equal(inj_pcs_context_start(CTX), 0);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, launcher, NULL), 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    inj_pcs_stop_all();
    assert_int_equal(F.max_in_call, 1);
    inj_pcs_stats st = inj_pcs_totals();
    assert_int_equal(st.pcs, F.next_pc);
    assert_int_equal(st.rows, 2 * st.pcs);
    sqlite3 *db = done(t);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PC_SAMPLES", (int64_t)(2 * st.pcs));
}

/* Bad variables and a CUPTI without the API: off, with one clear line. */
static void init_errors(void **state)
{
    nt_err e = {0};
    setenv("NTRACE_PC_SAMPLING_PERIOD", "40", 1);
    assert_int_equal(inj_pcs_init(NULL, &API, &e), -1);
    assert_non_null(strstr(e.msg, "NTRACE_PC_SAMPLING_PERIOD='40'"));
    assert_string_equal(inj_pcs_status(), e.msg);
    assert_int_equal(inj_pcs_context_start(CTX), -1);
    assert_string_equal(F.calls, "");
    unsetenv("NTRACE_PC_SAMPLING_PERIOD");
    setenv("NTRACE_PC_SAMPLING_DRAIN_MS", "soon", 1);
    nt_err e2 = {0};
    assert_int_equal(inj_pcs_init(NULL, &API, &e2), -1);
    assert_string_equal(e2.msg, "NTRACE_PC_SAMPLING_DRAIN_MS='soon': expected milliseconds "
                                "(0 to 3600000)");
    /* This test binary has no CUPTI: the lookup finds nothing. */
    setenv("NTRACE_PC_SAMPLING_DRAIN_MS", "0", 1);
    nt_err e3 = {0};
    assert_int_equal(inj_pcs_init(NULL, NULL, &e3), -1);
    assert_string_equal(e3.msg, "PC sampling not supported here (this CUPTI has no PC Sampling "
                                "API); the run continues without it");
    inj_pcs_on_launch(CTX);
    inj_pcs_stop_all();
    assert_string_equal(F.calls, "");
}

/* Source lines: the CRC callback registered with CUPTI reads the line
 * table of each cubin (here: the -lineinfo build of tests/kernels/vecadd.cu)
 * and the conversion adds one NTRACE_PC_LINES row per PC, once; merging
 * keeps them. */
static void map_file(nt_file *f, const char *name)
{
    const char *b = getenv("BUILD");
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/binary/%s", b ? b : "build", name);
    nt_err e = {0};
    if (nt_file_open(f, path, &e)) fail_msg("%s", e.msg);
}

static void convert_lines(void **state)
{
    tdb *t = started(state);
    assert_ptr_equal(registered_crc, inj_pcl_cubin_crc);
    nt_file li, plain;
    map_file(&li, "lines/vecadd.cubin");
    map_file(&plain, "kernels.cubin");
    uint64_t crc = 0, crc2 = 0, again = 0;
    registered_crc(li.data, li.size, &crc);
    registered_crc(plain.data, plain.size, &crc2);
    registered_crc(li.data, li.size, &again);          /* the same module loaded twice */
    assert_true(crc != 0 && crc2 != 0 && crc != crc2);
    assert_int_equal(again, crc);
    uint64_t cubins, with_lines;
    inj_pcl_counts(&cubins, &with_lines);
    assert_int_equal(cubins, 3);
    assert_int_equal(with_lines, 1);
    /* The expected lines, from the table itself. */
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_lines tab;
    assert_int_equal(bin_cubin_lines(li.data, li.size, &a, &tab, NULL), 0);
    const bin_line *l0 = bin_line_find(&tab, "vecadd", 0x0), *l1 = bin_line_find(&tab, "saxpy", 0x90);
    assert_non_null(l0);
    assert_non_null(l1);
    uint64_t end = 0;
    for (size_t i = 0; i < tab.n; i++)
        if (!strcmp(tab.rows[i].function, "vecadd") && tab.rows[i].end > end) end = tab.rows[i].end;
    const t_pc T[] = {
        {"vecadd", crc, 0x0, 0, 1, {{1, 5}}},
        {"saxpy", crc, 0x90, 0, 2, {{1, 2}, {3, 1}}},
        {"vecadd", crc, end, 0, 1, {{1, 1}}},              /* past the code: no line */
        {"vecadd", crc2, 0x0, 0, 1, {{1, 1}}},             /* cubin without line info */
        {NULL, crc, 0x0, 0, 1, {{1, 1}}},                  /* no function name */
        {"vecadd", 0x1234, 0x0, 0, 1, {{1, 1}}},           /* a cubin never seen */
    };
    CUpti_PCSamplingData d;
    CUpti_PCSamplingPCData pc[6];
    CUpti_PCSamplingStallReason sr[6][4];
    fill(&d, pc, sr, T, 6, 6);
    inj_pcs_stats st = {0};
    assert_int_equal(inj_pcs_convert(t->c, &d, 4, &st), 7);
    assert_int_equal(st.lines, 2);
    assert_int_equal(inj_pcs_convert(t->c, &d, 4, &st), 7);   /* the same PCs again */
    assert_int_equal(st.lines, 2);
    char want[512];
    snprintf(want, sizeof want, "saxpy|90|%s|%u vecadd|0|%s|%u", l1->file, l1->line, l0->file, l0->line);
    assert_non_null(strstr(l0->file, "vecadd.cu"));
    inj_pcs_stop_all();
    sqlite3 *db = done(t);
    const char *q = "SELECT group_concat(r, ' ') FROM (SELECT f.value || '|' || printf('%x', l.pcOffset)"
                    " || '|' || fi.value || '|' || l.line AS r FROM NTRACE_PC_LINES l"
                    " JOIN StringIds f ON f.id = l.functionName JOIN StringIds fi ON fi.id = l.fileName"
                    " ORDER BY f.value)";
    assert_qs(db, q, want);
    char crcq[160];
    snprintf(crcq, sizeof crcq, "SELECT COUNT(*) FROM NTRACE_PC_LINES WHERE cubinCrc = %lld", (long long)crc);
    assert_q(db, crcq, 2);
    /* Samples per source line, as docs/schema.md shows it. */
    assert_q(db, "SELECT SUM(p.samples) FROM NTRACE_PC_SAMPLES p JOIN NTRACE_PC_LINES l"
                 " ON l.cubinCrc = p.cubinCrc AND l.functionName = p.functionName"
                 " AND l.pcOffset = p.pcOffset", 2 * (5 + 2 + 1));
    /* A merge keeps the lines, names remapped. */
    char out[600];
    snprintf(out, sizeof out, "%s/merged.db", t->dir);
    const char *ins[] = {t->path, t->path};
    col_merge_totals mt = {0};
    nt_err e = {0};
    if (col_merge(out, ins, 2, false, &mt, &e)) fail_msg("col_merge: %s", e.msg);
    sqlite3 *m;
    assert_int_equal(col_db_open(out, &m, &e), 0);
    assert_q(m, "SELECT COUNT(*) FROM NTRACE_PC_LINES l JOIN StringIds f ON f.id = l.functionName"
                " WHERE f.value = 'vecadd'", 2);
    sqlite3_close(m);
    nt_arena_free(&a);
    nt_file_close(&li);
    nt_file_close(&plain);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(convert_rows), T(convert_clamps), T(convert_many), T(period_parse), T(drive_lifecycle),
        T(drive_first_launch), T(drive_disable_fills_cfg), T(drive_not_permitted),
        T(drive_not_supported), T(drive_buffer_full), T(drive_interval), T(drive_shared_names),
        T(drive_threads), T(init_errors), T(convert_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
