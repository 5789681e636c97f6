/* svg.c — timelines and stall bars of the HTML report.  Timelines share one
 * frame (svg_open/svg_close): labels on the left, a clipped plot group that
 * the page's script zooms on x, and an axis it draws for the visible range. */
#include "report/html_int.h"
#include "report/schema.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_W 150
#define PLOT_W 1000

static const char *const palette[] = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#2f6f5e", "#d37295", "#a0cbe8", "#8cd17d",
};

static int svg_seq;   /* unique clip-path ids within one page */

static void svg_open(FILE *out, double h, int64_t t0, int64_t t1)
{
    int id = ++svg_seq;
    fprintf(out, "<div class=plot><svg class=\"zoom\" xmlns=\"http://www.w3.org/2000/svg\" "
            "viewBox=\"0 0 %d %.0f\" width=\"%d\" data-x0=\"%d\" data-w=\"%d\" "
            "data-t0=\"%.3f\" data-t1=\"%.3f\" data-ay=\"%.0f\">\n"
            "<defs><clipPath id=\"c%d\"><rect x=\"%d\" y=\"0\" width=\"%d\" height=\"%.0f\"/>"
            "</clipPath></defs>\n<g class=\"axis\"></g>\n<g clip-path=\"url(#c%d)\">"
            "<g class=\"zx\" transform=\"translate(%d,0)\">\n",
            LABEL_W + PLOT_W + 10, h + 18, LABEL_W + PLOT_W + 10, LABEL_W, PLOT_W,
            t0 / 1e3, t1 / 1e3, h, id, LABEL_W, PLOT_W, h, id, LABEL_W);
}

static void svg_close(FILE *out)
{
    fputs("</svg></div>\n<p class=hint>wheel: zoom &middot; drag: pan &middot; "
          "double-click: reset &middot; hover: values</p>\n", out);
}

static double xpos(int64_t t, int64_t t0, int64_t t1)
{
    return t1 > t0 ? (double)(t - t0) / (double)(t1 - t0) * PLOT_W : 0;
}

static void label(FILE *out, double y, const char *s)
{
    fprintf(out, "<text x=\"4\" y=\"%.1f\">", y);
    rep_html_escape(out, s);
    fputs("</text>\n", out);
}

static int kernel_index(rep_db *db, const rep_kernel *k)
{
    return k ? (int)(k - db->kernels.v) : 0;
}

int rep_svg_launches(rep_db *db, FILE *out, nt_err *e)
{
    rep_streams ss;
    rep_streams_load(db, &ss);
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        if (!l->selected || !l->start_ns) continue;   /* no activity record: no time */
        if (l->start_ns < t0) t0 = l->start_ns;
        if (l->end_ns > t1) t1 = l->end_ns;
    }
    if (!ss.ids.n) {
        rep_streams_free(&ss);
        fputs("<p class=note>no launches selected</p>\n", out);
        return 0;
    }
    const double row = 26;
    double h = row * (double)ss.ids.n + 4;
    /* Copies extend the range only where they sit on a selected stream. */
    sqlite3_stmt *st = db->has_memcpys ? rep_prepare(db, SCH_Q_MEMCPYS, e) : NULL;
    if (db->has_memcpys && !st) { rep_streams_free(&ss); return -1; }
    int rc = 0;
    while (st && (rc = rep_step(db, st, e)) == SQLITE_ROW) {
        if (!rep_stream_ix(&ss, sqlite3_column_int64(st, 2), NULL)) continue;
        if (rep_ns(sqlite3_column_int64(st, 3)) < t0) t0 = rep_ns(sqlite3_column_int64(st, 3));
        if (rep_ns(sqlite3_column_int64(st, 4)) > t1) t1 = rep_ns(sqlite3_column_int64(st, 4));
    }
    svg_open(out, h, t0, t1);
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        if (!l->selected || !l->start_ns) continue;   /* no activity record: no time */
        size_t k = 0;
        rep_stream_ix(&ss, l->stream_id, &k);
        double x = xpos(l->start_ns, t0, t1), w = xpos(l->end_ns, t0, t1) - x;
        fprintf(out, "<rect class=\"h launch\" x=\"%.2f\" y=\"%.1f\" width=\"%.3f\" height=\"%.1f\" "
                "fill=\"%s\" vector-effect=\"non-scaling-stroke\"><title>",
                x, k * row + 4, w > 0.3 ? w : 0.3, row - 8,
                palette[kernel_index(db, l->k) % NT_ARRAY_LEN(palette)]);
        rep_html_escape(out, rep_launch_kname(l));
        fprintf(out, "\nlaunch %lld, stream %lld\nstart %.3f us, duration %.3f us\n"
                "grid %ux%ux%u, block %ux%ux%u%s</title></rect>\n",
                (long long)l->id, (long long)l->stream_id, (l->start_ns - t0) / 1e3,
                (l->end_ns - l->start_ns) / 1e3, l->grid[0], l->grid[1], l->grid[2],
                l->block[0], l->block[1], l->block[2], l->instrumented ? ", probed" : "");
    }
    if (st) {
        sqlite3_reset(st);
        while ((rc = rep_step(db, st, e)) == SQLITE_ROW) {
            int64_t sid = sqlite3_column_int64(st, 2);
            size_t k;
            if (!rep_stream_ix(&ss, sid, &k)) continue;
            int64_t a = rep_ns(sqlite3_column_int64(st, 3)), b = rep_ns(sqlite3_column_int64(st, 4));
            double x = xpos(a, t0, t1), w = xpos(b, t0, t1) - x;
            const char *kind = (const char *)sqlite3_column_text(st, 6);
            fprintf(out, "<rect class=\"h copy\" x=\"%.2f\" y=\"%.1f\" width=\"%.3f\" "
                    "height=\"%.1f\" fill=\"#9aa3b2\"><title>memcpy ",
                    x, k * row + 8, w > 0.3 ? w : 0.3, row - 16);
            rep_html_escape(out, kind ? kind : "");
            fprintf(out, ", %lld bytes, %.3f us</title></rect>\n",
                    (long long)sqlite3_column_int64(st, 5), (b - a) / 1e3);
        }
        sqlite3_finalize(st);
    }
    fputs("</g></g>\n", out);
    for (size_t k = 0; k < ss.ids.n; k++) {
        char s[64];
        snprintf(s, sizeof s, "stream %lld", (long long)ss.ids.v[k]);
        label(out, k * row + row / 2 + 4, s);
    }
    svg_close(out);
    /* Legend: kernels by colour. */
    fputs("<div class=legend>", out);
    for (size_t i = 0; i < db->kernels.n; i++) {
        if (!db->kernels.v[i].selected) continue;
        fprintf(out, "<span><i style=\"background:%s\"></i>", palette[i % NT_ARRAY_LEN(palette)]);
        rep_html_escape(out, db->kernels.v[i].demangled);
        fputs("</span>", out);
    }
    fputs("<span><i style=\"background:#9aa3b2\"></i>memcpy</span></div>\n", out);
    rep_streams_free(&ss);
    return rc < 0 ? -1 : 0;
}

/* Many warps: per SM, occupancy (resident warps / most resident) in time
 * bins, drawn as runs of equal shade. */
static void warps_binned(FILE *out, const rep_warps *ws, const uint32_t *row_of, double row_h,
                         int64_t t0, int64_t t1)
{
    enum { BINS = 250 };
    double *occ = nt_xcalloc((size_t)ws->nsm * BINS, sizeof *occ);
    double bw = (double)(t1 - t0) / BINS;
    for (size_t i = 0; i < ws->n && bw > 0; i++) {
        const rep_warp *w = &ws->w[i];
        double a = (w->t0 - t0) / bw, b = (w->t1 - t0) / bw;
        for (int k = (int)a; k < BINS && k <= (int)b; k++) {
            double lo = a > k ? a : k, hi = b < k + 1 ? b : k + 1;
            if (hi > lo) occ[(size_t)w->sm * BINS + (size_t)k] += hi - lo;
        }
    }
    double mx = ws->max_lanes ? ws->max_lanes : 1;
    for (uint32_t sm = 0; sm < ws->nsm; sm++) {
        if (row_of[sm] == UINT32_MAX) continue;
        int k = 0;
        while (k < BINS) {
            int q = (int)(8 * occ[(size_t)sm * BINS + (size_t)k] / mx + 0.999);
            int j = k + 1;
            while (j < BINS && (int)(8 * occ[(size_t)sm * BINS + (size_t)j] / mx + 0.999) == q) j++;
            if (q > 0)
                fprintf(out, "<rect class=h x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                        "fill=\"#3256a8\" fill-opacity=\"%.2f\"><title>SM %u: %.1f warps "
                        "resident on average</title></rect>\n",
                        (double)k * PLOT_W / BINS, row_of[sm] * row_h, (double)(j - k) * PLOT_W / BINS,
                        row_h - 1, q > 8 ? 1.0 : q / 8.0, sm,
                        occ[(size_t)sm * BINS + (size_t)k]);
            k = j;
        }
    }
    free(occ);
}

/* A colour per region name, apart from the blocks' pastel hues. */
static unsigned region_hue(uint32_t id) { return (id * 2654435761u) >> 23 & 0x1ff; }

/* User regions inside their warps' rects: a darker bar on the middle of
 * the warp's lane, with a legend of the region names under the plot. */
typedef struct rlegend {
    uint32_t id[16];          /* the first names seen, in order */
    size_t n, more;           /* more: regions not drawn */
} rlegend;

static int regions_drawn(rep_db *db, rep_launch *l, const rep_warps *ws, FILE *out,
                         const uint32_t *row_of, double row_h, double lane_h, int64_t t0,
                         int64_t t1, rlegend *lg, nt_err *e)
{
    rep_regions rs;
    if (rep_regions_load(db, l, ws, &rs, e)) return -1;
    size_t n = rs.n < REP_HTML_MAX_RECTS ? rs.n : REP_HTML_MAX_RECTS;
    for (size_t i = 0; i < n; i++) {
        const rep_region *r = &rs.r[i];
        const rep_warp *w = &ws->w[r->warp];
        double x = xpos(r->t0, t0, t1), wd = xpos(r->t1, t0, t1) - x;
        fprintf(out, "<rect class=\"h rg\" x=\"%.2f\" y=\"%.2f\" width=\"%.3f\" height=\"%.2f\" "
                "fill=\"hsl(%u,70%%,32%%)\"><title>region ", x,
                row_of[w->sm] * row_h + w->lane * lane_h + lane_h / 4, wd > 0.2 ? wd : 0.2,
                lane_h / 2 > 0.5 ? lane_h / 2 : 0.5, region_hue(r->id) % 360);
        rep_html_escape(out, rep_region_name(db, r->id));
        fprintf(out, " (SM %u)\n%llu cycles, %.3f .. %.3f us</title></rect>\n", w->sm,
                (unsigned long long)r->cycles, (r->t0 - t0) / 1e3, (r->t1 - t0) / 1e3);
    }
    for (size_t i = 0; i < rs.n; i++) {
        size_t k = 0;
        while (k < lg->n && lg->id[k] != rs.r[i].id) k++;
        if (k == lg->n && k < NT_ARRAY_LEN(lg->id)) lg->id[lg->n++] = rs.r[i].id;
    }
    lg->more = rs.n - n;
    rep_regions_free(&rs);
    return 0;
}

static void regions_legend(rep_db *db, const rlegend *lg, FILE *out)
{
    if (!lg->n) return;
    fputs("<div class=legend>", out);
    for (size_t k = 0; k < lg->n; k++) {
        fprintf(out, "<span><i style=\"background:hsl(%u,70%%,32%%)\"></i>region ",
                region_hue(lg->id[k]) % 360);
        rep_html_escape(out, rep_region_name(db, lg->id[k]));
        fputs("</span>", out);
    }
    fputs("</div>\n", out);
    if (lg->more)
        fprintf(out, "<p class=note>%zu more regions not drawn</p>\n", lg->more);
}

static int warps_one(rep_db *db, rep_launch *l, FILE *out, nt_err *e)
{
    rep_warps ws;
    rlegend lg = {0};
    if (rep_warps_load(db, l, &ws, e)) return -1;
    fprintf(out, "<h3>launch %lld: ", (long long)l->id);
    rep_html_escape(out, rep_launch_kname(l));
    if (!ws.n) {
        fputs("</h3><p class=note>no block_sched records for this launch</p>\n", out);
        rep_warps_free(&ws);
        return 0;
    }
    rep_sched s;
    rep_sched_of(&ws, l, &s);
    fprintf(out, "</h3><p class=note>%llu warps in %llu blocks on %u SMs; SM busy %.1f%%, tail "
            "%.1f%%; clocks %s</p>\n", (unsigned long long)s.warps, (unsigned long long)s.blocks,
            s.sms_used, 100 * s.busy_frac, 100 * s.tail_frac,
            ws.anchored ? "aligned on %globaltimer" : "aligned on the launch start");
    uint32_t *row_of = nt_xmalloc(ws.nsm * sizeof *row_of);
    memset(row_of, 0xff, ws.nsm * sizeof *row_of);
    uint32_t rows = 0;
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (size_t i = 0; i < ws.n; i++) {
        if (row_of[ws.w[i].sm] == UINT32_MAX) row_of[ws.w[i].sm] = rows++;
        if (ws.w[i].t0 < t0) t0 = ws.w[i].t0;
        if (ws.w[i].t1 > t1) t1 = ws.w[i].t1;
    }
    /* A few SMs holding many warps each get taller rows, so every warp
     * slot (and a region bar inside it) stays a few pixels high. */
    double row_h = fmax(4, fmin(520.0 / rows, fmax(22, fmin(4.0 * ws.max_lanes, 120))));
    svg_open(out, rows * row_h, t0, t1);
    uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    uint64_t wpb = threads ? (threads + 31) / 32 : 1;
    if (ws.n <= REP_HTML_MAX_RECTS) {
        double lane_h = (row_h - 1) / (ws.max_lanes ? ws.max_lanes : 1);
        for (size_t i = 0; i < ws.n; i++) {
            const rep_warp *w = &ws.w[i];
            double x = xpos(w->t0, t0, t1), wd = xpos(w->t1, t0, t1) - x;
            uint64_t block = w->slot / wpb;
            fprintf(out, "<rect class=h x=\"%.2f\" y=\"%.2f\" width=\"%.3f\" height=\"%.2f\" "
                    "fill=\"hsl(%u,55%%,55%%)\"><title>SM %u, block %llu, warp %llu\n"
                    "%.3f .. %.3f us (%.3f us)</title></rect>\n",
                    x, row_of[w->sm] * row_h + w->lane * lane_h, wd > 0.2 ? wd : 0.2,
                    lane_h > 1 ? lane_h - 0.3 : lane_h, (unsigned)(block * 47 % 360), w->sm,
                    (unsigned long long)block, (unsigned long long)(w->slot % wpb),
                    (w->t0 - t0) / 1e3, (w->t1 - t0) / 1e3, (w->t1 - w->t0) / 1e3);
        }
        if (regions_drawn(db, l, &ws, out, row_of, row_h, lane_h, t0, t1, &lg, e)) {
            free(row_of);
            rep_warps_free(&ws);
            return -1;
        }
    } else {
        warps_binned(out, &ws, row_of, row_h, t0, t1);
    }
    fputs("</g></g>\n", out);
    for (uint32_t sm = 0; sm < ws.nsm; sm++) {
        if (row_of[sm] == UINT32_MAX || (row_h < 9 && row_of[sm] % 4)) continue;
        char sl[32];
        snprintf(sl, sizeof sl, "SM %u", sm);
        label(out, fmax(10, row_of[sm] * row_h + fmin(row_h, 12) - 2), sl);
    }
    svg_close(out);
    regions_legend(db, &lg, out);
    if (ws.n > REP_HTML_MAX_RECTS)
        fprintf(out, "<p class=note>%zu warps: shown as SM occupancy (darker: more of the SM's "
                "%u warp slots in use)</p>\n", ws.n, ws.max_lanes);
    free(row_of);
    rep_warps_free(&ws);
    return 0;
}

int rep_svg_warps(rep_db *db, FILE *out, nt_err *e)
{
    if (!rep_block_sched(db)) {
        fputs("<p class=note>no block_sched map in this database: run with the block_sched "
              "probe to see warps on SMs</p>\n", out);
        return 0;
    }
    size_t shown = 0, more = 0;
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        if (!l->selected || !l->instrumented) continue;
        if (shown == REP_HTML_MAX_LAUNCHES) {
            more++;
            continue;
        }
        if (warps_one(db, l, out, e)) return -1;
        shown++;
    }
    if (!shown) fputs("<p class=note>no probed launch selected</p>\n", out);
    if (more)
        fprintf(out, "<p class=note>%zu more probed launches not drawn: pick one with "
                "--launch ID</p>\n", more);
    return 0;
}

int rep_svg_stalls(rep_db *db, FILE *out, nt_err *e)
{
    rep_stall_row *r;
    size_t n;
    if (rep_stall_rows(db, &r, &n, e)) return -1;
    if (!n) {
        fputs("<p class=note>no PC samples and no barrier_wait / mem_wait probes in the selected "
              "launches</p>\n", out);
        free(r);
        return 0;
    }
    const char *names[64];
    int nn = 0;
    for (size_t i = 0; i < n; i++)
        for (int q = 0; q < r[i].n; q++) {
            int k = 0;
            while (k < nn && strcmp(names[k], r[i].names[q])) k++;
            if (k == nn && nn < 64) names[nn++] = r[i].names[q];
        }
    const double row = 24, lw = 330, pw = 700;
    fprintf(out, "<div class=plot><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
            "width=\"%.0f\" class=\"bars\">\n", lw + pw + 10, row * n + 20, lw + pw + 10);
    for (size_t i = 0; i < n; i++) {
        char s[300];
        snprintf(s, sizeof s, "%.48s%s (%s)", r[i].kernel, strlen(r[i].kernel) > 48 ? "..." : "",
                 r[i].source);
        label(out, i * row + 16, s);
        double x = lw;
        for (int q = 0; q < r[i].n; q++) {
            int k = 0;
            while (k < nn && strcmp(names[k], r[i].names[q])) k++;
            double w = r[i].share[q] * pw;
            if (w <= 0) continue;
            fprintf(out, "<rect class=\"h seg\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                    "fill=\"%s\"><title>", x, i * row + 4, w, row - 8,
                    palette[k % NT_ARRAY_LEN(palette)]);
            rep_html_escape(out, r[i].names[q]);
            fprintf(out, ": %.1f%%</title></rect>\n", 100 * r[i].share[q]);
            if (w > 34)
                fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" style=\"fill:#fff\">%.0f%%</text>\n",
                        x + 4, i * row + 16, 100 * r[i].share[q]);
            x += w;
        }
    }
    for (int t = 0; t <= 4; t++)
        fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">%d%%</text>\n", lw + t * pw / 4 - (t ? 12 : 0),
                row * n + 16, t * 25);
    fputs("</svg></div>\n<div class=legend>", out);
    for (int k = 0; k < nn; k++) {
        fprintf(out, "<span><i style=\"background:%s\"></i>", palette[k % NT_ARRAY_LEN(palette)]);
        rep_html_escape(out, names[k]);
        fputs("</span>", out);
    }
    fputs("</div>\n", out);
    free(r);
    return 0;
}
