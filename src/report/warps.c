/* warps.c — warp lifetimes of one launch (block_sched records), put on one
 * time axis, and the scheduling figures derived from them.
 *
 * %clock64 counts cycles of one SM and SM clocks are not synchronized, so
 * cycles are turned into nanoseconds per SM:  t = off[sm] + cycles * 1e6 / kHz.
 * With %globaltimer anchors (column gstart: the global timer in ns read at
 * warp entry), off[sm] is the median over that SM's warps of
 * gstart - start * 1e6 / kHz: the median ignores the few warps whose two
 * reads were split by a preemption or a timer tick.  Without anchors, each
 * SM's first warp is taken to start at the launch's CUPTI start time.
 * docs/report.md says the same for users. */
#include "report/report_int.h"
#include "report/schema.h"

#include <stdlib.h>
#include <string.h>

/* A map of warp lifetimes: warp level, start/stop cycles and the SM.
 * kernel_time (probes/kernel_time.lua) has the same fields, but per block
 * and in %globaltimer ns, not %clock64 cycles per warp. */
bool rep_is_life_map(const rep_map *m)
{
    return rep_map_col(m, "start") >= 0 && rep_map_col(m, "stop") >= 0 &&
           rep_map_col(m, "sm") >= 0 && strcmp(m->probe, "kernel_time") &&
           strcmp(m->level, "block");
}

rep_map *rep_block_sched(rep_db *db)
{
    rep_map *best = NULL;
    for (size_t i = 0; i < db->maps.n; i++) {
        rep_map *m = &db->maps.v[i];
        if (!rep_is_life_map(m)) continue;
        if (!strcmp(m->probe, "block_sched")) return m;
        if (!best) best = m;
    }
    return best;
}

static int cmp_sm_t0(const void *a, const void *b)
{
    const rep_warp *x = a, *y = b;
    if (x->sm != y->sm) return x->sm < y->sm ? -1 : 1;
    if (x->t0 != y->t0) return x->t0 < y->t0 ? -1 : 1;
    return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Per-SM clock offsets in ns; see the file comment. */
static void align(rep_warps *ws, const int64_t *gstart, const rep_launch *l)
{
    double ns_per_cycle = 1e6 / rep_clock_khz(l);
    size_t i = 0;
    int64_t *tmp = gstart ? nt_xmalloc(ws->n * sizeof *tmp) : NULL;
    /* Records are sorted by (sm, start cycles) here. */
    while (i < ws->n) {
        size_t j = i;
        while (j < ws->n && ws->w[j].sm == ws->w[i].sm) j++;
        int64_t off;      /* integer ns: epoch times do not fit a double's 53 bits */
        size_t k = 0;
        if (gstart)
            for (size_t x = i; x < j; x++)
                if (gstart[ws->w[x].lane])    /* lane holds the record's row here */
                    tmp[k++] = rep_ns_add(rep_ns(gstart[ws->w[x].lane]),
                                          -rep_ns_of(ws->w[x].start * ns_per_cycle));
        if (k) {
            qsort(tmp, k, sizeof *tmp, cmp_i64);
            off = tmp[k / 2];
            ws->anchored = true;
        } else {
            off = rep_ns_add(l->start_ns, -rep_ns_of(ws->w[i].start * ns_per_cycle));
        }
        for (size_t x = i; x < j; x++) {
            ws->w[x].t0 = rep_ns_add(off, rep_ns_of(ws->w[x].start * ns_per_cycle));
            ws->w[x].t1 = rep_ns_add(off, rep_ns_of(ws->w[x].stop * ns_per_cycle));
        }
        i = j;
    }
    free(tmp);
}

/* Lowest free lane per SM, in start order: a lane is a warp slot of the SM
 * that one warp holds at a time (interval colouring, greedy is optimal). */
static void assign_lanes(rep_warps *ws)
{
    NT_VEC(int64_t) end = {0};
    for (size_t i = 0; i < ws->n; i++) {
        if (i == 0 || ws->w[i].sm != ws->w[i - 1].sm) end.n = 0;
        rep_warp *w = &ws->w[i];
        size_t k = 0;
        while (k < end.n && end.v[k] > w->t0) k++;
        if (k == end.n) nt_vec_push(&end, w->t1);
        else end.v[k] = w->t1;
        w->lane = (uint32_t)k;
        if (end.n > ws->max_lanes) ws->max_lanes = (uint32_t)end.n;
    }
    nt_vec_free(&end);
}

/* The records of map m for launch l, unsorted (lane holds the row);
 * *gstart: the rows' %globaltimer anchors, NULL without (caller frees). */
static int load_from(rep_db *db, rep_map *m, rep_launch *l, rep_warps *ws, int64_t **gstart,
                     nt_err *e)
{
    bool has_g = rep_map_col(m, "gstart") >= 0;
    nt_sb q = {0};
    nt_sb_printf(&q, "SELECT " SCH_MAP_BLOCK ", %s, start, stop, sm%s FROM %s WHERE "
                 SCH_MAP_LAUNCH " = ?1", m->warp_expr, has_g ? ", gstart" : "", m->qtable);
    sqlite3_stmt *st = rep_prepare_kept(db, nt_sb_str(&q), e);
    nt_sb_free(&q);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, l->id);
    uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    uint64_t wpb = threads ? (threads + 31) / 32 : 1;
    NT_VEC(rep_warp) v = {0};
    NT_VEC(int64_t) g = {0};
    int rc;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        rep_warp w = {
            .slot = (uint64_t)sqlite3_column_int64(st, 0) * wpb +
                    (uint64_t)sqlite3_column_int64(st, 1),
            .start = (uint64_t)sqlite3_column_int64(st, 2),
            .stop = (uint64_t)sqlite3_column_int64(st, 3),
            .sm = (uint32_t)sqlite3_column_int64(st, 4),
            .lane = (uint32_t)v.n,
        };
        if (w.stop < w.start) w.stop = w.start;   /* a torn record: zero length */
        if (w.sm >= 65536) continue;              /* not an SM id: garbage */
        nt_vec_push(&v, w);
        if (has_g) nt_vec_push(&g, sqlite3_column_int64(st, 5));
        if (w.sm + 1 > ws->nsm) ws->nsm = w.sm + 1;
    }
    sqlite3_reset(st);
    if (rc < 0) {
        nt_vec_free(&v);
        nt_vec_free(&g);
        return -1;
    }
    ws->w = v.v;
    ws->n = v.n;
    *gstart = g.v;
    return 0;
}

int rep_warps_load(rep_db *db, rep_launch *l, rep_warps *ws, nt_err *e)
{
    memset(ws, 0, sizeof *ws);
    /* Each launch takes one probe: its lifetimes come from block_sched, or
     * else from any other lifetime map with records for it (probes/
     * regions.lua has one, so its regions have warps to nest in). */
    rep_map *first = rep_block_sched(db);
    int64_t *g = NULL;
    if (!first) return 0;
    if (load_from(db, first, l, ws, &g, e)) return -1;
    for (size_t i = 0; i < db->maps.n && !ws->n; i++) {
        rep_map *m = &db->maps.v[i];
        if (m == first || !rep_is_life_map(m)) continue;
        rep_warps_free(ws);
        free(g);
        if (load_from(db, m, l, ws, &g, e)) return -1;
    }
    l->life = 0;
    for (size_t i = 0; i < ws->n; i++) l->life += (double)(ws->w[i].stop - ws->w[i].start);
    l->life_warps = ws->n;
    l->life_known = true;
    if (!ws->n) {
        free(g);
        return 0;
    }
    /* Sort by start cycles per SM (t0 = cycles for now), then align: the
     * offset is constant per SM, so the order is also that of aligned time. */
    for (size_t i = 0; i < ws->n; i++) ws->w[i].t0 = (int64_t)ws->w[i].start;
    qsort(ws->w, ws->n, sizeof *ws->w, cmp_sm_t0);
    align(ws, g, l);
    free(g);
    assign_lanes(ws);
    return 0;
}

void rep_warps_free(rep_warps *ws)
{
    free(ws->w);
    memset(ws, 0, sizeof *ws);
}

void rep_sched_of(const rep_warps *ws, const rep_launch *l, rep_sched *s)
{
    memset(s, 0, sizeof *s);
    if (!ws->n) return;
    uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    uint64_t wpb = threads ? (threads + 31) / 32 : 1;
    int64_t first = ws->w[0].t0, last = ws->w[0].t1, min_last = INT64_MAX;
    double busy = 0, idle = 0;     /* sums of many spans: double, never overflow */
    s->blocks_min = UINT64_MAX;
    size_t i = 0;
    while (i < ws->n) {
        uint32_t sm = ws->w[i].sm;
        int64_t lo = ws->w[i].t0, hi = ws->w[i].t1, sm_last = hi;
        uint64_t blocks = 0;
        size_t j = i;
        for (; j < ws->n && ws->w[j].sm == sm; j++) {
            const rep_warp *w = &ws->w[j];
            blocks += w->slot % wpb == 0;     /* a block's warp 0 */
            if (w->t0 > hi) {                 /* the SM ran nothing in between */
                busy += (double)(hi - lo);
                idle += (double)(w->t0 - hi);
                if (w->t0 - hi > s->max_gap_ns) s->max_gap_ns = w->t0 - hi;
                lo = w->t0;
            }
            if (w->t1 > hi) hi = w->t1;
            if (w->t1 > sm_last) sm_last = w->t1;
            if (w->t0 < first) first = w->t0;
        }
        busy += (double)(hi - lo);
        if (sm_last > last) last = sm_last;
        if (sm_last < min_last) min_last = sm_last;
        s->sms_used++;
        s->blocks += blocks;
        if (blocks < s->blocks_min) s->blocks_min = blocks;
        if (blocks > s->blocks_max) s->blocks_max = blocks;
        i = j;
    }
    s->warps = ws->n;
    s->span_ns = last - first;
    s->idle_gap_ns = rep_ns_of(idle);
    s->blocks_mean = (double)s->blocks / s->sms_used;
    s->busy_frac = s->span_ns > 0 ? busy / ((double)s->sms_used * s->span_ns) : 1.0;
    s->tail_frac = s->span_ns > 0 ? (double)(last - min_last) / s->span_ns : 0.0;
}
