/* cmd_report.c — `ntrace report DB [...]`: summaries, timeline, HTML and
 * Lua analyses from a database (src/report, docs/report.md). */
#include "cli/cli.h"
#include "report/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
    "usage: ntrace report DB [options]\n"
    "\n"
    "Summarizes an ntrace database: the run, the device, kernels by total time,\n"
    "one summary per probe, and warp stall breakdowns (docs/report.md).\n"
    "\n"
    "options:\n"
    "  --kernel REGEX       only kernels whose name matches (POSIX extended regex)\n"
    "  --launch ID          only this launch\n"
    "  --format FMT         summary as text (default), csv or json\n"
    "  --timeline OUT.json  write a Chrome trace-event timeline (Perfetto opens it)\n"
    "  --html OUT.html      write a self-contained HTML report\n"
    "  --script FILE.lua    run a Lua analysis with read-only nt.query(); print its result\n"
    "  --max-events N       stop the timeline after N events (says so when it cuts)\n"
    "  --synthetic          write a synthetic database to DB (for demos and trials)\n"
    "\n"
    "With --timeline, --html or --script, the summary is printed only when\n"
    "--format is given too.\n";

static int parse_u64(const char *flag, const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return cli_fail(CLI_USAGE, "report", "%s: '%s' is not a non-negative integer", flag, s);
    *v = x;
    return 0;
}

/* Opens path for writing ("-" is stdout). */
static FILE *open_out(const char *path)
{
    return strcmp(path, "-") ? fopen(path, "w") : stdout;
}

static int close_out(FILE *f, const char *path)
{
    if (f == stdout) return fflush(f) ? -1 : 0;
    return fclose(f) ? -1 : 0;
}

static int write_to(rep_db *db, const rep_opts *o, const char *path, int what)
{
    FILE *f = open_out(path);
    if (!f) return cli_fail(CLI_FAIL, "report", "%s: %s", path, strerror(errno));
    nt_err e = {0};
    rep_tl_stats st = {0};
    int rc = what == 0 ? rep_timeline(db, o, f, &st, &e) : rep_html(db, o, f, &e);
    if (o->progress) o->progress(o->progress_ctx, NULL, 0, 0);   /* before any message */
    if (close_out(f, path) && !rc) rc = nt_err_set(&e, "%s: %s", path, strerror(errno));
    if (rc) return cli_fail(CLI_FAIL, "report", "%s", e.msg);
    if (what == 0 && st.cut)
        fprintf(stderr, "ntrace report: timeline cut at %llu events (--max-events): %llu "
                "events left out of %s\n", (unsigned long long)st.events,
                (unsigned long long)st.cut, path);
    return 0;
}

/* The progress line on stderr (a terminal only); cleared before output. */
static void on_progress(void *ctx, const char *phase, uint64_t done, uint64_t total)
{
    if (phase) nt_progress_update(ctx, phase, done, total);
    else nt_progress_clear(ctx);
}

int cmd_report(int argc, char **argv)
{
    rep_opts o = REP_OPTS_INIT;
    const char *db_path = NULL, *timeline = NULL, *html = NULL, *script = NULL;
    bool format_given = false, synthetic = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = !strcmp(a, "--kernel") || !strcmp(a, "--launch") || !strcmp(a, "--format") ||
                     !strcmp(a, "--timeline") || !strcmp(a, "--html") || !strcmp(a, "--script") ||
                     !strcmp(a, "--max-events");
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(report_usage, stdout);
            return CLI_OK;
        }
        if (takes && !val) return cli_fail(CLI_USAGE, "report", "%s needs a value", a);
        if (!strcmp(a, "--kernel")) o.kernel_re = val;
        else if (!strcmp(a, "--launch")) {
            uint64_t v;
            if (parse_u64(a, val, &v)) return CLI_USAGE;
            o.launch_id = (int64_t)v;
        } else if (!strcmp(a, "--format")) {
            format_given = true;
            if (!strcmp(val, "text")) o.format = REP_TEXT;
            else if (!strcmp(val, "csv")) o.format = REP_CSV;
            else if (!strcmp(val, "json")) o.format = REP_JSON;
            else return cli_fail(CLI_USAGE, "report", "--format '%s': use text, csv or json", val);
        } else if (!strcmp(a, "--timeline")) timeline = val;
        else if (!strcmp(a, "--html")) html = val;
        else if (!strcmp(a, "--script")) script = val;
        else if (!strcmp(a, "--max-events")) {
            if (parse_u64(a, val, &o.max_events)) return CLI_USAGE;
            if (!o.max_events)
                return cli_fail(CLI_USAGE, "report", "--max-events must be at least 1");
        } else if (!strcmp(a, "--synthetic")) {
            synthetic = true;
            continue;
        } else if (a[0] == '-' && a[1]) {
            return cli_fail(CLI_USAGE, "report", "unknown option '%s'; see 'ntrace report --help'", a);
        } else if (db_path) {
            return cli_fail(CLI_USAGE, "report", "one database only ('%s' and '%s')", db_path, a);
        } else {
            db_path = a;
            continue;
        }
        i++;
    }
    if (!db_path) return cli_fail(CLI_USAGE, "report", "no database given; see 'ntrace report --help'");
    nt_err e = {0};
    if (synthetic) {
        rep_synth p = {.sass_only_kernel = 1, .seed = 1};
        if (rep_synth_write(db_path, &p, &e)) return cli_fail(CLI_FAIL, "report", "%s", e.msg);
        printf("wrote a synthetic database to %s (%llu probe records)\n", db_path,
               (unsigned long long)rep_synth_records(&p));
        return CLI_OK;
    }
    rep_db *db = rep_open(db_path, &e);
    if (!db) return cli_fail(CLI_FAIL, "report", "%s", e.msg);
    int rc = CLI_OK;
    /* Never next to csv/json (data for scripts, often read on the same
     * terminal or with 2>&1): the progress line is for the text summary and
     * the files. */
    nt_progress prog;
    memset(&prog, 0, sizeof prog);
    if (!format_given || o.format == REP_TEXT) {
        nt_progress_start(&prog, stderr, "ntrace report");
        o.progress = on_progress;
        o.progress_ctx = &prog;
    }
    if (rep_select(db, &o, &e)) rc = cli_fail(CLI_FAIL, "report", "%s", e.msg);
    if (!rc && (format_given || (!timeline && !html && !script)) && rep_summary(db, &o, stdout, &e))
        rc = cli_fail(CLI_FAIL, "report", "%s", e.msg);
    if (!rc && timeline) rc = write_to(db, &o, timeline, 0);
    if (!rc && html) rc = write_to(db, &o, html, 1);
    nt_progress_end(&prog);
    if (!rc && script && rep_script(db, script, NULL, stdout, &e))
        rc = cli_fail(CLI_FAIL, "report", "%s", e.msg);
    rep_close(db);
    return rc;
}
