/* libFuzzer target: the report's arithmetic on arbitrary record values.
 * The input is read as 64-bit values that become a launch's shape and
 * times and the fields of its block_sched, barrier_wait, mem_trace and
 * branch_div records (in a database of the schema's shape); the summary,
 * the timeline and the HTML page must come out without a crash, an
 * out-of-bounds access or undefined behaviour, whatever the numbers. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "report/schema.h"

static const char meta_sql[] =
    "INSERT INTO NTRACE_RUN(id, startTime) VALUES (1, 0);"
    "INSERT INTO TARGET_INFO_GPU(id, name, clockRate, smCount) VALUES (0, 'g', ?, 4);"
    "INSERT INTO NTRACE_KERNELS(id, instrumented) VALUES (1, 1);"
    "INSERT INTO NTRACE_PROBES(id, name) VALUES (1, 'block_sched');"
    "INSERT INTO NTRACE_PROBE_MAPS VALUES (1, 0, 's', 'PS', 'warp', 1, 8, 4),"
    "  (1, 1, 'barrier_wait', 'PB', 'warp', 2, 8, 1), (1, 2, 'm', 'PM', 'warp', 2, 8, 2),"
    "  (1, 3, 'd', 'PD', 'block', 2, 8, 1);"
    "INSERT INTO NTRACE_PROBE_FIELDS VALUES (1,0,0,'start','u64',0), (1,0,1,'stop','u64',8),"
    "  (1,0,2,'sm','u32',16), (1,0,3,'gstart','u64',24), (1,1,0,'cycles','u64',0),"
    "  (1,2,0,'addr','u64',0), (1,2,1,'gtime','u64',8), (1,3,0,'active_mask','u32',0);"
    "CREATE TABLE PS (launchId, blockId, warpId, seq, start, stop, sm, gstart);"
    "CREATE TABLE PB (launchId, blockId, warpId, seq, cycles);"
    "CREATE TABLE PM (launchId, blockId, warpId, seq, addr, gtime);"
    "CREATE TABLE PD (launchId, blockId, seq, active_mask);";

typedef struct in {
    const uint8_t *p;
    size_t n;
} in;

static int64_t next(in *s)
{
    uint64_t v = 0;
    size_t k = s->n < 8 ? s->n : 8;
    memcpy(&v, s->p, k);
    s->p += k;
    s->n -= k;
    /* Small values are the interesting ones: a byte of 0xff means "huge". */
    if ((v & 0xff) != 0xff) v &= 0xffff;
    return (int64_t)v;
}

static void bind_all(sqlite3_stmt *st, in *s, int n)
{
    for (int i = 1; i <= n; i++) sqlite3_bind_int64(st, i, next(s));
    sqlite3_step(st);
    sqlite3_reset(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/nt_fuzz_report.%d.db", (int)getpid());
    unlink(path);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return 0;
    in s = {data, size};
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, SCH_PRAGMAS_FMT " PRAGMA journal_mode=OFF; "
             "PRAGMA synchronous=OFF; BEGIN;",
             SCH_APPLICATION_ID, SCH_VERSION);
    sqlite3_exec(db, pragmas, NULL, NULL, NULL);
    sqlite3_exec(db, SCH_DDL, NULL, NULL, NULL);
    char meta[sizeof meta_sql + 32];
    const char *q = strchr(meta_sql, '?');
    snprintf(meta, sizeof meta, "%.*s%lld%s", (int)(q - meta_sql), meta_sql,
             (long long)((uint64_t)next(&s) * 1000), q + 1);   /* kHz to Hz, wrapping */
    sqlite3_exec(db, meta, NULL, NULL, NULL);
    sqlite3_stmt *l, *ps, *pb, *pm, *pd;
    sqlite3_prepare_v2(db, "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, deviceId, "
                       "streamId, start, end, gridX, gridY, gridZ, blockX, blockY, blockZ, "
                       "probeStatus) VALUES (1, 1, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'probed')",
                       -1, &l, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO PS VALUES (1, ?, ?, 0, ?, ?, ?, ?)", -1, &ps, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO PB VALUES (1, ?, ?, ?, ?)", -1, &pb, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO PM VALUES (1, ?, ?, ?, ?, ?)", -1, &pm, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO PD VALUES (1, ?, ?, ?)", -1, &pd, NULL);
    bind_all(l, &s, 9);
    for (int r = 0; s.n > 0 && r < 64; r++) {
        bind_all(ps, &s, 6);
        bind_all(pb, &s, 4);
        bind_all(pm, &s, 5);
        bind_all(pd, &s, 3);
    }
    sqlite3_finalize(l);
    sqlite3_finalize(ps);
    sqlite3_finalize(pb);
    sqlite3_finalize(pm);
    sqlite3_finalize(pd);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);

    nt_err e = {0};
    rep_db *r = rep_open(path, &e);
    if (r) {
        FILE *out = fopen("/dev/null", "w");
        rep_opts o = REP_OPTS_INIT;
        rep_tl_stats st;
        if (out && !rep_select(r, &o, &e)) {
            rep_summary(r, &o, out, &e);
            rep_timeline(r, &o, out, &st, &e);
            rep_html(r, &o, out, &e);
        }
        if (out) fclose(out);
        rep_close(r);
    }
    unlink(path);
    return 0;
}
