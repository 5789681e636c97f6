/* rep_test.h — shared by the report tests: a small hand-checked database
 * (every number the tests expect is worked out in the comments below) and
 * temporary paths. */
#ifndef REP_TEST_H
#define REP_TEST_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report_int.h"
#include "report/schema.h"

/*
 * Device 0: 4 SMs at 1 GHz (one cycle = 1 ns).  Run starts at 500 ns.
 * Kernels: 1 kA (instrumented), 2 kB (not instrumentable: no PTX).
 * Launches (ns):  L1 kA stream 1 1000..2000 probed   (correlation 11)
 *                 L2 kA stream 1 3000..3500 probed, 10 saved, 5 dropped
 *                 L3 kB stream 2 2000..4000 "not probed: no PTX"
 *   kA: 2 launches, 1500 ns total, mean 750, min 500, max 1000 (42.9 %)
 *   kB: 1 launch, 2000 ns (57.1 %)
 * block_sched (blocks of 32 threads: one warp each) for L1, in cycles:
 *   block 0 sm 0  100..300  gstart 1000  -> offset 900 -> 1000..1200 ns
 *   block 1 sm 0  400..500  gstart 1300  -> offset 900 -> 1300..1400
 *   block 3 sm 0  600..650  gstart 1600  (offset 1000: an outlier; the
 *                                          median of 900,900,1000 wins) -> 1500..1550
 *   block 2 sm 1   50..750  gstart 1000  -> offset 950 -> 1000..1700
 *   warps 4, blocks 4, SMs 2, blocks/SM 1..3 mean 2; span 700 ns;
 *   SM busy (350 + 700) / (2 * 700) = 75 %; idle gaps 100 + 100 = 200 ns,
 *   max 100; tail (1700 - 1550) / 700 = 21.4 %.
 * barrier_wait L1: b0 50, b1 20, b2 100 -> 170 of 1050 lifetime cycles (16.2 %),
 *   mean per warp 56.67, max 100
 * mem_wait L1: b0 60, b2 300 -> 360 (34.3 %), mean 180, max 300; other 49.5 %
 * gmem_bytes L1: 1000 + 500 bytes in 1000 ns = 1.5 GB/s
 * foo.bar (generic): x 1, 2, 3; y 0.5, 1.5, 2.5 (L1 and L2)
 * PC samples L1: barrier 30, long_scoreboard 50, selected 20; and 100
 *   "selected" samples of kA's function with no launch (correlation id 0):
 *   kA: barrier 15 %, memory 25 %, other 60 %; with --launch 1: 30, 50, 20
 */
static const char rt_sql[] =
    "INSERT INTO StringIds VALUES (1,'_Z2kAv'),(2,'kA()'),(3,'_Z2kBv'),(4,'kB()');"
    "INSERT INTO NTRACE_RUN(id, commandLine, host, pid, ntraceVersion, schemaVersion, startTime,"
    "  endTime) VALUES (1, './app', 'h', 7, '0.1.0', 1, 500, 5000);"
    "INSERT INTO TARGET_INFO_GPU(id, name, totalMemory, clockRate, smCount, computeMajor,"
    "  computeMinor) VALUES (0, 'Test GPU', 1073741824, 1000000000, 4, 8, 6);"
    "INSERT INTO NTRACE_KERNELS(id, moduleId, mangledName, demangledName, instrumented, reason)"
    "  VALUES (1, 1, 1, 2, 1, NULL), (2, 1, 3, 4, 0, 'no PTX');"
    "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, deviceId, streamId, start, end,"
    "  gridX, gridY, gridZ, blockX, blockY, blockZ, probeStatus, demangledName, correlationId,"
    "  probeId, recordsSaved, recordsDropped) VALUES"
    "  (1, 1, 0, 1, 1000, 2000, 4, 1, 1, 32, 1, 1, 'probed', 2, 11, 1, 9, 0),"
    "  (2, 1, 0, 1, 3000, 3500, 4, 1, 1, 32, 1, 1, 'probed', 2, 12, 1, 10, 5),"
    "  (3, 2, 0, 2, 2000, 4000, 8, 1, 1, 64, 1, 1, 'not probed: no PTX', 4, 13, 0, 0, 0);"
    "INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY(correlationId, deviceId, streamId, start, end, bytes,"
    "  copyKind) VALUES (10, 0, 1, 600, 900, 4096, 1);"
    "INSERT INTO NTRACE_PROBES(id, name) VALUES (1, 'block_sched'), (2, 'barrier_wait'),"
    "  (3, 'mem_wait'), (4, 'gmem_bytes'), (5, 'foo');"
    "INSERT INTO NTRACE_PROBE_MAPS VALUES (1, 0, 'warps', 'PROBE_BLOCK_SCHED_WARPS', 'warp', 1, 8, 4),"
    "  (2, 0, 'cycles', 'PROBE_BARRIER_WAIT_CYCLES', 'warp', 1, 8, 1),"
    "  (3, 0, 'cycles', 'PROBE_MEM_WAIT_CYCLES', 'warp', 1, 8, 1),"
    "  (4, 0, 'bytes', 'PROBE_GMEM_BYTES_BYTES', 'warp', 1, 8, 1),"
    "  (5, 0, 'bar', 'PROBE_FOO_BAR', 'block', 2, 16, 2);"
    "INSERT INTO NTRACE_PROBE_FIELDS VALUES (1,0,0,'start','u64',0),(1,0,1,'stop','u64',8),"
    "  (1,0,2,'sm','u32',16),(1,0,3,'gstart','u64',24),(2,0,0,'cycles','u64',0),"
    "  (3,0,0,'cycles','u64',0),(4,0,0,'bytes','u64',0),(5,0,0,'x','u32',0),(5,0,1,'y','f64',8);"
    "CREATE TABLE PROBE_BLOCK_SCHED_WARPS (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL,"
    "  warpId INTEGER NOT NULL, seq INTEGER NOT NULL, start INTEGER, stop INTEGER, sm INTEGER,"
    "  gstart INTEGER);"
    "INSERT INTO PROBE_BLOCK_SCHED_WARPS VALUES (1,0,0,0,100,300,0,1000),(1,1,0,0,400,500,0,1300),"
    "  (1,3,0,0,600,650,0,1600),(1,2,0,0,50,750,1,1000);"
    "CREATE TABLE PROBE_BARRIER_WAIT_CYCLES (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL,"
    "  warpId INTEGER NOT NULL, seq INTEGER NOT NULL, cycles INTEGER);"
    "INSERT INTO PROBE_BARRIER_WAIT_CYCLES VALUES (1,0,0,0,50),(1,1,0,0,20),(1,2,0,0,100);"
    "CREATE TABLE PROBE_MEM_WAIT_CYCLES (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL,"
    "  warpId INTEGER NOT NULL, seq INTEGER NOT NULL, cycles INTEGER);"
    "INSERT INTO PROBE_MEM_WAIT_CYCLES VALUES (1,0,0,0,60),(1,2,0,0,300);"
    "CREATE TABLE PROBE_GMEM_BYTES_BYTES (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL,"
    "  warpId INTEGER NOT NULL, seq INTEGER NOT NULL, bytes INTEGER);"
    "INSERT INTO PROBE_GMEM_BYTES_BYTES VALUES (1,0,0,0,1000),(1,1,0,0,500);"
    "CREATE TABLE PROBE_FOO_BAR (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL, x INTEGER, y REAL);"
    "INSERT INTO PROBE_FOO_BAR VALUES (1,0,0,1,0.5),(1,0,1,2,1.5),(2,1,0,3,2.5);"
    /* The end-of-run indexes, except on PROBE_FOO_BAR (as after a crash). */
    "CREATE INDEX i1 ON PROBE_BLOCK_SCHED_WARPS(launchId, blockId);"
    "CREATE INDEX i2 ON PROBE_BARRIER_WAIT_CYCLES(launchId, blockId);"
    "CREATE INDEX i3 ON PROBE_MEM_WAIT_CYCLES(launchId, blockId);"
    "CREATE INDEX i4 ON PROBE_GMEM_BYTES_BYTES(launchId, blockId);"
    "CREATE INDEX i5 ON PROBE_FOO_BAR(blockId, launchId);"
    "INSERT INTO NTRACE_STALL_REASONS VALUES (1,'smsp__pcsamp_warps_issue_stalled_barrier'),"
    "  (2,'smsp__pcsamp_warps_issue_stalled_long_scoreboard'),"
    "  (3,'smsp__pcsamp_warps_issue_stalled_selected');"
    "INSERT INTO NTRACE_PC_SAMPLES(correlationId, pcOffset, stallReason, samples) VALUES"
    "  (11, 16, 1, 10), (11, 32, 1, 20), (11, 16, 2, 50), (11, 48, 3, 20);"
    "INSERT INTO NTRACE_PC_SAMPLES(correlationId, functionName, pcOffset, stallReason, samples)"
    "  VALUES (0, 1, 64, 3, 100);";

/* A fresh path under the test's own directory (removed by rt_cleanup). */
static char rt_dir[256];

static const char *rt_path(const char *name)
{
    static char p[8][320];
    static int k;
    if (!rt_dir[0]) {
        snprintf(rt_dir, sizeof rt_dir, "/tmp/nt_report_test.XXXXXX");
        if (!mkdtemp(rt_dir)) abort();
    }
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", rt_dir, name);
    return p[k];
}

NT_UNUSED static void rt_cleanup(void)
{
    if (!rt_dir[0]) return;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", rt_dir);
    if (system(cmd)) { /* best effort */ }
    rt_dir[0] = 0;
}

/* The group teardown of every report test binary. */
NT_UNUSED static int rt_teardown(void **state)
{
    rt_cleanup();
    return 0;
}

/* Opens a database that must open (rep_test.h comes after cmocka.h). */
NT_UNUSED static rep_db *rt_open(const char *path)
{
    nt_err e = {0};
    rep_db *db = rep_open(path, &e);
    if (!db) fprintf(stderr, "%s\n", e.msg);
    assert_non_null(db);
    return db;
}

/* The summary (html false, in format f) or the page of db's current
 * selection, as a string (caller frees). */
NT_UNUSED static char *rt_render(rep_db *db, bool html, enum rep_format f)
{
    rep_opts o = REP_OPTS_INIT;
    o.format = f;
    nt_err e = {0};
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    int rc = html ? rep_html(db, &o, m, &e) : rep_summary(db, &o, m, &e);
    fclose(m);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
    return buf;
}

/* Runs sql (may be NULL) on a new database with the schema and pragmas. */
static int rt_exec_db(const char *path, int app_id, int version, const char *sql)
{
    sqlite3 *db;
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, SCH_PRAGMAS_FMT, app_id, version);
    int rc = sqlite3_exec(db, pragmas, NULL, NULL, NULL);
    if (!rc) rc = sqlite3_exec(db, SCH_DDL, NULL, NULL, NULL);
    if (!rc && sql) rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc) fprintf(stderr, "rt_exec_db: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc ? -1 : 0;
}

/* A database of the current schema under name (its path is returned),
 * made from sql, then changed by more (a variant of a fixture: deletes,
 * updates, drops); either may be NULL.  An SQL error fails the test. */
NT_UNUSED static const char *rt_db(const char *name, const char *sql, const char *more)
{
    const char *p = rt_path(name);
    if (rt_exec_db(p, SCH_APPLICATION_ID, SCH_VERSION, sql)) fail_msg("%s: cannot make it", name);
    if (more) {
        sqlite3 *s;
        int rc = sqlite3_open(p, &s);
        if (rc == SQLITE_OK) rc = sqlite3_exec(s, more, NULL, NULL, NULL);
        if (rc != SQLITE_OK) fail_msg("%s: %s", name, sqlite3_errmsg(s));
        sqlite3_close(s);
    }
    return p;
}

NT_UNUSED static const char *rt_make_db(void) { return rt_db("hand.db", rt_sql, NULL); }

/* The text of cell (row whose first cell reads `first`, column `col`). */
NT_UNUSED static const char *rt_cell(rep_doc *d, const char *key, const char *first, const char *col)
{
    static char buf[8][64];
    static int k;
    rep_table *t = rep_doc_find(d, key);
    if (!t) return "(no table)";
    int c = 0;
    while (c < t->ncols && strcmp(t->cols[c], col)) c++;
    if (c == t->ncols) return "(no column)";
    for (size_t r = 0; r < t->nrows; r++) {
        k = (k + 1) % 8;
        if (!strcmp(rep_cell_str(rep_cell_at(t, r, 0), buf[k], sizeof buf[k]), first)) {
            k = (k + 1) % 8;
            return rep_cell_str(rep_cell_at(t, r, c), buf[k], sizeof buf[k]);
        }
    }
    return "(no row)";
}

#endif
