/* summary.c — the run, the devices and the kernels by total time. */
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void kv(rep_doc *d, rep_table *t, const char *k, const char *v)
{
    rep_row(t);
    rep_put_s(d, t, k);
    rep_put_s(d, t, v);
}

int rep_sum_overview(rep_db *db, rep_doc *d, nt_err *e)
{
    rep_table *t = rep_table_new(d, "run", "run", "field|value");
    char buf[256];
    kv(d, t, "database", db->path);
    if (db->run.present) {
        kv(d, t, "command", db->run.command);
        snprintf(buf, sizeof buf, "%s (pid %lld)", db->run.host, (long long)db->run.pid);
        kv(d, t, "host", buf);
        time_t secs = (time_t)(db->run.start_ns / 1000000000);
        struct tm tm;
        gmtime_r(&secs, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
        kv(d, t, "started", buf);
        if (db->run.end_ns >= db->run.start_ns && db->run.end_ns > 0)
            snprintf(buf, sizeof buf, "%.3f ms", (db->run.end_ns - db->run.start_ns) / 1e6);
        else
            snprintf(buf, sizeof buf, "unknown (the run did not end cleanly)");
        kv(d, t, "duration", buf);
        kv(d, t, "ntrace", db->run.version);
    } else {
        rep_note(d, t, "the database has no run row (the run may have crashed early)");
    }
    size_t sel = 0, ins = 0;
    for (size_t i = 0; i < db->launches.n; i++)
        if (db->launches.v[i].selected) {
            sel++;
            ins += db->launches.v[i].instrumented != 0;
        }
    snprintf(buf, sizeof buf, "%zu of %zu (%zu instrumented)", sel, db->launches.n, ins);
    kv(d, t, "launches", buf);
    snprintf(buf, sizeof buf, "%zu", db->maps.n);
    kv(d, t, "probe maps", buf);
    for (size_t i = 0; i < db->maps.n; i++)
        if (!db->maps.v[i].indexed)
            rep_note(d, t, "%s has no index on launchId (the run did not end normally?): "
                     "each launch scans the whole table; CREATE INDEX (docs/schema.md) helps",
                     db->maps.v[i].table);

    rep_table *dv = rep_table_new(d, "devices", "devices",
                                  "id|name|SMs|SM clock MHz|memory GiB|compute capability");
    for (size_t i = 0; i < db->devs.n; i++) {
        rep_device *x = &db->devs.v[i];
        rep_row(dv);
        rep_put_i(dv, x->id);
        rep_put_s(d, dv, x->name);
        rep_put_i(dv, x->sm_count);
        rep_put_f(dv, x->clock_khz / 1e3, 0);
        if (x->total_memory > 0) rep_put_f(dv, x->total_memory / 1073741824.0, 1);
        else rep_put_null(dv);
        snprintf(buf, sizeof buf, "%lld.%lld", (long long)x->cc_major, (long long)x->cc_minor);
        rep_put_s(d, dv, buf);
    }
    if (!db->devs.n) rep_note(d, dv, "no device rows");
    (void)e;
    return 0;
}

typedef struct kstat {
    rep_kernel *k;
    uint64_t n, ninstr, timed, untimed;
    int64_t total, min, max;
    const char *why;        /* reason of the first launch not instrumented */
} kstat;

static int by_total(const void *a, const void *b)
{
    const kstat *x = a, *y = b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    return x->k->id < y->k->id ? -1 : x->k->id > y->k->id;
}

int rep_sum_kernels(rep_db *db, rep_doc *d, nt_err *e)
{
    /* One row per selected kernel; launches point at canonical kernels, so
     * a kernel's launches of every run of a merged database add up here. */
    kstat *ks = nt_xcalloc(db->kernels.n + 1, sizeof *ks);
    size_t *row = nt_xmalloc((db->kernels.n + 1) * sizeof *row);   /* kernel -> ks row */
    size_t nk = 0;
    int64_t gpu_total = 0;
    for (size_t i = 0; i < db->kernels.n; i++) {
        row[i] = SIZE_MAX;
        if (!db->kernels.v[i].selected) continue;
        row[i] = nk;
        ks[nk].k = &db->kernels.v[i];
        ks[nk].min = INT64_MAX;
        nk++;
    }
    for (size_t i = 0; i < db->launches.n; i++) {
        rep_launch *l = &db->launches.v[i];
        if (!l->selected || !l->k || row[l->k - db->kernels.v] == SIZE_MAX) continue;
        kstat *s = &ks[row[l->k - db->kernels.v]];
        s->n++;
        if (l->instrumented) s->ninstr++;
        else if (!s->why) s->why = l->reason;
        if (!l->start_ns) {     /* its activity record never came: no duration */
            s->untimed++;
            continue;
        }
        int64_t dur = l->end_ns - l->start_ns;
        s->timed++;
        /* Durations are below 2^62 (rep_ns); sums saturate rather than wrap. */
        if (__builtin_add_overflow(s->total, dur, &s->total)) s->total = INT64_MAX;
        if (__builtin_add_overflow(gpu_total, dur, &gpu_total)) gpu_total = INT64_MAX;
        if (dur < s->min) s->min = dur;
        if (dur > s->max) s->max = dur;
    }
    qsort(ks, nk, sizeof *ks, by_total);
    rep_table *t = rep_table_new(d, "kernels", "kernels by total time",
                                 "kernel|launches|total ms|share %|mean us|min us|max us|instrumented");
    char buf[512];
    for (size_t j = 0; j < nk; j++) {
        kstat *s = &ks[j];
        rep_row(t);
        rep_put_s(d, t, s->k->demangled);
        rep_put_i(t, (int64_t)s->n);
        rep_put_f(t, s->total / 1e6, 3);
        rep_put_f(t, gpu_total ? 100.0 * s->total / gpu_total : 0.0, 1);
        if (s->timed) {
            rep_put_f(t, s->total / 1e3 / s->timed, 1);
            rep_put_f(t, s->min / 1e3, 1);
            rep_put_f(t, s->max / 1e3, 1);
        } else {
            rep_put_null(t);
            rep_put_null(t);
            rep_put_null(t);
        }
        if (!s->k->instrumentable)
            snprintf(buf, sizeof buf, "no: %s", *s->k->reason ? s->k->reason : "not instrumentable");
        else if (s->n && s->ninstr == s->n)
            snprintf(buf, sizeof buf, "yes");
        else if (!s->n)
            snprintf(buf, sizeof buf, "-");
        else
            snprintf(buf, sizeof buf, "%llu of %llu: %s", (unsigned long long)s->ninstr,
                     (unsigned long long)s->n, s->why && *s->why ? s->why : "no reason recorded");
        rep_put_s(d, t, buf);
    }
    if (!nk) rep_note(d, t, "no kernels");
    uint64_t untimed = 0;
    for (size_t j = 0; j < nk; j++) untimed += ks[j].untimed;
    if (untimed)
        rep_note(d, t, "%llu launches have no activity record (no start/end): counted, not timed",
                 (unsigned long long)untimed);
    free(ks);
    free(row);
    (void)e;
    return 0;
}

int rep_build_summary(rep_db *db, rep_doc *d, nt_err *e)
{
    if (rep_sum_overview(db, d, e) || rep_sum_kernels(db, d, e) || rep_sum_probes(db, d, e) ||
        rep_sum_stalls(db, d, e))
        return -1;
    return 0;
}

int rep_summary(rep_db *db, const rep_opts *o, FILE *out, nt_err *e)
{
    rep_doc d;
    rep_doc_init(&d);
    int rc = rep_build_summary(db, &d, e);
    /* phase NULL: the work is done, erase any progress line before output */
    if (db->progress) db->progress(db->progress_ctx, NULL, 0, 0);
    if (!rc) rep_doc_write(&d, o->format, out);
    rep_doc_free(&d);
    return rc;
}
