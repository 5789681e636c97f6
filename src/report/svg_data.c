/* svg_data.c — the plots drawn from record data: the memory-access heat
 * map (a map with `addr` and `gtime` columns: address ranges over time)
 * and the divergence histogram (a map with an `active_mask` column). */
#include "report/html_int.h"
#include "report/schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static rep_map *map_with(rep_db *db, const char *a, const char *b)
{
    for (size_t i = 0; i < db->maps.n; i++)
        if (rep_map_col(&db->maps.v[i], a) >= 0 && (!b || rep_map_col(&db->maps.v[i], b) >= 0))
            return &db->maps.v[i];
    return NULL;
}

typedef int (*row_fn)(void *ctx, sqlite3_stmt *st);

/* Runs "SELECT cols FROM map WHERE launch_id = ?" for every selected
 * launch, calling fn per row. */
static int each_row(rep_db *db, const rep_map *m, const char *cols, row_fn fn, void *ctx,
                    nt_err *e)
{
    nt_sb q = {0};
    nt_sb_printf(&q, "SELECT %s FROM %s WHERE " SCH_MAP_LAUNCH " = ?1", cols, m->qtable);
    sqlite3_stmt *st = rep_prepare(db, nt_sb_str(&q), e);
    nt_sb_free(&q);
    if (!st) return -1;
    int rc = 0;
    for (size_t i = 0; i < db->launches.n && !rc; i++) {
        if (!db->launches.v[i].selected) continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, db->launches.v[i].id);
        while ((rc = rep_step(db, st, e)) == SQLITE_ROW) fn(ctx, st);
        rc = rc < 0 ? -1 : 0;
    }
    sqlite3_finalize(st);
    return rc;
}

enum { HROWS = 48, HCOLS = 160 };

typedef struct heat {
    bool pass2;
    uint64_t amin, amax;
    int64_t tmin, tmax;
    uint64_t n;
    uint32_t cell[HROWS][HCOLS];
} heat;

static int heat_row(void *ctx, sqlite3_stmt *st)
{
    heat *h = ctx;
    uint64_t a = (uint64_t)sqlite3_column_int64(st, 0);
    int64_t t = sqlite3_column_int64(st, 1);
    if (!h->pass2) {
        if (!h->n || a < h->amin) h->amin = a;
        if (!h->n || a > h->amax) h->amax = a;
        if (!h->n || t < h->tmin) h->tmin = t;
        if (!h->n || t > h->tmax) h->tmax = t;
        h->n++;
        return 0;
    }
    /* Rows cover whole 4 KiB pages; the last row and column take the max. */
    uint64_t p0 = h->amin >> 12, pages = (h->amax >> 12) - p0 + 1;
    uint64_t r = ((a >> 12) - p0) * HROWS / pages;
    double tc = h->tmax > h->tmin ? (double)(t - h->tmin) / (double)(h->tmax - h->tmin) : 0;
    int c = (int)(tc * HCOLS);
    if (c >= HCOLS) c = HCOLS - 1;
    if (r >= HROWS) r = HROWS - 1;
    h->cell[r][c]++;
    return 0;
}

int rep_svg_memheat(rep_db *db, FILE *out, nt_err *e)
{
    rep_map *m = map_with(db, "addr", "gtime");
    if (!m) {
        fputs("<p class=note>no memory-trace map (columns addr and gtime) in this database</p>\n",
              out);
        return 0;
    }
    heat *h = nt_xcalloc(1, sizeof *h);
    int rc = each_row(db, m, "addr, gtime", heat_row, h, e);
    if (!rc && h->n) {
        h->pass2 = true;
        rc = each_row(db, m, "addr, gtime", heat_row, h, e);
    }
    if (!rc && !h->n) fputs("<p class=note>no memory-trace records in the selected launches</p>\n", out);
    if (!rc && h->n) {
        uint32_t mx = 1;
        for (int r = 0; r < HROWS; r++)
            for (int c = 0; c < HCOLS; c++) if (h->cell[r][c] > mx) mx = h->cell[r][c];
        const double cw = 6, ch = 9, lw = 150;
        uint64_t p0 = h->amin >> 12, pages = (h->amax >> 12) - p0 + 1;
        fprintf(out, "<p class=note>%s.%s: %llu accesses, addresses 0x%llx..0x%llx (%llu pages "
                "of 4 KiB; %.1f pages per row), %.3f us; darker: more accesses (log scale, "
                "max %u per cell)</p>\n", m->probe, m->name, (unsigned long long)h->n,
                (unsigned long long)h->amin, (unsigned long long)h->amax,
                (unsigned long long)pages, (double)pages / HROWS, (h->tmax - h->tmin) / 1e3, mx);
        fprintf(out, "<div class=plot><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heat\" "
                "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\">\n", lw + cw * HCOLS + 10,
                ch * HROWS + 22, lw + cw * HCOLS + 10);
        for (int r = 0; r < HROWS; r++) {
            uint64_t a = (p0 + (uint64_t)r * pages / HROWS) << 12;
            if (r % 8 == 0)
                fprintf(out, "<text x=\"4\" y=\"%.1f\">0x%llx</text>\n", r * ch + ch,
                        (unsigned long long)a);
            for (int c = 0; c < HCOLS; c++) {
                uint32_t v = h->cell[r][c];
                if (!v) continue;
                double s = log1p(v) / log1p(mx);
                fprintf(out, "<rect class=h x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" "
                        "fill=\"hsl(%.0f,75%%,%.0f%%)\"><title>0x%llx.. at %.3f us: %u accesses"
                        "</title></rect>\n", lw + c * cw, r * ch, cw, ch, 220 - 200 * s,
                        92 - 55 * s, (unsigned long long)a,
                        (h->tmax - h->tmin) / 1e3 * c / HCOLS, v);
            }
        }
        fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">0 us</text><text x=\"%.0f\" y=\"%.0f\">%.1f us"
                "</text>\n", lw, ch * HROWS + 16, lw + cw * HCOLS - 60, ch * HROWS + 16,
                (h->tmax - h->tmin) / 1e3);
        fputs("</svg></div>\n", out);
    }
    free(h);
    return rc;
}

static int div_row(void *ctx, sqlite3_stmt *st)
{
    uint64_t *hist = ctx;
    hist[__builtin_popcount((uint32_t)sqlite3_column_int64(st, 0))]++;
    return 0;
}

int rep_svg_divergence(rep_db *db, FILE *out, nt_err *e)
{
    rep_map *m = map_with(db, "active_mask", NULL);
    if (!m) {
        fputs("<p class=note>no divergence map (column active_mask) in this database</p>\n", out);
        return 0;
    }
    uint64_t hist[33] = {0}, total = 0, mx = 1;
    if (each_row(db, m, "active_mask", div_row, hist, e)) return -1;
    for (int i = 0; i <= 32; i++) {
        total += hist[i];
        if (hist[i] > mx) mx = hist[i];
    }
    if (!total) {
        fputs("<p class=note>no divergence records in the selected launches</p>\n", out);
        return 0;
    }
    fprintf(out, "<p class=note>%s.%s: %llu branches; %.1f%% with all 32 lanes active</p>\n",
            m->probe, m->name, (unsigned long long)total, 100.0 * hist[32] / total);
    const double bw = 22, ph = 180, lx = 50;
    fprintf(out, "<div class=plot><svg xmlns=\"http://www.w3.org/2000/svg\" class=\"hist\" "
            "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\">\n", lx + bw * 33 + 10, ph + 40,
            lx + bw * 33 + 10);
    for (int i = 0; i <= 32; i++) {
        double hgt = ph * (double)hist[i] / (double)mx;
        if (hist[i])
            fprintf(out, "<rect class=\"h bar\" x=\"%.0f\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>%d active lanes: %llu branches (%.1f%%)</title></rect>\n",
                    lx + i * bw + 2, ph - hgt + 4, bw - 4, hgt, i == 32 ? "#59a14f" : "#e15759",
                    i, (unsigned long long)hist[i], 100.0 * hist[i] / total);
        if (i % 4 == 0)
            fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">%d</text>\n", lx + i * bw + 5, ph + 20, i);
    }
    fprintf(out, "<text x=\"4\" y=\"12\">%llu</text><text x=\"4\" y=\"%.0f\">0</text>"
            "<text x=\"%.0f\" y=\"%.0f\">active lanes</text>\n</svg></div>\n",
            (unsigned long long)mx, ph + 4, lx + bw * 14, ph + 36);
    return 0;
}
