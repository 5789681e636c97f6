/* regions.c — user regions (NTRACE_REGION_BEGIN/END, probes/regions.lua):
 * their names, their records of one launch put on the warps' time axis
 * (timeline and HTML nest them in the warp lifetimes), and the summary
 * per region name.
 *
 * A region record is (region id, start, stop) in %clock64 cycles of the
 * warp's SM.  It is placed on the warp's own aligned time axis:
 * t = warp.t0 + (start - warp.start) * 1e6 / kHz, the same per-SM offset
 * as the warp (warps.c), then clamped into the warp's lifetime, and the
 * regions of a warp are made to nest (a region that outlives the one it
 * starts in is cut at its end), as trace viewers require of slices on one
 * track.  The summary reads cycles as recorded, unclamped. */
#include "report/report_int.h"
#include "report/schema.h"

#include <stdlib.h>
#include <string.h>

rep_map *rep_region_map(rep_db *db)
{
    rep_map *best = NULL;
    for (size_t i = 0; i < db->maps.n; i++) {
        rep_map *m = &db->maps.v[i];
        if (rep_map_col(m, "region") < 0 || rep_map_col(m, "start") < 0 ||
            rep_map_col(m, "stop") < 0 || !strcmp(m->level, SCH_LEVEL_BLOCK))
            continue;
        if (!strcmp(m->probe, "regions")) return m;
        if (!best) best = m;
    }
    return best;
}

/* ---- names --------------------------------------------------------------
 * A record holds prb_region_id(name): the low 32 bits of nt_hash64(name,
 * len, 0).  The name is found among the strings of the database (StringIds)
 * and the region names the probes' sources spell (nt.at "region.end:load"):
 * any string whose hash matches is the name. */
static void add_name(rep_db *db, const char *s, size_t n)
{
    uint32_t id = (uint32_t)nt_hash64(s, n, 0);
    for (size_t i = 0; i < db->rnames.n; i++)
        if (db->rnames.v[i].id == id) return;
    for (size_t i = 0; i < db->rids.n; i++)
        if (db->rids.v[i] == id) {
            rep_rname r = {id, nt_arena_strndup(&db->a, s, n)};
            nt_vec_push(&db->rnames, r);
            return;
        }
}

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void names_in_source(rep_db *db, const char *src)
{
    static const char *const tp[] = {"region.begin:", "region.end:"};
    for (size_t k = 0; k < NT_ARRAY_LEN(tp); k++)
        for (const char *p = strstr(src, tp[k]); p; p = strstr(p + 1, tp[k])) {
            const char *s = p + strlen(tp[k]), *q = s;
            while (ident_char(*q)) q++;
            if (q > s) add_name(db, s, (size_t)(q - s));
        }
}

/* The region ids of map m (all launches: names do not depend on the
 * selection), then their names. */
static void load_names(rep_db *db, rep_map *m)
{
    db->rnames_done = true;
    nt_sb q = {0};
    nt_sb_printf(&q, "SELECT DISTINCT region FROM %s", m->qtable);
    sqlite3_stmt *st = rep_prepare(db, nt_sb_str(&q), NULL);
    nt_sb_free(&q);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        uint32_t id = (uint32_t)sqlite3_column_int64(st, 0);
        nt_vec_push(&db->rids, id);
    }
    sqlite3_finalize(st);
    static const char *const srcs[] = {SCH_Q_STRINGS, SCH_Q_PROBE_SOURCES};
    for (size_t k = 0; k < NT_ARRAY_LEN(srcs); k++) {
        if (!(st = rep_prepare(db, srcs[k], NULL))) continue;   /* an optional column */
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *s = (const char *)sqlite3_column_text(st, 0);
            if (!s) continue;
            if (k == 0) add_name(db, s, (size_t)sqlite3_column_bytes(st, 0));
            else names_in_source(db, s);
        }
        sqlite3_finalize(st);
    }
}

const char *rep_region_name(rep_db *db, uint32_t id)
{
    rep_map *m = rep_region_map(db);
    if (m && !db->rnames_done) load_names(db, m);
    for (size_t i = 0; i < db->rnames.n; i++)
        if (db->rnames.v[i].id == id) return db->rnames.v[i].name;
    char buf[32];
    snprintf(buf, sizeof buf, "region#%08x", id);
    rep_rname r = {id, nt_arena_strdup(&db->a, buf)};
    nt_vec_push(&db->rnames, r);
    return r.name;
}

/* ---- one launch's regions on the warps' time axis -------------------------- */
typedef struct slot_ix {
    uint64_t slot;
    size_t i;
} slot_ix;

static int cmp_slot(const void *a, const void *b)
{
    const slot_ix *x = a, *y = b;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int cmp_region(const void *a, const void *b)
{
    const rep_region *x = a, *y = b;
    if (x->warp != y->warp) return x->warp < y->warp ? -1 : 1;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    if (x->t1 != y->t1) return x->t1 > y->t1 ? -1 : 1;   /* the outer one first */
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Within one warp (sorted by t0, longest first): every region ends by the
 * end of the innermost open region it starts in.  Keeps slices nested. */
static void nest(rep_region *r, size_t n)
{
    int64_t stack[64];
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        while (depth && stack[depth - 1] <= r[i].t0) depth--;
        if (depth && r[i].t1 > stack[depth - 1]) r[i].t1 = stack[depth - 1];
        if (depth < NT_ARRAY_LEN(stack)) stack[depth++] = r[i].t1;
    }
}

int rep_regions_load(rep_db *db, const rep_launch *l, const rep_warps *ws, rep_regions *rs,
                     nt_err *e)
{
    memset(rs, 0, sizeof *rs);
    rep_map *m = rep_region_map(db);
    if (!m || !ws->n) return 0;
    slot_ix *ix = nt_xmalloc(ws->n * sizeof *ix);
    for (size_t i = 0; i < ws->n; i++) ix[i] = (slot_ix){ws->w[i].slot, i};
    qsort(ix, ws->n, sizeof *ix, cmp_slot);
    nt_sb q = {0};
    nt_sb_printf(&q, "SELECT " SCH_MAP_BLOCK ", %s, region, start, stop FROM %s WHERE "
                 SCH_MAP_LAUNCH " = ?1", m->warp_expr, m->qtable);
    sqlite3_stmt *st = rep_prepare_kept(db, nt_sb_str(&q), e);
    nt_sb_free(&q);
    if (!st) {
        free(ix);
        return -1;
    }
    sqlite3_bind_int64(st, 1, l->id);
    uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    uint64_t wpb = threads ? (threads + 31) / 32 : 1;
    double ns_per_cycle = 1e6 / rep_clock_khz(l);
    NT_VEC(rep_region) v = {0};
    int rc;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        slot_ix key = {(uint64_t)sqlite3_column_int64(st, 0) * wpb +
                       (uint64_t)sqlite3_column_int64(st, 1), 0};
        const slot_ix *hit = bsearch(&key, ix, ws->n, sizeof *ix, cmp_slot);
        if (!hit) continue;                 /* a warp without a lifetime: no track */
        const rep_warp *w = &ws->w[hit->i];
        uint64_t a = (uint64_t)sqlite3_column_int64(st, 3), b = (uint64_t)sqlite3_column_int64(st, 4);
        if (b < a) b = a;                   /* a torn record: zero length */
        rep_region r = {.id = (uint32_t)sqlite3_column_int64(st, 2), .warp = hit->i,
                        .cycles = b - a};
        /* Cycle differences as signed: a region read before the warp's
         * start (garbage) lands before it and is clamped. */
        r.t0 = rep_ns_add(w->t0, rep_ns_of((double)(int64_t)(a - w->start) * ns_per_cycle));
        r.t1 = rep_ns_add(w->t0, rep_ns_of((double)(int64_t)(b - w->start) * ns_per_cycle));
        r.t0 = r.t0 < w->t0 ? w->t0 : r.t0 > w->t1 ? w->t1 : r.t0;
        r.t1 = r.t1 < r.t0 ? r.t0 : r.t1 > w->t1 ? w->t1 : r.t1;
        nt_vec_push(&v, r);
    }
    sqlite3_reset(st);
    free(ix);
    if (rc < 0) {
        nt_vec_free(&v);
        return -1;
    }
    if (v.n) qsort(v.v, v.n, sizeof *v.v, cmp_region);
    for (size_t i = 0, j; i < v.n; i = j) {
        for (j = i + 1; j < v.n && v.v[j].warp == v.v[i].warp;) j++;
        nest(v.v + i, j - i);
    }
    rs->r = v.v;
    rs->n = v.n;
    return 0;
}

void rep_regions_free(rep_regions *rs)
{
    free(rs->r);
    memset(rs, 0, sizeof *rs);
}

/* ---- the summary ------------------------------------------------------------ */
typedef struct rsum {
    uint32_t id;
    uint64_t n;
    double cycles, ns, max_cycles, max_ns;
} rsum;

static int by_cycles(const void *a, const void *b)
{
    const rsum *x = a, *y = b;
    if (x->cycles != y->cycles) return x->cycles > y->cycles ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

int rep_sum_regions(rep_db *db, rep_doc *d, nt_err *e)
{
    rep_map *m = rep_region_map(db);
    if (!m) return 0;
    nt_sb q = {0};
    nt_sb_printf(&q, "SELECT region, count(*), total(max(stop - start, 0)), "
                 "max(max(stop - start, 0)) FROM %s WHERE " SCH_MAP_LAUNCH " = ?1 "
                 "GROUP BY region", m->qtable);
    sqlite3_stmt *st = rep_prepare(db, nt_sb_str(&q), e);
    nt_sb_free(&q);
    if (!st) return -1;
    NT_VEC(rsum) v = {0};
    int rc = 0;
    for (size_t i = 0; i < db->launches.n && rc >= 0; i++) {
        rep_launch *l = &db->launches.v[i];
        rep_tick(db, "regions", i);
        if (!l->selected) continue;
        double ns_per_cycle = 1e6 / rep_clock_khz(l);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, l->id);
        while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
            uint32_t id = (uint32_t)sqlite3_column_int64(st, 0);
            size_t k = 0;
            while (k < v.n && v.v[k].id != id) k++;
            if (k == v.n) nt_vec_push(&v, ((rsum){.id = id}));
            rsum *s = &v.v[k];
            double cyc = sqlite3_column_double(st, 2), mx = sqlite3_column_double(st, 3);
            s->n += (uint64_t)sqlite3_column_int64(st, 1);
            s->cycles += cyc;
            s->ns += cyc * ns_per_cycle;
            if (mx > s->max_cycles) s->max_cycles = mx;
            if (mx * ns_per_cycle > s->max_ns) s->max_ns = mx * ns_per_cycle;
        }
    }
    sqlite3_finalize(st);
    if (rc < 0) {
        nt_vec_free(&v);
        return -1;
    }
    if (v.n) qsort(v.v, v.n, sizeof *v.v, by_cycles);
    rep_table *t = rep_table_new(d, "regions", "user regions: time per warp in each region",
        "region|records|total cycles|mean cycles|max cycles|total us|mean us|max us");
    for (size_t k = 0; k < v.n; k++) {
        const rsum *s = &v.v[k];
        rep_row(t);
        rep_put_s(d, t, rep_region_name(db, s->id));
        rep_put_i(t, (int64_t)s->n);
        rep_put_f(t, s->cycles, 0);
        rep_put_f(t, s->cycles / (double)s->n, 1);
        rep_put_f(t, s->max_cycles, 0);
        rep_put_f(t, s->ns / 1e3, 3);
        rep_put_f(t, s->ns / 1e3 / (double)s->n, 3);
        rep_put_f(t, s->max_ns / 1e3, 3);
    }
    rep_note(d, t, "%s.%s: one record per warp and region visit (NTRACE_REGION_BEGIN .. END); "
             "cycles of the warp's SM clock, time = cycles / the device's SM clock", m->probe,
             m->name);
    if (!v.n) rep_note(d, t, "no region records in the selected launches");
    for (size_t k = 0; k < v.n; k++)
        if (!strncmp(rep_region_name(db, v.v[k].id), "region#", 7)) {
            rep_note(d, t, "region#ID: a region whose name is not in the database (the id is "
                     "the low 32 bits of nt_hash64 of its name)");
            break;
        }
    nt_vec_free(&v);
    return 0;
}
