/* Tests: the summaries on a small hand-checked database (rep_test.h has
 * the arithmetic), filters, output formats and the error paths of opening. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rep_test.h"

static rep_db *open_hand(void) { return rt_open(rt_make_db()); }

static void summary_of(rep_db *db, rep_doc *d)
{
    nt_err e = {0};
    rep_doc_init(d);
    int rc = rep_build_summary(db, d, &e);
    if (rc) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(rc, 0);
}

static void run_and_device(void **state)
{
    rep_db *db = open_hand();
    rep_doc d;
    summary_of(db, &d);
    assert_string_equal(rt_cell(&d, "run", "command", "value"), "./app");
    assert_string_equal(rt_cell(&d, "run", "duration", "value"), "0.004 ms");
    assert_string_equal(rt_cell(&d, "run", "launches", "value"), "3 of 3 (2 instrumented)");
    /* Only PROBE_FOO_BAR lacks an index that starts with launchId. */
    rep_table *run = rep_doc_find(&d, "run");
    assert_non_null(run->note);
    assert_non_null(strstr(run->note, "PROBE_FOO_BAR has no index on launchId"));
    assert_null(strstr(run->note, "PROBE_BLOCK_SCHED"));
    assert_string_equal(rt_cell(&d, "devices", "0", "name"), "Test GPU");
    assert_string_equal(rt_cell(&d, "devices", "0", "SMs"), "4");
    assert_string_equal(rt_cell(&d, "devices", "0", "SM clock MHz"), "1000");
    assert_string_equal(rt_cell(&d, "devices", "0", "memory GiB"), "1.0");
    assert_string_equal(rt_cell(&d, "devices", "0", "compute capability"), "8.6");
    rep_doc_free(&d);
    rep_close(db);
}

static void kernels_by_total_time(void **state)
{
    rep_db *db = open_hand();
    rep_doc d;
    summary_of(db, &d);
    rep_table *t = rep_doc_find(&d, "kernels");
    assert_non_null(t);
    assert_int_equal(t->nrows, 2);
    char b[64];
    /* kB first: 2000 ns beats 1500. */
    assert_string_equal(rep_cell_str(rep_cell_at(t, 0, 0), b, sizeof b), "kB()");
    assert_string_equal(rt_cell(&d, "kernels", "kB()", "share %"), "57.1");
    assert_string_equal(rt_cell(&d, "kernels", "kB()", "instrumented"), "no: no PTX");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "launches"), "2");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "total ms"), "0.002");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "mean us"), "0.8");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "min us"), "0.5");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "max us"), "1.0");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "share %"), "42.9");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "instrumented"), "yes");
    rep_doc_free(&d);
    rep_close(db);
}

static void block_sched_figures(void **state)
{
    rep_db *db = open_hand();
    rep_doc d;
    summary_of(db, &d);
    const char *k = "block_sched";
    assert_string_equal(rt_cell(&d, k, "1", "warps"), "4");
    assert_string_equal(rt_cell(&d, k, "1", "blocks"), "4");
    assert_string_equal(rt_cell(&d, k, "1", "SMs"), "2");
    assert_string_equal(rt_cell(&d, k, "1", "blocks/SM min"), "1");
    assert_string_equal(rt_cell(&d, k, "1", "mean"), "2.0");
    assert_string_equal(rt_cell(&d, k, "1", "max"), "3");
    assert_string_equal(rt_cell(&d, k, "1", "span us"), "0.7");
    assert_string_equal(rt_cell(&d, k, "1", "SM busy %"), "75.0");
    assert_string_equal(rt_cell(&d, k, "1", "idle gaps us"), "0.2");
    assert_string_equal(rt_cell(&d, k, "1", "max gap us"), "0.1");
    assert_string_equal(rt_cell(&d, k, "1", "tail %"), "21.4");
    /* Launch 2 has no block_sched records: no row. */
    assert_string_equal(rt_cell(&d, k, "2", "warps"), "(no row)");
    rep_doc_free(&d);
    rep_close(db);
}

static void warps_are_aligned_per_sm(void **state)
{
    rep_db *db = open_hand();
    rep_warps ws;
    nt_err e = {0};
    assert_int_equal(rep_warps_load(db, rep_launch_by_id(db, 1), &ws, &e), 0);
    assert_int_equal(ws.n, 4);
    assert_true(ws.anchored);
    assert_int_equal(ws.nsm, 2);
    /* Sorted by (sm, time); the outlier anchor of block 3 is outvoted. */
    int64_t want[4][3] = {{0, 1000, 1200}, {1, 1300, 1400}, {3, 1500, 1550}, {2, 1000, 1700}};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ws.w[i].slot, want[i][0]);
        assert_int_equal(ws.w[i].t0, want[i][1]);
        assert_int_equal(ws.w[i].t1, want[i][2]);
    }
    /* The warps of SM 0 never overlap: one lane. */
    assert_int_equal(ws.max_lanes, 1);
    rep_warps_free(&ws);
    rep_close(db);
}

static void unanchored_warps_start_at_launch(void **state)
{
    rep_db *db = rt_open(rt_db("noanchor.db", rt_sql,
        "DELETE FROM NTRACE_PROBE_FIELDS WHERE name = 'gstart';"
        "INSERT INTO PROBE_BLOCK_SCHED_WARPS VALUES (1,4,0,0,120,400,0,0)"));
    nt_err e = {0};
    rep_warps ws;
    assert_int_equal(rep_warps_load(db, rep_launch_by_id(db, 1), &ws, &e), 0);
    assert_false(ws.anchored);
    /* SM 0's first warp (100 cycles) is put at the launch start, 1000 ns;
     * block 4 (120..400) overlaps block 0 (100..300): a second lane. */
    assert_int_equal(ws.w[0].t0, 1000);
    assert_int_equal(ws.w[1].slot, 4);
    assert_int_equal(ws.w[1].t0, 1020);
    assert_int_equal(ws.w[1].lane, 1);
    assert_int_equal(ws.max_lanes, 2);
    rep_warps_free(&ws);
    rep_close(db);
}

static void wait_breakdown_and_gmem(void **state)
{
    rep_db *db = open_hand();
    rep_doc d;
    summary_of(db, &d);
    const char *k = "warp_cycles";
    assert_string_equal(rt_cell(&d, k, "kA()", "warps"), "4");
    assert_string_equal(rt_cell(&d, k, "kA()", "barrier %"), "16.2");
    assert_string_equal(rt_cell(&d, k, "kA()", "memory %"), "34.3");
    assert_string_equal(rt_cell(&d, k, "kA()", "other %"), "49.5");
    assert_string_equal(rt_cell(&d, k, "kA()", "barrier/warp mean"), "57");
    assert_string_equal(rt_cell(&d, k, "kA()", "memory/warp mean"), "180");
    rep_table *t = rep_doc_find(&d, k);
    char b[64];
    assert_string_equal(rep_cell_str(rep_cell_at(t, 0, 7), b, sizeof b), "100");   /* max */
    assert_string_equal(rep_cell_str(rep_cell_at(t, 0, 9), b, sizeof b), "300");
    assert_string_equal(rt_cell(&d, "gmem_bytes", "1", "bytes"), "1500");
    assert_string_equal(rt_cell(&d, "gmem_bytes", "1", "achieved GB/s"), "1.5");
    assert_string_equal(rt_cell(&d, "gmem_bytes", "2", "bytes"), "(no row)");
    rep_doc_free(&d);
    rep_close(db);
}

static void generic_map_and_drops(void **state)
{
    rep_db *db = open_hand();
    rep_doc d;
    summary_of(db, &d);
    const char *k = "map:foo.bar";
    assert_string_equal(rt_cell(&d, k, "x", "records"), "3");
    assert_string_equal(rt_cell(&d, k, "x", "min"), "1");
    assert_string_equal(rt_cell(&d, k, "x", "mean"), "2.0");
    assert_string_equal(rt_cell(&d, k, "x", "max"), "3");
    assert_string_equal(rt_cell(&d, k, "y", "type"), "f64");
    assert_string_equal(rt_cell(&d, k, "y", "min"), "0.500");
    assert_string_equal(rt_cell(&d, k, "y", "mean"), "1.500");
    assert_string_equal(rt_cell(&d, k, "y", "max"), "2.500");
    /* Known maps get no generic table. */
    assert_null(rep_doc_find(&d, "map:block_sched.warps"));
    assert_string_equal(rt_cell(&d, "drops", "2", "dropped"), "5");
    assert_string_equal(rt_cell(&d, "drops", "2", "dropped %"), "33.3");
    rep_doc_free(&d);
    rep_close(db);
}

static void stalls_side_by_side(void **state)
{
    rep_db *db = open_hand();
    rep_doc d;
    summary_of(db, &d);
    rep_table *t = rep_doc_find(&d, "stalls");
    assert_non_null(t);
    assert_int_equal(t->nrows, 2);
    char b[5][64];
    const char *want[2][5] = {{"kA()", "pc sampling", "15.0", "25.0", "60.0"},
                              {"kA()", "probes", "16.2", "34.3", "49.5"}};
    for (size_t r = 0; r < 2; r++)
        for (int c = 0; c < 5; c++)
            assert_string_equal(rep_cell_str(rep_cell_at(t, r, c), b[c], sizeof b[c]), want[r][c]);
    rep_table *pc = rep_doc_find(&d, "stalls_pc");
    assert_non_null(pc);
    assert_int_equal(pc->nrows, 3);
    assert_string_equal(rep_cell_str(rep_cell_at(pc, 0, 1), b[0], sizeof b[0]), "selected");
    assert_string_equal(rep_cell_str(rep_cell_at(pc, 0, 2), b[0], sizeof b[0]), "other");
    assert_string_equal(rep_cell_str(rep_cell_at(pc, 0, 3), b[0], sizeof b[0]), "60.0");
    assert_string_equal(rep_cell_str(rep_cell_at(pc, 1, 1), b[0], sizeof b[0]), "long_scoreboard");
    assert_string_equal(rep_cell_str(rep_cell_at(pc, 1, 2), b[0], sizeof b[0]), "memory");
    rep_doc_free(&d);
    /* One launch: only the samples of its correlation id. */
    rep_opts o = REP_OPTS_INIT;
    o.launch_id = 1;
    nt_err e = {0};
    assert_int_equal(rep_select(db, &o, &e), 0);
    summary_of(db, &d);
    t = rep_doc_find(&d, "stalls");
    assert_string_equal(rep_cell_str(rep_cell_at(t, 0, 2), b[0], sizeof b[0]), "30.0");
    assert_string_equal(rep_cell_str(rep_cell_at(t, 0, 4), b[0], sizeof b[0]), "20.0");
    rep_doc_free(&d);
    rep_close(db);
}

static void filters(void **state)
{
    rep_db *db = open_hand();
    nt_err e = {0};
    rep_opts o = REP_OPTS_INIT;
    o.kernel_re = "^kB";
    assert_int_equal(rep_select(db, &o, &e), 0);
    rep_doc d;
    summary_of(db, &d);
    assert_int_equal(rep_doc_find(&d, "kernels")->nrows, 1);
    assert_string_equal(rt_cell(&d, "run", "launches", "value"), "1 of 3 (0 instrumented)");
    assert_null(rep_doc_find(&d, "stalls"));
    rep_doc_free(&d);

    o.kernel_re = NULL;
    o.launch_id = 2;
    assert_int_equal(rep_select(db, &o, &e), 0);
    summary_of(db, &d);
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "launches"), "1");
    assert_string_equal(rt_cell(&d, "run", "launches", "value"), "1 of 3 (1 instrumented)");
    /* Launch 2 has no wait records: the cached breakdown of the earlier
     * selection must not show through. */
    assert_int_equal(rep_doc_find(&d, "warp_cycles")->nrows, 0);
    rep_doc_free(&d);

    o.launch_id = 99;
    assert_int_equal(rep_select(db, &o, &e), -1);
    assert_non_null(strstr(e.msg, "--launch 99: no such launch in /tmp/nt_report_test."));
    rep_close(db);
}

static void filter_errors(void **state)
{
    rep_db *db = open_hand();
    nt_err e = {0};
    rep_opts o = REP_OPTS_INIT;
    o.kernel_re = "(";
    assert_int_equal(rep_select(db, &o, &e), -1);
    assert_non_null(strstr(e.msg, "--kernel '(': "));
    nt_err_clear(&e);
    o.kernel_re = "nomatch";
    assert_int_equal(rep_select(db, &o, &e), -1);
    assert_non_null(strstr(e.msg, "--kernel 'nomatch' matches none of the 2 kernels"));
    rep_close(db);
}

static void formats(void **state)
{
    rep_db *db = open_hand();
    nt_err e = {0};
    rep_opts o = REP_OPTS_INIT;
    char *buf = NULL;
    size_t n = 0;
    for (int f = REP_TEXT; f <= REP_JSON; f++) {
        FILE *m = open_memstream(&buf, &n);
        o.format = (enum rep_format)f;
        assert_int_equal(rep_summary(db, &o, m, &e), 0);
        fclose(m);
        if (f == REP_TEXT) {
            assert_non_null(strstr(buf, "== kernels by total time\n"));
            assert_non_null(strstr(buf, "  kernel  launches  total ms  share %  mean us  min us  max us  instrumented\n"
                                      "  kB()           1     0.002     57.1      2.0     2.0     2.0  no: no PTX\n"));
        } else if (f == REP_CSV) {
            assert_non_null(strstr(buf, "# kernels\nkernel,launches,total ms,share %,"));
            assert_non_null(strstr(buf, "kA(),2,0.002,42.9,0.8,0.5,1.0,yes\n"));
        } else {
            assert_memory_equal(buf, "{\"tables\":[{\"key\":\"run\"", 23);
            assert_non_null(strstr(buf, "[\"kA()\",2,0.002,42.9,0.8,0.5,1.0,\"yes\"]"));
        }
        free(buf);
        buf = NULL;
    }
    rep_close(db);
}

static void long_names_are_cut_in_text_only(void **state)
{
    rep_db *db = rt_open(rt_db("long.db", rt_sql,
        "UPDATE StringIds SET value = 'void cub::DeviceRadixSortKernel"
        "<cub::DeviceRadixSortPolicy<float, cub::NullType, int>::Policy800, false, float, int>"
        "(float const*, float*, int, int)' WHERE id = 2"));
    char *buf = rt_render(db, false, REP_TEXT);
    /* 61 characters and "...". */
    assert_non_null(strstr(buf, "  void cub::DeviceRadixSortKernel<cub::DeviceRadixSortPolicy<fl...  "));
    assert_null(strstr(buf, "Policy800"));
    free(buf);
    buf = rt_render(db, false, REP_CSV);
    assert_non_null(strstr(buf, "\"void cub::DeviceRadixSortKernel<cub::DeviceRadixSortPolicy<float, "
                            "cub::NullType, int>::Policy800, false, float, int>(float const*, "
                            "float*, int, int)\",2,"));
    free(buf);
    rep_close(db);
}

/* The shipped probes' shapes: dmat (addr + clock), branch_divergence
 * counters, kernel_time (block-level start/stop/sm in ns: not warps). */
static void shipped_probe_shapes(void **state)
{
    rep_db *db = rt_open(rt_db("shipped.db",
        "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, deviceId, streamId, start,"
        "  end, gridX, gridY, gridZ, blockX, blockY, blockZ, probeStatus) VALUES"
        "  (1, 0, 0, 1, 100, 900, 2, 1, 1, 64, 1, 1, 'probed');"
        "INSERT INTO NTRACE_PROBES(id, name) VALUES (1, 'dmat'), (2, 'branch_divergence'),"
        "  (3, 'kernel_time');"
        "INSERT INTO NTRACE_PROBE_MAPS VALUES (1, 0, 'rec', 'PROBE_DMAT_REC', 'warp', 256, 24, 4),"
        "  (2, 0, 'counters', 'PROBE_BRANCH_DIVERGENCE_COUNTERS', 'warp', 1, 24, 3),"
        "  (3, 0, 'rec', 'PROBE_KERNEL_TIME_REC', 'block', 1, 24, 3);"
        "INSERT INTO NTRACE_PROBE_FIELDS VALUES (1,0,0,'addr','u64',0), (1,0,1,'bytes','u32',8),"
        "  (1,0,2,'clock','u64',16), (1,0,3,'is_store','u32',12), (2,0,0,'active_lanes','u64',0),"
        "  (2,0,1,'branches','u64',8), (2,0,2,'divergent','u64',16), (3,0,0,'sm','u32',0),"
        "  (3,0,1,'start','u64',8), (3,0,2,'stop','u64',16);"
        "CREATE TABLE PROBE_DMAT_REC (launchId, blockId, warpId, seq, addr, bytes, clock, is_store);"
        "INSERT INTO PROBE_DMAT_REC VALUES (1,0,0,0,4096,4,1000,0), (1,0,0,1,8192,4,3000,1);"
        "CREATE TABLE PROBE_BRANCH_DIVERGENCE_COUNTERS (launchId, blockId, warpId, seq,"
        "  active_lanes, branches, divergent);"
        "INSERT INTO PROBE_BRANCH_DIVERGENCE_COUNTERS VALUES (1,0,0,0,64,4,4), (1,0,1,0,320,10,0);"
        "CREATE TABLE PROBE_KERNEL_TIME_REC (launchId, blockId, seq, sm, start, stop);"
        "INSERT INTO PROBE_KERNEL_TIME_REC VALUES (1,0,0,0,150,850);", NULL));
    assert_null(rep_block_sched(db));
    char *buf = rt_render(db, true, REP_TEXT);
    assert_non_null(strstr(buf, "dmat.rec: 2 accesses, addresses 0x1000..0x2000 (2 pages"));
    assert_non_null(strstr(buf, "time axis in SM clock cycles"));
    /* Warp 0: 64 lanes / 4 branches = 16; warp 1: 320 / 10 = 32. */
    assert_non_null(strstr(buf, "branch_divergence.counters: 14 branches; 71.4% with all 32"));
    assert_non_null(strstr(buf, "<title>16 active lanes: 4 branches (28.6%)</title>"));
    assert_non_null(strstr(buf, "no block_sched map in this database"));
    free(buf);
    rep_close(db);
}

static void open_errors(void **state)
{
    nt_err e = {0};
    assert_null(rep_open("/nonexistent/x.db", &e));
    assert_string_equal(e.msg, "/nonexistent/x.db: No such file or directory");

    const char *txt = rt_path("text.db");
    FILE *f = fopen(txt, "w");
    fputs("this is not a database, but it is long enough to look like a file header\n", f);
    fclose(f);
    nt_err_clear(&e);
    assert_null(rep_open(txt, &e));
    assert_non_null(strstr(e.msg, "text.db: not an ntrace database (file is not a database)"));

    const char *other = rt_path("other.db");
    assert_int_equal(rt_exec_db(other, 0, 0, NULL), 0);
    nt_err_clear(&e);
    assert_null(rep_open(other, &e));
    assert_non_null(strstr(e.msg, "other.db: not an ntrace database (application_id 0x0"));

    const char *newer = rt_path("newer.db");
    assert_int_equal(rt_exec_db(newer, SCH_APPLICATION_ID, SCH_VERSION + 1, NULL), 0);
    nt_err_clear(&e);
    assert_null(rep_open(newer, &e));
    assert_non_null(strstr(e.msg, "newer.db: written by a newer ntrace (schema version 2)"));

    /* A map whose table is missing is named. */
    const char *broken = rt_db("broken.db", rt_sql, "DROP TABLE PROBE_FOO_BAR");
    nt_err_clear(&e);
    assert_null(rep_open(broken, &e));
    assert_non_null(strstr(e.msg, "map foo.bar names table 'PROBE_FOO_BAR', which does not exist"));
    /* Every message is one line. */
    assert_null(strchr(e.msg, '\n'));
}

static void empty_database(void **state)
{
    rep_db *db = rt_open(rt_db("empty.db", NULL, NULL));
    nt_err e = {0};
    rep_opts o = REP_OPTS_INIT;
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    assert_int_equal(rep_summary(db, &o, m, &e), 0);
    assert_int_equal(rep_html(db, &o, m, &e), 0);
    rep_tl_stats st;
    assert_int_equal(rep_timeline(db, &o, m, &st, &e), 0);
    fclose(m);
    assert_non_null(strstr(buf, "the database has no run row"));
    assert_int_equal(st.events, 0);
    free(buf);
    rep_close(db);
}

static void synthetic_is_consistent(void **state)
{
    rep_synth p = {.kernels = 2, .launches = 3, .blocks = 20, .threads = 64, .sm_count = 4,
                   .seed = 3};
    const char *path = rt_path("syn.db");
    unlink(path);
    nt_err e = {0};
    assert_int_equal(rep_synth_write(path, &p, &e), 0);
    /* Not overwritten. */
    assert_int_equal(rep_synth_write(path, &p, &e), -1);
    assert_non_null(strstr(e.msg, "exists; not overwritten"));
    rep_db *db = rt_open(path);
    /* 3 launches x 40 warps x (1 + 2 + 1 + 4 + 2) records. */
    assert_int_equal(rep_synth_records(&p), 3 * 40 * 10);
    sqlite3_stmt *st = rep_prepare(db, "SELECT (SELECT count(*) FROM PROBE_BLOCK_SCHED_WARPS) + "
        "(SELECT count(*) FROM PROBE_BARRIER_WAIT_CYCLES) + (SELECT count(*) FROM "
        "PROBE_MEM_WAIT_CYCLES) + (SELECT count(*) FROM PROBE_GMEM_BYTES_BYTES) + (SELECT "
        "count(*) FROM PROBE_MEM_TRACE_ACCESS) + (SELECT count(*) FROM PROBE_BRANCH_DIV_BRANCHES)",
        &e);
    assert_non_null(st);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(st, 0), 3 * 40 * 10);
    sqlite3_finalize(st);
    /* The anchors recover the simulated times: every warp lies inside its
     * launch, and each SM runs at most 2048 / 64 = 32 warps at once. */
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        rep_warps ws;
        assert_int_equal(rep_warps_load(db, l, &ws, &e), 0);
        assert_int_equal(ws.n, 40);
        for (size_t w = 0; w < ws.n; w++) {
            assert_true(ws.w[w].t0 >= l->start_ns && ws.w[w].t1 <= l->end_ns);
        }
        assert_true(ws.max_lanes <= 32);
        rep_warps_free(&ws);
    }
    rep_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_and_device),
        cmocka_unit_test(kernels_by_total_time),
        cmocka_unit_test(block_sched_figures),
        cmocka_unit_test(warps_are_aligned_per_sm),
        cmocka_unit_test(unanchored_warps_start_at_launch),
        cmocka_unit_test(wait_breakdown_and_gmem),
        cmocka_unit_test(generic_map_and_drops),
        cmocka_unit_test(stalls_side_by_side),
        cmocka_unit_test(filters),
        cmocka_unit_test(filter_errors),
        cmocka_unit_test(formats),
        cmocka_unit_test(long_names_are_cut_in_text_only),
        cmocka_unit_test(shipped_probe_shapes),
        cmocka_unit_test(open_errors),
        cmocka_unit_test(empty_database),
        cmocka_unit_test(synthetic_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, rt_teardown);
}
