/* Tests: the collector's schema and what each table holds after a run fed
 * with synthetic registrations, launches, probe buffers and activity. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "col_test.h"
#include "collector/collector_int.h"

static const uint32_t G[3] = {2, 2, 1}, B[3] = {64, 1, 1};   /* 4 blocks of 2 warps */

static col *open_run(const char *dir, char *path, size_t n)
{
    snprintf(path, n, "%s/run.db", dir);
    col_config cfg = {.command_line = "./app --size 3", .host = "testhost", .pid = 4242,
                      .config = "{\"probes\":[\"block_sched.lua\"]}"};
    nt_err e = {0};
    col *c = col_open(path, &cfg, &e);
    if (!c) fail_msg("col_open: %s", e.msg);
    return c;
}

static sqlite3 *open_read(const char *path)
{
    sqlite3 *db;
    nt_err e = {0};
    if (col_db_open(path, &db, &e)) fail_msg("col_db_open: %s", e.msg);
    return db;
}

#define assert_q(db, sql, want) assert_int_equal(q_int((db), (sql)), (want))
#define assert_qs(db, sql, want) assert_string_equal(q_text((db), (sql)), (want))

static void full_run_contents(void **state)
{
    char *dir = t_tmpdir(), path[512];
    col *c = open_run(dir, path, sizeof path);
    col_device(c, &(col_device_info){.id = 0, .name = "NVIDIA H100", .sm_count = 132,
                                     .clock_hz = 1980000000, .cc_major = 9, .cc_minor = 0,
                                     .total_memory = 80ull << 30, .bus_location = "0000:65:00.0"});
    int64_t mod = col_module(c, &(col_module_info){.name = "app.cubin", .content_hash = 77,
                                                   .ptx_bytes = 1234});
    int64_t k1 = col_kernel(c, &(col_kernel_info){.module_id = mod, .mangled = "_ZN2ns4axpyIfEEvPT_",
                                                  .demangled = "void ns::axpy<float>(float*)",
                                                  .instrumented = true});
    int64_t k2 = col_kernel(c, &(col_kernel_info){.module_id = mod, .mangled = "sass_only",
                                                  .instrumented = false, .reason = "no PTX"});
    nt_err e = {0};
    int64_t pr = col_probe(c, &T_PROBE, &e);
    assert_int_equal(pr, 1);
    assert_int_equal(mod, 1);
    assert_int_equal(k2, 2);

    col_launch_info li = {.kernel_id = k1, .probe_id = pr, .grid = {2, 2, 1},
                          .block = {64, 1, 1}, .dynamic_shared = 256, .registers = 32,
                          .stream_id = 7, .correlation_id = 1001};
    int64_t l1 = col_launch(c, &li);
    int64_t l2 = col_launch(c, &(col_launch_info){.kernel_id = k2, .grid = {1, 1, 1},
                                                  .block = {32, 1, 1}, .correlation_id = 1002,
                                                  .not_probed = "not instrumentable: no PTX"});
    assert_int_equal(l1, 1);
    assert_int_equal(l2, 2);

    /* Launch 1's buffer: block 3 warp 1 saves 3 times (cap 2: 1 dropped),
     * thread 5 of block 2 saves once. */
    buf_layout l;
    t_layout(&l, G, B, l1);
    uint8_t *buf = t_buffer(&l);
    for (uint64_t k = 0; k < 3; k++) {
        t_sched r = {100 + k, 0xfffffffffffffff0ull + k, 7, 0};
        t_save(buf, &l, 0, 3 * 2 + 1, &r);
    }
    t_mem m = {0xdead0000, -4, 0.5f};
    t_save(buf, &l, 1, 2 * 64 + 5, &m);
    assert_int_equal(col_submit_buffer(c, l1, buf, l.hdr.total_size, NULL, NULL), 0);
    free(buf);

    assert_int_equal(col_kernel_done(c, &(col_kernel_activity){.correlation_id = 1001,
                                                                .start = 5000, .end = 9000,
                                                                .stream_id = 7}), 0);
    col_kernel_activity unseen = {.correlation_id = 3000, .start = 10, .end = 20,
                                  .name = "_Z6unseenv", .grid = {8, 1, 1}, .block = {128, 1, 1}};
    assert_int_equal(col_kernel_done(c, &unseen), 0);
    assert_int_equal(col_memcpy(c, &(col_memcpy_activity){.correlation_id = 1000, .start = 1,
                                                          .end = 2, .bytes = 4096,
                                                          .copy_kind = 1, .src_kind = 2,
                                                          .dst_kind = 3}), 0);
    assert_int_equal(col_memset(c, &(col_memset_activity){.correlation_id = 999, .start = 3,
                                                          .end = 4, .bytes = 64, .value = 0xff,
                                                          .mem_kind = 3}), 0);
    col_stall_reason(c, 3, "smsp__pcsamp_warps_issue_stalled_barrier");
    col_pc_sample ps[2] = {{1001, "_ZN2ns4axpyIfEEvPT_", 0xabc, 0x40, 3, 17},
                           {1001, "_ZN2ns4axpyIfEEvPT_", 0xabc, 0x80, 3, 5}};
    assert_int_equal(col_pc_samples(c, ps, 2), 0);

    col_totals t;
    assert_int_equal(col_close(c, &t, &e), 0);
    assert_int_equal(t.launches, 3);             /* two launched, one seen only by CUPTI */
    assert_int_equal(t.buffers, 1);
    assert_int_equal(t.records_saved, 3);
    assert_int_equal(t.records_dropped, 1);
    assert_int_equal(t.queue_dropped, 0);
    nt_sb s = {0};
    col_totals_format(&t, &s);
    assert_string_equal(s.s, "3 launches, 1 probe buffers, 3 records saved, 1 dropped on the "
                             "device (cap); nothing lost");
    nt_sb_free(&s);

    sqlite3 *db = open_read(path);
    assert_q(db, "PRAGMA user_version", COL_SCHEMA_VERSION);
    assert_qs(db, "PRAGMA journal_mode", "wal");
    /* run */
    assert_qs(db, "SELECT commandLine || '|' || host || '|' || pid || '|' || ntraceVersion "
                  "FROM NTRACE_RUN", "./app --size 3|testhost|4242|" NT_VERSION);
    assert_q(db, "SELECT recordsSaved FROM NTRACE_RUN", 3);
    assert_q(db, "SELECT endTime >= startTime AND startTime > 0 FROM NTRACE_RUN", 1);
    assert_qs(db, "SELECT config FROM NTRACE_RUN", "{\"probes\":[\"block_sched.lua\"]}");
    /* devices, modules, kernels */
    assert_qs(db, "SELECT name || ' ' || smCount || ' ' || computeMajor || '.' || computeMinor "
                  "|| ' ' || clockRate FROM TARGET_INFO_GPU", "NVIDIA H100 132 9.0 1980000000");
    assert_qs(db, "SELECT name FROM NTRACE_MODULES WHERE id = 1", "app.cubin");
    assert_qs(db, "SELECT s.value FROM NTRACE_KERNELS k JOIN StringIds s ON s.id = k.shortName "
                  "WHERE k.id = 1", "axpy<float>");
    assert_qs(db, "SELECT s.value FROM NTRACE_KERNELS k JOIN StringIds s ON s.id = "
                  "k.demangledName WHERE k.id = 1", "void ns::axpy<float>(float*)");
    assert_qs(db, "SELECT instrumented || ' ' || reason FROM NTRACE_KERNELS WHERE id = 2",
              "0 no PTX");
    /* launches: names joined through StringIds as in Nsight Systems */
    assert_qs(db, "SELECT s.value FROM CUPTI_ACTIVITY_KIND_KERNEL k JOIN StringIds s "
                  "ON s.id = k.mangledName WHERE launchId = 1", "_ZN2ns4axpyIfEEvPT_");
    assert_qs(db, "SELECT start || ' ' || end || ' ' || gridX || 'x' || gridY || ' ' || "
                  "blockX || ' ' || dynamicSharedMemory || ' ' || streamId || ' ' || "
                  "correlationId || ' ' || probeStatus || ' ' || recordsSaved || ' ' || "
                  "recordsDropped FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE launchId = 1",
              "5000 9000 2x2 64 256 7 1001 probed 3 1");
    assert_q(db, "SELECT globalPid FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE launchId = 1",
             4242ll << 24);
    assert_qs(db, "SELECT probeStatus FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE launchId = 2",
              "not probed: not instrumentable: no PTX");
    assert_qs(db, "SELECT start || ' ' || gridX || ' ' || (kernelId IS NULL) || ' ' || "
                  "(probeStatus IS NULL) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE correlationId "
                  "= 3000", "10 8 1 1");
    /* probes and their maps */
    assert_qs(db, "SELECT name || ' ' || path || ' ' || source FROM NTRACE_PROBES",
              "block_sched probes/block_sched.lua -- lua text");
    assert_qs(db, "SELECT group_concat(tableName || ':' || level || ':' || cap || ':' || "
                  "recordSize, ' ') FROM NTRACE_PROBE_MAPS",
              "PROBE_BLOCK_SCHED_SCHED:warp:2:24 PROBE_BLOCK_SCHED_MEM:thread:1:16");
    assert_qs(db, "SELECT group_concat(name || ':' || type || ':' || offset, ' ') FROM "
                  "NTRACE_PROBE_FIELDS WHERE mapId = 1", "addr:u64:0 bytes:s32:8 ratio:f32:12");
    /* the typed map tables */
    assert_q(db, "SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED", 2);
    assert_qs(db, "SELECT group_concat(launchId || ',' || blockId || ',' || warpId || ',' || "
                  "seq || ',' || start || ',' || stop || ',' || sm, ' ') FROM "
                  "PROBE_BLOCK_SCHED_SCHED", "1,3,1,0,100,-16,7 1,3,1,1,101,-15,7");
    assert_qs(db, "SELECT typeof(start) || typeof(sm) FROM PROBE_BLOCK_SCHED_SCHED LIMIT 1",
              "integerinteger");
    assert_qs(db, "SELECT launchId || ',' || blockId || ',' || warpId || ',' || threadId || ','"
                  " || printf('%x', addr) || ',' || bytes || ',' || ratio || ',' || "
                  "typeof(ratio) FROM PROBE_BLOCK_SCHED_MEM", "1,2,0,5,dead0000,-4,0.5,real");
    /* activity */
    assert_qs(db, "SELECT m.bytes || ' ' || o.label FROM CUPTI_ACTIVITY_KIND_MEMCPY m JOIN "
                  "ENUM_CUDA_MEMCPY_OPER o ON o.id = m.copyKind", "4096 Host-to-Device");
    assert_qs(db, "SELECT bytes || ' ' || value || ' ' || memKind FROM CUPTI_ACTIVITY_KIND_MEMSET",
              "64 255 3");
    assert_qs(db, "SELECT SUM(p.samples) || ' ' || r.name FROM NTRACE_PC_SAMPLES p JOIN "
                  "NTRACE_STALL_REASONS r ON r.id = p.stallReason",
              "22 smsp__pcsamp_warps_issue_stalled_barrier");
    /* indexes are there, made at the end */
    assert_q(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = "
                 "'PROBE_BLOCK_SCHED_MEM_launch'", 1);
    assert_q(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = "
                 "'kernel_correlation'", 1);
    /* Every example query of docs/schema.md runs on this database. */
    nt_file doc;
    if (nt_file_open(&doc, "docs/schema.md", &e)) fail_msg("%s", e.msg);
    int examples = 0;
    for (const char *p = doc.data; (p = strstr(p, "```sql\n")); examples++) {
        p += 7;
        const char *end = strstr(p, "```");
        assert_non_null(end);
        char *sql = strndup(p, (size_t)(end - p));
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            fail_msg("docs/schema.md example fails: %s\n%s", sqlite3_errmsg(db), sql);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {}
        if (rc != SQLITE_DONE) fail_msg("docs/schema.md example fails: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        free(sql);
        p = end + 3;
    }
    nt_file_close(&doc);
    assert_true(examples >= 12);   /* one per table or group at least */
    sqlite3_close(db);
    t_rmdir(dir);
}

static void short_names(void **state)
{
    static const char *const cases[][2] = {
        {"void ns::axpy<float>(float*)", "axpy<float>"},
        {"void axpy(float*)", "axpy"},
        {"sass_only", "sass_only"},
        {"void cub::Kernel<cub::Policy<(int)1>, 3>(int)", "Kernel<cub::Policy<(int)1>, 3>"},
        {"void ns::F::operator()(int)", "operator()"},
        {"", ""},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(cases); i++) {
        char *s = col_short_name(cases[i][0]);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

static void rejected_buffers_recorded(void **state)
{
    char *dir = t_tmpdir(), path[512];
    col *c = open_run(dir, path, sizeof path);
    nt_err e = {0};
    int64_t pr = col_probe(c, &T_PROBE, &e);
    col_launch_info li = {.probe_id = pr, .grid = {2, 2, 1}, .block = {64, 1, 1}};
    int64_t l1 = col_launch(c, &li), l2 = col_launch(c, &li), l3 = col_launch(c, &li);
    int64_t l5 = col_launch(c, &li);
    li.probe_id = 0;
    int64_t l4 = col_launch(c, &li);
    buf_layout l;
    t_layout(&l, G, B, l1);
    uint8_t *b = t_buffer(&l);
    b[0] ^= 1;                                             /* bad magic */
    col_submit_buffer(c, l1, b, l.hdr.total_size, NULL, NULL);
    free(b);
    const uint32_t g2[3] = {4, 1, 1};                      /* same size, other shape */
    t_layout(&l, g2, B, l2);
    b = t_buffer(&l);
    col_submit_buffer(c, l2, b, l.hdr.total_size, NULL, NULL);
    free(b);
    t_layout(&l, G, B, l1);                                /* header says launch 1 */
    b = t_buffer(&l);
    col_submit_buffer(c, l3, b, l.hdr.total_size, NULL, NULL);
    col_submit_buffer(c, l4, b, l.hdr.total_size, NULL, NULL);   /* no probe */
    buf_layout_set_launch(&l, l5);
    uint8_t *b5 = t_buffer(&l);
    t_sched r5 = {1, 2, 3, 0};
    t_save(b5, &l, 0, 0, &r5);
    col_submit_buffer(c, l5, b5, l.hdr.total_size, NULL, NULL);
    col_submit_buffer(c, l5, b5, l.hdr.total_size, NULL, NULL);  /* twice */
    free(b5);
    col_submit_buffer(c, 99, b, l.hdr.total_size, NULL, NULL);   /* no such launch */
    free(b);
    col_launch_unprobed(c, l4, "buffer pool exhausted");
    col_totals t;
    assert_int_equal(col_close(c, &t, &e), 0);
    assert_int_equal(t.buffers, 1);
    assert_int_equal(t.buffers_rejected, 6);
    sqlite3 *db = open_read(path);
    assert_qs(db, "SELECT probeStatus FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE launchId = 1",
              "buffer rejected: offset 0: magic 0x3142544f is not an ntrace probe buffer "
              "(0x3142544e)");
    assert_qs(db, "SELECT probeStatus FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE launchId = 2",
              "buffer rejected: grid.x is 4, the launch's layout says 2");
    assert_qs(db, "SELECT probeStatus FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE launchId = 3",
              "buffer rejected: launch id is 1, the launch's layout says 3");
    assert_qs(db, "SELECT probeStatus FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE launchId = 5",
              "not probed: buffer pool exhausted");
    assert_q(db, "SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED", 1);
    assert_qs(db, "SELECT probeStatus || ' ' || recordsSaved FROM CUPTI_ACTIVITY_KIND_KERNEL "
                  "WHERE launchId = 4", "probed 1");
    assert_q(db, "SELECT buffersRejected FROM NTRACE_RUN", 6);
    sqlite3_close(db);
    t_rmdir(dir);
}

static void probe_definitions_checked(void **state)
{
    char *dir = t_tmpdir(), path[512];
    col *c = open_run(dir, path, sizeof path);
    static const struct { col_field f[2]; unsigned nf; const char *msg; } bad[] = {
        {{{"seq", BUF_U32}}, 1, "probe 'p': map 'm' field 'seq': the name is taken by the column 'seq'"},
        {{{"LaunchID", BUF_U32}}, 1, "the column 'launchId' that ntrace adds"},
        {{{"a", BUF_U32}, {"A", BUF_U64}}, 2, "map 'm': fields 0 and 1 are both named 'A'"},
        {{{"x y", BUF_U32}}, 1, "field 0: name 'x y' is not an identifier"},
        {{{"x", 6}}, 1, "field 'x': unknown type 6"},
        {{{"x", BUF_U32}}, 0, "map 'm': 0 fields, 1 to 64 are allowed"},
    };
    for (size_t i = 0; i < NT_ARRAY_LEN(bad); i++) {
        col_map_def md = {"m", BUF_WARP, 1, bad[i].nf, bad[i].f};
        col_probe_def pd = {"p", NULL, NULL, 1, &md};
        nt_err e = {0};
        assert_int_equal(col_probe(c, &pd, &e), -1);
        if (!strstr(e.msg, bad[i].msg)) fail_msg("case %zu: '%s' lacks '%s'", i, e.msg, bad[i].msg);
    }
    col_map_def two[2] = {{"m", BUF_WARP, 1, 1, T_SCHED}, {"M", BUF_BLOCK, 1, 1, T_SCHED}};
    nt_err e = {0};
    assert_int_equal(col_probe(c, &(col_probe_def){"p", NULL, NULL, 2, two}, &e), -1);
    assert_string_equal(e.msg, "probe 'p': maps 0 and 1 are both named 'M'");
    nt_err_clear(&e);
    assert_int_equal(col_probe(c, &(col_probe_def){"1p", NULL, NULL, 1, two}, &e), -1);
    assert_string_equal(e.msg, "probe name '1p' is not an identifier of at most 48 characters");
    nt_err_clear(&e);
    two[0].level = 5;
    assert_int_equal(col_probe(c, &(col_probe_def){"p", NULL, NULL, 1, two}, &e), -1);
    assert_string_equal(e.msg, "probe 'p': map 'm': unknown level 5");
    /* Two probes of the same name get two tables. */
    assert_int_equal(col_probe(c, &T_PROBE, NULL), 1);
    assert_int_equal(col_probe(c, &T_PROBE, NULL), 2);
    assert_int_equal(col_close(c, NULL, NULL), 0);
    sqlite3 *db = open_read(path);
    assert_qs(db, "SELECT group_concat(tableName, ' ') FROM NTRACE_PROBE_MAPS WHERE mapId = 0",
              "PROBE_BLOCK_SCHED_SCHED PROBE_BLOCK_SCHED_SCHED_2");
    sqlite3_close(db);
    t_rmdir(dir);
}

static void make_db(const char *path, int app, int ver)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id = %d; PRAGMA user_version = %d;"
             " CREATE TABLE x(a);", app, ver);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void versions_refused_clearly(void **state)
{
    char *dir = t_tmpdir(), path[512];
    sqlite3 *db;
    nt_err e = {0};
    snprintf(path, sizeof path, "%s/old.db", dir);
    make_db(path, COL_APPLICATION_ID, 0);
    assert_int_equal(col_db_open(path, &db, &e), -1);
    assert_non_null(strstr(e.msg, "written by an older ntrace (schema version 0); this ntrace "
                                  "reads version 1: profile the program again"));
    assert_null(db);
    snprintf(path, sizeof path, "%s/new.db", dir);
    make_db(path, COL_APPLICATION_ID, 7);
    nt_err_clear(&e);
    assert_int_equal(col_db_open(path, &db, &e), -1);
    assert_non_null(strstr(e.msg, "written by a newer ntrace (schema version 7)"));
    snprintf(path, sizeof path, "%s/other.db", dir);
    make_db(path, 0, 1);
    nt_err_clear(&e);
    assert_int_equal(col_db_open(path, &db, &e), -1);
    assert_non_null(strstr(e.msg, "not an ntrace database (application_id 0x0"));
    snprintf(path, sizeof path, "%s/text.db", dir);
    assert_int_equal(nt_file_write(path, "hello, this is no database at all", 33, NULL), 0);
    nt_err_clear(&e);
    assert_int_equal(col_db_open(path, &db, &e), -1);
    assert_non_null(strstr(e.msg, "text.db: cannot read the database: file is not a database"));
    snprintf(path, sizeof path, "%s/missing.db", dir);
    nt_err_clear(&e);
    assert_int_equal(col_db_open(path, &db, &e), -1);
    assert_non_null(strstr(e.msg, "missing.db: cannot open"));
    /* An existing file is kept unless the caller asks to overwrite it. */
    snprintf(path, sizeof path, "%s/old.db", dir);
    nt_err_clear(&e);
    assert_null(col_open(path, NULL, &e));
    assert_non_null(strstr(e.msg, "old.db: the database exists; remove it or ask to overwrite it"));
    col *c = col_open(path, &(col_config){.overwrite = true}, &e);
    assert_non_null(c);
    assert_int_equal(col_close(c, NULL, NULL), 0);
    assert_int_equal(col_db_open(path, &db, &e), 0);
    sqlite3_close(db);
    nt_err_clear(&e);
    assert_null(col_open("", NULL, &e));
    assert_string_equal(e.msg, "collector: no database path given");
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_run_contents),
        cmocka_unit_test(short_names),
        cmocka_unit_test(rejected_buffers_recorded),
        cmocka_unit_test(probe_definitions_checked),
        cmocka_unit_test(versions_refused_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
