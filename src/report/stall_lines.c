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

static int by_samples(const void *a, const void *b)
{
    double x = ((const sline *)a)->samples, y = ((const sline *)b)->samples;
    return (x < y) - (x > y);
}

static const rep_kernel *kernel_of(rep_db *db, const char *fn)
{
    for (size_t i = 0; i < db->kernels.n; i++)
        if (!strcmp(db->kernels.v[i].name, fn)) return &db->kernels.v[i];
    return NULL;
}

static double fn_total(rep_db *db, const char *fn, nt_err *e)
{
    sqlite3_stmt *st = rep_prepare(db, SCH_Q_PC_FN_TOTALS, e);
    double t = 0;
    int rc;
    while (st && (rc = rep_step(db, st, e)) == SQLITE_ROW)
        if (!strcmp(rep_col_text(db, st, 0), fn)) t = sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
    return t;
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
        const rep_kernel *k = kernel_of(db, fn);
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
        for (size_t i = 0; i < v.n && i < MAX_LINES; i++) {
            const sline *s = &v.v[i];
            const rep_kernel *k = kernel_of(db, s->fn);
            const char *base = strrchr(s->file, '/');
            char where[512];
            snprintf(where, sizeof where, "%s:%lld", base ? base + 1 : s->file, (long long)s->line);
            double total = fn_total(db, s->fn, e);
            rep_row(t);
            rep_put_s(d, t, where);
            rep_put_s(d, t, k ? k->demangled : s->fn);
            rep_put_f(t, s->samples, 0);
            rep_put_f(t, total > 0 ? 100.0 * s->samples / total : 0, 1);
            rep_put_s(d, t, s->reason ? rep_stall_short_name(s->reason) : "");
        }
        rep_note(d, t, "lines from cubins built with nvcc -lineinfo; share: of all the kernel's "
                 "samples (PCs without a line included)%s", v.n > MAX_LINES ? "; top 20 shown" : "");
    }
    nt_vec_free(&v);
    return 0;
}
