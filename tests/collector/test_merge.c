/* Tests: one database per process (per_process names) and `col_merge`,
 * which combines them with every id reference kept right. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "col_test.h"

#define assert_q(db, sql, want) assert_int_equal(q_int((db), (sql)), (want))

/* A run of process `pid`: kernel "kern_<tag>", nlaunch probed launches. */
static uint64_t write_run(const char *path, int64_t pid, const char *tag, int nlaunch,
                          const col_probe_def *probe, char **chosen)
{
    col *c = col_open(path, &(col_config){.per_process = true, .pid = pid}, NULL);
    assert_non_null(c);
    *chosen = strdup(col_path(c));
    char kname[64];
    snprintf(kname, sizeof kname, "void kern_%s(int)", tag);
    col_device(c, &(col_device_info){.id = 0, .name = "GPU0", .sm_count = 8});
    int64_t mod = col_module(c, &(col_module_info){.name = tag});
    int64_t k = col_kernel(c, &(col_kernel_info){.module_id = mod, .mangled = tag,
                                                 .demangled = kname, .instrumented = true});
    int64_t pr = col_probe(c, probe, NULL);
    const uint32_t g[3] = {2, 1, 1}, b[3] = {64, 1, 1};
    uint64_t total = 0;
    for (int i = 0; i < nlaunch; i++) {
        int64_t id = col_launch(c, &(col_launch_info){.kernel_id = k, .probe_id = pr,
                                                      .grid = {2, 1, 1}, .block = {64, 1, 1},
                                                      .correlation_id = (uint32_t)i + 1});
        buf_layout l;
        uint64_t n;
        uint8_t *buf = fill_buffer(&l, g, b, id, &n);
        col_submit_buffer(c, id, buf, l.hdr.total_size, NULL, NULL);
        free(buf);
        total += n;
        col_kernel_done(c, &(col_kernel_activity){.correlation_id = (uint32_t)i + 1,
                                                  .start = 100, .end = 200});
    }
    col_stall_reason(c, 1, "barrier");
    assert_int_equal(col_close(c, NULL, NULL), 0);
    return total;
}

static void per_process_names(void **state)
{
    char *p = col_process_path("out/run.db", 1234, 0);
    assert_string_equal(p, "out/run.1234.db");
    free(p);
    p = col_process_path("run.db", 7, 3);
    assert_string_equal(p, "run.7.3.db");
    free(p);
    p = col_process_path("trace", 7, 0);
    assert_string_equal(p, "trace.7");
    free(p);
}

static void merge_runs(void **state)
{
    char *dir = t_tmpdir(), path[512], out[512], stale[512];
    snprintf(path, sizeof path, "%s/run.db", dir);
    snprintf(out, sizeof out, "%s/merged.db", dir);
    /* A stale WAL of an earlier run must not leak into the new file. */
    snprintf(stale, sizeof stale, "%s-wal", path);
    assert_int_equal(nt_file_write(stale, "garbage garbage garbage", 23, NULL), 0);
    char *names[4];
    uint64_t recs = write_run(path, 100, "a", 3, &T_PROBE, &names[0]);
    nt_file f;                           /* the stale WAL was removed at the claim */
    if (nt_file_open(&f, stale, NULL) == 0) {
        assert_null(strstr(f.data, "garbage"));
        nt_file_close(&f);
    }
    recs += write_run(path, 200, "b", 2, &T_PROBE, &names[1]);
    recs += write_run(path, 200, "c", 1, &T_PROBE, &names[2]);   /* after exec: same pid */
    /* A probe with the same name but other fields: its table cannot be shared. */
    static const col_field other[] = {{"x", BUF_F64}};
    static const col_map_def omap[] = {{"sched", BUF_WARP, 2, 1, other}};
    const col_probe_def oprobe = {"block_sched", NULL, NULL, 1, omap};
    char *p4 = NULL;
    col *c = col_open(path, &(col_config){.per_process = true, .pid = 300}, NULL);
    p4 = strdup(col_path(c));
    col_probe(c, &oprobe, NULL);
    col_close(c, NULL, NULL);
    names[3] = p4;
    assert_string_equal(names[0], path);
    char want[600];
    snprintf(want, sizeof want, "%s/run.200.db", dir);
    assert_string_equal(names[1], want);
    snprintf(want, sizeof want, "%s/run.200.2.db", dir);
    assert_string_equal(names[2], want);

    col_merge_totals t = {0};
    nt_err e = {0};
    if (col_merge(out, (const char *const *)names, 4, false, &t, &e)) fail_msg("%s", e.msg);
    assert_int_equal(t.inputs, 4);
    assert_int_equal(t.launches, 6);
    assert_int_equal(t.records, recs);
    sqlite3 *db;
    assert_int_equal(col_db_open(out, &db, &e), 0);
    assert_string_equal(q_text(db, "SELECT group_concat(pid, ',') FROM NTRACE_RUN"),
                        "100,200,200,300");
    assert_q(db, "SELECT COUNT(*) FROM TARGET_INFO_GPU", 1);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_STALL_REASONS", 1);
    /* Launches keep their kernel's names and module through the new ids. */
    assert_string_equal(q_text(db, "SELECT group_concat(s.value || ':' || m.name, ',') FROM "
                                   "CUPTI_ACTIVITY_KIND_KERNEL k JOIN StringIds s ON s.id = "
                                   "k.shortName JOIN NTRACE_KERNELS n ON n.id = k.kernelId "
                                   "JOIN NTRACE_MODULES m ON m.id = n.moduleId ORDER BY k.launchId"),
                        "kern_a:a,kern_a:a,kern_a:a,kern_b:b,kern_b:b,kern_c:c");
    assert_q(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_KERNEL WHERE start = 100 AND end = 200",
             6);
    /* Map rows follow their launches; counts still match per launch. */
    assert_q(db, "SELECT COUNT(*) FROM CUPTI_ACTIVITY_KIND_KERNEL k WHERE recordsSaved != "
                 "(SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_SCHED s WHERE s.launchId = k.launchId) "
                 "+ (SELECT COUNT(*) FROM PROBE_BLOCK_SCHED_MEM m WHERE m.launchId = k.launchId)", 0);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PROBES", 4);
    assert_q(db, "SELECT COUNT(DISTINCT p.id) FROM NTRACE_PROBES p JOIN CUPTI_ACTIVITY_KIND_KERNEL"
                 " k ON k.probeId = p.id", 3);
    assert_string_equal(q_text(db, "SELECT tableName FROM NTRACE_PROBE_MAPS WHERE probeId = 4"),
                        "PROBE_BLOCK_SCHED_SCHED_M4_1");
    assert_q(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'PROBE_BLOCK_SCHED_SCHED_M4_1'", 1);
    assert_q(db, "SELECT COUNT(*) FROM NTRACE_PROBE_FIELDS", 3 * 6 + 1);
    assert_q(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = "
                 "'PROBE_BLOCK_SCHED_SCHED_M4_1_launch'", 1);
    sqlite3_close(db);

    /* The command: ntrace merge. */
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char cmd[2048], out2[560];
    snprintf(out2, sizeof out2, "%s/m2.db", dir);
    snprintf(cmd, sizeof cmd, "%s/bin/ntrace merge %s %s %s > %s/cmd.txt 2>&1", build, out2,
             names[0], names[1], dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/cmd.txt", dir);
    nt_file f2;
    assert_int_equal(nt_file_open(&f2, cmd, NULL), 0);
    assert_non_null(strstr(f2.data, "merged 2 databases into"));
    assert_non_null(strstr(f2.data, ": 5 launches"));
    nt_file_close(&f2);
    snprintf(cmd, sizeof cmd, "%s/bin/ntrace merge %s %s > /dev/null 2>&1", build, out2, names[0]);
    assert_int_equal(WEXITSTATUS(system(cmd)), 1);         /* exists, no -f */
    snprintf(cmd, sizeof cmd, "%s/bin/ntrace merge -f %s %s > /dev/null 2>&1", build, out2, names[0]);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/bin/ntrace merge %s > /dev/null 2>&1", build, out2);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);         /* usage */

    /* Refusals name the culprit. */
    nt_err_clear(&e);
    assert_int_equal(col_merge(out, (const char *const *)names, 1, false, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "merged.db: the database exists"));
    nt_err_clear(&e);
    const char *self[] = {out};
    assert_int_equal(col_merge(out, self, 1, true, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "is both an input and the output"));
    nt_err_clear(&e);
    char junk[600];
    snprintf(junk, sizeof junk, "%s/junk.db", dir);
    assert_int_equal(nt_file_write(junk, "no database", 11, NULL), 0);
    const char *bad[] = {names[0], junk};
    assert_int_equal(col_merge(out, bad, 2, true, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "junk.db: cannot read the database"));
    nt_err_clear(&e);
    assert_int_equal(col_merge(out, NULL, 0, true, NULL, &e), -1);
    assert_string_equal(e.msg, "merge: no input databases");
    for (int i = 0; i < 4; i++) free(names[i]);
    t_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(per_process_names),
        cmocka_unit_test(merge_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
