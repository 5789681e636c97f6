/* stalls.c — warp stall breakdowns from the two sources, side by side:
 * hardware PC sampling (CUPTI stall-reason names, each sample counted once
 * whether its warp issued or not) and probes (barrier_wait / mem_wait
 * against the warp lifetime).  To compare them, PC-sampling reasons are
 * folded into the probes' three classes (class_of). */
#include "report/report_int.h"
#include "report/schema.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REASONS 32

/* CUPTI's names carry a long common prefix; the rest is what users know. */
const char *rep_stall_short_name(const char *s)
{
    static const char *const pre[] = {"smsp__pcsamp_warps_issue_stalled_",
                                      "CUPTI_ACTIVITY_PC_SAMPLING_STALL_"};
    for (size_t i = 0; i < NT_ARRAY_LEN(pre); i++)
        if (!strncmp(s, pre[i], strlen(pre[i]))) return s + strlen(pre[i]);
    return s;
}

/* 0 barrier, 1 memory, 2 other. */
static int class_of(const char *r)
{
    static const char *const bar[] = {"barrier", "membar", "SYNC", "sync"};
    static const char *const mem[] = {"long_scoreboard", "lg_throttle", "mio_throttle",
                                      "tex_throttle", "drain", "short_scoreboard", "imc_miss",
                                      "MEMORY", "TEXTURE", "CONSTANT"};
    for (size_t i = 0; i < NT_ARRAY_LEN(bar); i++) if (strstr(r, bar[i])) return 0;
    for (size_t i = 0; i < NT_ARRAY_LEN(mem); i++) if (strstr(r, mem[i])) return 1;
    return 2;
}

static const char *const class_names[3] = {"barrier", "memory", "other"};

/* PC samples of one kernel, by reason index. */
typedef struct kpc {
    double s[MAX_REASONS];
    double total;
} kpc;

typedef struct pcacc {
    kpc *k;                 /* per kernel row (index in db->kernels) */
    const char **names;
    int nr;
} pcacc;

static void add_sample(rep_db *db, pcacc *a, const rep_kernel *kern, const char *reason, double v)
{
    const char *r = rep_stall_short_name(reason ? reason : "?");
    int ri = 0;
    while (ri < a->nr && strcmp(a->names[ri], r)) ri++;    /* at most 32 */
    if (ri == a->nr) {
        if (a->nr < MAX_REASONS - 1) a->names[a->nr++] = nt_arena_strdup(&db->a, r);
        else ri = MAX_REASONS - 1;      /* the rest, lumped */
    }
    if (ri == MAX_REASONS - 1) a->names[ri] = "(other reasons)";
    kpc *k = &a->k[kern - db->kernels.v];
    if (v < 0) v = 0;                   /* a count: garbage is nothing */
    k->s[ri] += v;
    k->total += v;
}

/* PC samples per selected kernel and reason: through the launch of their
 * correlation id, or, for samples whose launch is not known (correlation
 * id 0), through the kernel whose mangled name is their function — those
 * count only when no single launch is selected.  *out has one entry per
 * kernel row (total 0: no samples); caller frees. */
static int load_pc(rep_db *db, kpc **out, const char **names, int *nr, nt_err *e)
{
    *out = NULL;
    *nr = 0;
    if (!db->has_pc) return 0;
    pcacc a = {.k = nt_xcalloc(db->kernels.n + 1, sizeof *a.k), .names = names};
    bool one_launch = false;
    for (size_t i = 0; i < db->launches.n; i++) one_launch |= !db->launches.v[i].selected;
    sqlite3_stmt *st = rep_prepare(db, SCH_Q_PC_STALLS, e);
    int rc = st ? 0 : -1;
    while (!rc && (rc = rep_step(db, st, e)) == SQLITE_ROW) {
        rc = 0;
        rep_launch *l = rep_launch_by_id(db, sqlite3_column_int64(st, 0));
        if (l && l->selected && l->k)
            add_sample(db, &a, l->k, (const char *)sqlite3_column_text(st, 1),
                       sqlite3_column_double(st, 2));
    }
    sqlite3_finalize(st);
    st = rc < 0 ? NULL : rep_prepare(db, SCH_Q_PC_STALLS_BY_KERNEL, e);
    rc = rc < 0 || !st ? -1 : 0;
    while (!rc && (rc = rep_step(db, st, e)) == SQLITE_ROW) {
        rc = 0;
        for (rep_kernel *k = rep_kernel_by_id(db, sqlite3_column_int64(st, 0)); k;
             k = rep_kernel_next_same_id(db, k))
            if (k->canon->selected && !one_launch)
                add_sample(db, &a, k->canon, (const char *)sqlite3_column_text(st, 1),
                           sqlite3_column_double(st, 2));
    }
    sqlite3_finalize(st);
    if (a.nr == MAX_REASONS - 1 && names[MAX_REASONS - 1]) a.nr = MAX_REASONS;
    *out = a.k;
    *nr = a.nr;
    return rc < 0 ? -1 : 0;
}

/* Per selected kernel, in kernel order: its PC-sampling row, then its
 * probe row (each only when it has data).  Both sources are indexed by
 * kernel row, so this is linear in kernels. */
int rep_stall_rows(rep_db *db, rep_stall_row **rows, size_t *n, nt_err *e)
{
    const char *names[MAX_REASONS] = {0};
    int nr;
    kpc *pc;
    const rep_kwait *kw = NULL;
    size_t nkw = 0;
    *rows = NULL;
    *n = 0;
    if (load_pc(db, &pc, names, &nr, e) || rep_kwaits(db, &kw, &nkw, e)) {
        free(pc);
        return -1;
    }
    const rep_kwait **kw_of = nt_xcalloc(db->kernels.n + 1, sizeof *kw_of);
    for (size_t j = 0; j < nkw; j++) kw_of[kw[j].k - db->kernels.v] = &kw[j];
    rep_stall_row *r = nt_xcalloc(2 * (db->kernels.n + 1), sizeof *r);
    size_t m = 0;
    for (size_t i = 0; i < db->kernels.n; i++) {
        rep_kernel *k = &db->kernels.v[i];
        if (!k->selected) continue;
        if (pc && pc[i].total > 0) {
            rep_stall_row *x = &r[m++];
            x->kernel = k->demangled;
            x->source = "pc sampling";
            x->n = nr;
            for (int q = 0; q < nr; q++) {
                x->names[q] = names[q];
                x->share[q] = pc[i].s[q] / pc[i].total;
            }
        }
        const rep_kwait *w = kw_of[i];
        if (w && w->life > 0) {
            rep_stall_row *x = &r[m++];
            x->kernel = k->demangled;
            x->source = "probes";
            x->n = 3;
            double other = w->life - w->barrier - w->mem;
            x->share[0] = w->barrier / w->life;
            x->share[1] = w->mem / w->life;
            x->share[2] = other > 0 ? other / w->life : 0;
            for (int q = 0; q < 3; q++) x->names[q] = class_names[q];
        }
    }
    free(kw_of);
    free(pc);
    *rows = r;
    *n = m;
    return 0;
}

int rep_sum_stalls(rep_db *db, rep_doc *d, nt_err *e)
{
    rep_stall_row *r;
    size_t n;
    if (rep_stall_rows(db, &r, &n, e)) return -1;
    if (!n) {
        free(r);
        return 0;
    }
    rep_table *side = rep_table_new(d, "stalls", "warp stall breakdown: PC sampling and probes",
                                    "kernel|source|barrier %|memory %|other %");
    rep_table *pc = NULL;
    for (size_t i = 0; i < n; i++) {
        double cls[3] = {0};
        for (int q = 0; q < r[i].n; q++)
            cls[!strcmp(r[i].source, "probes") ? q : class_of(r[i].names[q])] += r[i].share[q];
        rep_row(side);
        rep_put_s(d, side, r[i].kernel);
        rep_put_s(d, side, r[i].source);
        for (int c = 0; c < 3; c++) rep_put_f(side, 100.0 * cls[c], 1);
        if (strcmp(r[i].source, "pc sampling")) continue;
        if (!pc) pc = rep_table_new(d, "stalls_pc", "PC sampling: stall reasons",
                                    "kernel|reason|class|share %");
        /* Largest first: selection sort on a copy of the indices. */
        int idx[MAX_REASONS];
        for (int q = 0; q < r[i].n; q++) idx[q] = q;
        for (int a = 0; a < r[i].n; a++)
            for (int b = a + 1; b < r[i].n; b++)
                if (r[i].share[idx[b]] > r[i].share[idx[a]]) {
                    int t = idx[a]; idx[a] = idx[b]; idx[b] = t;
                }
        for (int q = 0; q < r[i].n; q++) {
            if (r[i].share[idx[q]] <= 0) continue;
            rep_row(pc);
            rep_put_s(d, pc, r[i].kernel);
            rep_put_s(d, pc, r[i].names[idx[q]]);
            rep_put_s(d, pc, class_names[class_of(r[i].names[idx[q]])]);
            rep_put_f(pc, 100.0 * r[i].share[idx[q]], 1);
        }
    }
    rep_note(d, side, "PC sampling reasons are folded into classes: barrier (barrier, membar), "
             "memory (long/short scoreboard, lg/mio/tex throttle, drain, imc miss), other");
    free(r);
    return rep_sum_stall_lines(db, d, e);
}
