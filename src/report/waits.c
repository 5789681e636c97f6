/* waits.c — probe-side warp cycle accounting: barrier_wait and mem_wait
 * cycles per warp against the warp's lifetime from block_sched, summed per
 * kernel over the selected launches.  "other" is what is left of the
 * lifetime: issuing, and stalls the probes do not see. */
#include "report/report_int.h"
#include "report/schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The shipped probes count `wait` (probes/barrier_wait.lua, mem_wait.lua:
 * their "counters" map); `cycles` is accepted too. */
const char *rep_wait_col(const rep_map *m)
{
    if (rep_map_col(m, "wait") >= 0) return "wait";
    if (rep_map_col(m, "cycles") >= 0) return "cycles";
    return NULL;
}

rep_map *rep_wait_map(rep_db *db, const char *probe)
{
    for (size_t i = 0; i < db->maps.n; i++) {
        rep_map *m = &db->maps.v[i];
        if ((!strcmp(m->probe, probe) || !strcmp(m->name, probe)) && rep_wait_col(m))
            return m;
    }
    return NULL;
}

int rep_map_agg(rep_db *db, const rep_map *m, int col, int64_t launch, rep_agg *a, nt_err *e)
{
    nt_sb q = {0};
    /* Column names come from the file: quote them like table names. */
    nt_sb qc = {0};
    nt_sb_putc(&qc, '"');
    for (const char *p = m->cols[col].name; *p; p++) {
        if (*p == '"') nt_sb_putc(&qc, '"');
        nt_sb_putc(&qc, *p);
    }
    nt_sb_putc(&qc, '"');
    const char *c = nt_sb_str(&qc);
    nt_sb_printf(&q, "SELECT count(%s), min(%s), total(%s), max(%s) FROM %s WHERE " SCH_MAP_LAUNCH " = ?1",
                 c, c, c, c, m->qtable);
    sqlite3_stmt *st = rep_prepare_kept(db, nt_sb_str(&q), e);
    nt_sb_free(&q);
    nt_sb_free(&qc);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, launch);
    int rc = rep_step(db, st, e);
    if (rc == SQLITE_ROW) {
        uint64_t n = (uint64_t)sqlite3_column_int64(st, 0);
        if (n) {
            double mn = sqlite3_column_double(st, 1), mx = sqlite3_column_double(st, 3);
            if (!a->n || mn < a->min) a->min = mn;
            if (!a->n || mx > a->max) a->max = mx;
            a->sum += sqlite3_column_double(st, 2);
            a->n += n;
        }
    }
    sqlite3_reset(st);
    return rc < 0 ? -1 : 0;
}

/* Sums a wait map's cycles for one launch into k: per-warp sums (records of
 * one warp are consecutive when ordered by slot; cap 1 needs no sort). */
static int add_waits(rep_db *db, rep_map *m, const rep_launch *l, double *sum,
                     uint64_t *nwarps, double *max, nt_err *e)
{
    nt_sb q = {0};
    nt_sb_printf(&q, "SELECT " SCH_MAP_BLOCK " * 65536 + %s, \"%s\" FROM %s WHERE "
                 SCH_MAP_LAUNCH " = ?1%s", m->warp_expr, rep_wait_col(m), m->qtable,
                 m->cap > 1 ? " ORDER BY 1" : "");
    sqlite3_stmt *st = rep_prepare_kept(db, nt_sb_str(&q), e);
    nt_sb_free(&q);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, l->id);
    int rc;
    int64_t cur = -1;
    double acc = 0;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        int64_t slot = sqlite3_column_int64(st, 0);
        double c = sqlite3_column_double(st, 1);
        if (slot != cur) {
            if (cur >= 0 && acc > *max) *max = acc;
            if (cur >= 0) (*nwarps)++;
            cur = slot;
            acc = 0;
        }
        acc += c;
        *sum += c;
    }
    if (cur >= 0) {
        (*nwarps)++;
        if (acc > *max) *max = acc;
    }
    sqlite3_reset(st);
    return rc < 0 ? -1 : 0;
}

static int add_life(rep_db *db, rep_map *bs, const rep_launch *l, rep_kwait *k, nt_err *e)
{
    if (l->life_known) {      /* rep_warps_load saw this launch already */
        k->warps += l->life_warps;
        k->life += l->life;
        return 0;
    }
    nt_sb q = {0};
    nt_sb_printf(&q, "SELECT count(*), total(max(stop - start, 0)) FROM %s WHERE "
                 SCH_MAP_LAUNCH " = ?1", bs->qtable);
    sqlite3_stmt *st = rep_prepare_kept(db, nt_sb_str(&q), e);
    nt_sb_free(&q);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, l->id);
    int rc = rep_step(db, st, e);
    if (rc == SQLITE_ROW) {
        k->warps += (uint64_t)sqlite3_column_int64(st, 0);
        k->life += sqlite3_column_double(st, 1);
    }
    sqlite3_reset(st);
    return rc < 0 ? -1 : 0;
}

int rep_kwaits(rep_db *db, const rep_kwait **out, size_t *n, nt_err *e)
{
    if (db->kw_done) {
        *out = db->kw;
        *n = db->nkw;
        return 0;
    }
    rep_map *bar = rep_wait_map(db, "barrier_wait"), *mem = rep_wait_map(db, "mem_wait");
    rep_map *bs = rep_block_sched(db);
    free(db->kw);
    db->kw = NULL;
    db->nkw = 0;
    if (bar || mem) {
        db->kw = nt_xcalloc(db->kernels.n + 1, sizeof *db->kw);
        /* One entry per selected (canonical) kernel: a merged database has
         * the same kernel once per run, and one run's block_sched lifetimes
         * go with another run's barrier_wait cycles (each launch carries one
         * probe); launches point at the canonical kernel (db.c). */
        /* kernel index -> its entry (a launch's kernel is found in O(1):
         * a run can have 100 k kernels and millions of launches) */
        rep_kwait **of = nt_xcalloc(db->kernels.n + 1, sizeof *of);
        for (size_t i = 0; i < db->kernels.n; i++)
            if (db->kernels.v[i].selected) {
                db->kw[db->nkw].k = &db->kernels.v[i];
                of[i] = &db->kw[db->nkw++];
            }
        int rc = 0;
        for (size_t i = 0; i < db->launches.n && !rc; i++) {
            rep_launch *l = &db->launches.v[i];
            rep_tick(db, "warp cycles", i);
            if (!l->selected || !l->instrumented || !l->k) continue;
            rep_kwait *k = of[l->k - db->kernels.v];
            if (!k) continue;
            if ((bs && add_life(db, bs, l, k, e)) ||
                (bar && add_waits(db, bar, l, &k->barrier, &k->nbar, &k->bar_max, e)) ||
                (mem && add_waits(db, mem, l, &k->mem, &k->nmem, &k->mem_max, e)))
                rc = -1;
        }
        free(of);
        if (rc) return -1;
    }
    db->kw_done = true;
    *out = db->kw;
    *n = db->nkw;
    return 0;
}
