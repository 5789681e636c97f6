/* table.c — result tables (title, columns, typed cells) and their output as
 * an aligned text table, CSV or JSON.  The summary builds tables; the same
 * tables feed the HTML page, so every number is computed once. */
#include "report/report_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void rep_doc_init(rep_doc *d)
{
    memset(d, 0, sizeof *d);
    nt_arena_init(&d->a, 0);
}

void rep_doc_free(rep_doc *d)
{
    for (rep_table *t = d->first; t; t = t->next) free(t->cells);
    nt_arena_free(&d->a);
}

rep_table *rep_table_new(rep_doc *d, const char *key, const char *title, const char *cols)
{
    rep_table *t = nt_arena_zalloc(&d->a, sizeof *t);
    t->key = nt_arena_strdup(&d->a, key);
    t->title = nt_arena_strdup(&d->a, title);
    int n = 1;
    for (const char *p = cols; *p; p++) n += *p == '|';
    t->cols = nt_arena_alloc(&d->a, sizeof(char *) * (size_t)n);
    const char *p = cols;
    for (int i = 0; i < n; i++) {
        const char *q = strchr(p, '|');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        t->cols[i] = nt_arena_strndup(&d->a, p, len);
        p = q ? q + 1 : p + len;
    }
    t->ncols = n;
    if (d->last) d->last->next = t; else d->first = t;
    d->last = t;
    return t;
}

rep_table *rep_doc_find(rep_doc *d, const char *key)
{
    for (rep_table *t = d->first; t; t = t->next)
        if (!strcmp(t->key, key)) return t;
    return NULL;
}

/* Invariant: after rep_row, the row's cells are all REP_C_NULL and the
 * put functions fill them left to right; `cap` counts cells. */

void rep_row(rep_table *t)
{
    size_t need = (t->nrows + 1) * (size_t)t->ncols;
    if (need > t->cap) {
        t->cap = need * 2;
        t->cells = nt_xrealloc(t->cells, t->cap * sizeof(rep_cell));
    }
    memset(t->cells + t->nrows * (size_t)t->ncols, 0, (size_t)t->ncols * sizeof(rep_cell));
    t->nrows++;
    t->filled = 0;
}

static rep_cell *next_cell(rep_table *t)
{
    if (!t->nrows || t->filled >= t->ncols) abort();   /* programming error */
    return &t->cells[(t->nrows - 1) * (size_t)t->ncols + (size_t)t->filled++];
}

void rep_put_s(rep_doc *d, rep_table *t, const char *s)
{
    rep_cell *c = next_cell(t);
    c->t = REP_C_STR;
    c->s = nt_arena_strdup(&d->a, s ? s : "");
}

void rep_put_i(rep_table *t, int64_t v)
{
    rep_cell *c = next_cell(t);
    c->t = REP_C_INT;
    c->i = v;
}

void rep_put_f(rep_table *t, double v, int prec)
{
    rep_cell *c = next_cell(t);
    if (!isfinite(v)) return;      /* stays NULL: printed as "-" / null */
    c->t = REP_C_NUM;
    c->d = v;
    c->prec = prec;
}

void rep_put_null(rep_table *t) { next_cell(t); }

void rep_note(rep_doc *d, rep_table *t, const char *fmt, ...)
{
    nt_sb b = {0};
    if (t->note) nt_sb_printf(&b, "%s\n", t->note);
    va_list ap;
    va_start(ap, fmt);
    nt_sb_vprintf(&b, fmt, ap);
    va_end(ap);
    t->note = nt_arena_strdup(&d->a, nt_sb_str(&b));
    nt_sb_free(&b);
}

const rep_cell *rep_cell_at(const rep_table *t, size_t row, int col)
{
    return &t->cells[row * (size_t)t->ncols + (size_t)col];
}

const char *rep_cell_str(const rep_cell *c, char *buf, size_t n)
{
    switch (c->t) {
    case REP_C_STR: return c->s;
    case REP_C_INT: snprintf(buf, n, "%" PRId64, c->i); return buf;
    case REP_C_NUM: snprintf(buf, n, "%.*f", c->prec, c->d); return buf;
    default: return "-";
    }
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Text tables fit a terminal: long strings (templated C++ kernel names run
 * to hundreds of characters) are cut to TEXT_MAX with "..." at the end;
 * csv and json keep them whole. */
#define TEXT_MAX 64

static const char *text_cell(const rep_cell *c, char *buf, size_t n)
{
    const char *s = rep_cell_str(c, buf, n);
    if (strlen(s) <= TEXT_MAX) return s;
    snprintf(buf, n, "%.*s...", TEXT_MAX - 3, s);
    return buf;
}

static void write_text(const rep_table *t, FILE *out)
{
    char buf[TEXT_MAX + 8];
    size_t *w = nt_xcalloc((size_t)t->ncols, sizeof *w);
    for (int c = 0; c < t->ncols; c++) w[c] = strlen(t->cols[c]);
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t l = strlen(text_cell(rep_cell_at(t, r, c), buf, sizeof buf));
            if (l > w[c]) w[c] = l;
        }
    fprintf(out, "== %s\n", t->title);
    /* Text columns are left-aligned, numbers right-aligned; the type of a
     * column is that of its first non-null cell. */
    bool *left = nt_xcalloc((size_t)t->ncols, sizeof *left);
    for (int c = 0; c < t->ncols; c++) {
        left[c] = true;
        for (size_t r = 0; r < t->nrows; r++) {
            const rep_cell *x = rep_cell_at(t, r, c);
            if (x->t != REP_C_NULL) { left[c] = x->t == REP_C_STR; break; }
        }
    }
    if (t->nrows) {
        for (int c = 0; c < t->ncols; c++)
            fprintf(out, "%s%*s%s", c ? "  " : "  ", left[c] ? -(int)w[c] : (int)w[c],
                    t->cols[c], "");
        fputc('\n', out);
        for (size_t r = 0; r < t->nrows; r++) {
            for (int c = 0; c < t->ncols; c++) {
                const char *s = text_cell(rep_cell_at(t, r, c), buf, sizeof buf);
                bool last = c == t->ncols - 1;
                if (last && left[c]) fprintf(out, "  %s", s);
                else fprintf(out, "  %*s", left[c] ? -(int)w[c] : (int)w[c], s);
            }
            fputc('\n', out);
        }
    }
    if (t->note) {
        const char *p = t->note;
        while (*p) {
            const char *q = strchr(p, '\n');
            int len = q ? (int)(q - p) : (int)strlen(p);
            fprintf(out, "  note: %.*s\n", len, p);
            p += len + (q != NULL);
        }
    }
    fputc('\n', out);
    free(w);
    free(left);
}

static void write_csv(const rep_table *t, FILE *out)
{
    char buf[64];
    fputs("# ", out);
    fputs(t->key, out);
    fputc('\n', out);
    for (int c = 0; c < t->ncols; c++) {
        if (c) fputc(',', out);
        csv_field(out, t->cols[c]);
    }
    fputc('\n', out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const rep_cell *x = rep_cell_at(t, r, c);
            if (c) fputc(',', out);
            if (x->t != REP_C_NULL) csv_field(out, rep_cell_str(x, buf, sizeof buf));
        }
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void write_json(const rep_table *t, FILE *out)
{
    char buf[64];
    fputs("{\"key\":", out);
    rep_json_str(out, t->key);
    fputs(",\"title\":", out);
    rep_json_str(out, t->title);
    fputs(",\"columns\":[", out);
    for (int c = 0; c < t->ncols; c++) {
        if (c) fputc(',', out);
        rep_json_str(out, t->cols[c]);
    }
    fputs("],\"rows\":[", out);
    for (size_t r = 0; r < t->nrows; r++) {
        fputs(r ? ",[" : "[", out);
        for (int c = 0; c < t->ncols; c++) {
            const rep_cell *x = rep_cell_at(t, r, c);
            if (c) fputc(',', out);
            if (x->t == REP_C_STR) rep_json_str(out, x->s);
            else if (x->t == REP_C_NULL) fputs("null", out);
            else fputs(rep_cell_str(x, buf, sizeof buf), out);
        }
        fputc(']', out);
    }
    fputs("]", out);
    if (t->note) {
        fputs(",\"note\":", out);
        rep_json_str(out, t->note);
    }
    fputs("}", out);
}

void rep_doc_write(const rep_doc *d, enum rep_format f, FILE *out)
{
    if (f == REP_JSON) fputs("{\"tables\":[", out);
    for (const rep_table *t = d->first; t; t = t->next) {
        if (f == REP_TEXT) write_text(t, out);
        else if (f == REP_CSV) write_csv(t, out);
        else {
            if (t != d->first) fputc(',', out);
            write_json(t, out);
        }
    }
    if (f == REP_JSON) fputs("]}\n", out);
}
