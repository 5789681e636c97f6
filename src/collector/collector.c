/* collector.c — the public API: open, producers (copy and enqueue), flush,
 * totals, close. */
#include "collector/collector_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- items ----------------------------------------------------------------- */
/* An item with room for `extra` bytes after it; strings are packed there. */
static col_item *item_new(enum col_kind kind, size_t extra)
{
    col_item *it = nt_xcalloc(1, sizeof *it + extra);
    it->kind = kind;
    it->bytes = sizeof *it + extra;
    return it;
}

static size_t slen(const char *s) { return s ? strlen(s) + 1 : 0; }

/* Copies s to *cur (the item's tail) and returns the copy; NULL stays NULL. */
static const char *pack(char **cur, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*cur, s, n);
    *cur += n;
    return d;
}

#define TAIL(it) ((char *)((it) + 1))

/* Gives the item the next id of *counter, queues it, returns the id. */
static int64_t enqueue_new_row(col *c, col_item *it, atomic_llong *counter)
{
    int64_t id = it->id = atomic_fetch_add(counter, 1);
    col_enqueue(c, it);
    return id;
}

/* ---- open ------------------------------------------------------------------ */
/* Removes the database and its side files (all of them, or with
 * side_only those of a file this process just claimed: a stale WAL there
 * would be replayed into the new database). */
static void unlink_db(const char *path, bool side_only)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = side_only ? 1 : 0; i < NT_ARRAY_LEN(sfx); i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

static void open_db(col *c, const col_config *cfg)
{
    nt_err e = {0};
    int rc = sqlite3_open_v2(c->path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) col_sql_err(c, rc, "creating it", &e);
    else if (col_schema_create(c, &e) == 0) col_schema_prepare(c, &e);
    if (!e.set) return;
    for (int i = 0; i < ST_NSTMT; i++) sqlite3_finalize(c->st[i]), c->st[i] = NULL;
    sqlite3_close(c->db);
    c->db = NULL;
    c->failed = true;
    snprintf(c->tot.db_error, sizeof c->tot.db_error, "%s", e.msg);
    nt_error("collector: %s; the run goes on, everything it records is counted as lost",
             e.msg);
}

/* The one naming rule of per-process files: the pid (and a counter) go
 * before a ".db" extension, or at the end of a name without one. */
static char *process_name(const char *path, const char *middle)
{
    size_t len = strlen(path);
    bool ext = len > 3 && !strcmp(path + len - 3, ".db");
    nt_sb b = {0};
    nt_sb_put(&b, path, ext ? len - 3 : len);
    nt_sb_puts(&b, middle);
    if (ext) nt_sb_puts(&b, ".db");
    return nt_sb_take(&b);
}

char *col_process_path(const char *path, int64_t pid, unsigned n)
{
    char mid[64];
    if (n > 1) snprintf(mid, sizeof mid, ".%lld.%u", (long long)pid, n);
    else snprintf(mid, sizeof mid, ".%lld", (long long)pid);
    return process_name(path, mid);
}

char *col_process_glob(const char *path)
{
    return process_name(path, ".[0-9]*");
}

/* Claims a file name atomically for this process (see per_process);
 * returns it (caller frees), or NULL with e. */
static char *claim_path(const char *path, int64_t pid, nt_err *e)
{
    for (unsigned n = 0; n < 1000; n++) {
        char *p = n == 0 ? nt_xstrdup(path) : col_process_path(path, pid, n);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            close(fd);          /* an empty file is a valid empty database */
            unlink_db(p, true);
            return p;
        }
        int err = errno;
        free(p);
        if (err != EEXIST) {
            /* Not a name clash: let col_open report the real problem. */
            return n == 0 ? nt_xstrdup(path) : col_process_path(path, pid, n);
        }
    }
    nt_err_set(e, "%s: no free per-process file name next to it", path);
    return NULL;
}

const char *col_path(const col *c)
{
    return c->path;
}

col *col_open(const char *path, const col_config *cfg_in, nt_err *e)
{
    if (!path || !*path) return nt_err_set(e, "collector: no database path given"), NULL;
    col_config cfg = cfg_in ? *cfg_in : (col_config){0};
    if (!cfg.pid) cfg.pid = getpid();
    char *claimed = NULL;
    if (cfg.per_process) {
        if (!(claimed = claim_path(path, cfg.pid, e))) return NULL;
        path = claimed;
        cfg.overwrite = false;
    } else if (!cfg.overwrite && access(path, F_OK) == 0)
        return nt_err_set(e, "%s: the database exists; remove it or ask to overwrite it", path),
               NULL;
    if (cfg.overwrite) unlink_db(path, false);
    char host[256] = "";
    if (!cfg.host) {
        gethostname(host, sizeof host - 1);
        cfg.host = host;
    }
    if (!cfg.start_ns) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        cfg.start_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    if (!cfg.queue_items) cfg.queue_items = 65536;
    if (!cfg.queue_bytes) cfg.queue_bytes = (size_t)512 << 20;
    if (!cfg.batch_rows) cfg.batch_rows = 100000;

    col *c = nt_xcalloc(1, sizeof *c);
    c->path = claimed ? claimed : nt_xstrdup(path);
    c->cfg = cfg;
    atomic_init(&c->next_module, 1);
    atomic_init(&c->next_kernel, 1);
    atomic_init(&c->next_probe, 1);
    atomic_init(&c->next_launch, 1);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->done, NULL);
    nt_arena_init(&c->arena, 0);
    open_db(c, &cfg);
    if (c->db) col_ckpt_start(c);
    /* Only numbers are kept: the strings were the caller's. */
    c->cfg.command_line = c->cfg.host = c->cfg.config = NULL;
    c->pub = c->tot;
    if (pthread_create(&c->thread, NULL, col_writer_main, c) != 0) {
        nt_err_set(e, "collector: cannot start the writer thread: %s", strerror(errno));
        col_close(c, NULL, NULL);
        return NULL;
    }
    c->thread_started = true;
    return c;
}

/* ---- registration ------------------------------------------------------------ */
void col_device(col *c, const col_device_info *d)
{
    col_item *it = item_new(COL_DEVICE, slen(d->name) + slen(d->bus_location) + slen(d->uuid));
    char *cur = TAIL(it);
    it->u.dev = *d;
    it->u.dev.name = pack(&cur, d->name);
    it->u.dev.bus_location = pack(&cur, d->bus_location);
    it->u.dev.uuid = pack(&cur, d->uuid);
    col_enqueue(c, it);
}

int64_t col_module(col *c, const col_module_info *m)
{
    col_item *it = item_new(COL_MODULE, slen(m->name));
    char *cur = TAIL(it);
    it->u.mod = *m;
    it->u.mod.name = pack(&cur, m->name);
    return enqueue_new_row(c, it, &c->next_module);
}

int64_t col_kernel(col *c, const col_kernel_info *k)
{
    col_item *it = item_new(COL_KERNEL, slen(k->mangled) + slen(k->demangled) + slen(k->reason));
    char *cur = TAIL(it);
    it->u.ker = *k;
    it->u.ker.mangled = pack(&cur, k->mangled);
    it->u.ker.demangled = pack(&cur, k->demangled);
    it->u.ker.reason = pack(&cur, k->reason);
    return enqueue_new_row(c, it, &c->next_kernel);
}

void col_probe_rec_free(col_probe_rec *p)
{
    if (!p) return;
    for (unsigned m = 0; m < p->nmaps; m++) {
        col_pmap *pm = &p->maps[m];
        for (unsigned f = 0; f < pm->nfields; f++) free(pm->fnames[f]);
        free(pm->fnames);
        free(pm->ftypes);
        free(pm->foffs);
        free(pm->name);
        free(pm->table);
        sqlite3_finalize(pm->ins);
        sqlite3_finalize(pm->ins_n);
    }
    free(p->name);
    free(p->path);
    free(p->source);
    free(p);
}

static const char *const added_columns[] = {"launchId", "blockId", "warpId", "threadId", "seq"};

static int check_map_def(const col_map_def *md, unsigned m, nt_err *e)
{
    if (!col_ident_ok(md->name))
        return nt_err_set(e, "map %u: name '%s' is not an identifier of at most 48 characters",
                          m, md->name ? md->name : "(null)");
    if (md->level > BUF_BLOCK)
        return nt_err_set(e, "map '%s': unknown level %u", md->name, md->level);
    if (md->cap == 0) return nt_err_set(e, "map '%s': cap is 0", md->name);
    if (md->nfields == 0 || md->nfields > BUF_MAX_FIELDS)
        return nt_err_set(e, "map '%s': %u fields, 1 to %u are allowed", md->name, md->nfields,
                          BUF_MAX_FIELDS);
    for (unsigned f = 0; f < md->nfields; f++) {
        const char *n = md->fields[f].name;
        if (!col_ident_ok(n))
            return nt_err_set(e, "map '%s' field %u: name '%s' is not an identifier of at most "
                              "48 characters", md->name, f, n ? n : "(null)");
        if (md->fields[f].type >= BUF_NFTYPES)
            return nt_err_set(e, "map '%s' field '%s': unknown type %u", md->name, n,
                              md->fields[f].type);
        for (size_t k = 0; k < NT_ARRAY_LEN(added_columns); k++)
            if (!strcasecmp(n, added_columns[k]))
                return nt_err_set(e, "map '%s' field '%s': the name is taken by the column "
                                  "'%s' that ntrace adds", md->name, n, added_columns[k]);
        for (unsigned g = 0; g < f; g++)
            if (!strcasecmp(n, md->fields[g].name))
                return nt_err_set(e, "map '%s': fields %u and %u are both named '%s'",
                                  md->name, g, f, n);
    }
    return 0;
}

int64_t col_probe(col *c, const col_probe_def *d, nt_err *e)
{
    if (!col_ident_ok(d->name))
        return nt_err_set(e, "probe name '%s' is not an identifier of at most 48 characters",
                          d->name ? d->name : "(null)");
    if (d->nmaps == 0 || d->nmaps > BUF_MAX_MAPS)
        return nt_err_set(e, "probe '%s': %u maps, 1 to %u are allowed", d->name, d->nmaps,
                          BUF_MAX_MAPS);
    for (unsigned m = 0; m < d->nmaps; m++) {
        if (check_map_def(&d->maps[m], m, e)) {
            nt_err_prefix(e, "probe '%s': ", d->name);
            return -1;
        }
        for (unsigned k = 0; k < m; k++)
            if (!strcasecmp(d->maps[k].name, d->maps[m].name))
                return nt_err_set(e, "probe '%s': maps %u and %u are both named '%s'", d->name,
                                  k, m, d->maps[m].name);
    }
    col_probe_rec *p = nt_xcalloc(1, sizeof *p);
    p->name = nt_xstrdup(d->name);
    p->path = d->path ? nt_xstrdup(d->path) : NULL;
    p->source = d->source ? nt_xstrdup(d->source) : NULL;
    p->nmaps = d->nmaps;
    for (unsigned m = 0; m < d->nmaps; m++) {
        const col_map_def *md = &d->maps[m];
        col_pmap *pm = &p->maps[m];
        pm->name = nt_xstrdup(md->name);
        pm->level = md->level;
        pm->cap = md->cap;
        pm->nfields = md->nfields;
        pm->fnames = nt_xcalloc(md->nfields, sizeof *pm->fnames);
        pm->ftypes = nt_xcalloc(md->nfields, 1);
        pm->foffs = nt_xcalloc(md->nfields, sizeof *pm->foffs);
        for (unsigned f = 0; f < md->nfields; f++) {
            pm->fnames[f] = nt_xstrdup(md->fields[f].name);
            pm->ftypes[f] = md->fields[f].type;
        }
        buf_record_layout(pm->ftypes, pm->nfields, pm->foffs, &pm->record_size, NULL);
    }
    p->id = atomic_fetch_add(&c->next_probe, 1);
    col_item *it = item_new(COL_PROBE, 0);
    it->u.probe = p;
    it->id = p->id;
    col_enqueue(c, it);
    return p->id;
}

int64_t col_launch(col *c, const col_launch_info *l)
{
    col_item *it = item_new(COL_LAUNCH, slen(l->not_probed));
    char *cur = TAIL(it);
    it->u.launch = *l;
    it->u.launch.not_probed = pack(&cur, l->not_probed);
    return enqueue_new_row(c, it, &c->next_launch);
}

static void text_item(col *c, enum col_kind kind, int64_t id, uint32_t index, const char *s)
{
    col_item *it = item_new(kind, slen(s));
    char *cur = TAIL(it);
    it->u.text = pack(&cur, s);
    it->id = id;
    it->index = index;
    col_enqueue(c, it);
}

void col_launch_unprobed(col *c, int64_t launch_id, const char *reason)
{
    text_item(c, COL_UNPROBED, launch_id, 0, reason ? reason : "no reason given");
}

void col_stall_reason(col *c, uint32_t index, const char *name)
{
    text_item(c, COL_STALL, 0, index, name ? name : "");
}

void col_note_string(col *c, const char *s)
{
    if (s && *s) text_item(c, COL_STRING, 0, 0, s);
}

/* ---- bulk ------------------------------------------------------------------ */
int col_submit_buffer(col *c, int64_t launch_id, const void *data, size_t size,
                      col_release_fn release, void *ctx)
{
    col_item *it = item_new(COL_BUFFER, release ? 0 : size);
    it->id = launch_id;
    it->bytes = size;
    it->u.buf.size = size;
    if (release) {
        it->u.buf.data = data;
        it->u.buf.release = release;
        it->u.buf.ctx = ctx;
    } else {
        it->u.buf.data = memcpy(TAIL(it), data, size);
    }
    return col_enqueue(c, it) ? 0 : -1;
}

int col_kernel_done(col *c, const col_kernel_activity *k)
{
    col_item *it = item_new(COL_KACT, slen(k->name));
    char *cur = TAIL(it);
    it->u.kact = *k;
    it->u.kact.name = pack(&cur, k->name);
    return col_enqueue(c, it) ? 0 : -1;
}

int col_memcpy(col *c, const col_memcpy_activity *m)
{
    col_item *it = item_new(COL_MEMCPY, 0);
    it->u.mcpy = *m;
    return col_enqueue(c, it) ? 0 : -1;
}

int col_memset(col *c, const col_memset_activity *m)
{
    col_item *it = item_new(COL_MEMSET, 0);
    it->u.mset = *m;
    return col_enqueue(c, it) ? 0 : -1;
}

int col_pc_samples(col *c, const col_pc_sample *s, size_t n)
{
    size_t extra = n * sizeof *s;
    for (size_t i = 0; i < n; i++) extra += slen(s[i].function);
    col_item *it = item_new(COL_PCS, extra);
    col_pc_sample *copy = (col_pc_sample *)TAIL(it);
    char *cur = (char *)(copy + n);
    for (size_t i = 0; i < n; i++) {
        copy[i] = s[i];
        copy[i].function = pack(&cur, s[i].function);
    }
    it->u.pcs.s = copy;
    it->u.pcs.n = n;
    return col_enqueue(c, it) ? 0 : -1;
}

int col_pc_lines(col *c, const col_pc_line *l, size_t n)
{
    size_t extra = n * sizeof *l;
    for (size_t i = 0; i < n; i++) extra += slen(l[i].function) + slen(l[i].file);
    col_item *it = item_new(COL_PCLINES, extra);
    col_pc_line *copy = (col_pc_line *)TAIL(it);
    char *cur = (char *)(copy + n);
    for (size_t i = 0; i < n; i++) {
        copy[i] = l[i];
        copy[i].function = pack(&cur, l[i].function);
        copy[i].file = pack(&cur, l[i].file);
    }
    it->u.pcl.l = copy;
    it->u.pcl.n = n;
    return col_enqueue(c, it) ? 0 : -1;
}

/* ---- totals, flush, close ----------------------------------------------------- */
static void add_queue_drops(col *c, col_totals *t)
{
    t->queue_dropped = 0;
    for (int k = 0; k < COL_NKINDS; k++) t->queue_dropped += c->qdrop[k];
    t->queue_dropped_buffers = c->qdrop[COL_BUFFER];
    t->queue_dropped_bytes = c->qdrop_bytes;
}

void col_stats(col *c, col_totals *t)
{
    pthread_mutex_lock(&c->mu);
    *t = c->pub;
    add_queue_drops(c, t);
    pthread_mutex_unlock(&c->mu);
}

void col_flush(col *c)
{
    pthread_mutex_lock(&c->mu);
    uint64_t target = c->enq_seq;
    if (target > c->flush_target) c->flush_target = target;
    pthread_cond_signal(&c->wake);
    while (c->done_seq < target) pthread_cond_wait(&c->done, &c->mu);
    pthread_mutex_unlock(&c->mu);
}

void col_totals_format(const col_totals *t, nt_sb *o)
{
    nt_sb_printf(o, "%llu launches, %llu probe buffers", (unsigned long long)t->launches,
                 (unsigned long long)t->buffers);
    if (t->buffers_rejected)
        nt_sb_printf(o, " (%llu rejected)", (unsigned long long)t->buffers_rejected);
    nt_sb_printf(o, ", %llu records saved, %llu dropped on the device (cap)",
                 (unsigned long long)t->records_saved, (unsigned long long)t->records_dropped);
    bool lost = false;
    if (t->queue_dropped) {
        nt_sb_printf(o, "; queue full: dropped %llu items (%llu probe buffers, %llu bytes)",
                     (unsigned long long)t->queue_dropped,
                     (unsigned long long)t->queue_dropped_buffers,
                     (unsigned long long)t->queue_dropped_bytes);
        lost = true;
    }
    if (t->db_error[0]) {
        nt_sb_printf(o, "; %s: lost %llu probe records and %llu other rows", t->db_error,
                     (unsigned long long)t->records_lost, (unsigned long long)t->rows_lost);
        lost = true;
    }
    if (!lost) nt_sb_puts(o, "; nothing lost");
}

/* The end of the run in the database: statuses of dropped buffers, the
 * totals in the run row, then the indexes. */
static int finish_db(col *c, const col_totals *t, nt_err *e)
{
    if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return col_sql_err(c, SQLITE_ERROR, "finishing the run", e);
    sqlite3_stmt *st = c->st[ST_UNPROBED];
    for (size_t i = 0; i < c->qdrop_launches.n; i++) {
        sqlite3_bind_int64(st, 1, c->qdrop_launches.v[i]);
        sqlite3_bind_text(st, 2, "buffer dropped: collector queue full", -1, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    const char *sql = "UPDATE NTRACE_RUN SET endTime = ?1, launches = ?2, buffers = ?3,"
                      " buffersRejected = ?4, recordsSaved = ?5, recordsDropped = ?6,"
                      " queueDropped = ?7, queueDroppedBuffers = ?8, recordsLost = ?9,"
                      " rowsLost = ?10, dbError = ?11 WHERE id = 1";
    sqlite3_stmt *u;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &u, NULL);
    if (rc == SQLITE_OK) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        sqlite3_bind_int64(u, 1, (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
        const uint64_t v[] = {t->launches, t->buffers, t->buffers_rejected, t->records_saved,
                              t->records_dropped, t->queue_dropped, t->queue_dropped_buffers,
                              t->records_lost, t->rows_lost};
        for (int i = 0; i < (int)NT_ARRAY_LEN(v); i++) sqlite3_bind_int64(u, 2 + i, (int64_t)v[i]);
        if (t->db_error[0]) sqlite3_bind_text(u, 11, t->db_error, -1, SQLITE_STATIC);
        rc = sqlite3_step(u);
        sqlite3_finalize(u);
    }
    /* The error is read before the ROLLBACK: after a failed COMMIT SQLite
     * has already rolled back, and the ROLLBACK's own "cannot rollback - no
     * transaction is active" would replace the real cause. */
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
        col_sql_err(c, rc, "writing the run's totals", e);
        sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        col_sql_err(c, rc, "committing the run's totals", e);
        if (!sqlite3_get_autocommit(c->db)) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    uint64_t t0 = nt_now_ns();
    if (col_schema_indexes(c, e)) return -1;
    /* Fold the WAL into the database: one file to hand over. */
    uint64_t t1 = nt_now_ns();
    int log = 0, done = 0;
    rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    if (rc != SQLITE_OK) return col_sql_err(c, rc, "checkpointing at the end", e);
    nt_debug("collector: end of run: indexes %.2f s, final checkpoint of %d WAL pages %.2f s",
             (t1 - t0) / 1e9, log, (nt_now_ns() - t1) / 1e9);
    return 0;
}

int col_close(col *c, col_totals *out, nt_err *e)
{
    if (!c) return 0;
    pthread_mutex_lock(&c->mu);
    c->closing = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    if (c->thread_started) pthread_join(c->thread, NULL);
    if (c->db) col_ckpt_stop(c);

    col_totals t = c->tot;
    add_queue_drops(c, &t);
    if (c->db) {
        nt_err fe = {0};
        /* After a failure mid-run the totals are still tried (dbError
         * tells readers the run is incomplete), but a second failure of the
         * same database is not news: the first was said, the summary
         * repeats it.  One line per cause. */
        if (finish_db(c, &t, &fe)) {
            if (!t.db_error[0]) {
                /* The data is committed; only the end-of-run steps failed. */
                nt_error("collector: %s", fe.msg);
                snprintf(t.db_error, sizeof t.db_error, "%s", fe.msg);
            } else {
                nt_debug("collector: %s", fe.msg);
            }
        }
        for (int i = 0; i < ST_NSTMT; i++) sqlite3_finalize(c->st[i]);
    }
    for (size_t i = 0; i < c->probes.n; i++) col_probe_rec_free(c->probes.v[i]);
    if (c->db) sqlite3_close(c->db);
    int rc = 0;
    if (t.queue_dropped || t.db_error[0] || t.records_lost || t.rows_lost) {
        nt_sb b = {0};
        col_totals_format(&t, &b);
        nt_err_set(e, "%s: %s", c->path, b.s);
        nt_sb_free(&b);
        rc = -1;
    }
    if (out) *out = t;
    nt_vec_free(&c->probes);
    col_pending_free(c);
    nt_vec_free(&c->knames);
    nt_vec_free(&c->qdrop_launches);
    nt_map_free(&c->strings);
    nt_map_free(&c->tables);
    nt_imap_free(&c->corr);
    nt_arena_free(&c->arena);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->wake);
    pthread_cond_destroy(&c->done);
    free(c->path);
    free(c);
    return rc;
}
