/* stall_lines.c — where in the source the sampled warps stalled: PC
 * samples summed per source line (NTRACE_PC_LINES, from cubins built with
 * nvcc -lineinfo), the hottest lines first, each with its share of its
 * kernel's samples and its most frequent stall reason. */
#include "report/report_int.h"
#include "report/schema.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LINES 20

typedef struct sline {
    const char *fn, *file;      /* db-owned text (rep_col_text) */
    int64_t line;
    double samples, top;
    const char *reason;         /* the reason with the most samples */
} sline;

typedef NT_VEC(double) dvec;

static int by_samples(const void *a, const void *b)
{
    double x = ((const sline *)a)->samples, y = ((const sline *)b)->samples;
    return (x < y) - (x > y);
}

/* All samples per function name (the shares' denominators), into a map
 * whose keys live in db's arena; a query that fails leaves it empty (the
 * shares read 0). */
static void fn_totals(rep_db *db, nt_map *m, dvec *v, nt_err *e)
{
    sqlite3_stmt *st = rep_prepare(db, SCH_Q_PC_FN_TOTALS, e);
    while (st && rep_step(db, st, e) == SQLITE_ROW) {
        const char *fn = rep_col_text(db, st, 0);
        nt_map_put(m, fn, strlen(fn), v->n);
        nt_vec_push(v, sqlite3_column_double(st, 1));
    }
    sqlite3_finalize(st);
}

int rep_sum_stall_lines(rep_db *db, rep_doc *d, nt_err *e)
{
    if (!db->has_pc || !rep_has_table(db, SCH_T_PC_LINES)) return 0;
    sqlite3_stmt *st = rep_prepare(db, SCH_Q_PC_LINES, e);
    if (!st) return -1;
    NT_VEC(sline) v = {0};
    int rc;
    while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
        const char *fn = rep_col_text(db, st, 0), *file = rep_col_text(db, st, 1);
        int64_t line = sqlite3_column_int64(st, 2);
        double n = sqlite3_column_double(st, 4);
        const rep_kernel *k = rep_kernel_by_name(db, fn);
        if (k && !k->selected) continue;
        sline *cur = v.n ? &v.v[v.n - 1] : NULL;
        /* Rows come ordered by (function, file, line): one entry per line. */
        if (!cur || strcmp(cur->fn, fn) || strcmp(cur->file, file) || cur->line != line) {
            nt_vec_push(&v, ((sline){.fn = fn, .file = file, .line = line}));
            cur = &v.v[v.n - 1];
        }
        cur->samples += n;
        if (n > cur->top) {
            cur->top = n;
            cur->reason = rep_col_text(db, st, 3);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        nt_vec_free(&v);
        return -1;
    }
    if (v.n) {
        qsort(v.v, v.n, sizeof *v.v, by_samples);
        rep_table *t = rep_table_new(d, "stalls_lines", "PC sampling: hottest source lines",
                                     "source line|kernel|samples|share %|top reason");
        nt_map tix = {0};
        dvec tot = {0};
        fn_totals(db, &tix, &tot, e);
        for (size_t i = 0; i < v.n && i < MAX_LINES; i++) {
            const sline *s = &v.v[i];
            const rep_kernel *k = rep_kernel_by_name(db, s->fn);
            const char *base = strrchr(s->file, '/');
            char where[512];
            snprintf(where, sizeof where, "%s:%lld", base ? base + 1 : s->file, (long long)s->line);
            uint64_t ti;
            double total = nt_map_get(&tix, s->fn, strlen(s->fn), &ti) ? tot.v[ti] : 0;
            rep_row(t);
            rep_put_s(d, t, where);
            rep_put_s(d, t, k ? k->demangled : s->fn);
            rep_put_f(t, s->samples, 0);
            rep_put_f(t, total > 0 ? 100.0 * s->samples / total : 0, 1);
            rep_put_s(d, t, s->reason ? rep_stall_short_name(s->reason) : "");
        }
        nt_map_free(&tix);
        nt_vec_free(&tot);
        rep_note(d, t, "lines from cubins built with nvcc -lineinfo; share: of all the kernel's "
                 "samples (PCs without a line included)%s", v.n > MAX_LINES ? "; top 20 shown" : "");
    }
    nt_vec_free(&v);
    return 0;
}
