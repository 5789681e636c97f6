/* schema.c — the database schema (docs/schema.md is its prose twin):
 * pragmas, tables, prepared statements, per-map tables, end-of-run
 * indexes, and the version check of readers. */
#include "collector/collector_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Ingest is append-only into rowid tables; no index exists until the run
 * ends (col_schema_indexes), so inserts never update a b-tree twice. */
static const char schema_sql[] =
    "CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE NTRACE_RUN (id INTEGER PRIMARY KEY, commandLine TEXT, host TEXT,\n"
    "  pid INTEGER, ntraceVersion TEXT, schemaVersion INTEGER, startTime INTEGER,\n"
    "  endTime INTEGER, config TEXT, launches INTEGER, buffers INTEGER,\n"
    "  buffersRejected INTEGER, recordsSaved INTEGER, recordsDropped INTEGER,\n"
    "  queueDropped INTEGER, queueDroppedBuffers INTEGER, recordsLost INTEGER,\n"
    "  rowsLost INTEGER, dbError TEXT);\n"
    "CREATE TABLE TARGET_INFO_GPU (id INTEGER PRIMARY KEY, name TEXT, busLocation TEXT,\n"
    "  uuid TEXT, totalMemory INTEGER, clockRate INTEGER, smCount INTEGER,\n"
    "  computeMajor INTEGER, computeMinor INTEGER);\n"
    "CREATE TABLE NTRACE_MODULES (id INTEGER PRIMARY KEY, deviceId INTEGER,\n"
    "  contextId INTEGER, name TEXT, contentHash INTEGER, ptxBytes INTEGER);\n"
    "CREATE TABLE NTRACE_KERNELS (id INTEGER PRIMARY KEY, moduleId INTEGER,\n"
    "  mangledName INTEGER, demangledName INTEGER, shortName INTEGER,\n"
    "  instrumented INTEGER NOT NULL, reason TEXT);\n"
    "CREATE TABLE NTRACE_PROBES (id INTEGER PRIMARY KEY, name TEXT NOT NULL, path TEXT,\n"
    "  source TEXT);\n"
    "CREATE TABLE NTRACE_PROBE_MAPS (probeId INTEGER NOT NULL, mapId INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL, tableName TEXT NOT NULL, level TEXT NOT NULL,\n"
    "  cap INTEGER NOT NULL, recordSize INTEGER NOT NULL, fieldCount INTEGER NOT NULL,\n"
    "  PRIMARY KEY (probeId, mapId));\n"
    "CREATE TABLE NTRACE_PROBE_FIELDS (probeId INTEGER NOT NULL, mapId INTEGER NOT NULL,\n"
    "  fieldIndex INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,\n"
    "  offset INTEGER NOT NULL, PRIMARY KEY (probeId, mapId, fieldIndex));\n"
    "CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (launchId INTEGER PRIMARY KEY,\n"
    "  start INTEGER, end INTEGER, deviceId INTEGER, contextId INTEGER,\n"
    "  streamId INTEGER, correlationId INTEGER, globalPid INTEGER,\n"
    "  demangledName INTEGER, shortName INTEGER, mangledName INTEGER,\n"
    "  gridX INTEGER, gridY INTEGER, gridZ INTEGER,\n"
    "  blockX INTEGER, blockY INTEGER, blockZ INTEGER,\n"
    "  registersPerThread INTEGER, staticSharedMemory INTEGER,\n"
    "  dynamicSharedMemory INTEGER, kernelId INTEGER, probeId INTEGER,\n"
    "  probeStatus TEXT, recordsSaved INTEGER NOT NULL DEFAULT 0,\n"
    "  recordsDropped INTEGER NOT NULL DEFAULT 0, bufferBytes INTEGER);\n"
    "CREATE TABLE CUPTI_ACTIVITY_KIND_MEMCPY (start INTEGER, end INTEGER,\n"
    "  deviceId INTEGER, contextId INTEGER, streamId INTEGER, correlationId INTEGER,\n"
    "  globalPid INTEGER, bytes INTEGER, copyKind INTEGER, srcKind INTEGER,\n"
    "  dstKind INTEGER);\n"
    "CREATE TABLE CUPTI_ACTIVITY_KIND_MEMSET (start INTEGER, end INTEGER,\n"
    "  deviceId INTEGER, contextId INTEGER, streamId INTEGER, correlationId INTEGER,\n"
    "  globalPid INTEGER, value INTEGER, bytes INTEGER, memKind INTEGER);\n"
    "CREATE TABLE ENUM_CUDA_MEMCPY_OPER (id INTEGER PRIMARY KEY, name TEXT, label TEXT);\n"
    "CREATE TABLE ENUM_CUDA_MEM_KIND (id INTEGER PRIMARY KEY, name TEXT, label TEXT);\n"
    "CREATE TABLE NTRACE_STALL_REASONS (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
    "CREATE TABLE NTRACE_PC_SAMPLES (correlationId INTEGER, functionName INTEGER,\n"
    "  cubinCrc INTEGER, pcOffset INTEGER, stallReason INTEGER, samples INTEGER);\n"
    "CREATE TABLE NTRACE_PC_LINES (functionName INTEGER, cubinCrc INTEGER, pcOffset INTEGER,\n"
    "  fileName INTEGER, line INTEGER, \"column\" INTEGER);\n"
    /* CUpti_ActivityMemcpyKind and CUpti_ActivityMemoryKind (cupti_activity.h) */
    "INSERT INTO ENUM_CUDA_MEMCPY_OPER VALUES (0,'CUDA_MEMCPY_KIND_UNKNOWN','Unknown'),\n"
    "  (1,'CUDA_MEMCPY_KIND_HTOD','Host-to-Device'),(2,'CUDA_MEMCPY_KIND_DTOH','Device-to-Host'),\n"
    "  (3,'CUDA_MEMCPY_KIND_HTOA','Host-to-Array'),(4,'CUDA_MEMCPY_KIND_ATOH','Array-to-Host'),\n"
    "  (5,'CUDA_MEMCPY_KIND_ATOA','Array-to-Array'),(6,'CUDA_MEMCPY_KIND_ATOD','Array-to-Device'),\n"
    "  (7,'CUDA_MEMCPY_KIND_DTOA','Device-to-Array'),(8,'CUDA_MEMCPY_KIND_DTOD','Device-to-Device'),\n"
    "  (9,'CUDA_MEMCPY_KIND_HTOH','Host-to-Host'),(10,'CUDA_MEMCPY_KIND_PTOP','Peer-to-Peer');\n"
    "INSERT INTO ENUM_CUDA_MEM_KIND VALUES (0,'CUDA_MEMOPR_MEMORY_KIND_UNKNOWN','Unknown'),\n"
    "  (1,'CUDA_MEMOPR_MEMORY_KIND_PAGEABLE','Pageable'),(2,'CUDA_MEMOPR_MEMORY_KIND_PINNED','Pinned'),\n"
    "  (3,'CUDA_MEMOPR_MEMORY_KIND_DEVICE','Device'),(4,'CUDA_MEMOPR_MEMORY_KIND_ARRAY','Array'),\n"
    "  (5,'CUDA_MEMOPR_MEMORY_KIND_MANAGED','Managed'),\n"
    "  (6,'CUDA_MEMOPR_MEMORY_KIND_DEVICE_STATIC','Device Static'),\n"
    "  (7,'CUDA_MEMOPR_MEMORY_KIND_MANAGED_STATIC','Managed Static');\n";

static const char *const stmt_sql[ST_NSTMT] = {
    [ST_STRING] = "INSERT INTO StringIds(id, value) VALUES (?1, ?2)",
    [ST_DEVICE] = "INSERT OR REPLACE INTO TARGET_INFO_GPU VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [ST_MODULE] = "INSERT INTO NTRACE_MODULES VALUES (?1,?2,?3,?4,?5,?6)",
    [ST_KERNEL] = "INSERT INTO NTRACE_KERNELS VALUES (?1,?2,?3,?4,?5,?6,?7)",
    [ST_PROBE]  = "INSERT INTO NTRACE_PROBES VALUES (?1,?2,?3,?4)",
    [ST_PMAP]   = "INSERT INTO NTRACE_PROBE_MAPS VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
    [ST_PFIELD] = "INSERT INTO NTRACE_PROBE_FIELDS VALUES (?1,?2,?3,?4,?5,?6)",
    [ST_LAUNCH] = "INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL VALUES (?1,?2,?3,?4,?5,?6,?7,?8,"
                  "?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,0,0,NULL)",
    [ST_UNPROBED] = "UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET probeStatus = ?2 WHERE launchId = ?1",
    [ST_STALL]  = "INSERT OR REPLACE INTO NTRACE_STALL_REASONS VALUES (?1, ?2)",
    [ST_KACT_UPD] = "UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET start = ?2, end = ?3, deviceId = ?4,"
                    " contextId = ?5, streamId = ?6 WHERE launchId = ?1",
    [ST_MEMCPY] = "INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
                  "?10,?11)",
    [ST_MEMSET] = "INSERT INTO CUPTI_ACTIVITY_KIND_MEMSET VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,"
                  "?10)",
    [ST_PCS]    = "INSERT INTO NTRACE_PC_SAMPLES VALUES (?1,?2,?3,?4,?5,?6)",
    [ST_PCLINE] = "INSERT INTO NTRACE_PC_LINES VALUES (?1,?2,?3,?4,?5,?6)",
    [ST_LAUNCH_RECS] = "UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET recordsSaved = recordsSaved + ?2,"
                       " recordsDropped = recordsDropped + ?3, bufferBytes = ?4,"
                       " probeStatus = 'probed' WHERE launchId = ?1",
};

static int exec(col *c, const char *sql, nt_err *e)
{
    char *msg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        nt_err_set(e, "%s: %s", c->path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int col_schema_create(col *c, nt_err *e)
{
    char pragmas[512];
    /* page_size must precede the first table; WAL keeps committed
     * transactions through a crash of the process; synchronous=NORMAL
     * skips the fsync per commit (only checkpoints sync).  Memory does not
     * grow with the run: the page cache is 8 MiB (64 MiB held ~50 MB at
     * 200 k launches), and temp_store=FILE lets the sorts of the indexes
     * made at the end spill to a temporary file (in memory they took
     * ~33 MB more at 1 M launches). */
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA page_size = 65536; PRAGMA journal_mode = WAL;"
             " PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8192;"
             " PRAGMA temp_store = FILE; PRAGMA secure_delete = OFF;"
             " PRAGMA application_id = %d;"
             " PRAGMA user_version = %d;", COL_APPLICATION_ID, COL_SCHEMA_VERSION);
    if (exec(c, pragmas, e)) return -1;
    if (c->cfg.max_db_bytes) {
        char lim[96];
        snprintf(lim, sizeof lim, "PRAGMA max_page_count = %llu;",
                 (unsigned long long)NT_MAX(c->cfg.max_db_bytes / 65536, 1));
        if (exec(c, lim, e)) return -1;
    }
    if (exec(c, "BEGIN", e) || exec(c, schema_sql, e)) return -1;
    sqlite3_stmt *st;
    const char *run = "INSERT INTO NTRACE_RUN(id, commandLine, host, pid, ntraceVersion,"
                      " schemaVersion, startTime, config) VALUES (1,?1,?2,?3,?4,?5,?6,?7)";
    int rc = sqlite3_prepare_v2(c->db, run, -1, &st, NULL);
    if (rc != SQLITE_OK) return col_sql_err(c, rc, "preparing the run row", e);
    sqlite3_bind_text(st, 1, c->cfg.command_line, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->cfg.host, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, c->cfg.pid);
    sqlite3_bind_text(st, 4, NT_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, COL_SCHEMA_VERSION);
    sqlite3_bind_int64(st, 6, (int64_t)c->cfg.start_ns);
    sqlite3_bind_text(st, 7, c->cfg.config, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return col_sql_err(c, rc, "writing the run row", e);
    return exec(c, "COMMIT", e);
}

int col_schema_prepare(col *c, nt_err *e)
{
    for (int i = 0; i < ST_NSTMT; i++) {
        if (!stmt_sql[i]) continue;
        int rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                    &c->st[i], NULL);
        if (rc != SQLITE_OK) return col_sql_err(c, rc, "preparing statements", e);
    }
    return 0;
}

static const char *const level_names[] = {"thread", "warp", "block"};

int col_schema_map_table(col *c, col_probe_rec *p, unsigned m, nt_err *e)
{
    col_pmap *pm = &p->maps[m];
    /* PROBE_<probe>_<map>; a second probe of the same name gets _<id>. */
    nt_sb name = {0};
    nt_sb_printf(&name, "PROBE_%s_%s", p->name, pm->name);
    for (size_t i = 0; i < name.len; i++) name.s[i] = (char)toupper((unsigned char)name.s[i]);
    if (nt_map_get(&c->tables, name.s, name.len, NULL)) nt_sb_printf(&name, "_%lld", (long long)p->id);
    pm->table = nt_sb_take(&name);
    nt_map_put(&c->tables, pm->table, strlen(pm->table), 1);

    nt_sb ddl = {0}, ins = {0};
    unsigned ncols = 3;
    nt_sb_printf(&ddl, "CREATE TABLE \"%s\" (launchId INTEGER NOT NULL, blockId INTEGER NOT NULL",
                 pm->table);
    if (pm->level <= BUF_WARP) { nt_sb_puts(&ddl, ", warpId INTEGER NOT NULL"); ncols++; }
    if (pm->level == BUF_THREAD) { nt_sb_puts(&ddl, ", threadId INTEGER NOT NULL"); ncols++; }
    nt_sb_puts(&ddl, ", seq INTEGER NOT NULL");
    for (unsigned f = 0; f < pm->nfields; f++) {
        bool real = pm->ftypes[f] == BUF_F32 || pm->ftypes[f] == BUF_F64;
        nt_sb_printf(&ddl, ", \"%s\" %s", pm->fnames[f], real ? "REAL" : "INTEGER");
    }
    /* A rowid table: every insert appends, no key is checked or kept
     * sorted while the run writes; the index on (launchId, blockId) comes
     * at the end (col_schema_indexes).  WITHOUT ROWID clustered on the
     * slot key was measured 1.5x slower to ingest (notes/collector.md). */
    nt_sb_puts(&ddl, ")");
    pm->ncols = ncols + pm->nfields;
    nt_sb tuple = {0};
    nt_sb_puts(&tuple, "(?");
    for (unsigned k = 1; k < pm->ncols; k++) nt_sb_puts(&tuple, ",?");
    nt_sb_puts(&tuple, ")");
    nt_sb_printf(&ins, "INSERT INTO \"%s\" VALUES %s", pm->table, tuple.s);
    int rc = exec(c, ddl.s, e);
    if (!rc) {
        int src = sqlite3_prepare_v3(c->db, ins.s, -1, SQLITE_PREPARE_PERSISTENT, &pm->ins, NULL);
        for (int k = 1; k < COL_ROWS_PER_INSERT; k++) nt_sb_printf(&ins, ",%s", tuple.s);
        if (src == SQLITE_OK)
            src = sqlite3_prepare_v3(c->db, ins.s, -1, SQLITE_PREPARE_PERSISTENT, &pm->ins_n, NULL);
        if (src != SQLITE_OK) rc = col_sql_err(c, src, "preparing a map insert", e);
    }
    nt_sb_free(&ddl);
    nt_sb_free(&ins);
    nt_sb_free(&tuple);
    if (rc) return -1;

    sqlite3_stmt *st = c->st[ST_PMAP];
    sqlite3_bind_int64(st, 1, p->id);
    sqlite3_bind_int(st, 2, (int)m);
    sqlite3_bind_text(st, 3, pm->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, pm->table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, level_names[pm->level], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, pm->cap);
    sqlite3_bind_int(st, 7, pm->record_size);
    sqlite3_bind_int(st, 8, (int)pm->nfields);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return col_sql_err(c, rc, "writing NTRACE_PROBE_MAPS", e);
    c->txn_rows++;
    st = c->st[ST_PFIELD];
    for (unsigned f = 0; f < pm->nfields; f++) {
        sqlite3_bind_int64(st, 1, p->id);
        sqlite3_bind_int(st, 2, (int)m);
        sqlite3_bind_int(st, 3, (int)f);
        sqlite3_bind_text(st, 4, pm->fnames[f], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, buf_ftype_name((enum buf_ftype)pm->ftypes[f]), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, pm->foffs[f]);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) return col_sql_err(c, rc, "writing NTRACE_PROBE_FIELDS", e);
        c->txn_rows++;
    }
    return 0;
}

void col_map_index_sql(nt_sb *sql, const char *table)
{
    nt_sb_printf(sql, "CREATE INDEX IF NOT EXISTS \"%s_launch\" ON \"%s\"(launchId, blockId);",
                 table, table);
}

int col_schema_indexes(col *c, nt_err *e)
{
    nt_sb sql = {0};
    nt_sb_puts(&sql,
        "BEGIN;"
        "CREATE INDEX IF NOT EXISTS kernel_correlation ON CUPTI_ACTIVITY_KIND_KERNEL(correlationId);"
        "CREATE INDEX IF NOT EXISTS kernel_kernel ON CUPTI_ACTIVITY_KIND_KERNEL(kernelId);"
        "CREATE INDEX IF NOT EXISTS kernel_start ON CUPTI_ACTIVITY_KIND_KERNEL(start);"
        "CREATE INDEX IF NOT EXISTS memcpy_correlation ON CUPTI_ACTIVITY_KIND_MEMCPY(correlationId);"
        "CREATE INDEX IF NOT EXISTS memset_correlation ON CUPTI_ACTIVITY_KIND_MEMSET(correlationId);"
        "CREATE INDEX IF NOT EXISTS pcs_correlation ON NTRACE_PC_SAMPLES(correlationId);");
    for (size_t i = 0; i < c->probes.n; i++) {
        col_probe_rec *p = c->probes.v[i];
        for (unsigned m = 0; p && m < p->nmaps; m++)
            if (p->maps[m].table) col_map_index_sql(&sql, p->maps[m].table);
    }
    nt_sb_puts(&sql, "COMMIT;");
    int rc = sqlite3_exec(c->db, sql.s, NULL, NULL, NULL);
    nt_sb_free(&sql);
    if (rc != SQLITE_OK) {
        col_sql_err(c, rc, "creating the indexes at the end of the run", e);
        if (!sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

bool col_ident_ok(const char *s)
{
    if (!s || !(isalpha((unsigned char)s[0]) || s[0] == '_')) return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (!(isalnum((unsigned char)s[n]) || s[n] == '_')) return false;
    return n <= 48;
}

char *col_short_name(const char *d)
{
    /* Cut the argument list at the first '(' outside template brackets
     * (not the one of "operator()"), then keep what follows the last "::"
     * or space (the return type) outside them. */
    int depth = 0;
    size_t end = strlen(d), start = 0;
    for (size_t i = 0; d[i]; i++) {
        if (d[i] == '<') depth++;
        else if (d[i] == '>' && depth > 0) depth--;
        else if (depth > 0) continue;
        else if (d[i] == '(' && i > 0 && !(i >= 8 && !strncmp(d + i - 8, "operator", 8))) {
            end = i;
            break;
        } else if (d[i] == ':' && d[i + 1] == ':') start = i + 2;
        else if (d[i] == ' ') start = i + 1;
    }
    if (start >= end) start = 0;
    return nt_xstrndup(d + start, end - start);
}

/* ---- readers -------------------------------------------------------------- */
static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int col_db_check(sqlite3 *db, const char *path, nt_err *e)
{
    int app = 0, ver = 0;
    if (pragma_int(db, "PRAGMA application_id", &app) ||
        pragma_int(db, "PRAGMA user_version", &ver))
        return nt_err_set(e, "%s: cannot read the database: %s", path, sqlite3_errmsg(db));
    if (app != COL_APPLICATION_ID)
        return nt_err_set(e, "%s: not an ntrace database (application_id 0x%x, ntrace writes "
                          "0x%x)", path, (unsigned)app, COL_APPLICATION_ID);
    if (ver < COL_SCHEMA_VERSION)
        return nt_err_set(e, "%s: written by an older ntrace (schema version %d); this ntrace "
                          "reads version %d: profile the program again", path, ver,
                          COL_SCHEMA_VERSION);
    if (ver > COL_SCHEMA_VERSION)
        return nt_err_set(e, "%s: written by a newer ntrace (schema version %d); this ntrace "
                          "reads up to version %d: use that ntrace to read it", path, ver,
                          COL_SCHEMA_VERSION);
    return 0;
}

int col_db_open(const char *path, sqlite3 **db, nt_err *e)
{
    *db = NULL;
    int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL);
    if (rc != SQLITE_OK) {
        nt_err_set(e, "%s: cannot open: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    if (col_db_check(*db, path, e)) {
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    return 0;
}
