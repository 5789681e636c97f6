/* ingest.c — one queue item into the open transaction (writer thread). */
#include "collector/collector_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIND_TEXT(st, i, s) sqlite3_bind_text((st), (i), (s), -1, SQLITE_STATIC)

/* Steps and resets st; counts one row. */
static int step(col *c, sqlite3_stmt *st, const char *what, nt_err *e)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return col_sql_err(c, rc, what, e);
    c->txn_rows++;
    return 0;
}

/* StringIds id of s (interned; NULL stays NULL: returns 0). */
int64_t col_string(col *c, const char *s, nt_err *e)
{
    if (!s) return 0;
    size_t n = strlen(s);
    uint64_t id;
    if (nt_map_get(&c->strings, s, n, &id)) return (int64_t)id;
    sqlite3_stmt *st = c->st[ST_STRING];
    int64_t nid = ++c->next_string;
    sqlite3_bind_int64(st, 1, nid);
    sqlite3_bind_text(st, 2, s, (int)n, SQLITE_STATIC);
    if (step(c, st, "writing StringIds", e)) return -1;
    const char *key = nt_arena_strndup(&c->arena, s, n);
    nt_map_put(&c->strings, key, n, (uint64_t)nid);
    return nid;
}

static void bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id > 0) sqlite3_bind_int64(st, i, id);
    else sqlite3_bind_null(st, i);
}

/* One CUPTI_ACTIVITY_KIND_KERNEL row, from a launch or from an activity
 * record the injector did not see launched. */
typedef struct launch_row {
    int64_t id, kernel_id, probe_id;
    const char *status;
    bool has_times;
    int64_t demangled_sid, short_sid, mangled_sid;
    uint64_t start, end;
    uint32_t device, corr;
    uint64_t ctx, stream;
    const uint32_t *grid, *block;
    uint32_t regs, sshared, dshared;
} launch_row;

static int insert_launch(col *c, const launch_row *r, nt_err *e)
{
    sqlite3_stmt *st = c->st[ST_LAUNCH];
    sqlite3_bind_int64(st, 1, r->id);
    if (r->has_times) {
        sqlite3_bind_int64(st, 2, (int64_t)r->start);
        sqlite3_bind_int64(st, 3, (int64_t)r->end);
    } else {
        sqlite3_bind_null(st, 2);
        sqlite3_bind_null(st, 3);
    }
    sqlite3_bind_int64(st, 4, r->device);
    sqlite3_bind_int64(st, 5, (int64_t)r->ctx);
    sqlite3_bind_int64(st, 6, (int64_t)r->stream);
    sqlite3_bind_int64(st, 7, r->corr);
    sqlite3_bind_int64(st, 8, c->cfg.pid << 24);   /* Nsight Systems' globalPid */
    bind_id(st, 9, r->demangled_sid);
    bind_id(st, 10, r->short_sid);
    bind_id(st, 11, r->mangled_sid);
    for (int d = 0; d < 3; d++) {
        sqlite3_bind_int64(st, 12 + d, r->grid[d]);
        sqlite3_bind_int64(st, 15 + d, r->block[d]);
    }
    sqlite3_bind_int64(st, 18, r->regs);
    sqlite3_bind_int64(st, 19, r->sshared);
    sqlite3_bind_int64(st, 20, r->dshared);
    bind_id(st, 21, r->kernel_id);
    bind_id(st, 22, r->probe_id);
    BIND_TEXT(st, 23, r->status);
    if (step(c, st, "writing CUPTI_ACTIVITY_KIND_KERNEL", e)) return -1;
    c->txn_launches++;
    if (r->corr) nt_imap_put(&c->corr, r->corr, (uint64_t)r->id);
    return 0;
}

/* Grows a by-id vector with zeroed entries so that index id exists. */
#define VEC_AT(vec, id)                                                              \
    (((size_t)(id) >= (vec)->n                                                       \
          ? (nt_vec_reserve((vec), (size_t)(id) + 1),                                \
             memset((vec)->v + (vec)->n, 0, ((size_t)(id) + 1 - (vec)->n) * sizeof *(vec)->v), \
             (vec)->n = (size_t)(id) + 1)                                            \
          : 0),                                                                      \
     &(vec)->v[(id)])

static int do_kernel(col *c, col_item *it, nt_err *e)
{
    const col_kernel_info *k = &it->u.ker;
    const char *dem = k->demangled ? k->demangled : k->mangled;
    char *shortn = dem ? col_short_name(dem) : NULL;
    int64_t ms = col_string(c, k->mangled, e), ds = col_string(c, dem, e);
    int64_t ss = col_string(c, shortn, e);
    free(shortn);
    if (ms < 0 || ds < 0 || ss < 0) return -1;
    sqlite3_stmt *st = c->st[ST_KERNEL];
    sqlite3_bind_int64(st, 1, it->id);
    bind_id(st, 2, k->module_id);
    bind_id(st, 3, ms);
    bind_id(st, 4, ds);
    bind_id(st, 5, ss);
    sqlite3_bind_int(st, 6, k->instrumented);
    BIND_TEXT(st, 7, k->reason);
    if (step(c, st, "writing NTRACE_KERNELS", e)) return -1;
    *VEC_AT(&c->knames, it->id) = (col_kname){ds, ss, ms};
    return 0;
}

/* What a buffer of this launch will be checked against.  Only probed
 * launches expect a buffer; the entry goes once the buffer is stored or
 * rejected (launch_done), so the writer holds one entry per launch whose
 * buffer is still to come, not one per launch of the run. */
static void note_launch(col *c, const col_item *it)
{
    if (it->u.launch.probe_id <= 0 || it->u.launch.not_probed) return;
    col_launch_rec *lr = nt_xmalloc(sizeof *lr);
    lr->probe_id = it->u.launch.probe_id;
    memcpy(lr->grid, it->u.launch.grid, sizeof lr->grid);
    memcpy(lr->block, it->u.launch.block, sizeof lr->block);
    uint64_t old;
    if (nt_imap_get(&c->pending, (uint64_t)it->id, &old)) free((void *)(uintptr_t)old);
    nt_imap_put(&c->pending, (uint64_t)it->id, (uint64_t)(uintptr_t)lr);
}

static col_launch_rec *pending_launch(col *c, int64_t id)
{
    uint64_t v;
    return id > 0 && nt_imap_get(&c->pending, (uint64_t)id, &v) ? (col_launch_rec *)(uintptr_t)v
                                                                 : NULL;
}

/* The launch's buffer came (stored, rejected or lost): forget the launch. */
static void launch_done(col *c, int64_t id)
{
    free(pending_launch(c, id));
    nt_imap_del(&c->pending, (uint64_t)id);
}

void col_pending_free(col *c)
{
    for (size_t i = 0; i < c->pending.cap; i++)
        if (c->pending.used[i]) free((void *)(uintptr_t)c->pending.vals[i]);
    nt_imap_free(&c->pending);
}

static int do_launch(col *c, col_item *it, nt_err *e)
{
    const col_launch_info *l = &it->u.launch;
    col_kname kn = {0};
    if (l->kernel_id > 0 && (size_t)l->kernel_id < c->knames.n) kn = c->knames.v[l->kernel_id];
    launch_row r = {
        .id = it->id, .kernel_id = l->kernel_id, .probe_id = l->probe_id,
        .status = l->not_probed ? NULL : (l->probe_id > 0 ? "pending" : NULL),
        .demangled_sid = kn.demangled, .short_sid = kn.shortn, .mangled_sid = kn.mangled,
        .device = l->device_id, .corr = l->correlation_id, .ctx = l->context_id,
        .stream = l->stream_id, .grid = l->grid, .block = l->block, .regs = l->registers,
        .sshared = l->static_shared, .dshared = l->dynamic_shared,
    };
    char *st = NULL;
    if (l->not_probed) {
        nt_sb b = {0};
        nt_sb_printf(&b, "not probed: %s", l->not_probed);
        st = nt_sb_take(&b);
        r.status = st;
    }
    int rc = insert_launch(c, &r, e);
    free(st);
    note_launch(c, it);
    return rc;
}

static int set_status(col *c, int64_t launch, const char *prefix, const char *msg, nt_err *e)
{
    nt_sb b = {0};
    nt_sb_printf(&b, "%s%s", prefix, msg);
    sqlite3_stmt *st = c->st[ST_UNPROBED];
    sqlite3_bind_int64(st, 1, launch);
    BIND_TEXT(st, 2, b.s);
    int rc = step(c, st, "updating a launch", e);
    nt_sb_free(&b);
    return rc;
}

static int do_kact(col *c, col_item *it, nt_err *e)
{
    const col_kernel_activity *k = &it->u.kact;
    uint64_t lid;
    if (k->correlation_id && nt_imap_get(&c->corr, k->correlation_id, &lid)) {
        sqlite3_stmt *st = c->st[ST_KACT_UPD];
        sqlite3_bind_int64(st, 1, (int64_t)lid);
        sqlite3_bind_int64(st, 2, (int64_t)k->start);
        sqlite3_bind_int64(st, 3, (int64_t)k->end);
        sqlite3_bind_int64(st, 4, k->device_id);
        sqlite3_bind_int64(st, 5, (int64_t)k->context_id);
        sqlite3_bind_int64(st, 6, (int64_t)k->stream_id);
        /* One kernel record per correlation id: the entry is done with. */
        nt_imap_del(&c->corr, k->correlation_id);
        return step(c, st, "updating CUPTI_ACTIVITY_KIND_KERNEL", e);
    }
    char *shortn = k->name ? col_short_name(k->name) : NULL;
    int64_t ms = col_string(c, k->name, e), ss = col_string(c, shortn, e);
    free(shortn);
    if (ms < 0 || ss < 0) return -1;
    launch_row r = {
        .id = atomic_fetch_add(&c->next_launch, 1), .mangled_sid = ms, .demangled_sid = ms,
        .short_sid = ss, .start = k->start, .end = k->end, .has_times = true,
        .device = k->device_id, .corr = k->correlation_id, .ctx = k->context_id,
        .stream = k->stream_id, .grid = k->grid, .block = k->block, .regs = k->registers,
        .sshared = k->static_shared, .dshared = k->dynamic_shared,
    };
    return insert_launch(c, &r, e);
}

/* ---- probe buffers ------------------------------------------------------ */
/* Validates the buffer against its launch and probe.  0: usable; 1:
 * rejected (reason in *why); 2: rejected, no probed launch waits for it
 * (unknown, unprobed, or its buffer already came: a second buffer would
 * repeat the map tables' keys; the launch's status stays); the view is
 * filled when usable. */
static int buffer_check(col *c, col_item *it, buf_view *v, col_probe_rec **pp, nt_err *why)
{
    const col_launch_rec *lr = pending_launch(c, it->id);
    if (!lr)
        return nt_err_set(why, "no probed launch %lld waits for a buffer (unknown, not probed, "
                          "or its buffer already came)", (long long)it->id), 2;
    if (lr->probe_id <= 0 || (size_t)lr->probe_id >= c->probes.n || !c->probes.v[lr->probe_id])
        return nt_err_set(why, "launch %lld has no registered probe", (long long)it->id), 1;
    col_probe_rec *p = c->probes.v[lr->probe_id];
    if (buf_open(v, it->u.buf.data, it->u.buf.size, why)) return 1;
    buf_layout want = {0};
    want.hdr.launch_id = (uint64_t)it->id;
    want.hdr.nmaps = (uint16_t)p->nmaps;
    memcpy(want.hdr.grid, lr->grid, sizeof lr->grid);
    memcpy(want.hdr.block, lr->block, sizeof lr->block);
    for (unsigned m = 0; m < p->nmaps; m++) {
        int64_t n = buf_nslots((enum buf_level)p->maps[m].level, lr->grid, lr->block, NULL);
        want.map[m] = (buf_map_desc){
            .record_size = p->maps[m].record_size, .level = p->maps[m].level,
            .map_id = m, .nslots = n < 0 ? 0 : (uint32_t)n,
        };
    }
    if (buf_check_layout(v, &want, 0, why)) return 1;
    *pp = p;
    return 0;
}

/* Binds record r of launch `launch` to the columns at base + 1... of st. */
static void bind_record(sqlite3_stmt *st, int base, const col_pmap *pm, int64_t launch,
                        const buf_rec *r)
{
    int k = base + 1;
    sqlite3_bind_int64(st, k++, launch);
    sqlite3_bind_int64(st, k++, r->id.block);
    if (pm->level <= BUF_WARP) sqlite3_bind_int64(st, k++, r->id.warp);
    if (pm->level == BUF_THREAD) sqlite3_bind_int64(st, k++, r->id.thread);
    sqlite3_bind_int64(st, k++, r->seq);
    for (unsigned f = 0; f < pm->nfields; f++, k++) {
        int64_t iv = 0;
        double fv = 0;
        if (buf_field_read(r->data, pm->foffs[f], (enum buf_ftype)pm->ftypes[f], &iv, &fv))
            sqlite3_bind_double(st, k, fv);
        else
            sqlite3_bind_int64(st, k, iv);
    }
}

static int step_rows(col *c, sqlite3_stmt *st, unsigned rows, nt_err *e)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return col_sql_err(c, rc, "writing probe records", e);
    c->txn_rows += rows;
    c->txn_records += rows;
    return 0;
}

/* Full groups of COL_ROWS_PER_INSERT records go through the multi-row
 * statement, the rest one by one. */
static int insert_records(col *c, col_item *it, const buf_view *v, const col_pmap *pm,
                          unsigned m, nt_err *e)
{
    buf_iter iter;
    buf_rec r[COL_ROWS_PER_INSERT];
    unsigned n = 0;
    buf_iter_init(&iter, v, m);
    while (buf_iter_next(&iter, &r[n])) {
        if (++n < COL_ROWS_PER_INSERT) continue;
        for (unsigned k = 0; k < n; k++) bind_record(pm->ins_n, (int)(k * pm->ncols), pm, it->id, &r[k]);
        if (step_rows(c, pm->ins_n, n, e)) return -1;
        n = 0;
    }
    for (unsigned k = 0; k < n; k++) {
        bind_record(pm->ins, 0, pm, it->id, &r[k]);
        if (step_rows(c, pm->ins, 1, e)) return -1;
    }
    return 0;
}

static int do_buffer(col *c, col_item *it, nt_err *e)
{
    buf_view v;
    col_probe_rec *p = NULL;
    nt_err why = {0};
    int bad = buffer_check(c, it, &v, &p, &why);
    if (bad) {
        c->txn_rejected++;
        nt_warn("collector: probe buffer of launch %lld rejected: %s", (long long)it->id, why.msg);
        if (bad == 1) {
            int rc = set_status(c, it->id, "buffer rejected: ", why.msg, e);
            if (!rc) launch_done(c, it->id);    /* kept for col_count_lost on failure */
            return rc;
        }
        return 0;
    }
    uint64_t saved = 0, dropped = 0;
    for (unsigned m = 0; m < p->nmaps; m++) {
        if (insert_records(c, it, &v, &p->maps[m], m, e)) return -1;
        saved += v.tot[m].saved;
        dropped += v.tot[m].dropped;
    }
    sqlite3_stmt *st = c->st[ST_LAUNCH_RECS];
    sqlite3_bind_int64(st, 1, it->id);
    sqlite3_bind_int64(st, 2, (int64_t)saved);
    sqlite3_bind_int64(st, 3, (int64_t)dropped);
    sqlite3_bind_int64(st, 4, (int64_t)it->u.buf.size);
    if (step(c, st, "updating a launch's record counts", e)) return -1;
    c->txn_buffers++;
    c->txn_saved += saved;
    c->txn_dropped += dropped;
    launch_done(c, it->id);    /* only now: a failure above counts it as lost */
    return 0;
}

void col_count_lost(col *c, col_item *it)
{
    if (it->kind == COL_BUFFER) {
        buf_view v;
        col_probe_rec *p;
        nt_err why = {0};
        if (buffer_check(c, it, &v, &p, &why) == 0) {
            for (unsigned m = 0; m < v.hdr.nmaps; m++) c->tot.records_lost += v.tot[m].saved;
            launch_done(c, it->id);
        }
    } else if (it->kind == COL_PCS) {
        c->tot.rows_lost += it->u.pcs.n;
    } else if (it->kind == COL_PCLINES) {
        c->tot.rows_lost += it->u.pcl.n;
    } else if (it->kind != COL_PROBE) {
        c->tot.rows_lost++;
    }
    if (it->kind == COL_LAUNCH) note_launch(c, it);   /* later buffers are counted */
    if (it->kind == COL_PROBE && it->u.probe) {
        *VEC_AT(&c->probes, it->u.probe->id) = it->u.probe;
        it->u.probe = NULL;
    }
}

static int do_probe(col *c, col_item *it, nt_err *e)
{
    col_probe_rec *p = it->u.probe;
    *VEC_AT(&c->probes, p->id) = p;     /* the writer owns it from now on */
    it->u.probe = NULL;
    sqlite3_stmt *st = c->st[ST_PROBE];
    sqlite3_bind_int64(st, 1, p->id);
    BIND_TEXT(st, 2, p->name);
    BIND_TEXT(st, 3, p->path);
    BIND_TEXT(st, 4, p->source);
    if (step(c, st, "writing NTRACE_PROBES", e)) return -1;
    for (unsigned m = 0; m < p->nmaps; m++)
        if (col_schema_map_table(c, p, m, e)) return -1;
    return 0;
}

/* The seven leading columns that memcpy and memset rows share (their
 * structs name the fields alike). */
#define BIND_ACTIVITY(c, st, m)                                       \
    do {                                                              \
        sqlite3_bind_int64((st), 1, (int64_t)(m)->start);             \
        sqlite3_bind_int64((st), 2, (int64_t)(m)->end);               \
        sqlite3_bind_int64((st), 3, (m)->device_id);                  \
        sqlite3_bind_int64((st), 4, (int64_t)(m)->context_id);        \
        sqlite3_bind_int64((st), 5, (int64_t)(m)->stream_id);         \
        sqlite3_bind_int64((st), 6, (m)->correlation_id);             \
        sqlite3_bind_int64((st), 7, (c)->cfg.pid << 24);              \
    } while (0)

int col_ingest(col *c, col_item *it, nt_err *e)
{
    sqlite3_stmt *st;
    switch (it->kind) {
    case COL_DEVICE: {
        const col_device_info *d = &it->u.dev;
        st = c->st[ST_DEVICE];
        sqlite3_bind_int64(st, 1, d->id);
        BIND_TEXT(st, 2, d->name);
        BIND_TEXT(st, 3, d->bus_location);
        BIND_TEXT(st, 4, d->uuid);
        sqlite3_bind_int64(st, 5, (int64_t)d->total_memory);
        sqlite3_bind_int64(st, 6, (int64_t)d->clock_hz);
        sqlite3_bind_int64(st, 7, d->sm_count);
        sqlite3_bind_int64(st, 8, d->cc_major);
        sqlite3_bind_int64(st, 9, d->cc_minor);
        return step(c, st, "writing TARGET_INFO_GPU", e);
    }
    case COL_MODULE: {
        const col_module_info *m = &it->u.mod;
        st = c->st[ST_MODULE];
        sqlite3_bind_int64(st, 1, it->id);
        sqlite3_bind_int64(st, 2, m->device_id);
        sqlite3_bind_int64(st, 3, (int64_t)m->context_id);
        BIND_TEXT(st, 4, m->name);
        sqlite3_bind_int64(st, 5, (int64_t)m->content_hash);
        sqlite3_bind_int64(st, 6, (int64_t)m->ptx_bytes);
        return step(c, st, "writing NTRACE_MODULES", e);
    }
    case COL_KERNEL:   return do_kernel(c, it, e);
    case COL_PROBE:    return do_probe(c, it, e);
    case COL_LAUNCH:   return do_launch(c, it, e);
    case COL_UNPROBED:         /* no buffer will come */
        if (set_status(c, it->id, "not probed: ", it->u.text, e)) return -1;
        launch_done(c, it->id);
        return 0;
    case COL_STALL:
        st = c->st[ST_STALL];
        sqlite3_bind_int64(st, 1, it->index);
        BIND_TEXT(st, 2, it->u.text);
        return step(c, st, "writing NTRACE_STALL_REASONS", e);
    case COL_STRING:
        return col_string(c, it->u.text, e) < 0 ? -1 : 0;
    case COL_BUFFER:   return do_buffer(c, it, e);
    case COL_KACT:     return do_kact(c, it, e);
    case COL_MEMCPY: {
        const col_memcpy_activity *m = &it->u.mcpy;
        st = c->st[ST_MEMCPY];
        BIND_ACTIVITY(c, st, m);
        sqlite3_bind_int64(st, 8, (int64_t)m->bytes);
        sqlite3_bind_int(st, 9, m->copy_kind);
        sqlite3_bind_int(st, 10, m->src_kind);
        sqlite3_bind_int(st, 11, m->dst_kind);
        return step(c, st, "writing CUPTI_ACTIVITY_KIND_MEMCPY", e);
    }
    case COL_MEMSET: {
        const col_memset_activity *m = &it->u.mset;
        st = c->st[ST_MEMSET];
        BIND_ACTIVITY(c, st, m);
        sqlite3_bind_int64(st, 8, m->value);
        sqlite3_bind_int64(st, 9, (int64_t)m->bytes);
        sqlite3_bind_int(st, 10, m->mem_kind);
        return step(c, st, "writing CUPTI_ACTIVITY_KIND_MEMSET", e);
    }
    case COL_PCS:
        st = c->st[ST_PCS];
        for (size_t i = 0; i < it->u.pcs.n; i++) {
            const col_pc_sample *s = &it->u.pcs.s[i];
            int64_t fs = col_string(c, s->function, e);
            if (fs < 0) return -1;
            sqlite3_bind_int64(st, 1, s->correlation_id);
            bind_id(st, 2, fs);
            sqlite3_bind_int64(st, 3, (int64_t)s->cubin_crc);
            sqlite3_bind_int64(st, 4, (int64_t)s->pc_offset);
            sqlite3_bind_int64(st, 5, s->stall_reason);
            sqlite3_bind_int64(st, 6, s->samples);
            if (step(c, st, "writing NTRACE_PC_SAMPLES", e)) return -1;
        }
        return 0;
    case COL_PCLINES:
        st = c->st[ST_PCLINE];
        for (size_t i = 0; i < it->u.pcl.n; i++) {
            const col_pc_line *l = &it->u.pcl.l[i];
            int64_t fs = col_string(c, l->function, e), ff = fs < 0 ? -1 : col_string(c, l->file, e);
            if (fs < 0 || ff < 0) return -1;
            bind_id(st, 1, fs);
            sqlite3_bind_int64(st, 2, (int64_t)l->cubin_crc);
            sqlite3_bind_int64(st, 3, (int64_t)l->pc_offset);
            bind_id(st, 4, ff);
            sqlite3_bind_int64(st, 5, l->line);
            sqlite3_bind_int64(st, 6, l->column);
            if (step(c, st, "writing NTRACE_PC_LINES", e)) return -1;
        }
        return 0;
    default:
        return 0;
    }
}
