/* Tests: user regions (probes/regions.lua) in the summary, the timeline and
 * the page, on a hand-checked database.
 *
 * Device 0 at 500 MHz: one cycle = 2 ns.  Run starts at 0.  Kernel kR.
 * Launch 1 (1000..5000 ns, 2 blocks of 64 threads = 4 warps) carries the
 * regions probe: map rec (region, start, stop) and map warp (start, stop,
 * sm: the lifetimes).  No %globaltimer: each SM's first warp starts at the
 * launch start.  Launch 2 (6000..7000) carries block_sched (one warp), so
 * launch 1's lifetimes come from regions.warp, not block_sched.
 *   warp b0w0 sm0 100..1100 cyc: offset 1000 - 200 = 800 -> 1000..3000 ns (slot 0)
 *   warp b0w1 sm0 150..900:                               1100..2600 ns (slot 1)
 *   warp b1w0 sm1 1000..1500: offset 1000 - 2000 = -1000 -> 1000..2000 (slot 0)
 *   warp b1w1 sm1 1200..1400:                              1400..1800 (slot 1)
 * Regions (cycles -> ns on the warp's SM):
 *   b0w0 load 200..400 -> 1200..1600; compute 400..1000 -> 1600..2800;
 *        other 500..600 -> 1800..2000 (nested in compute)
 *   b0w1 load 150..250 -> 1100..1300; compute 300..800 -> 1400..2400;
 *        other 700..900 -> 2200..2600, cut at compute's end: 2200..2400
 *   b1w0 load 1100..1200 -> 1200..1400; compute 1200..1600 -> 1400..2200,
 *        past the warp's end (2000): 1400..2000
 *   b1w1 other 1250..1300 -> 1500..1600
 * Summary (cycles as recorded; time at 2 ns per cycle):
 *   compute 3 records, 1500 cycles, mean 500.0, max 600; 3.000 us, 1.000, 1.200
 *   load    3 records,  400 cycles, mean 133.3, max 200; 0.800 us, 0.267, 0.400
 *   other   3 records,  350 cycles, mean 116.7, max 200; 0.700 us, 0.233, 0.400
 * Names: "load" is a string of the file (StringIds), "compute" is named by
 * a probe's source (region.end:compute); "other" (id 12345) is named
 * nowhere: region#00003039.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rep_test.h"
#include "probe/probe.h"

static const char *make_regions_db(void)
{
    unsigned load = prb_region_id("load", 4), compute = prb_region_id("compute", 7);
    char sql[8192];
    snprintf(sql, sizeof sql,
        "INSERT INTO StringIds VALUES (1,'kR'),(2,'load');"
        "INSERT INTO NTRACE_RUN(id, commandLine, host, pid, ntraceVersion, schemaVersion,"
        "  startTime, endTime) VALUES (1, './app', 'h', 7, '0.1.0', 1, 0, 9000);"
        "INSERT INTO TARGET_INFO_GPU(id, name, clockRate, smCount) VALUES (0, 'G', 500000000, 2);"
        "INSERT INTO NTRACE_KERNELS(id, moduleId, mangledName, demangledName, instrumented)"
        "  VALUES (1, 1, 1, 1, 1);"
        "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, deviceId, streamId, start,"
        "  end, gridX, gridY, gridZ, blockX, blockY, blockZ, probeStatus, demangledName,"
        "  correlationId, probeId) VALUES"
        "  (1, 1, 0, 1, 1000, 5000, 2, 1, 1, 64, 1, 1, 'probed', 1, 1, 1),"
        "  (2, 1, 0, 1, 6000, 7000, 1, 1, 1, 32, 1, 1, 'probed', 1, 2, 2);"
        "INSERT INTO NTRACE_PROBES(id, name, source) VALUES (1, 'regions', '-- x'),"
        "  (2, 'block_sched', NULL), (3, 'mine', 'nt.at \"region.end:compute\" (f)');"
        "INSERT INTO NTRACE_PROBE_MAPS VALUES (1, 0, 'rec', 'PROBE_REGIONS_REC', 'warp', 64, 24, 3),"
        "  (1, 1, 'warp', 'PROBE_REGIONS_WARP', 'warp', 1, 24, 3),"
        "  (2, 0, 'rec', 'PROBE_BLOCK_SCHED_REC', 'warp', 1, 24, 3);"
        "INSERT INTO NTRACE_PROBE_FIELDS VALUES (1,0,0,'start','u64',0),(1,0,1,'stop','u64',8),"
        "  (1,0,2,'region','u32',16),(1,1,0,'start','u64',0),(1,1,1,'stop','u64',8),"
        "  (1,1,2,'sm','u32',16),(2,0,0,'start','u64',0),(2,0,1,'stop','u64',8),"
        "  (2,0,2,'sm','u32',16);"
        "CREATE TABLE PROBE_REGIONS_REC (launchId INTEGER, blockId INTEGER, warpId INTEGER,"
        "  seq INTEGER, start INTEGER, stop INTEGER, region INTEGER);"
        "CREATE TABLE PROBE_REGIONS_WARP (launchId INTEGER, blockId INTEGER, warpId INTEGER,"
        "  seq INTEGER, start INTEGER, stop INTEGER, sm INTEGER);"
        "CREATE TABLE PROBE_BLOCK_SCHED_REC (launchId INTEGER, blockId INTEGER, warpId INTEGER,"
        "  seq INTEGER, start INTEGER, stop INTEGER, sm INTEGER);"
        "INSERT INTO PROBE_REGIONS_WARP VALUES (1,0,0,0,100,1100,0),(1,0,1,0,150,900,0),"
        "  (1,1,0,0,1000,1500,1),(1,1,1,0,1200,1400,1);"
        "INSERT INTO PROBE_REGIONS_REC VALUES"
        "  (1,0,0,0,200,400,%u),(1,0,0,1,400,1000,%u),(1,0,0,2,500,600,12345),"
        "  (1,0,1,0,150,250,%u),(1,0,1,1,300,800,%u),(1,0,1,2,700,900,12345),"
        "  (1,1,0,0,1100,1200,%u),(1,1,0,1,1200,1600,%u),(1,1,1,0,1250,1300,12345);"
        "INSERT INTO PROBE_BLOCK_SCHED_REC VALUES (2,0,0,0,10,20,0);",
        load, compute, load, compute, load, compute);
    return rt_db("regions.db", sql, NULL);
}

static void region_summary(void **state)
{
    rep_db *db = rt_open(make_regions_db());
    rep_doc d;
    nt_err e = {0};
    rep_doc_init(&d);
    assert_int_equal(rep_build_summary(db, &d, &e), 0);
    rep_table *t = rep_doc_find(&d, "regions");
    assert_non_null(t);
    assert_int_equal(t->nrows, 3);
    char b[64];
    /* by total cycles: compute, load, other */
    assert_string_equal(rep_cell_str(rep_cell_at(t, 0, 0), b, sizeof b), "compute");
    assert_string_equal(rep_cell_str(rep_cell_at(t, 2, 0), b, sizeof b), "region#00003039");
    static const char *const want[3][8] = {
        {"compute", "3", "1500", "500.0", "600", "3.000", "1.000", "1.200"},
        {"load", "3", "400", "133.3", "200", "0.800", "0.267", "0.400"},
        {"region#00003039", "3", "350", "116.7", "200", "0.700", "0.233", "0.400"},
    };
    for (int r = 0; r < 3; r++)
        for (int c = 1; c < 8; c++)
            assert_string_equal(rt_cell(&d, "regions", want[r][0], t->cols[c]), want[r][c]);
    /* launch 1's lifetimes come from regions.warp, launch 2's from block_sched */
    assert_string_equal(rt_cell(&d, "block_sched", "1", "warps"), "4");
    assert_string_equal(rt_cell(&d, "block_sched", "1", "SMs"), "2");
    assert_string_equal(rt_cell(&d, "block_sched", "2", "warps"), "1");
    /* neither map gets the generic per-column summary */
    assert_null(rep_doc_find(&d, "map:regions.rec"));
    assert_null(rep_doc_find(&d, "map:regions.warp"));
    rep_doc_free(&d);
    /* --launch 2: no region records */
    rep_opts o = REP_OPTS_INIT;
    o.launch_id = 2;
    assert_int_equal(rep_select(db, &o, &e), 0);
    rep_doc_init(&d);
    assert_int_equal(rep_build_summary(db, &d, &e), 0);
    assert_int_equal(rep_doc_find(&d, "regions")->nrows, 0);
    rep_doc_free(&d);
    rep_close(db);
}

static char *timeline_of(rep_db *db, rep_tl_stats *st, uint64_t max)
{
    rep_opts o = REP_OPTS_INIT;
    o.max_events = max;
    nt_err e = {0};
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    assert_int_equal(rep_timeline(db, &o, m, st, &e), 0);
    fclose(m);
    return buf;
}

#define EV(pid, tid, ts, dur, cat, name) \
    "\"ph\":\"X\",\"pid\":" #pid ",\"tid\":" #tid ",\"ts\":" ts ",\"dur\":" dur \
    ",\"cat\":\"" cat "\",\"name\":\"" name "\""

static void region_slices_nest_in_warps(void **state)
{
    rep_db *db = rt_open(make_regions_db());
    rep_tl_stats st;
    char *j = timeline_of(db, &st, 0);
    /* 2 launches + 5 warps + 9 regions */
    assert_int_equal(st.events, 2 + 5 + 9);
    static const char *const want[] = {
        EV(1000, 0, "1.000", "2.000", "warp", "block 0"),
        EV(1000, 0, "1.200", "0.400", "region", "load"),
        EV(1000, 0, "1.600", "1.200", "region", "compute"),
        EV(1000, 0, "1.800", "0.200", "region", "region#00003039"),
        EV(1000, 1, "1.100", "1.500", "warp", "block 0"),
        EV(1000, 1, "1.100", "0.200", "region", "load"),
        EV(1000, 1, "1.400", "1.000", "region", "compute"),
        EV(1000, 1, "2.200", "0.200", "region", "region#00003039"),
        EV(1001, 0, "1.000", "1.000", "warp", "block 1"),
        EV(1001, 0, "1.200", "0.200", "region", "load"),
        EV(1001, 0, "1.400", "0.600", "region", "compute"),
        EV(1001, 1, "1.400", "0.400", "warp", "block 1"),
        EV(1001, 1, "1.500", "0.100", "region", "region#00003039"),
    };
    const char *at = j;
    for (size_t i = 0; i < NT_ARRAY_LEN(want); i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit) fprintf(stderr, "missing (in this order): %s\n", want[i]);
        assert_non_null(hit);
        at = hit;           /* each warp's regions follow it on its track */
    }
    assert_non_null(strstr(j, "\"cat\":\"region\",\"name\":\"compute\",\"args\":{\"launch\":1,"
                              "\"block\":1,\"warp\":0,\"cycles\":400}"));
    free(j);
    /* cut: regions count as events */
    j = timeline_of(db, &st, 5);
    assert_int_equal(st.events, 5);
    assert_int_equal(st.cut, 2 + 5 + 9 - 5);
    free(j);
    rep_close(db);
}

static void region_rects_on_the_page(void **state)
{
    rep_db *db = rt_open(make_regions_db());
    char *h = rt_render(db, true, REP_TEXT);
    assert_non_null(strstr(h, "<title>region compute (SM 0)\n600 cycles, 0.600 .. 1.800 us"));
    assert_non_null(strstr(h, "<title>region load (SM 1)\n100 cycles, 0.200 .. 0.400 us"));
    size_t n = 0;
    for (const char *p = strstr(h, "class=\"h rg\""); p; p = strstr(p + 1, "class=\"h rg\"")) n++;
    assert_int_equal(n, 9);
    assert_non_null(strstr(h, "</i>region region#00003039</span>"));
    /* the summary table is in the page's probe summaries */
    assert_non_null(strstr(h, "user regions: time per warp in each region"));
    free(h);
    rep_close(db);
}

/* Hostile region records: NULLs, stop before start, a start before the
 * warp's (as unsigned: huge), values past 2^63, a warp with no lifetime,
 * more nesting than the stack keeps.  Nothing crashes, every slice stays
 * inside its warp and the file stays valid JSON-shaped. */
static void hostile_region_records(void **state)
{
    const char *p = make_regions_db();
    sqlite3 *h;
    assert_int_equal(sqlite3_open(p, &h), SQLITE_OK);
    char sql[4096] =
        "INSERT INTO PROBE_REGIONS_REC VALUES (1,0,0,3,NULL,NULL,NULL),"
        "  (1,0,0,4,900,300,7),(1,0,0,5,50,120,7),(1,0,0,6,-5,9223372036854775807,7),"
        "  (1,9,0,0,1,2,7),(1,0,1,3,'x','y',7)";
    for (int i = 0; i < 80; i++) {      /* 80 nested regions in warp b1w0 */
        size_t n = strlen(sql);
        snprintf(sql + n, sizeof sql - n, ",(1,1,0,%d,%d,%d,8)", 10 + i, 1000 + i, 1500 - i);
    }
    assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    rep_db *db = rt_open(p);
    rep_tl_stats st;
    char *j = timeline_of(db, &st, 0);
    assert_int_equal(st.events, 2 + 5 + 9 + 5 + 80);    /* block 9 has no warp: left out */
    /* every region slice lies in [its warp's ts, ts + dur] */
    double w0[4][2] = {{1.0, 3.0}, {1.1, 2.6}, {1.0, 2.0}, {1.4, 1.8}};
    for (const char *q = strstr(j, "\"cat\":\"region\""); q; q = strstr(q + 1, "\"cat\":\"region\"")) {
        const char *b = q;
        while (b > j && *b != '{') b--;
        int pid, tid;
        double ts, dur;
        assert_int_equal(sscanf(b, "{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%lf,\"dur\":%lf",
                                &pid, &tid, &ts, &dur), 4);
        const double *w = w0[(pid - 1000) * 2 + tid];
        assert_true(ts >= w[0] - 1e-9 && ts + dur <= w[1] + 1e-9 && dur >= 0);
    }
    free(j);
    rep_doc d;
    nt_err e = {0};
    rep_doc_init(&d);
    assert_int_equal(rep_build_summary(db, &d, &e), 0);
    assert_non_null(rep_doc_find(&d, "regions"));
    rep_doc_free(&d);
    free(rt_render(db, true, REP_TEXT));
    rep_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(region_summary),
        cmocka_unit_test(region_slices_nest_in_warps),
        cmocka_unit_test(region_rects_on_the_page),
        cmocka_unit_test(hostile_region_records),
    };
    return cmocka_run_group_tests(tests, NULL, rt_teardown);
}
