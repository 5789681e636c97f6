/* run_summary.c — what `ntrace run` says at the end, read back from the
 * database: kernels seen, probed, not probed and why; launches, records,
 * drops.  The schema (docs/schema.md) is the contract with the collector. */
#include "cli/cli.h"
#include "collector/collector.h"

#include <sqlite3.h>
#include <stdio.h>

static int64_t sum_i64(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Prints "  N reason" lines for a grouped query (count, text). */
static void print_groups(sqlite3 *db, const char *sql, FILE *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return;
    while (sqlite3_step(st) == SQLITE_ROW)
        fprintf(out, "    %6lld  %s\n", (long long)sqlite3_column_int64(st, 0),
                (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
}

int cli_run_summary(const char *path, FILE *out)
{
    sqlite3 *db;
    nt_err e = {0};
    if (col_db_open(path, &db, &e) < 0) {
        fprintf(out, "ntrace: cannot read %s: %s\n", path, e.msg);
        return -1;
    }
    int64_t kernels = sum_i64(db, "select count(*) from NTRACE_KERNELS");
    int64_t instr = sum_i64(db, "select count(*) from NTRACE_KERNELS where instrumented");
    int64_t launches = sum_i64(db, "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL");
    int64_t probed = sum_i64(db, "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'");
    int64_t saved = sum_i64(db, "select coalesce(sum(recordsSaved),0) from CUPTI_ACTIVITY_KIND_KERNEL");
    int64_t dropped = sum_i64(db, "select coalesce(sum(recordsDropped),0) from CUPTI_ACTIVITY_KIND_KERNEL");
    fprintf(out, "ntrace: %lld kernels seen, %lld instrumented; %lld launches, %lld probed; "
                 "%lld records saved, %lld dropped (cap)\n",
            (long long)kernels, (long long)instr, (long long)launches, (long long)probed,
            (long long)saved, (long long)dropped);
    if (instr < kernels) {
        fprintf(out, "  kernels not instrumented:\n");
        print_groups(db, "select count(*), reason from NTRACE_KERNELS where not instrumented "
                         "group by reason order by 1 desc", out);
    }
    if (probed < launches) {
        fprintf(out, "  launches not probed:\n");
        print_groups(db, "select count(*), coalesce(probeStatus, 'seen only in the activity records') "
                         "from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus is not 'probed' "
                         "group by 2 order by 1 desc", out);
    }
    sqlite3_close(db);
    return 0;
}
