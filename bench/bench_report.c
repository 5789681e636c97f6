/* bench_report.c — the text summary and the timeline export on a synthetic
 * database of 10 M probe records (goal: <= 5 s each, <= 500 MB); then the
 * text summary and the HTML page on a database of many distinct kernels
 * (BENCH_KERNELS, default 100,000, each launched once, with block_sched,
 * barrier_wait, mem_wait and PC samples), where any pairing of kernels
 * with launches or sample rows by a scan is quadratic (goal: seconds).
 *
 * The databases are made once and kept under $BUILD/bench/ (generation is
 * not timed).  Each measured phase runs in a child process, so its peak
 * RSS is its own (wait4's rusage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report/report.h"

static int phase(const char *db_path, const char *out_path, int which)
{
    nt_err e = {0};
    uint64_t t0 = nt_now_ns();
    rep_db *db = rep_open(db_path, &e);
    if (!db) {
        fprintf(stderr, "bench_report: %s\n", e.msg);
        return 1;
    }
    rep_opts o = REP_OPTS_INIT;
    FILE *f = fopen(out_path, "w");
    int rc = !f || rep_select(db, &o, &e);
    rep_tl_stats st = {0};
    if (!rc) rc = which == 1 ? rep_timeline(db, &o, f, &st, &e) :
                  which == 2 ? rep_html(db, &o, f, &e) : rep_summary(db, &o, f, &e);
    if (f) fclose(f);
    rep_close(db);
    uint64_t t1 = nt_now_ns();
    if (rc) {
        fprintf(stderr, "bench_report: %s\n", e.msg);
        return 1;
    }
    struct stat sb;
    stat(out_path, &sb);
    if (which == 0) {
        printf("bench report_text: %.2f s\n", (t1 - t0) / 1e9);
    } else if (which == 2) {
        printf("bench report_kernels_html: %.2f s\n", (t1 - t0) / 1e9);
    } else if (which == 3) {
        printf("bench report_kernels_text: %.2f s\n", (t1 - t0) / 1e9);
    } else {
        printf("bench report_timeline: %.2f s\n", (t1 - t0) / 1e9);
        printf("bench report_timeline_events: %llu events\n", (unsigned long long)st.events);
        printf("bench report_timeline_size: %.0f MB\n", sb.st_size / 1e6);
    }
    fflush(stdout);
    return 0;
}

static int run_child(const char *db, const char *out, int which, const char *name)
{
    fflush(stdout);   /* the child must not print the parent's buffer again */
    pid_t pid = fork();
    if (pid == 0) _exit(phase(db, out, which));
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status)) return 1;
    /* CPU time too: on a shared, loaded machine wall time overstates. */
    printf("bench %s_cpu: %.2f s\n", name, ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
    printf("bench %s_peak_rss: %.0f MB\n", name, ru.ru_maxrss / 1024.0);
    /* Why wall time exceeds CPU time: major faults are reads from the disk
     * (the database not in the page cache), involuntary switches are time
     * given to other processes (a loaded machine). */
    printf("bench %s_major_faults: %ld faults\n", name, ru.ru_majflt);
    printf("bench %s_involuntary_switches: %ld switches\n", name, ru.ru_nivcsw);
    printf("bench %s_voluntary_switches: %ld switches\n", name, ru.ru_nvcsw);
    return 0;
}

/* The database of p under dir (made when missing), named by stem and size. */
static int make_db(const char *dir, const char *stem, const rep_synth *p, char *db, size_t n)
{
    snprintf(db, n, "%s/%s_%llu.db", dir, stem, (unsigned long long)rep_synth_records(p));
    struct stat sb;
    if (stat(db, &sb) == 0) return 0;
    nt_err e = {0};
    uint64_t t0 = nt_now_ns();
    if (rep_synth_write(db, p, &e)) {
        fprintf(stderr, "bench_report: %s\n", e.msg);
        return 1;
    }
    fprintf(stderr, "bench_report: made %s (%llu records) in %.1f s\n", db,
            (unsigned long long)rep_synth_records(p), (nt_now_ns() - t0) / 1e9);
    return 0;
}

int main(void)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    int nk = getenv("BENCH_KERNELS") ? atoi(getenv("BENCH_KERNELS")) : 100000;
    char dir[512], db[700], kdb[700], out[600];
    snprintf(dir, sizeof dir, "%s/bench", build);
    mkdir(dir, 0755);
    rep_synth p = {.kernels = 3, .launches = 50, .streams = 4, .sm_count = 132,
                   .blocks = 12500, .threads = 128,
                   .maps = REP_SYN_BLOCK_SCHED | REP_SYN_WAITS | REP_SYN_GMEM, .seed = 7};
    rep_synth pk = {.kernels = nk > 0 ? nk : 1, .launches = nk > 0 ? nk : 1, .streams = 4,
                    .sm_count = 132, .blocks = 1, .threads = 32,
                    .maps = REP_SYN_BLOCK_SCHED | REP_SYN_WAITS | REP_SYN_PC, .seed = 7};
    char kstem[64];
    snprintf(kstem, sizeof kstem, "kernels%d", pk.kernels);
    if (make_db(dir, "report", &p, db, sizeof db) || make_db(dir, kstem, &pk, kdb, sizeof kdb))
        return 1;
    printf("bench report_records: %llu records\n", (unsigned long long)rep_synth_records(&p));
    printf("bench report_kernels: %d kernels\n", pk.kernels);
    fflush(stdout);
    snprintf(out, sizeof out, "%s/report_out.tmp", dir);
    int rc = run_child(db, out, 0, "report_text") || run_child(db, out, 1, "report_timeline") ||
             run_child(kdb, out, 3, "report_kernels_text") || run_child(kdb, out, 2, "report_kernels_html");
    unlink(out);
    return rc;
}
