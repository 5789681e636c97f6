/* Tests: the report on a database written by the real collector (the
 * report shares only the schema with it; this test is where the two meet).
 * The probe data is that of rep_test.h's hand-checked database, saved into
 * a probe buffer the way the device does, so the same numbers must come
 * out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rep_test.h"
#include "buffer/buf_test.h"
#include "collector/collector.h"

static const col_field F_SCHED[] = {
    {"start", BUF_U64}, {"stop", BUF_U64}, {"sm", BUF_U32}, {"gstart", BUF_U64}};
/* The field names of the shipped probes (probes/barrier_wait.lua,
 * gmem_bytes.lua: their counters). */
static const col_field F_BAR[] = {{"wait", BUF_U64}, {"barriers", BUF_U32}};
static const col_field F_GMEM[] = {{"load_bytes", BUF_U64}, {"store_bytes", BUF_U64}};
static const col_map_def MAPS[] = {
    {"sched", BUF_WARP, 1, 4, F_SCHED},
    {"barrier_wait", BUF_WARP, 1, 2, F_BAR},
    {"gmem_bytes", BUF_WARP, 1, 2, F_GMEM},
};
static const col_probe_def PROBE = {"block_sched", "probes/block_sched.lua", "-- text", 3, MAPS};

/* Packs values into a record by the map's field offsets and saves it. */
static void save(uint8_t *buf, const buf_layout *l, unsigned map, uint32_t slot,
                 const uint64_t *v)
{
    uint8_t ty[4] = {0}, rec[64] = {0};
    uint16_t off[4] = {0}, size;
    for (unsigned f = 0; f < MAPS[map].nfields; f++) ty[f] = MAPS[map].fields[f].type;
    assert_int_equal(buf_record_layout(ty, MAPS[map].nfields, off, &size, NULL), 0);
    for (unsigned f = 0; f < MAPS[map].nfields; f++)
        memcpy(rec + off[f], &v[f], buf_ftype_size((enum buf_ftype)ty[f]));
    bt_save(buf, l, map, slot, rec);
}

static const char *make_db(void)
{
    const char *path = rt_path("col.db");
    col_config cfg = {.command_line = "./app", .host = "h", .pid = 7, .start_ns = 500};
    nt_err e = {0};
    col *c = col_open(path, &cfg, &e);
    assert_non_null(c);
    col_device_info dev = {.id = 0, .name = "Test GPU", .total_memory = 1ull << 30,
                           .clock_hz = 1000000000, .sm_count = 4, .cc_major = 8, .cc_minor = 6};
    col_device(c, &dev);
    col_module_info mod = {.name = "app", .ptx_bytes = 100};
    int64_t mid = col_module(c, &mod);
    col_kernel_info ki = {.module_id = mid, .mangled = "_Z2kAv", .demangled = "kA()",
                          .instrumented = true};
    int64_t kid = col_kernel(c, &ki);
    int64_t pid = col_probe(c, &PROBE, &e);
    assert_true(pid > 0);
    col_launch_info li = {.kernel_id = kid, .probe_id = pid, .grid = {4, 1, 1},
                          .block = {32, 1, 1}, .stream_id = 1, .correlation_id = 11};
    int64_t lid = col_launch(c, &li);
    assert_true(lid > 0);

    buf_map_spec s[3];
    for (unsigned m = 0; m < 3; m++) {
        uint8_t ty[4] = {0};
        uint16_t off[4];
        for (unsigned f = 0; f < MAPS[m].nfields; f++) ty[f] = MAPS[m].fields[f].type;
        s[m] = (buf_map_spec){.level = MAPS[m].level, .cap = MAPS[m].cap, .map_id = m};
        assert_int_equal(buf_record_layout(ty, MAPS[m].nfields, off, &s[m].record_size, NULL), 0);
    }
    buf_layout l;
    assert_int_equal(buf_layout_compute(&l, li.grid, li.block, s, 3, 0, 0, NULL, NULL), 0);
    buf_layout_set_launch(&l, (uint64_t)lid);
    uint8_t *buf = bt_buffer(&l);
    /* One warp per block: warp slot = block. */
    static const uint64_t sched[4][4] = {
        {100, 300, 0, 1000}, {400, 500, 0, 1300}, {50, 750, 1, 1000}, {600, 650, 0, 1600}};
    for (uint32_t b = 0; b < 4; b++) save(buf, &l, 0, b, sched[b]);
    static const uint64_t bar[3][2] = {{50, 1}, {20, 1}, {100, 2}};
    static const uint64_t gmem[2][2] = {{600, 400}, {300, 200}};   /* 1000 + 500 bytes */
    for (uint32_t b = 0; b < 3; b++) save(buf, &l, 1, b, bar[b]);
    for (uint32_t b = 0; b < 2; b++) save(buf, &l, 2, b, gmem[b]);
    assert_int_equal(col_submit_buffer(c, lid, buf, l.hdr.total_size, NULL, NULL), 0);
    free(buf);

    col_kernel_activity ka = {.correlation_id = 11, .start = 1000, .end = 2000, .stream_id = 1};
    assert_int_equal(col_kernel_done(c, &ka), 0);
    col_memcpy_activity mc = {.correlation_id = 10, .start = 600, .end = 900, .stream_id = 1,
                              .bytes = 4096, .copy_kind = 1};
    assert_int_equal(col_memcpy(c, &mc), 0);
    col_stall_reason(c, 1, "smsp__pcsamp_warps_issue_stalled_barrier");
    col_stall_reason(c, 2, "smsp__pcsamp_warps_issue_stalled_long_scoreboard");
    col_pc_sample pcs[2] = {{.correlation_id = 11, .function = "_Z2kAv", .pc_offset = 16,
                             .stall_reason = 1, .samples = 25},
                            {.correlation_id = 11, .function = "_Z2kAv", .pc_offset = 32,
                             .stall_reason = 2, .samples = 75}};
    assert_int_equal(col_pc_samples(c, pcs, 2), 0);
    /* Source lines (a -lineinfo cubin): both PCs on one line, a third PC
     * without one; the line's share counts all the kernel's samples. */
    col_pc_sample more = {.correlation_id = 11, .function = "_Z2kAv", .pc_offset = 48,
                          .stall_reason = 2, .samples = 100};
    assert_int_equal(col_pc_samples(c, &more, 1), 0);
    col_pc_line lines[2] = {{"_Z2kAv", 0, 16, "/src/dir/kA.cu", 14, 5},
                            {"_Z2kAv", 0, 32, "/src/dir/kA.cu", 14, 9}};
    assert_int_equal(col_pc_lines(c, lines, 2), 0);
    col_totals t;
    assert_int_equal(col_close(c, &t, &e), 0);
    assert_int_equal(t.records_saved, 9);
    return path;
}

static void summary_of_a_collector_database(void **state)
{
    rep_db *db = rt_open(make_db());
    rep_doc d;
    nt_err e = {0};
    rep_doc_init(&d);
    assert_int_equal(rep_build_summary(db, &d, &e), 0);
    assert_string_equal(rt_cell(&d, "run", "command", "value"), "./app");
    assert_string_equal(rt_cell(&d, "devices", "0", "SM clock MHz"), "1000");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "launches"), "1");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "max us"), "1.0");
    assert_string_equal(rt_cell(&d, "kernels", "kA()", "instrumented"), "yes");
    assert_string_equal(rt_cell(&d, "block_sched", "1", "warps"), "4");
    assert_string_equal(rt_cell(&d, "block_sched", "1", "SM busy %"), "75.0");
    assert_string_equal(rt_cell(&d, "block_sched", "1", "idle gaps us"), "0.2");
    assert_string_equal(rt_cell(&d, "block_sched", "1", "tail %"), "21.4");
    assert_string_equal(rt_cell(&d, "warp_cycles", "kA()", "barrier %"), "16.2");
    assert_string_equal(rt_cell(&d, "gmem_bytes", "1", "achieved GB/s"), "1.5");
    rep_table *st = rep_doc_find(&d, "stalls");
    assert_non_null(st);
    char b[64];
    assert_string_equal(rep_cell_str(rep_cell_at(st, 0, 1), b, sizeof b), "pc sampling");
    assert_string_equal(rep_cell_str(rep_cell_at(st, 0, 2), b, sizeof b), "12.5");
    assert_string_equal(rep_cell_str(rep_cell_at(st, 0, 3), b, sizeof b), "87.5");
    assert_string_equal(rt_cell(&d, "stalls_lines", "kA.cu:14", "kernel"), "kA()");
    assert_string_equal(rt_cell(&d, "stalls_lines", "kA.cu:14", "samples"), "100");
    assert_string_equal(rt_cell(&d, "stalls_lines", "kA.cu:14", "share %"), "50.0");
    assert_string_equal(rt_cell(&d, "stalls_lines", "kA.cu:14", "top reason"), "long_scoreboard");
    assert_int_equal(rep_doc_find(&d, "stalls_lines")->nrows, 1);
    rep_doc_free(&d);

    /* The timeline and the page come out of the same file. */
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    rep_opts o = REP_OPTS_INIT;
    rep_tl_stats ts;
    assert_int_equal(rep_timeline(db, &o, m, &ts, &e), 0);
    assert_int_equal(ts.events, 1 + 1 + 4);
    assert_int_equal(rep_html(db, &o, m, &e), 0);
    fclose(m);
    assert_non_null(strstr(buf, "\"name\":\"memcpy Host-to-Device\""));
    assert_non_null(strstr(buf, "<section id=\"warps\">"));
    free(buf);
    rep_close(db);
}

/* One run of the merge test: kernels by (module hash, name), launches as
 * (kernel index, start us, end us). */
typedef struct mrun_launch { int kernel; int64_t start_us, end_us; } mrun_launch;

static const char *merge_input(const char *name, int64_t pid, const uint64_t *hashes,
                               const char *const *kernels, int nk, const mrun_launch *ls,
                               int nl)
{
    const char *path = rt_path(name);
    col_config cfg = {.command_line = "./app", .host = "h", .pid = pid, .start_ns = 500};
    nt_err e = {0};
    col *c = col_open(path, &cfg, &e);
    assert_non_null(c);
    col_device_info dev = {.id = 0, .name = "Test GPU", .clock_hz = 1000000000, .sm_count = 4};
    col_device(c, &dev);
    int64_t kid[4];
    for (int k = 0; k < nk; k++) {
        col_module_info mod = {.name = "m", .content_hash = hashes[k], .ptx_bytes = 100};
        col_kernel_info ki = {.module_id = col_module(c, &mod), .mangled = kernels[k],
                              .instrumented = true};
        kid[k] = col_kernel(c, &ki);
    }
    for (int i = 0; i < nl; i++) {
        col_launch_info li = {.kernel_id = kid[ls[i].kernel], .grid = {1, 1, 1},
                              .block = {32, 1, 1}, .stream_id = 1, .correlation_id = 100 + i};
        assert_true(col_launch(c, &li) > 0);
        col_kernel_activity ka = {.correlation_id = 100 + i, .start = ls[i].start_us * 1000,
                                  .end = ls[i].end_us * 1000, .stream_id = 1};
        assert_int_equal(col_kernel_done(c, &ka), 0);
    }
    col_totals t;
    assert_int_equal(col_close(c, &t, &e), 0);
    return path;
}

/* "kernels by total time" on a database made by the real merge (col_merge,
 * what `ntrace merge` and `ntrace run` call): one row per kernel over the
 * runs.  The same kernel = the same mangled name in a module of the same
 * content hash; kC of run B lives in another module: a kernel of its own.
 *   run A: kA 100..200 us, kA 300..350, kC (module C1) 400..410
 *   run B: kA 100..400,                 kC (module C2) 500..530
 *   kA: 3 launches, 450 us = 0.450 ms, mean 150.0, min 50.0, max 300.0,
 *       share 450 / 490 = 91.8 %; kC: two rows of one launch each. */
static void kernels_add_up_over_merged_runs(void **state)
{
    static const uint64_t ha[] = {0xaaaaaaaa00000001ull, 0xc1c1c1c100000002ull};
    static const uint64_t hb[] = {0xaaaaaaaa00000001ull, 0xc2c2c2c200000003ull};
    static const char *const names[] = {"kA", "kC"};
    static const mrun_launch la[] = {{0, 100, 200}, {0, 300, 350}, {1, 400, 410}};
    static const mrun_launch lb[] = {{0, 100, 400}, {1, 500, 530}};
    const char *ins[2] = {merge_input("a.db", 7, ha, names, 2, la, 3),
                          merge_input("b.db", 8, hb, names, 2, lb, 2)};
    const char *out = rt_path("merged.db");
    nt_err e = {0};
    col_merge_totals mt = {0};
    if (col_merge(out, ins, 2, true, &mt, &e)) fprintf(stderr, "%s\n", e.msg);
    assert_true(e.msg[0] == 0);

    rep_db *db = rt_open(out);
    rep_doc d;
    rep_doc_init(&d);
    assert_int_equal(rep_build_summary(db, &d, &e), 0);
    rep_table *t = rep_doc_find(&d, "kernels");
    assert_int_equal(t->nrows, 3);          /* kA once, kC twice (two modules) */
    assert_string_equal(rt_cell(&d, "kernels", "kA", "launches"), "3");
    assert_string_equal(rt_cell(&d, "kernels", "kA", "total ms"), "0.450");
    assert_string_equal(rt_cell(&d, "kernels", "kA", "mean us"), "150.0");
    assert_string_equal(rt_cell(&d, "kernels", "kA", "min us"), "50.0");
    assert_string_equal(rt_cell(&d, "kernels", "kA", "max us"), "300.0");
    assert_string_equal(rt_cell(&d, "kernels", "kA", "share %"), "91.8");
    assert_string_equal(rt_cell(&d, "kernels", "kC [module c1c1c1c1]", "max us"), "10.0");
    assert_string_equal(rt_cell(&d, "kernels", "kC [module c2c2c2c2]", "launches"), "1");
    assert_string_equal(rt_cell(&d, "kernels", "kC [module c2c2c2c2]", "max us"), "30.0");
    rep_doc_free(&d);
    /* --kernel selects the kernel, with all its runs' launches */
    rep_opts o = REP_OPTS_INIT;
    o.kernel_re = "^kA$";
    assert_int_equal(rep_select(db, &o, &e), 0);
    rep_doc_init(&d);
    assert_int_equal(rep_build_summary(db, &d, &e), 0);
    assert_int_equal(rep_doc_find(&d, "kernels")->nrows, 1);
    assert_string_equal(rt_cell(&d, "kernels", "kA", "launches"), "3");
    assert_string_equal(rt_cell(&d, "kernels", "kA", "share %"), "100.0");
    rep_doc_free(&d);
    rep_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summary_of_a_collector_database),
        cmocka_unit_test(kernels_add_up_over_merged_runs),
    };
    return cmocka_run_group_tests(tests, NULL, rt_teardown);
}
