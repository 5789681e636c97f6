/* Tests: odd and hostile database contents never crash the report (run
 * under ASan/UBSan and valgrind): NULLs and text where numbers belong,
 * negative and huge values, empty grids, dangling ids, quotes in names,
 * thread- and block-level maps, a truncated file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rep_test.h"

static const char odd_sql[] =
    "INSERT INTO StringIds VALUES (1, 'k\"<b>&''q'), (2, '');"
    "INSERT INTO NTRACE_RUN(id, commandLine, startTime, endTime) VALUES (1, NULL, 9000, NULL);"
    "INSERT INTO TARGET_INFO_GPU(id, name, clockRate, smCount) VALUES (0, NULL, 0, -4);"
    "INSERT INTO NTRACE_KERNELS(id, mangledName, demangledName, instrumented) VALUES (1, 1, 99, 1);"
    "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, deviceId, streamId, start, end,"
    "  gridX, gridY, gridZ, blockX, blockY, blockZ, probeStatus, demangledName) VALUES"
    "  (1, 1, 0, 1, 5000, 4000, 0, 0, 0, 0, 0, 0, 'probed', 1),"
    "  (2, 42, 7, NULL, NULL, NULL, 2, 1, 1, 1024, 1, 1, 'pending', 2),"
    "  (3, NULL, 0, 2, 100, 200, 1, 1, 1, 64, 1, 1, NULL, NULL),"
    "  (4, 1, 0, 3, 9223372036854775000, 9223372036854775807, 4294967295, 1, 1, 32, 1, 1,"
    "   'probed', 1);"
    "INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY(start, end, streamId, bytes, copyKind) VALUES"
    "  (NULL, NULL, 1, 5, 77), (10, 5, 2, -1, NULL);"
    "INSERT INTO NTRACE_PROBES(id, name) VALUES (1, 'block_sched'), (2, 'weird\"name');"
    "INSERT INTO NTRACE_PROBE_MAPS VALUES (1, 0, 'sched', 'PROBE_S', 'thread', 1, 8, 3),"
    "  (2, 0, 'm\"x', 'PROBE_W\"Q', 'block', 1, 8, 2), (2, 1, 'empty', 'PROBE_E', 'warp', 1, 8, 0),"
    "  (2, 2, 'mt', 'PROBE_MT', 'warp', 4, 8, 2), (2, 3, 'dv', 'PROBE_DV', 'warp', 1, 8, 1),"
    "  (2, 4, 'barrier_wait', 'PROBE_BW', 'warp', 3, 8, 1);"
    "INSERT INTO NTRACE_PROBE_FIELDS VALUES (1,0,0,'start','u64',0), (1,0,1,'stop','u64',8),"
    "  (1,0,2,'sm','u32',16), (2,0,0,'v\"v','f64',0), (2,0,1,'s','s32',8),"
    "  (2,2,0,'addr','u64',0), (2,2,1,'gtime','u64',8), (2,3,0,'active_mask','u32',0),"
    "  (2,4,0,'cycles','u64',0);"
    "CREATE TABLE PROBE_S (launchId, blockId, warpId, threadId, seq, start, stop, sm);"
    "INSERT INTO PROBE_S VALUES (1, 0, 0, 0, 0, 500, 100, 3), (1, 0, 0, 1, 0, 'x', NULL, -1),"
    "  (1, 1, 0, 0, 0, -9223372036854775808, 9223372036854775807, 70000),"
    "  (4, 0, 0, 0, 0, 1, 2, 0), (4, 5, 3, 0, 0, 1, 2, 65535);"
    "CREATE TABLE \"PROBE_W\"\"Q\" (launchId, blockId, seq, \"v\"\"v\", s);"
    "INSERT INTO \"PROBE_W\"\"Q\" VALUES (1, 0, 0, 1e308, -5), (1, 0, 1, 'text', NULL);"
    "CREATE TABLE PROBE_E (launchId, blockId, warpId, seq);"
    "CREATE TABLE PROBE_MT (launchId, blockId, warpId, seq, addr, gtime);"
    "INSERT INTO PROBE_MT VALUES (1, 0, 0, 0, -1, 5), (1, 0, 0, 1, 0, -5), (1, 0, 0, 2, 7, 7),"
    "  (4, 0, 0, 0, 4096, NULL);"
    "CREATE TABLE PROBE_DV (launchId, blockId, warpId, seq, active_mask);"
    "INSERT INTO PROBE_DV VALUES (1, 0, 0, 0, -1), (1, 0, 0, 1, 0), (1, 0, 0, 2, 'z');"
    "CREATE TABLE PROBE_BW (launchId, blockId, warpId, seq, cycles);"
    "INSERT INTO PROBE_BW VALUES (1, 0, 0, 0, -7), (1, 0, 0, 1, 1e300), (4, 2, 0, 0, NULL);"
    "INSERT INTO NTRACE_STALL_REASONS VALUES (1, '');"
    "INSERT INTO NTRACE_PC_SAMPLES(correlationId, stallReason, samples) VALUES (0, 1, 5),"
    "  (NULL, 9, -3);"
    "INSERT INTO NTRACE_PC_SAMPLES VALUES (0, 1, 7, 16, 1, 4), (0, 1, 7, 32, 1, NULL),"
    "  (0, 99, 7, 16, 1, 2), (0, 2, NULL, 0, 1, 1e300);"
    "INSERT INTO NTRACE_PC_LINES VALUES (1, 7, 16, 1, -3, 0), (1, 7, 32, 2, NULL, 'x'),"
    "  (99, 7, 16, 1, 4, 0), (2, NULL, 0, 99, 1, 1), (1, 7, 16, 1, -3, 0);";

/* Every report over every selection finishes, and its output is sane. */
static void odd_contents_never_crash(void **state)
{
    rep_db *db = rt_open(rt_db("odd.db", odd_sql, NULL));
    const char *res[] = {NULL, "k", "^$"};
    int64_t launches[] = {-1, 1, 2, 3, 4};
    for (size_t r = 0; r < NT_ARRAY_LEN(res); r++)
        for (size_t l = 0; l < NT_ARRAY_LEN(launches); l++) {
            rep_opts o = REP_OPTS_INIT;
            o.kernel_re = res[r];
            o.launch_id = launches[l];
            nt_err e = {0};
            if (rep_select(db, &o, &e)) continue;   /* e.g. no such launch of that kernel */
            char *buf = NULL;
            size_t n = 0;
            FILE *m = open_memstream(&buf, &n);
            for (int f = REP_TEXT; f <= REP_JSON; f++) {
                o.format = (enum rep_format)f;
                assert_int_equal(rep_summary(db, &o, m, &e), 0);
            }
            rep_tl_stats st;
            assert_int_equal(rep_timeline(db, &o, m, &st, &e), 0);
            fclose(m);
            assert_null(strstr(buf, "nan"));
            free(buf);
            m = open_memstream(&buf, &n);
            assert_int_equal(rep_html(db, &o, m, &e), 0);
            fclose(m);
            /* Names from the file are escaped in the page. */
            assert_null(strstr(buf, "<b>&"));
            assert_null(strstr(buf, "nan"));
            free(buf);
        }
    rep_close(db);
}

/* Kernel rows share an id only in a file with negative ids: the kernel
 * made for a launch without a kernel row gets -(row)-1, here -2 like the
 * file's own row.  PC samples no launch claims count for every row of
 * their kernel's id (the hashed lookup walks them all, as the scan did),
 * and the launch goes with the last row of its id. */
static void shared_negative_kernel_id(void **state)
{
    rep_db *db = rt_open(rt_db("negid.db",
        "INSERT INTO StringIds VALUES (1, 'kneg'), (2, 'orphan');"
        "INSERT INTO NTRACE_KERNELS(id, mangledName, demangledName, instrumented) VALUES"
        "  (-2, 1, 1, 1);"
        "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, streamId, start, end, gridX,"
        "  gridY, gridZ, blockX, blockY, blockZ, probeStatus, demangledName, correlationId)"
        "  VALUES (1, NULL, 1, 100, 200, 1, 1, 1, 32, 1, 1, 'probed', 2, 50);"
        "INSERT INTO NTRACE_STALL_REASONS VALUES (1, 'smsp__pcsamp_warps_issue_stalled_barrier');"
        "INSERT INTO NTRACE_PC_SAMPLES VALUES (7, 1, 0, 16, 1, 10);", NULL));
    rep_opts o = REP_OPTS_INIT;
    nt_err e = {0};
    assert_int_equal(rep_select(db, &o, &e), 0);
    assert_int_equal(db->kernels.n, 2);
    assert_int_equal(db->kernels.v[1].id, -2);
    assert_string_equal(db->launches.v[0].k->demangled, "orphan");
    rep_stall_row *r;
    size_t n;
    assert_int_equal(rep_stall_rows(db, &r, &n, &e), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].kernel, "kneg");
    assert_string_equal(r[1].kernel, "orphan");
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r[i].source, "pc sampling");
        assert_int_equal(r[i].n, 1);
        assert_string_equal(r[i].names[0], "barrier");
    }
    free(r);
    rep_close(db);
}

/* What fuzzing found: a slow clock turns huge cycle counts into times past
 * int64, and extreme timestamps overflow differences (UBSan aborts here). */
static void extreme_times_saturate(void **state)
{
    rep_db *db = rt_open(rt_db("extreme.db", odd_sql,
        "UPDATE TARGET_INFO_GPU SET clockRate = 1000;"
        "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL(launchId, kernelId, deviceId, streamId, start, end,"
        "  gridX, gridY, gridZ, blockX, blockY, blockZ, probeStatus) VALUES"
        "  (5, 1, 0, 1, -9223372036854775807, 9223372036854775807, 2, 1, 1, 32, 1, 1, 'probed'),"
        "  (6, 1, 0, 1, 9223372036854775807, 9223372036854775807, 2, 1, 1, 32, 1, 1, 'probed');"
        "INSERT INTO PROBE_S VALUES (5, 0, 0, 0, 0, 9223372036854775807, 9223372036854775807, 1),"
        "  (5, 1, 0, 0, 0, 1, 9223372036854775807, 1), (5, 0, 0, 1, 0, 0, 5, 2),"
        "  (6, 0, 0, 0, 0, 4611686018427387904, 9223372036854775807, 0);"
        "INSERT INTO PROBE_MT VALUES (5, 0, 0, 0, 1, -9223372036854775807),"
        "  (5, 0, 0, 1, -1, 9223372036854775807);"
        "INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY(start, end, streamId, bytes) VALUES"
        "  (-9223372036854775807, 9223372036854775807, 1, 1);"));
    rep_opts o = REP_OPTS_INIT;
    nt_err e = {0};
    FILE *m = fopen("/dev/null", "w");
    rep_tl_stats st;
    assert_int_equal(rep_summary(db, &o, m, &e), 0);
    assert_int_equal(rep_timeline(db, &o, m, &st, &e), 0);
    assert_int_equal(rep_html(db, &o, m, &e), 0);
    fclose(m);
    rep_close(db);
}

static void truncated_file_is_an_error(void **state)
{
    const char *p = rt_path("trunc.db");
    rep_synth s = {.launches = 2, .blocks = 8, .seed = 1};
    unlink(p);
    nt_err e = {0};
    assert_int_equal(rep_synth_write(p, &s, &e), 0);
    FILE *f = fopen(p, "r+");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    assert_int_equal(truncate(p, size / 3), 0);
    rep_db *db = rep_open(p, &e);
    if (db) {   /* metadata may survive: then the records must not crash */
        rep_opts o = REP_OPTS_INIT;
        FILE *m = fopen("/dev/null", "w");
        int rc = rep_summary(db, &o, m, &e);
        if (rc) assert_non_null(strstr(e.msg, "trunc.db: "));
        fclose(m);
        rep_close(db);
    } else {
        assert_non_null(strstr(e.msg, "trunc.db: "));
        assert_null(strchr(e.msg, '\n'));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(odd_contents_never_crash),
        cmocka_unit_test(extreme_times_saturate),
        cmocka_unit_test(shared_negative_kernel_id),
        cmocka_unit_test(truncated_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, rt_teardown);
}
