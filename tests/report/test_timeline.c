/* Tests: the trace-event timeline.  The writer puts one event per line, so
 * the fields of each are read back with plain string scanning; every event
 * is checked against the trace-event format (ph, pid, tid, ts, dur, name),
 * tracks for monotonic, non-overlapping slices, and the values against the
 * hand-checked database (rep_test.h).  tests/report/test_report_cli.sh also
 * parses the whole file as JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "rep_test.h"

typedef struct ev {
    char ph;
    long long pid, tid;
    double ts, dur;
    char name[128];
} ev;

static bool field_num(const char *line, const char *key, double *v)
{
    char k[32];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(line, k);
    if (!p) return false;
    *v = strtod(p + strlen(k), NULL);
    return true;
}

static bool field_str(const char *line, const char *key, char *out, size_t n)
{
    char k[32];
    snprintf(k, sizeof k, "\"%s\":\"", key);
    const char *p = strstr(line, k);
    if (!p) return false;
    p += strlen(k);
    size_t i = 0;
    while (*p && *p != '"' && i + 1 < n) out[i++] = *p++;
    out[i] = 0;
    return true;
}

/* Parses the events of buf (one per line) into evs; checks the format. */
static size_t parse(char *buf, ev *evs, size_t max)
{
    size_t n = 0;
    assert_memory_equal(buf, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 39);
    for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == ',') line++;
        if (line[0] != '{' || strstr(line, "traceEvents") || strstr(line, "otherData")) continue;
        assert_true(n < max);
        ev *e = &evs[n++];
        memset(e, 0, sizeof *e);
        char ph[4];
        double v;
        assert_true(field_str(line, "ph", ph, sizeof ph));
        e->ph = ph[0];
        assert_true(field_num(line, "pid", &v));
        e->pid = (long long)v;
        assert_true(field_str(line, "name", e->name, sizeof e->name));
        if (e->ph == 'X') {
            assert_true(field_num(line, "tid", &v));
            e->tid = (long long)v;
            assert_true(field_num(line, "ts", &e->ts));
            assert_true(field_num(line, "dur", &e->dur));
            assert_true(e->dur >= 0);
            assert_non_null(strstr(line, "\"cat\":"));
        } else {
            assert_true(e->ph == 'M' || e->ph == 'i');
        }
    }
    return n;
}

static char *timeline(rep_db *db, const rep_opts *o, rep_tl_stats *st)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    nt_err e = {0};
    assert_int_equal(rep_timeline(db, o, m, st, &e), 0);
    fclose(m);
    return buf;
}

static void events_follow_the_format(void **state)
{
    rep_db *db = rt_open(rt_make_db());
    rep_opts o = REP_OPTS_INIT;
    rep_tl_stats st;
    char *buf = timeline(db, &o, &st);
    static ev evs[256];
    size_t n = parse(buf, evs, 256);
    /* 3 launches + 1 copy on streams, 4 warps. */
    assert_int_equal(st.events, 8);
    assert_int_equal(st.cut, 0);
    size_t nx = 0;
    for (size_t i = 0; i < n; i++) nx += evs[i].ph == 'X';
    assert_int_equal(nx, 8);
    /* Per track: slices in time order, never overlapping. */
    for (size_t i = 0; i < n; i++) {
        if (evs[i].ph != 'X') continue;
        for (size_t j = i + 1; j < n; j++) {
            if (evs[j].ph != 'X' || evs[j].pid != evs[i].pid || evs[j].tid != evs[i].tid) continue;
            assert_true(evs[j].ts >= evs[i].ts);
            assert_true(evs[j].ts >= evs[i].ts + evs[i].dur - 1e-9);
        }
    }
    /* Values: µs from the run start (500 ns).  Launch 1 runs 1000..2000;
     * the warp of block 2 on SM 1 runs 1000..1700 (aligned). */
    bool launch1 = false, warp2 = false, copy = false;
    for (size_t i = 0; i < n; i++) {
        ev *x = &evs[i];
        if (x->ph != 'X') continue;
        if (!strcmp(x->name, "kA()") && x->ts == 0.5) {
            launch1 = true;
            assert_true(x->dur == 1.0 && x->pid == 1 && x->tid == 1);
        }
        if (!strcmp(x->name, "block 2")) {
            warp2 = true;
            assert_true(x->ts == 0.5 && x->dur == 0.7 && x->pid == 1001 && x->tid == 0);
        }
        if (!strncmp(x->name, "memcpy", 6)) {
            copy = true;
            assert_string_equal(x->name, "memcpy Host-to-Device");
            assert_true(x->ts == 0.1 && x->dur == 0.3);
        }
    }
    assert_true(launch1 && warp2 && copy);
    /* Tracks are named. */
    char *raw = timeline(db, &o, &st);
    assert_non_null(strstr(raw, "\"name\":\"thread_name\",\"pid\":1000,\"tid\":0,\"args\":{\"name\":\"warp slot 0\"}"));
    assert_non_null(strstr(raw, "\"name\":\"process_name\",\"pid\":1001,\"args\":{\"name\":\"SM 1\"}"));
    free(raw);
    free(buf);
    rep_close(db);
}

static void max_events_cuts_and_says_so(void **state)
{
    rep_db *db = rt_open(rt_make_db());
    rep_opts o = REP_OPTS_INIT;
    o.max_events = 5;
    rep_tl_stats st;
    char *buf = timeline(db, &o, &st);
    assert_int_equal(st.events, 5);
    assert_int_equal(st.cut, 3);
    assert_non_null(strstr(buf, "timeline cut at 5 events (--max-events); 3 events left out"));
    assert_non_null(strstr(buf, "\"otherData\":{\"generator\":\"ntrace report\",\"events\":5,\"cut\":3}"));
    static ev evs[256];
    size_t n = parse(buf, evs, 256), nx = 0;
    for (size_t i = 0; i < n; i++) nx += evs[i].ph == 'X';
    assert_int_equal(nx, 5);
    free(buf);
    rep_close(db);
}

static void concurrent_launches_share_sm_tracks(void **state)
{
    /* Two launches on the same SM at the same time: their warps go to
     * different warp slots, so no track has overlapping slices. */
    rep_synth p = {.kernels = 2, .launches = 4, .streams = 4, .blocks = 24, .threads = 64,
                   .sm_count = 2, .maps = REP_SYN_BLOCK_SCHED, .seed = 9};
    const char *path = rt_path("conc.db");
    unlink(path);
    nt_err e = {0};
    assert_int_equal(rep_synth_write(path, &p, &e), 0);
    rep_db *db = rt_open(path);
    rep_opts o = REP_OPTS_INIT;
    rep_tl_stats st;
    char *buf = timeline(db, &o, &st);
    static ev evs[4096];
    size_t n = parse(buf, evs, 4096);
    assert_int_equal(st.events, 4 + 8 + 4 * 48);   /* launches, copies, warps */
    for (size_t i = 0; i < n; i++) {
        if (evs[i].ph != 'X' || evs[i].pid < 1000) continue;
        for (size_t j = i + 1; j < n; j++)
            if (evs[j].ph == 'X' && evs[j].pid == evs[i].pid && evs[j].tid == evs[i].tid)
                assert_true(evs[j].ts >= evs[i].ts + evs[i].dur - 0.0015);  /* µs rounding */
    }
    free(buf);
    rep_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_follow_the_format),
        cmocka_unit_test(max_events_cuts_and_says_so),
        cmocka_unit_test(concurrent_launches_share_sm_tracks),
    };
    return cmocka_run_group_tests(tests, NULL, rt_teardown);
}
