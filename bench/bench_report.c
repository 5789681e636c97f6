/* bench_report.c — the text summary and the timeline export on a synthetic
 * database of 10 M probe records (goal: <= 5 s each, <= 500 MB).
 *
 * The database (50 launches x 50,000 warps x 4 records: block_sched,
 * barrier_wait, mem_wait, gmem_bytes) is made once and kept under
 * $BUILD/bench/ (generation is not timed).  Each measured phase runs in a
 * child process, so its peak RSS is its own (wait4's rusage). */
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
    if (!rc) rc = which == 0 ? rep_summary(db, &o, f, &e) : rep_timeline(db, &o, f, &st, &e);
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

int main(void)
{
    const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
    char dir[512], db[600], out[600];
    snprintf(dir, sizeof dir, "%s/bench", build);
    mkdir(dir, 0755);
    rep_synth p = {.kernels = 3, .launches = 50, .streams = 4, .sm_count = 132,
                   .blocks = 12500, .threads = 128,
                   .maps = REP_SYN_BLOCK_SCHED | REP_SYN_WAITS | REP_SYN_GMEM, .seed = 7};
    uint64_t n = rep_synth_records(&p);
    snprintf(db, sizeof db, "%s/report_%llu.db", dir, (unsigned long long)n);
    struct stat sb;
    if (stat(db, &sb) != 0) {
        nt_err e = {0};
        uint64_t t0 = nt_now_ns();
        if (rep_synth_write(db, &p, &e)) {
            fprintf(stderr, "bench_report: %s\n", e.msg);
            return 1;
        }
        fprintf(stderr, "bench_report: made %s (%llu records) in %.1f s\n", db,
                (unsigned long long)n, (nt_now_ns() - t0) / 1e9);
    }
    printf("bench report_records: %llu records\n", (unsigned long long)n);
    fflush(stdout);
    snprintf(out, sizeof out, "%s/report_out.tmp", dir);
    int rc = run_child(db, out, 0, "report_text") || run_child(db, out, 1, "report_timeline");
    unlink(out);
    return rc;
}
