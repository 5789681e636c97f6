/* timeline.c — Chrome trace-event JSON (Perfetto, chrome://tracing),
 * streamed: one launch's warps in memory at a time, events written as they
 * are made.
 *
 * Layout: process 1 "GPU activity" has one track (tid) per stream with its
 * kernels and copies.  Each SM that ran probed warps is a process
 * ("SM n", pid SM_PID0 + device * 65536 + sm) with one track per warp slot;
 * a slice per warp lifetime, named by block so blocks read as colours,
 * and inside it a slice per user region the warp went through (regions.c
 * aligns and nests them).
 * Warp slots are assigned per SM across launches (lowest slot free at the
 * warp's start), so concurrent launches on one SM never overlap on a track
 * and every track's slices come out in time order.  ts/dur are in µs from
 * the run's start. */
#include "report/report_int.h"
#include "report/schema.h"

#include <stdlib.h>
#include <string.h>

#define SM_PID0 1000

typedef struct tlw {
    FILE *out;
    char buf[1 << 16];
    size_t len;
    uint64_t events, cut, max;
    bool first;
    int64_t base_ns;
} tlw;

static void flush(tlw *w)
{
    fwrite(w->buf, 1, w->len, w->out);
    w->len = 0;
}

static void put(tlw *w, const char *s, size_t n)
{
    if (w->len + n > sizeof w->buf) flush(w);
    if (n > sizeof w->buf) {
        fwrite(s, 1, n, w->out);
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void puts_(tlw *w, const char *s) { put(w, s, strlen(s)); }

static void put_i(tlw *w, int64_t v)
{
    char b[24];
    put(w, b, (size_t)rep_fmt_i64(b, v));
}

static void put_us(tlw *w, int64_t ns)
{
    char b[32];
    put(w, b, (size_t)rep_fmt_us(b, ns));
}

static void put_str(tlw *w, const char *s)
{
    flush(w);
    rep_json_str(w->out, s);
}

/* Starts an event; false (and counted as cut) when max_events is reached.
 * Metadata events (names) are never cut: they cost nothing to a viewer. */
static bool begin(tlw *w, bool meta)
{
    if (!meta && w->max && w->events >= w->max) {
        w->cut++;
        return false;
    }
    puts_(w, w->first ? "\n{" : ",\n{");
    w->first = false;
    if (!meta) w->events++;
    return true;
}

static void name_meta(tlw *w, const char *what, int64_t pid, int64_t tid, const char *name,
                      int64_t sort)
{
    begin(w, true);
    puts_(w, "\"ph\":\"M\",\"name\":\"");
    puts_(w, what);
    puts_(w, "\",\"pid\":");
    put_i(w, pid);
    if (tid >= 0) {
        puts_(w, ",\"tid\":");
        put_i(w, tid);
    }
    puts_(w, ",\"args\":{\"name\":");
    put_str(w, name);
    puts_(w, "}}");
    begin(w, true);
    puts_(w, "\"ph\":\"M\",\"name\":\"");
    puts_(w, tid >= 0 ? "thread_sort_index" : "process_sort_index");
    puts_(w, "\",\"pid\":");
    put_i(w, pid);
    if (tid >= 0) {
        puts_(w, ",\"tid\":");
        put_i(w, tid);
    }
    puts_(w, ",\"args\":{\"sort_index\":");
    put_i(w, sort);
    puts_(w, "}}");
}

static void slice(tlw *w, int64_t pid, int64_t tid, int64_t t0, int64_t t1)
{
    puts_(w, "\"ph\":\"X\",\"pid\":");
    put_i(w, pid);
    puts_(w, ",\"tid\":");
    put_i(w, tid);
    puts_(w, ",\"ts\":");
    put_us(w, t0 - w->base_ns);
    puts_(w, ",\"dur\":");
    put_us(w, t1 > t0 ? t1 - t0 : 0);
}

static void copy_event(tlw *w, sqlite3_stmt *st)
{
    if (!begin(w, false)) return;
    slice(w, 1, sqlite3_column_int64(st, 2), rep_ns(sqlite3_column_int64(st, 3)),
          rep_ns(sqlite3_column_int64(st, 4)));
    const char *kind = (const char *)sqlite3_column_text(st, 6);
    char nm[64];
    snprintf(nm, sizeof nm, "memcpy %s", kind ? kind : "");
    puts_(w, ",\"cat\":\"memcpy\",\"name\":");
    put_str(w, nm);
    puts_(w, ",\"args\":{\"bytes\":");
    put_i(w, sqlite3_column_int64(st, 5));
    puts_(w, "}}");
}

static void launch_event(tlw *w, const rep_launch *l)
{
    if (!begin(w, false)) return;
    slice(w, 1, l->stream_id, l->start_ns, l->end_ns);
    puts_(w, ",\"cat\":\"kernel\",\"name\":");
    put_str(w, rep_launch_kname(l));
    puts_(w, ",\"args\":{\"launch\":");
    put_i(w, l->id);
    char g[96];
    snprintf(g, sizeof g, ",\"grid\":\"%ux%ux%u\",\"block\":\"%ux%ux%u\",\"probed\":%s}}",
             l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1], l->block[2],
             l->instrumented ? "true" : "false");
    puts_(w, g);
}

/* Kernels and copies of the selected launches' streams, merged in start
 * order (both queries are sorted by start) so each track is monotonic.
 * Launches without an activity record (start 0) have no place in time. */
static int streams(rep_db *db, tlw *w, nt_err *e)
{
    rep_streams seen;
    rep_streams_load(db, &seen);
    for (size_t i = 0; i < seen.ids.n; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "stream %lld", (long long)seen.ids.v[i]);
        name_meta(w, "thread_name", 1, seen.ids.v[i], nm, seen.ids.v[i]);
    }
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_DONE;
    if (db->has_memcpys) {
        if (!(st = rep_prepare(db, SCH_Q_MEMCPYS, e))) {
            rep_streams_free(&seen);
            return -1;
        }
        rc = rep_step(db, st, e);
    }
    size_t i = 0;
    for (;;) {
        while (i < db->launches.n && (!db->launches.v[i].selected || !db->launches.v[i].start_ns))
            i++;
        bool copy_next = rc == SQLITE_ROW &&
            (i == db->launches.n || rep_ns(sqlite3_column_int64(st, 3)) < db->launches.v[i].start_ns);
        if (copy_next) {
            if (rep_stream_ix(&seen, sqlite3_column_int64(st, 2), NULL)) copy_event(w, st);
            rc = rep_step(db, st, e);
        } else if (i < db->launches.n) {
            launch_event(w, &db->launches.v[i++]);
        } else {
            break;
        }
    }
    sqlite3_finalize(st);
    rep_streams_free(&seen);
    return rc < 0 ? -1 : 0;
}

/* Per-SM state across launches: the end time of each warp slot. */
typedef struct sm_lanes {
    NT_VEC(int64_t) end;
    bool named;
} sm_lanes;

static int warps(rep_db *db, tlw *w, rep_launch *l, sm_lanes **sms, size_t *nsms,
                 nt_err *e)
{
    rep_warps ws;
    rep_regions rs;
    if (rep_warps_load(db, l, &ws, e)) return -1;
    if (rep_regions_load(db, l, &ws, &rs, e)) {
        rep_warps_free(&ws);
        return -1;
    }
    size_t r = 0;
    int64_t dev = l->device_id;
    uint64_t threads = (uint64_t)l->block[0] * l->block[1] * l->block[2];
    uint64_t wpb = threads ? (threads + 31) / 32 : 1;
    for (size_t i = 0; i < ws.n; i++) {
        const rep_warp *x = &ws.w[i];
        if (w->max && w->events >= w->max) {   /* the rest of this launch is cut */
            w->cut += ws.n - i + rs.n - r;
            break;
        }
        if (x->sm >= *nsms) {
            size_t n = x->sm + 1;
            *sms = nt_xrealloc(*sms, n * sizeof **sms);
            memset(*sms + *nsms, 0, (n - *nsms) * sizeof **sms);
            *nsms = n;
        }
        sm_lanes *s = &(*sms)[x->sm];
        int64_t pid = SM_PID0 + dev * 65536 + x->sm;
        if (!s->named) {
            char nm[64];
            snprintf(nm, sizeof nm, "SM %u", x->sm);
            name_meta(w, "process_name", pid, -1, nm, pid);
            s->named = true;
        }
        size_t k = 0;
        while (k < s->end.n && s->end.v[k] > x->t0) k++;
        if (k == s->end.n) {
            char nm[64];
            snprintf(nm, sizeof nm, "warp slot %zu", k);
            name_meta(w, "thread_name", pid, (int64_t)k, nm, (int64_t)k);
            nt_vec_push(&s->end, x->t1);
        } else {
            s->end.v[k] = x->t1;
        }
        begin(w, false);
        slice(w, pid, (int64_t)k, x->t0, x->t1);
        puts_(w, ",\"cat\":\"warp\",\"name\":\"block ");
        put_i(w, (int64_t)(x->slot / wpb));
        puts_(w, "\",\"args\":{\"launch\":");
        put_i(w, l->id);
        puts_(w, ",\"warp\":");
        put_i(w, (int64_t)(x->slot % wpb));
        puts_(w, "}}");
        /* Its regions, nested in it on the same track (regions.c). */
        for (; r < rs.n && rs.r[r].warp == i; r++) {
            if (!begin(w, false)) continue;
            slice(w, pid, (int64_t)k, rs.r[r].t0, rs.r[r].t1);
            puts_(w, ",\"cat\":\"region\",\"name\":");
            put_str(w, rep_region_name(db, rs.r[r].id));
            puts_(w, ",\"args\":{\"launch\":");
            put_i(w, l->id);
            puts_(w, ",\"block\":");
            put_i(w, (int64_t)(x->slot / wpb));
            puts_(w, ",\"warp\":");
            put_i(w, (int64_t)(x->slot % wpb));
            puts_(w, ",\"cycles\":");
            put_i(w, (int64_t)rs.r[r].cycles);
            puts_(w, "}}");
        }
    }
    rep_regions_free(&rs);
    rep_warps_free(&ws);
    return 0;
}

int rep_timeline(rep_db *db, const rep_opts *o, FILE *out, rep_tl_stats *st, nt_err *e)
{
    tlw *w = nt_xcalloc(1, sizeof *w);
    w->out = out;
    w->first = true;
    w->max = o->max_events;
    w->base_ns = db->run.present ? db->run.start_ns : INT64_MAX;
    for (size_t i = 0; i < db->launches.n; i++)
        if (db->launches.v[i].start_ns < w->base_ns) w->base_ns = db->launches.v[i].start_ns;
    if (w->base_ns == INT64_MAX) w->base_ns = 0;
    puts_(w, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
    name_meta(w, "process_name", 1, -1, "GPU activity (streams)", 0);
    int rc = streams(db, w, e);
    sm_lanes *sms = NULL;
    size_t nsms = 0;
    for (size_t i = 0; i < db->launches.n && !rc; i++) {
        rep_launch *l = &db->launches.v[i];
        rep_tick(db, "timeline", i);
        if (l->selected && l->instrumented) rc = warps(db, w, l, &sms, &nsms, e);
    }
    for (size_t i = 0; i < nsms; i++) nt_vec_free(&sms[i].end);
    free(sms);
    if (w->cut) {
        /* Says so inside the file too, where the viewer shows it. */
        char msg[160];
        snprintf(msg, sizeof msg, "timeline cut at %llu events (--max-events); %llu events "
                 "left out", (unsigned long long)w->events, (unsigned long long)w->cut);
        puts_(w, ",\n{\"ph\":\"i\",\"s\":\"g\",\"pid\":1,\"tid\":0,\"ts\":0,\"name\":");
        put_str(w, msg);
        puts_(w, "}");
    }
    puts_(w, "\n],\"otherData\":{\"generator\":\"ntrace report\",\"events\":");
    put_i(w, (int64_t)w->events);
    puts_(w, ",\"cut\":");
    put_i(w, (int64_t)w->cut);
    puts_(w, "}}\n");
    flush(w);
    if (st) {
        st->events = w->events;
        st->cut = w->cut;
    }
    free(w);
    if (!rc && ferror(out)) rc = nt_err_set(e, "writing the timeline: write error");
    return rc;
}
