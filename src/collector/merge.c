/* merge.c — several ntrace databases of one run (one per process) into one.
 *
 * Every input is attached to the output in turn and copied with INSERT ...
 * SELECT, its ids shifted past what the output holds already, so no row is
 * read into C. */
#include "collector/collector_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OFF_S, OFF_M, OFF_K, OFF_P, OFF_L, OFF_R, NOFF };

/* Tables copied row by row; %S %M %K %P %L %R in the column list stand for
 * the id offsets of strings, modules, kernels, probes, launches, runs. */
static const struct {
    const char *table, *cols, *verb;
} merge_tables[] = {
    {"StringIds", "id+%S, value", NULL},
    {"NTRACE_RUN", "id+%R, commandLine, host, pid, ntraceVersion, schemaVersion, startTime,"
                   " endTime, config, launches, buffers, buffersRejected, recordsSaved,"
                   " recordsDropped, queueDropped, queueDroppedBuffers, recordsLost, rowsLost,"
                   " dbError", NULL},
    {"TARGET_INFO_GPU", "*", "INSERT OR IGNORE"},
    {"NTRACE_MODULES", "id+%M, deviceId, contextId, name, contentHash, ptxBytes", NULL},
    {"NTRACE_KERNELS", "id+%K, moduleId+%M, mangledName+%S, demangledName+%S, shortName+%S,"
                       " instrumented, reason", NULL},
    {"NTRACE_PROBES", "id+%P, name, path, source", NULL},
    {"NTRACE_PROBE_FIELDS", "probeId+%P, mapId, fieldIndex, name, type, offset", NULL},
    {"CUPTI_ACTIVITY_KIND_KERNEL", "launchId+%L, start, end, deviceId, contextId, streamId,"
                                   " correlationId, globalPid, demangledName+%S, shortName+%S,"
                                   " mangledName+%S, gridX, gridY, gridZ, blockX, blockY,"
                                   " blockZ, registersPerThread, staticSharedMemory,"
                                   " dynamicSharedMemory, kernelId+%K, probeId+%P,"
                                   " probeStatus, recordsSaved, recordsDropped, bufferBytes",
     NULL},
    {"CUPTI_ACTIVITY_KIND_MEMCPY", "*", NULL},
    {"CUPTI_ACTIVITY_KIND_MEMSET", "*", NULL},
    {"NTRACE_STALL_REASONS", "*", "INSERT OR IGNORE"},
    {"NTRACE_PC_SAMPLES", "correlationId, functionName+%S, cubinCrc, pcOffset, stallReason,"
                          " samples", NULL},
    /* Optional: databases written before it existed lack it. */
    {"NTRACE_PC_LINES", "functionName+%S, cubinCrc, pcOffset, fileName+%S, line, \"column\"", NULL},
};

static int sql_exec(sqlite3 *db, const char *sql, nt_err *e)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        nt_err_set(e, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int64_t max_of(sqlite3 *db, const char *column, const char *table)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT COALESCE(MAX(%s), 0) FROM main.%s", column, table);
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The column list with the offsets filled in. */
static void expand(nt_sb *o, const char *cols, const int64_t off[NOFF])
{
    static const char keys[NOFF] = {'S', 'M', 'K', 'P', 'L', 'R'};
    for (const char *p = cols; *p; p++) {
        const char *k = p[0] == '%' ? memchr(keys, p[1], NOFF) : NULL;
        if (k && p[1]) {
            nt_sb_printf(o, "%lld", (long long)off[k - keys]);
            p++;
        } else {
            nt_sb_putc(o, *p);
        }
    }
}

/* The CREATE TABLE text of a table in schema `db` ("main" or "src"). */
static char *table_sql(sqlite3 *dbh, const char *db, const char *name)
{
    char q[160];
    snprintf(q, sizeof q, "SELECT sql FROM %s.sqlite_master WHERE type = 'table' AND name = ?1",
             db);
    sqlite3_stmt *st;
    char *out = NULL;
    if (sqlite3_prepare_v2(dbh, q, -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        out = nt_xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

/* DDL of `from` renamed to `to` (ntrace writes CREATE TABLE "NAME" (...)). */
static char *renamed(const char *ddl, const char *from, const char *to)
{
    nt_sb q = {0};
    nt_sb_printf(&q, "\"%s\"", from);
    const char *at = strstr(ddl, q.s);
    nt_sb o = {0};
    if (at) {
        nt_sb_put(&o, ddl, (size_t)(at - ddl));
        nt_sb_printf(&o, "\"%s\"", to);
        nt_sb_puts(&o, at + q.len);
    } else {
        nt_sb_puts(&o, ddl);
    }
    nt_sb_free(&q);
    return nt_sb_take(&o);
}

/* Copies one PROBE_* table of the input; *dest gets the output table. */
static int merge_map_table(sqlite3 *db, const char *name, size_t input, const int64_t off[NOFF],
                           char **dest, nt_err *e)
{
    char *src_ddl = table_sql(db, "src", name);
    if (!src_ddl) return nt_err_set(e, "its map table %s is missing", name);
    int rc = 0;
    *dest = NULL;
    for (unsigned k = 0; k < 1000 && !*dest; k++) {
        nt_sb cand = {0};
        nt_sb_puts(&cand, name);
        if (k) nt_sb_printf(&cand, "_M%zu_%u", input + 1, k);
        char *want = renamed(src_ddl, name, cand.s);
        char *have = table_sql(db, "main", cand.s);
        if (!have) rc = sql_exec(db, want, e);
        if (!have || !strcmp(have, want)) *dest = nt_sb_take(&cand);
        nt_sb_free(&cand);
        free(want);
        free(have);
        if (rc) break;
    }
    free(src_ddl);
    if (rc || !*dest) return rc ? -1 : nt_err_set(e, "no free table name for %s", name);
    /* launchId is the first column of every map table; the rest copy as is. */
    nt_sb sql = {0};
    nt_sb_printf(&sql, "INSERT INTO main.\"%s\" SELECT launchId + %lld", *dest,
                 (long long)off[OFF_L]);
    sqlite3_stmt *st;
    nt_sb info = {0};
    nt_sb_printf(&info, "PRAGMA src.table_info(\"%s\")", name);
    if (sqlite3_prepare_v2(db, info.s, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            if (sqlite3_column_int(st, 0) > 0)
                nt_sb_printf(&sql, ", \"%s\"", (const char *)sqlite3_column_text(st, 1));
        sqlite3_finalize(st);
    }
    nt_sb_printf(&sql, " FROM src.\"%s\"", name);
    rc = sql_exec(db, sql.s, e);
    nt_sb_free(&sql);
    nt_sb_free(&info);
    return rc;
}

static int merge_maps(sqlite3 *db, size_t input, const int64_t off[NOFF], nt_err *e)
{
    sqlite3_stmt *st, *ins;
    if (sqlite3_prepare_v2(db, "SELECT probeId, mapId, name, tableName, level, cap, recordSize,"
                               " fieldCount FROM src.NTRACE_PROBE_MAPS", -1, &st, NULL) != SQLITE_OK)
        return nt_err_set(e, "%s", sqlite3_errmsg(db));
    if (sqlite3_prepare_v2(db, "INSERT INTO main.NTRACE_PROBE_MAPS VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
                           -1, &ins, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return nt_err_set(e, "%s", sqlite3_errmsg(db));
    }
    int rc = 0;
    /* Several map rows of one input may share a table (an input that is
     * itself a merge of processes): its rows are copied once.  Source
     * table name -> index into dests. */
    nt_map copied = {0};
    NT_VEC(char *) names = {0};
    NT_VEC(char *) dests = {0};
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        char *dest = NULL;
        const char *name = (const char *)sqlite3_column_text(st, 3);
        if (!name) { rc = nt_err_set(e, "a map has no table name"); break; }
        uint64_t at;
        if (nt_map_get(&copied, name, strlen(name), &at)) {
            dest = nt_xstrdup(dests.v[at]);
        } else {
            char *tname = nt_xstrdup(name);
            rc = merge_map_table(db, tname, input, off, &dest, e);
            if (rc) {
                free(tname);
                break;
            }
            nt_vec_push(&names, tname);
            nt_vec_push(&dests, nt_xstrdup(dest));
            nt_map_put(&copied, tname, strlen(tname), dests.n - 1);
        }
        for (int k = 0; k < 8; k++) sqlite3_bind_value(ins, k + 1, sqlite3_column_value(st, k));
        sqlite3_bind_int64(ins, 1, sqlite3_column_int64(st, 0) + off[OFF_P]);
        sqlite3_bind_text(ins, 4, dest, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) rc = nt_err_set(e, "%s", sqlite3_errmsg(db));
        sqlite3_reset(ins);
        free(dest);
    }
    for (size_t i = 0; i < names.n; i++) {
        free(names.v[i]);
        free(dests.v[i]);
    }
    nt_vec_free(&names);
    nt_vec_free(&dests);
    nt_map_free(&copied);
    sqlite3_finalize(st);
    sqlite3_finalize(ins);
    return rc;
}

/* False only for an optional table the input lacks (NTRACE_PC_LINES came
 * after schema version 1 was first written; every other table is always
 * there, and a missing one fails the copy with SQLite's message). */
static bool table_in_src(sqlite3 *db, const char *table)
{
    if (strcmp(table, "NTRACE_PC_LINES")) return true;
    char *ddl = table_sql(db, "src", table);
    bool have = ddl != NULL;
    free(ddl);
    return have;
}

static int merge_one(sqlite3 *db, const char *in, size_t input, size_t n, nt_progress *pr,
                     nt_err *e)
{
    int64_t off[NOFF] = {
        [OFF_S] = max_of(db, "id", "StringIds"), [OFF_M] = max_of(db, "id", "NTRACE_MODULES"),
        [OFF_K] = max_of(db, "id", "NTRACE_KERNELS"), [OFF_P] = max_of(db, "id", "NTRACE_PROBES"),
        [OFF_L] = max_of(db, "launchId", "CUPTI_ACTIVITY_KIND_KERNEL"),
        [OFF_R] = max_of(db, "id", "NTRACE_RUN"),
    };
    sqlite3_stmt *at;
    if (sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS src", -1, &at, NULL) != SQLITE_OK)
        return nt_err_set(e, "%s", sqlite3_errmsg(db));
    sqlite3_bind_text(at, 1, in, -1, SQLITE_STATIC);
    int rc = sqlite3_step(at) == SQLITE_DONE ? 0 : nt_err_set(e, "%s", sqlite3_errmsg(db));
    sqlite3_finalize(at);
    if (rc) return -1;
    rc = sql_exec(db, "BEGIN", e);
    for (size_t i = 0; !rc && i < NT_ARRAY_LEN(merge_tables); i++) {
        if (!table_in_src(db, merge_tables[i].table)) continue;
        if (pr) nt_progress_update(pr, merge_tables[i].table, input, n);
        nt_sb sql = {0};
        nt_sb_printf(&sql, "%s INTO main.%s SELECT ",
                     merge_tables[i].verb ? merge_tables[i].verb : "INSERT", merge_tables[i].table);
        expand(&sql, merge_tables[i].cols, off);
        nt_sb_printf(&sql, " FROM src.%s", merge_tables[i].table);
        rc = sql_exec(db, sql.s, e);
        nt_sb_free(&sql);
    }
    if (pr) nt_progress_update(pr, "probe records", input, n);
    if (!rc) rc = merge_maps(db, input, off, e);
    if (!rc) rc = sql_exec(db, "COMMIT", e);
    if (rc) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
    return rc;
}

static int finish(sqlite3 *db, col_merge_totals *t, nt_err *e)
{
    nt_sb sql = {0};
    sqlite3_stmt *st;
    nt_sb_puts(&sql, "BEGIN;");
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT tableName FROM NTRACE_PROBE_MAPS", -1, &st,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW)
            col_map_index_sql(&sql, (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    nt_sb_puts(&sql, "COMMIT;");
    int rc = sql_exec(db, sql.s, e);
    nt_sb_free(&sql);
    if (rc) return -1;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*), COALESCE(SUM(recordsSaved), 0) FROM "
                               "CUPTI_ACTIVITY_KIND_KERNEL", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            t->launches = (uint64_t)sqlite3_column_int64(st, 0);
            t->records = (uint64_t)sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
    }
    sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return 0;
}

int col_merge(const char *out, const char *const *ins, size_t n, bool overwrite,
              col_merge_totals *t, nt_err *e)
{
    col_merge_totals tmp = {0};
    if (!t) t = &tmp;
    nt_progress *pr = t->progress;
    memset(t, 0, sizeof *t);
    t->progress = pr;
    if (n == 0) return nt_err_set(e, "merge: no input databases");
    for (size_t i = 0; i < n; i++) {
        char *a = realpath(ins[i], NULL), *b = realpath(out, NULL);
        bool same = a && b && !strcmp(a, b);
        free(a);
        free(b);
        if (same) return nt_err_set(e, "merge: %s is both an input and the output", out);
        sqlite3 *in;
        if (col_db_open(ins[i], &in, e)) return -1;
        sqlite3_close(in);
    }
    /* The output starts as an empty run database: the collector's schema. */
    col *c = col_open(out, &(col_config){.overwrite = overwrite}, e);
    if (!c) return -1;
    col_totals ct;
    if (col_close(c, &ct, NULL) || ct.db_error[0])
        return nt_err_set(e, "merge: %s", ct.db_error[0] ? ct.db_error : "cannot create the output");
    sqlite3 *db;
    if (sqlite3_open_v2(out, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        nt_err_set(e, "%s: %s", out, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    int rc = sql_exec(db, "DELETE FROM NTRACE_RUN", e);
    for (size_t i = 0; !rc && i < n; i++) {
        if (merge_one(db, ins[i], i, n, pr, e)) {
            nt_err_prefix(e, "merging %s into %s: ", ins[i], out);
            rc = -1;
        }
        t->inputs++;
    }
    if (pr) nt_progress_update(pr, "indexes", n, n);
    if (!rc) rc = finish(db, t, e);
    sqlite3_close(db);
    return rc;
}
