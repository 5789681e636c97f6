/* db.c — open an ntrace database read-only and load its metadata. */
#include "report/report_int.h"
#include "report/schema.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

sqlite3_stmt *rep_prepare(rep_db *db, const char *sql, nt_err *e)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
        nt_err_set(e, "%s: %s", db->path, sqlite3_errmsg(db->db));
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

sqlite3_stmt *rep_prepare_kept(rep_db *db, const char *sql, nt_err *e)
{
    size_t n = strlen(sql);
    uint64_t v;
    if (nt_map_get(&db->kept, sql, n, &v)) {
        sqlite3_stmt *st = (sqlite3_stmt *)(uintptr_t)v;
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    sqlite3_stmt *st = rep_prepare(db, sql, e);
    if (st) nt_map_put(&db->kept, nt_arena_strndup(&db->a, sql, n), n, (uint64_t)(uintptr_t)st);
    return st;
}

int rep_step(rep_db *db, sqlite3_stmt *st, nt_err *e)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) return rc;
    nt_err_set(e, "%s: %s", db->path, sqlite3_errmsg(db->db));
    return -1;
}

bool rep_has_table(rep_db *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;
    if (sqlite3_prepare_v2(db->db,
            "SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?1",
            -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        yes = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return yes;
}

const char *rep_col_text(rep_db *db, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return nt_arena_strdup(&db->a, t ? (const char *)t : "");
}

rep_launch *rep_launch_by_id(rep_db *db, int64_t id)
{
    uint64_t i;
    return nt_imap_get(&db->launch_ix, (uint64_t)id, &i) ? &db->launches.v[i] : NULL;
}

rep_kernel *rep_kernel_by_id(rep_db *db, int64_t id)
{
    uint64_t i;
    return nt_imap_get(&db->kernel_ix, (uint64_t)id, &i) ? &db->kernels.v[i] : NULL;
}

rep_kernel *rep_kernel_next_same_id(rep_db *db, const rep_kernel *k)
{
    size_t j = db->kernel_next[k - db->kernels.v];
    return j == SIZE_MAX ? NULL : &db->kernels.v[j];
}

rep_kernel *rep_kernel_by_name(rep_db *db, const char *mangled)
{
    uint64_t i;
    return nt_map_get(&db->kernel_names, mangled, strlen(mangled), &i) ? &db->kernels.v[i] : NULL;
}

/* The lookups above, built once both vectors stopped growing.  Walking
 * backwards, each kernel's successor is the index the map held for its id
 * (or name) before it took its place: the maps keep the first row, the
 * chain the others in row order (only a file with negative kernel ids can
 * share an id with a kernel made for a launch; see load_kernels_launches). */
static void index_rows(rep_db *db)
{
    db->kernel_next = nt_xmalloc((db->kernels.n + 1) * sizeof *db->kernel_next);
    for (size_t i = db->kernels.n; i-- > 0;) {
        rep_kernel *k = &db->kernels.v[i];
        uint64_t j;
        db->kernel_next[i] = nt_imap_get(&db->kernel_ix, (uint64_t)k->id, &j) ? (size_t)j : SIZE_MAX;
        nt_imap_put(&db->kernel_ix, (uint64_t)k->id, i);
        nt_map_put(&db->kernel_names, k->name, strlen(k->name), i);
    }
    for (size_t i = db->launches.n; i-- > 0;)
        nt_imap_put(&db->launch_ix, (uint64_t)db->launches.v[i].id, i);
}

void rep_streams_load(rep_db *db, rep_streams *s)
{
    *s = (rep_streams){0};
    for (size_t i = 0; i < db->launches.n; i++) {
        const rep_launch *l = &db->launches.v[i];
        if (!l->selected || !l->start_ns || nt_imap_get(&s->ix, (uint64_t)l->stream_id, NULL))
            continue;
        nt_imap_put(&s->ix, (uint64_t)l->stream_id, s->ids.n);
        nt_vec_push(&s->ids, l->stream_id);
    }
}

bool rep_stream_ix(const rep_streams *s, int64_t sid, size_t *ix)
{
    uint64_t v;
    if (!nt_imap_get(&s->ix, (uint64_t)sid, &v)) return false;
    if (ix) *ix = (size_t)v;
    return true;
}

void rep_streams_free(rep_streams *s)
{
    nt_vec_free(&s->ids);
    nt_imap_free(&s->ix);
}

rep_map *rep_map_find(rep_db *db, const char *probe, const char *map)
{
    for (size_t i = 0; i < db->maps.n; i++) {
        rep_map *m = &db->maps.v[i];
        if (!strcmp(m->probe, probe) && (!map || !strcmp(m->name, map))) return m;
    }
    return NULL;
}

int rep_map_col(const rep_map *m, const char *name)
{
    for (int i = 0; i < m->ncols; i++)
        if (!strcmp(m->cols[i].name, name)) return i;
    return -1;
}

const char *rep_launch_kname(const rep_launch *l)
{
    return l->k ? l->k->demangled : l->kname;
}

double rep_clock_khz(const rep_launch *l)
{
    return l->dev && l->dev->clock_khz > 0 ? (double)l->dev->clock_khz : 1e6;
}

/* An SQL identifier in double quotes, quotes doubled: map tables are named
 * by data in the file, so they are never pasted in raw. */
static const char *quote_ident(nt_arena *a, const char *s)
{
    size_t n = strlen(s), k = 0;
    char *q = nt_arena_alloc(a, 2 * n + 3);
    q[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') q[k++] = '"';
        q[k++] = s[i];
    }
    q[k++] = '"';
    q[k] = 0;
    return q;
}

static int load_run_devices(rep_db *db, nt_err *e)
{
    sqlite3_stmt *st = rep_prepare(db, SCH_Q_RUN, e);
    if (!st) return -1;
    int rc = rep_step(db, st, e);
    if (rc == SQLITE_ROW) {
        db->run.present = true;
        db->run.command = rep_col_text(db, st, 0);
        db->run.host = rep_col_text(db, st, 1);
        db->run.pid = sqlite3_column_int64(st, 2);
        db->run.start_ns = rep_ns(sqlite3_column_int64(st, 3));
        db->run.end_ns = rep_ns(sqlite3_column_int64(st, 4));   /* 0 when the run did not end */
        db->run.version = rep_col_text(db, st, 5);
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;

    if (!(st = rep_prepare(db, SCH_Q_DEVICES, e))) return -1;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        rep_device d = {
            .id = sqlite3_column_int64(st, 0), .name = rep_col_text(db, st, 1),
            .sm_count = sqlite3_column_int64(st, 2),
            .clock_khz = sqlite3_column_int64(st, 3) / 1000,    /* stored in Hz */
            .total_memory = sqlite3_column_int64(st, 4),
            .cc_major = sqlite3_column_int64(st, 5), .cc_minor = sqlite3_column_int64(st, 6),
        };
        nt_vec_push(&db->devs, d);
    }
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* Sets every kernel's canon (see rep_kernel): the key is the module's
 * content hash and the mangled name.  Canonical kernels whose display
 * names clash (one name, several modules) get the module's hash appended. */
static void same_kernels(rep_db *db)
{
    nt_map seen = {0}, names = {0};
    for (size_t i = 0; i < db->kernels.n; i++) {
        rep_kernel *k = &db->kernels.v[i];
        char *key = nt_arena_alloc(&db->a, strlen(k->name) + 20);
        int n = sprintf(key, "%c%016llx:%s", k->has_module ? 'm' : '-',
                        (unsigned long long)k->module_hash, k->name);
        uint64_t c;
        if (nt_map_get(&seen, key, (size_t)n, &c)) {
            k->canon = &db->kernels.v[c];
            k->selected = false;
            if (k->instrumentable && !k->canon->instrumentable) {
                k->canon->instrumentable = 1;
                k->canon->reason = k->reason;
            }
            continue;
        }
        nt_map_put(&seen, key, (size_t)n, i);
        k->canon = k;
        uint64_t other;
        if (!nt_map_get(&names, k->demangled, strlen(k->demangled), &other))
            nt_map_put(&names, k->demangled, strlen(k->demangled), i + 1);
        else if (other)      /* a second module: both names say which */
            nt_map_put(&names, k->demangled, strlen(k->demangled), 0);
    }
    for (size_t i = 0; i < db->kernels.n; i++) {
        rep_kernel *k = &db->kernels.v[i];
        uint64_t v;
        if (k->canon == k && k->has_module &&
            nt_map_get(&names, k->demangled, strlen(k->demangled), &v) && v == 0) {
            char *nm = nt_arena_alloc(&db->a, strlen(k->demangled) + 32);
            sprintf(nm, "%s [module %08llx]", k->demangled,
                    (unsigned long long)(k->module_hash >> 32));
            k->demangled = nm;
        }
    }
    nt_map_free(&seen);
    nt_map_free(&names);
}

static int load_kernels_launches(rep_db *db, nt_err *e)
{
    sqlite3_stmt *st = rep_prepare(db, SCH_Q_KERNELS, e);
    if (!st) return -1;
    int rc;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        rep_kernel k = {
            .id = sqlite3_column_int64(st, 0), .name = rep_col_text(db, st, 1),
            .demangled = rep_col_text(db, st, 2),
            .instrumentable = sqlite3_column_int(st, 3), .reason = rep_col_text(db, st, 4),
            .module_hash = (uint64_t)sqlite3_column_int64(st, 5),
            .has_module = sqlite3_column_type(st, 5) != SQLITE_NULL, .selected = true,
        };
        nt_vec_push(&db->kernels, k);
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;

    if (!(st = rep_prepare(db, SCH_Q_LAUNCHES, e))) return -1;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        rep_launch l = {
            .id = sqlite3_column_int64(st, 0), .kernel_id = sqlite3_column_int64(st, 1),
            .device_id = sqlite3_column_int64(st, 2), .stream_id = sqlite3_column_int64(st, 3),
            .start_ns = rep_ns(sqlite3_column_int64(st, 4)),
            .end_ns = rep_ns(sqlite3_column_int64(st, 5)),
            .instrumented = sqlite3_column_int(st, 12), .reason = rep_col_text(db, st, 13),
            .kname = rep_col_text(db, st, 14), .saved = sqlite3_column_int64(st, 15),
            .dropped = sqlite3_column_int64(st, 16), .selected = true,
        };
        for (int i = 0; i < 3; i++) {
            l.grid[i] = (uint32_t)sqlite3_column_int64(st, 6 + i);
            l.block[i] = (uint32_t)sqlite3_column_int64(st, 9 + i);
        }
        if (l.end_ns < l.start_ns) l.end_ns = l.start_ns;   /* never negative spans */
        if (!*l.reason) l.reason = "no probe status recorded";
        nt_vec_push(&db->launches, l);
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;
    /* A launch the injector did not see (no kernel row) gets a kernel of
     * its own name, so that it still counts in the kernel table: the first
     * kernel with an id <= 0 and that display name, else a new one.  Both
     * lookups are hashed (a run can have 100 k kernels and 1 M launches). */
    nt_imap ids = {0};
    nt_map made = {0};      /* display name -> first kernel with an id <= 0 */
    for (size_t k = 0; k < db->kernels.n; k++) {
        rep_kernel *kk = &db->kernels.v[k];
        nt_imap_put(&ids, (uint64_t)kk->id, k);
        if (kk->id <= 0 && !nt_map_get(&made, kk->demangled, strlen(kk->demangled), NULL))
            nt_map_put(&made, kk->demangled, strlen(kk->demangled), k);
    }
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        if (l->kernel_id > 0 && nt_imap_get(&ids, (uint64_t)l->kernel_id, NULL)) continue;
        uint64_t k;
        if (!nt_map_get(&made, l->kname, strlen(l->kname), &k)) {
            k = db->kernels.n;
            rep_kernel nk = {
                .id = -(int64_t)k - 1, .name = l->kname, .demangled = l->kname,
                .reason = "not seen by the injector (activity record only)", .selected = true,
            };
            nt_vec_push(&db->kernels, nk);
            nt_map_put(&made, l->kname, strlen(l->kname), k);
        }
        l->kernel_id = db->kernels.v[k].id;
    }
    nt_imap_free(&ids);
    nt_map_free(&made);
    /* Pointers are taken once both vectors stopped growing. */
    same_kernels(db);
    index_rows(db);
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        rep_kernel *k = rep_kernel_by_id(db, l->kernel_id), *next;
        while (k && (next = rep_kernel_next_same_id(db, k))) k = next;   /* the last row */
        if (k) l->k = k->canon;
        for (size_t d = 0; d < db->devs.n; d++)   /* a few devices: a scan */
            if (db->devs.v[d].id == l->device_id) { l->dev = &db->devs.v[d]; break; }
    }
    return 0;
}

static enum rep_coltype col_kind(const char *type)
{
    if (type[0] == 'f') return REP_COL_FLOAT;
    if (type[0] == 's' || type[0] == 'i') return REP_COL_INT;
    return REP_COL_UINT;
}

static int load_maps(rep_db *db, nt_err *e)
{
    sqlite3_stmt *st = rep_prepare(db, SCH_Q_MAPS, e);
    if (!st) return -1;
    int rc;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        rep_map m = {
            .id = sqlite3_column_int64(st, 0), .probe = rep_col_text(db, st, 1),
            .name = rep_col_text(db, st, 2), .table = rep_col_text(db, st, 3),
            .level = rep_col_text(db, st, 4), .cap = sqlite3_column_int64(st, 5),
        };
        m.qtable = quote_ident(&db->a, m.table);
        m.warp_expr = strcmp(m.level, SCH_LEVEL_BLOCK) ? SCH_MAP_WARP : "0";
        nt_vec_push(&db->maps, m);
    }
    sqlite3_finalize(st);
    if (rc < 0) return -1;
    for (size_t i = 0; i < db->maps.n; i++) {
        rep_map *m = &db->maps.v[i];
        if (!rep_has_table(db, m->table))
            return nt_err_set(e, "%s: map %s.%s names table '%s', which does not exist",
                              db->path, m->probe, m->name, m->table);
        if (!(st = rep_prepare(db, SCH_Q_MAP_INDEXED, e))) return -1;
        sqlite3_bind_text(st, 1, m->table, -1, SQLITE_STATIC);
        m->indexed = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        if (!(st = rep_prepare(db, SCH_Q_MAP_COLUMNS, e))) return -1;
        sqlite3_bind_int64(st, 1, m->id);
        NT_VEC(rep_col) cols = {0};
        while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
            rep_col c = {.name = rep_col_text(db, st, 0), .type = rep_col_text(db, st, 1)};
            c.kind = col_kind(c.type);
            nt_vec_push(&cols, c);
        }
        sqlite3_finalize(st);
        m->ncols = (int)cols.n;
        m->cols = nt_arena_alloc(&db->a, cols.n * sizeof(rep_col) + 1);
        if (cols.n) memcpy(m->cols, cols.v, cols.n * sizeof(rep_col));
        nt_vec_free(&cols);
        if (rc < 0) return -1;
    }
    return 0;
}

static int pragma_int(rep_db *db, const char *sql, int64_t *v, nt_err *e)
{
    sqlite3_stmt *st = rep_prepare(db, sql, e);
    if (!st) return -1;
    int rc = rep_step(db, st, e);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

static int check_version(rep_db *db, nt_err *e)
{
    int64_t app, v;
    if (pragma_int(db, "PRAGMA application_id", &app, e) ||
        pragma_int(db, "PRAGMA user_version", &v, e))
        return -1;
    if (app != SCH_APPLICATION_ID)
        return nt_err_set(e, "%s: not an ntrace database (application_id 0x%llx, ntrace writes "
                          "0x%x)", db->path, (unsigned long long)app, SCH_APPLICATION_ID);
    if (v > SCH_VERSION)
        return nt_err_set(e, "%s: written by a newer ntrace (schema version %lld); this ntrace "
                          "reads up to version %d: use a newer ntrace", db->path, (long long)v,
                          SCH_VERSION);
    if (v < SCH_VERSION)
        return nt_err_set(e, "%s: schema version %lld is older than this ntrace reads (%d): "
                          "profile the program again", db->path, (long long)v, SCH_VERSION);
    return 0;
}

rep_db *rep_open(const char *path, nt_err *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        nt_err_set(e, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(sb.st_mode)) {
        nt_err_set(e, "%s: not a regular file", path);
        return NULL;
    }
    rep_db *db = nt_xcalloc(1, sizeof *db);
    nt_arena_init(&db->a, 0);
    db->path = nt_arena_strdup(&db->a, path);
    if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        nt_err_set(e, "%s: %s", path, db->db ? sqlite3_errmsg(db->db) : "cannot open");
        rep_close(db);
        return NULL;
    }
    /* Reads are big sequential scans: map the file rather than copy it
     * page by page through SQLite's cache (ignored where mmap is off).
     * 256 MB bounds the mapped (clean, shared) pages counted in RSS. */
    sqlite3_exec(db->db, "PRAGMA mmap_size = 268435456", NULL, NULL, NULL);
    /* One read transaction for the whole report, ended by rep_close: every
     * statement reads the same snapshot, and SQLite takes its file lock
     * (fcntl) and checks the file (fstat) once, not once per statement (a
     * report of 100 k launches runs 3-4 statements per launch: those system
     * calls were ~15 % of its CPU time). */
    sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL);
    /* A file that is not SQLite fails at the first read. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL)
            != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        nt_err_set(e, "%s: not an ntrace database (%s)", path, sqlite3_errmsg(db->db));
        sqlite3_finalize(st);
        rep_close(db);
        return NULL;
    }
    sqlite3_finalize(st);
    if (check_version(db, e) || load_run_devices(db, e) || load_kernels_launches(db, e) ||
        load_maps(db, e)) {
        rep_close(db);
        return NULL;
    }
    db->has_memcpys = rep_has_table(db, SCH_T_MEMCPYS);
    db->has_pc = rep_has_table(db, SCH_T_PC_SAMPLES);
    return db;
}

void rep_close(rep_db *db)
{
    if (!db) return;
    for (size_t i = 0; i < db->kept.cap; i++)
        if (db->kept.slots[i].key) sqlite3_finalize((sqlite3_stmt *)(uintptr_t)db->kept.slots[i].val);
    nt_map_free(&db->kept);
    sqlite3_close(db->db);
    nt_vec_free(&db->devs);
    nt_vec_free(&db->kernels);
    nt_vec_free(&db->launches);
    nt_vec_free(&db->maps);
    nt_vec_free(&db->rids);
    nt_vec_free(&db->rnames);
    free(db->kw);
    nt_imap_free(&db->kernel_ix);
    nt_imap_free(&db->launch_ix);
    nt_map_free(&db->kernel_names);
    free(db->kernel_next);
    nt_arena_free(&db->a);
    free(db);
}

int rep_select(rep_db *db, const rep_opts *o, nt_err *e)
{
    regex_t re;
    if (o->kernel_re) {
        int rc = regcomp(&re, o->kernel_re, REG_EXTENDED | REG_NOSUB);
        if (rc) {
            char msg[128];
            regerror(rc, &re, msg, sizeof msg);
            return nt_err_set(e, "--kernel '%s': %s", o->kernel_re, msg);
        }
    }
    size_t nk = 0, nl = 0;
    db->progress = o->progress;
    db->progress_ctx = o->progress_ctx;
    free(db->kw);              /* the wait cache belongs to the old selection */
    db->kw = NULL;
    db->nkw = 0;
    db->kw_done = false;
    for (size_t i = 0; i < db->kernels.n; i++) {
        rep_kernel *k = &db->kernels.v[i];
        k->selected = k->canon == k && (!o->kernel_re || !regexec(&re, k->demangled, 0, NULL, 0) ||
                      !regexec(&re, k->name, 0, NULL, 0));
        nk += k->selected;
    }
    if (o->kernel_re) regfree(&re);
    if (o->kernel_re && !nk)
        return nt_err_set(e, "--kernel '%s' matches none of the %zu kernels in %s",
                          o->kernel_re, db->kernels.n, db->path);
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        l->selected = (!o->kernel_re || (l->k && l->k->selected)) &&
                      (o->launch_id < 0 || l->id == o->launch_id);
        nl += l->selected;
    }
    if (o->launch_id >= 0 && !nl)
        return nt_err_set(e, "--launch %lld: no such launch%s in %s", (long long)o->launch_id,
                          o->kernel_re ? " of the selected kernels" : "", db->path);
    if (o->launch_id >= 0) {  /* the kernel table shows just that launch's kernel */
        for (size_t i = 0; i < db->kernels.n; i++) db->kernels.v[i].selected = false;
        for (size_t j = 0; j < db->launches.n; j++)
            if (db->launches.v[j].selected && db->launches.v[j].k) db->launches.v[j].k->selected = true;
    }
    return 0;
}
