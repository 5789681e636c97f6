/* probes.c — one summary per probe present: block_sched (scheduling per
 * launch), gmem_bytes (bytes and bandwidth per launch), barrier_wait /
 * mem_wait (per-warp cycle breakdown per kernel), and a generic summary
 * (count, min/mean/max per numeric column) of every other map. */
#include "report/report_int.h"
#include "report/schema.h"

#include <stdlib.h>
#include <string.h>

/* Byte counters of a gmem_bytes map: the shipped probe (probes/
 * gmem_bytes.lua) counts load_bytes, store_bytes and async_bytes; a plain
 * `bytes` field is accepted too.  Their sum is the traffic. */
static const char *const gmem_fields[] = {"bytes", "load_bytes", "store_bytes", "async_bytes"};

/* A gmem_bytes map: probe or map of that name with byte counters. */
static bool is_gmem(const rep_map *m)
{
    if (strcmp(m->probe, "gmem_bytes") && strcmp(m->name, "gmem_bytes")) return false;
    for (size_t i = 0; i < NT_ARRAY_LEN(gmem_fields); i++)
        if (rep_map_col(m, gmem_fields[i]) >= 0) return true;
    return false;
}

static int sum_sched(rep_db *db, rep_doc *d, rep_map *bs, nt_err *e)
{
    rep_table *t = rep_table_new(d, "block_sched",
        "block_sched: scheduling per launch",
        "launch|kernel|warps|blocks|SMs|blocks/SM min|mean|max|span us|SM busy %|"
        "idle gaps us|max gap us|tail %");
    bool anchored = false, unanchored = false;
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        rep_tick(db, "block_sched", i);
        if (!l->selected || !l->instrumented) continue;
        rep_warps ws;
        if (rep_warps_load(db, l, &ws, e)) return -1;
        if (ws.n) {
            rep_sched s;
            rep_sched_of(&ws, l, &s);
            rep_row(t);
            rep_put_i(t, l->id);
            rep_put_s(d, t, rep_launch_kname(l));
            rep_put_i(t, (int64_t)s.warps);
            rep_put_i(t, (int64_t)s.blocks);
            rep_put_i(t, s.sms_used);
            rep_put_i(t, (int64_t)s.blocks_min);
            rep_put_f(t, s.blocks_mean, 1);
            rep_put_i(t, (int64_t)s.blocks_max);
            rep_put_f(t, s.span_ns / 1e3, 1);
            rep_put_f(t, 100.0 * s.busy_frac, 1);
            rep_put_f(t, s.idle_gap_ns / 1e3, 1);
            rep_put_f(t, s.max_gap_ns / 1e3, 1);
            rep_put_f(t, 100.0 * s.tail_frac, 1);
            if (ws.anchored) anchored = true; else unanchored = true;
        }
        rep_warps_free(&ws);
    }
    rep_note(d, t, "SM busy: time an SM had a warp resident / (SMs used x span); idle gaps: "
             "time inside an SM's busy range with no warp");
    rep_note(d, t, "tail: share of the span after the first SM ran out of work");
    if (anchored) rep_note(d, t, "SM clocks aligned on %%globaltimer anchors");
    if (unanchored) rep_note(d, t, "some launches have no %%globaltimer anchor: each SM's "
                             "first warp is placed at the launch start");
    if (!t->nrows) rep_note(d, t, "no block_sched records in the selected launches");
    return 0;
}

static int sum_gmem(rep_db *db, rep_doc *d, rep_map *m, nt_err *e)
{
    rep_table *t = rep_table_new(d, "gmem_bytes", "gmem_bytes: global memory traffic per launch",
                                 "launch|kernel|bytes|MB|duration us|achieved GB/s");
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        rep_tick(db, "gmem_bytes", i);
        if (!l->selected || !l->instrumented) continue;
        rep_agg a = {0};
        for (size_t f = 0; f < NT_ARRAY_LEN(gmem_fields); f++) {
            int col = rep_map_col(m, gmem_fields[f]);
            if (col >= 0 && rep_map_agg(db, m, col, l->id, &a, e)) return -1;
        }
        if (!a.n) continue;
        int64_t dur = l->end_ns - l->start_ns;
        rep_row(t);
        rep_put_i(t, l->id);
        rep_put_s(d, t, rep_launch_kname(l));
        rep_put_i(t, (int64_t)a.sum);
        rep_put_f(t, a.sum / 1e6, 2);
        rep_put_f(t, dur / 1e3, 1);
        double gbs = dur > 0 ? a.sum / (double)dur : 0;      /* bytes/ns = GB/s */
        rep_put_f(t, gbs, 1);
    }
    rep_note(d, t, "bytes: sum of the map's bytes, load_bytes, store_bytes, async_bytes; "
             "achieved bandwidth: bytes / launch duration (CUPTI start..end)");
    if (!t->nrows) rep_note(d, t, "no gmem_bytes records in the selected launches");
    return 0;
}

static int sum_waits(rep_db *db, rep_doc *d, nt_err *e)
{
    const rep_kwait *kw;
    size_t n;
    if (rep_kwaits(db, &kw, &n, e)) return -1;
    rep_table *t = rep_table_new(d, "warp_cycles", "barrier_wait / mem_wait: warp cycle breakdown",
        "kernel|warps|warp Mcycles|barrier %|memory %|other %|barrier/warp mean|max|"
        "memory/warp mean|max");
    for (size_t i = 0; i < n; i++) {
        const rep_kwait *k = &kw[i];
        if (!k->nbar && !k->nmem) continue;
        uint64_t warps = k->warps ? k->warps : NT_MAX(k->nbar, k->nmem);
        rep_row(t);
        rep_put_s(d, t, k->k->demangled);
        rep_put_i(t, (int64_t)warps);
        if (k->life > 0) {
            rep_put_f(t, k->life / 1e6, 2);
            rep_put_f(t, 100.0 * k->barrier / k->life, 1);
            rep_put_f(t, 100.0 * k->mem / k->life, 1);
            double other = k->life - k->barrier - k->mem;
            rep_put_f(t, other > 0 ? 100.0 * other / k->life : 0.0, 1);
        } else {
            rep_put_null(t);
            rep_put_null(t);
            rep_put_null(t);
            rep_put_null(t);
        }
        if (k->nbar) { rep_put_f(t, k->barrier / k->nbar, 0); rep_put_f(t, k->bar_max, 0); }
        else { rep_put_null(t); rep_put_null(t); }
        if (k->nmem) { rep_put_f(t, k->mem / k->nmem, 0); rep_put_f(t, k->mem_max, 0); }
        else { rep_put_null(t); rep_put_null(t); }
    }
    rep_note(d, t, "shares of the warps' lifetimes (block_sched start..stop); other = lifetime "
             "minus barrier and memory waits (issuing and stalls probes do not see)");
    if (!rep_block_sched(db)) rep_note(d, t, "no block_sched map: lifetimes unknown, shares left out");
    return 0;
}

static bool known(rep_db *db, const rep_map *m)
{
    return rep_is_life_map(m) || m == rep_region_map(db) || m == rep_wait_map(db, "barrier_wait") ||
           m == rep_wait_map(db, "mem_wait") ||
           is_gmem(m);
}

static int sum_generic(rep_db *db, rep_doc *d, rep_map *m, nt_err *e)
{
    char key[256], title[300];
    snprintf(key, sizeof key, "map:%s.%s", m->probe, m->name);
    snprintf(title, sizeof title, "%s.%s (%s level, cap %lld): per column", m->probe, m->name,
             m->level, (long long)m->cap);
    rep_table *t = rep_table_new(d, key, title, "column|type|records|min|mean|max");
    for (int c = 0; c < m->ncols; c++) {
        rep_agg a = {0};
        for (size_t i = 0; i < db->launches.n; i++) {
            rep_launch *l = &db->launches.v[i];
            rep_tick(db, m->table, i);
            if (l->selected && rep_map_agg(db, m, c, l->id, &a, e)) return -1;
        }
        rep_row(t);
        rep_put_s(d, t, m->cols[c].name);
        rep_put_s(d, t, m->cols[c].type);
        rep_put_i(t, (int64_t)a.n);
        int prec = m->cols[c].kind == REP_COL_FLOAT ? 3 : 0;
        if (a.n) {
            rep_put_f(t, a.min, prec);
            /* The sum is a double: clamp the mean of huge values (timer
             * readings near 2^60) where its rounding shows. */
            double mean = a.sum / a.n;
            rep_put_f(t, mean < a.min ? a.min : mean > a.max ? a.max : mean, prec == 0 ? 1 : prec);
            rep_put_f(t, a.max, prec);
        } else {
            rep_put_null(t);
            rep_put_null(t);
            rep_put_null(t);
        }
    }
    return 0;
}

static int sum_drops(rep_db *db, rep_doc *d, nt_err *e)
{
    rep_table *t = NULL;
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        if (!l->selected || l->dropped <= 0) continue;
        if (!t) t = rep_table_new(d, "drops", "records dropped (slots full: raise the map's cap)",
                                  "launch|kernel|records saved|dropped|dropped %");
        rep_row(t);
        rep_put_i(t, l->id);
        rep_put_s(d, t, rep_launch_kname(l));
        rep_put_i(t, l->saved);
        rep_put_i(t, l->dropped);
        rep_put_f(t, 100.0 * l->dropped / (double)(l->saved + l->dropped), 1);
    }
    (void)e;
    return 0;
}

int rep_sum_probes(rep_db *db, rep_doc *d, nt_err *e)
{
    rep_map *bs = rep_block_sched(db);
    if (bs && sum_sched(db, d, bs, e)) return -1;
    for (size_t i = 0; i < db->maps.n; i++) {
        rep_map *m = &db->maps.v[i];
        if (is_gmem(m) && sum_gmem(db, d, m, e))
            return -1;
    }
    if ((rep_wait_map(db, "barrier_wait") || rep_wait_map(db, "mem_wait")) && sum_waits(db, d, e))
        return -1;
    if (rep_sum_regions(db, d, e)) return -1;
    for (size_t i = 0; i < db->maps.n; i++)
        if (!known(db, &db->maps.v[i]) && sum_generic(db, d, &db->maps.v[i], e)) return -1;
    return sum_drops(db, d, e);
}
