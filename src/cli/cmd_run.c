/* cmd_run.c — ntrace run: profile a program.
 *
 * Sets CUDA_INJECTION64_PATH and the NTRACE_* configuration (inject.h),
 * validates it with the injector's own parser before anything starts,
 * runs the program, forwards its exit status and the signals sent to
 * ntrace, and prints where the results went. */
#include "cli/cli.h"
#include "inject/inject.h"
#include "collector/collector.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char run_usage[] =
    "usage: ntrace run [options] -- PROGRAM [ARGS...]\n"
    "\n"
    "Runs PROGRAM with ntrace loaded into its CUDA driver, probing kernel\n"
    "launches with the given probes, and writes one SQLite database.\n"
    "\n"
    "  -p, --probe PROBE      a probe file, or the name of a shipped probe\n"
    "                         (ntrace probe list); repeatable\n"
    "  -o, --output FILE      the database (default: ntrace.db, or ntrace-N.db\n"
    "                         when that exists)\n"
    "  -f, --force            overwrite the output if it exists\n"
    "  -k, --kernel REGEX     probe only kernels whose name matches (POSIX ERE,\n"
    "                         mangled or demangled)\n"
    "  -n, --launches SEL     N: the first N launches of each kernel;\n"
    "                         every:N: every Nth launch of each kernel\n"
    "  -b, --budget BYTES     device memory for probe buffers (e.g. 256M)\n"
    "      --emulate          run on ntrace's PTX emulator instead of a GPU\n"
    "      --pc-sampling      collect hardware PC samples (GPU only; run it as a\n"
    "                         pass of its own, without -p: docs/pc-sampling.md)\n"
    "      --pc-period EXP    sample every 2^EXP cycles per SM (5..31)\n"
    "      --no-cache         do not use the on-disk cache of instrumented PTX\n"
    "\n"
    "Exit status: the program's own; 128+N when it was killed by signal N;\n"
    "2 for a usage or configuration error; 127 when PROGRAM cannot be run.\n";

typedef struct run_opts {
    NT_VEC(char *) probes;     /* resolved paths, malloc'd */
    const char *output;
    const char *kernel;
    const char *launches;
    const char *budget;
    const char *pc_period;
    bool force, emulate, pc_sampling, no_cache;
    char **argv;               /* the program and its arguments */
} run_opts;

static bool run_is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* A probe is a path when it names an existing file or contains '/' or
 * ends in .lua; otherwise it is the name of a shipped probe. */
static char *run_resolve_probe(const cli_paths *paths, const char *p, nt_err *e)
{
    size_t n = strlen(p);
    bool pathish = strchr(p, '/') || (n > 4 && !strcmp(p + n - 4, ".lua"));
    if (run_is_file(p) || pathish) {
        char real[PATH_MAX];
        if (!realpath(p, real) || !run_is_file(real)) {
            nt_err_set(e, "probe file '%s' not found", p);
            return NULL;
        }
        return nt_xstrdup(real);
    }
    char shipped[8192];
    snprintf(shipped, sizeof shipped, "%s/probes/%s.lua", paths->share_dir, p);
    if (run_is_file(shipped)) return nt_xstrdup(shipped);
    nt_err_set(e, "no probe named '%s' ('ntrace probe list' shows the shipped probes; "
                  "or give the path of a .lua file)", p);
    return NULL;
}

/* Default output: ntrace.db, else the first free ntrace-N.db (never
 * overwrite a previous run by accident, as nsys does). */
static char *run_default_output(void)
{
    if (access("ntrace.db", F_OK) != 0) return nt_xstrdup("ntrace.db");
    for (int i = 1; i < 100000; i++) {
        char name[64];
        snprintf(name, sizeof name, "ntrace-%d.db", i);
        if (access(name, F_OK) != 0) return nt_xstrdup(name);
    }
    return nt_xstrdup("ntrace.db");
}

static int run_check_output(const char *out, bool force, nt_err *e)
{
    if (access(out, F_OK) == 0 && !force)
        return nt_err_set(e, "'%s' exists; use --force to overwrite it or -o to choose another file", out);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", out);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = 0;
    else snprintf(dir, sizeof dir, ".");
    if (access(dir, W_OK) != 0)
        return nt_err_set(e, "cannot write '%s': directory '%s' %s", out, dir,
                          errno == ENOENT ? "does not exist" : "is not writable");
    return 0;
}

static int run_parse(int argc, char **argv, const cli_paths *paths, run_opts *o, nt_err *e)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) { i++; break; }
        if (a[0] != '-') break;            /* the program starts here */
        const char *val = NULL;
        bool takes = !strcmp(a, "-p") || !strcmp(a, "--probe") || !strcmp(a, "-o") ||
                     !strcmp(a, "--output") || !strcmp(a, "-k") || !strcmp(a, "--kernel") ||
                     !strcmp(a, "--pc-period") ||
                     !strcmp(a, "-n") || !strcmp(a, "--launches") || !strcmp(a, "-b") ||
                     !strcmp(a, "--budget");
        if (takes) {
            if (i + 1 >= argc) return nt_err_set(e, "option '%s' needs a value (see --help)", a);
            val = argv[++i];
        }
        if (!strcmp(a, "-p") || !strcmp(a, "--probe")) {
            char *p = run_resolve_probe(paths, val, e);
            if (!p) return -1;
            nt_vec_push(&o->probes, p);
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->output = val;
        else if (!strcmp(a, "-k") || !strcmp(a, "--kernel")) o->kernel = val;
        else if (!strcmp(a, "-n") || !strcmp(a, "--launches")) o->launches = val;
        else if (!strcmp(a, "-b") || !strcmp(a, "--budget")) o->budget = val;
        else if (!strcmp(a, "--pc-period")) o->pc_period = val;
        else if (!strcmp(a, "-f") || !strcmp(a, "--force")) o->force = true;
        else if (!strcmp(a, "--emulate")) o->emulate = true;
        else if (!strcmp(a, "--pc-sampling")) o->pc_sampling = true;
        else if (!strcmp(a, "--no-cache")) o->no_cache = true;
        else return nt_err_set(e, "unknown option '%s' (see --help)", a);
    }
    if (i >= argc) return nt_err_set(e, "no program given (ntrace run [options] -- PROGRAM [ARGS...])");
    o->argv = argv + i;
    return 0;
}

/* Exports the configuration; then validates it with the injector's parser
 * so a mistake is reported here, before the program starts. */
static int run_setenv(const run_opts *o, const cli_paths *paths, const char *output, nt_err *e)
{
    char inj[8192];
    snprintf(inj, sizeof inj, "%s/libntrace_inject.so", paths->lib_dir);
    if (access(inj, R_OK) != 0)
        return nt_err_set(e, "the injector %s is missing (build it with 'make')", inj);
    setenv("CUDA_INJECTION64_PATH", inj, 1);
    nt_sb probes = {0};
    for (size_t k = 0; k < o->probes.n; k++) {
        if (k) nt_sb_putc(&probes, ':');
        nt_sb_puts(&probes, o->probes.v[k]);
    }
    setenv("NTRACE_PROBES", nt_sb_str(&probes), 1);
    nt_sb_free(&probes);
    char real[PATH_MAX];
    const char *out = output;
    /* An absolute path, so a program that changes directory writes it here. */
    if (output[0] != '/' && getcwd(real, sizeof real)) {
        static char abs_out[PATH_MAX + 1024];
        snprintf(abs_out, sizeof abs_out, "%s/%s", real, output);
        out = abs_out;
    }
    setenv("NTRACE_OUTPUT", out, 1);
    if (o->kernel) setenv("NTRACE_KERNEL", o->kernel, 1);
    if (o->launches) setenv("NTRACE_LAUNCHES", o->launches, 1);
    if (o->budget) setenv("NTRACE_BUDGET", o->budget, 1);
    if (o->no_cache) setenv("NTRACE_CACHE_DIR", "off", 1);
    char lua[8192];
    snprintf(lua, sizeof lua, "%s/lua", paths->share_dir);
    setenv("NTRACE_LUA_DIR", lua, 1);
    if (o->pc_sampling) setenv("NTRACE_PC_SAMPLING", "1", 1);
    if (o->pc_period) setenv("NTRACE_PC_SAMPLING_PERIOD", o->pc_period, 1);
    if (o->pc_sampling && o->probes.n)
        fprintf(stderr, "ntrace run: note: probes and PC sampling disturb each other's "
                        "measurements; for clean numbers run them as separate passes\n");
    /* Eager loading where the app did not choose: modules are loaded (and
     * seen by ntrace) when the app loads them, not at their first launch.
     * The cost is the app's start-up time and memory for modules it never
     * launches; an app that sets CUDA_MODULE_LOADING keeps its choice. */
    setenv("CUDA_MODULE_LOADING", "EAGER", 0);
    if (o->emulate) {
        char drv[8192];
        snprintf(drv, sizeof drv, "%s/libcuda.so.1", paths->emu_dir);
        if (access(drv, R_OK) != 0)
            return nt_err_set(e, "the emulator's driver %s is missing (build it with 'make')", drv);
        const char *old = getenv("LD_LIBRARY_PATH");
        nt_sb ld = {0};
        nt_sb_puts(&ld, paths->emu_dir);
        if (old && *old) nt_sb_printf(&ld, ":%s", old);
        setenv("LD_LIBRARY_PATH", nt_sb_str(&ld), 1);
        nt_sb_free(&ld);
        setenv("NTRACE_EMULATE", "1", 1);
    }
    inj_config c;
    if (inj_config_from_env(&c, e) < 0) return -1;
    inj_config_free(&c);
    return 0;
}

/* The databases of the program's other processes: OUT.<pid>.db, merged
 * into OUT.db (the parts are removed once merged). */
/* The per-process databases next to output (col_process_glob), without
 * SQLite's side files.  Returns how many; *g is to be freed with globfree. */
typedef NT_VEC(const char *) run_names;

static size_t run_parts(const char *output, glob_t *g, run_names *parts)
{
    char *pat = col_process_glob(output);
    int rc = glob(pat, 0, NULL, g);
    free(pat);
    if (rc != 0) {
        memset(g, 0, sizeof *g);
        return 0;
    }
    for (size_t i = 0; i < g->gl_pathc; i++) {
        const char *p = g->gl_pathv[i];
        size_t n = strlen(p);
        if (n > 4 && (!strcmp(p + n - 4, "-wal") || !strcmp(p + n - 4, "-shm"))) continue;
        nt_vec_push(parts, p);
    }
    return parts->n;
}

/* Before the program starts: per-process files of an earlier run with the
 * same name would be taken for this run's. */
static void run_remove_parts(const char *output)
{
    glob_t g;
    run_names parts = {0};
    run_parts(output, &g, &parts);
    for (size_t i = 0; i < parts.n; i++) {
        fprintf(stderr, "ntrace run: removing %s, left by an earlier run\n", parts.v[i]);
        unlink(parts.v[i]);
    }
    nt_vec_free(&parts);
    globfree(&g);
}

static void run_merge_parts(const char *output)
{
    glob_t g;
    run_names parts = {0};
    if (run_parts(output, &g, &parts) == 0) {
        globfree(&g);
        return;
    }
    run_names ins = {0};
    bool have_main = access(output, F_OK) == 0;
    if (have_main) nt_vec_push(&ins, output);
    for (size_t i = 0; i < parts.n; i++) nt_vec_push(&ins, parts.v[i]);
    nt_sb tmp = {0};
    nt_sb_printf(&tmp, "%s.merging", output);
    nt_progress prog;
    nt_progress_start(&prog, stderr, "ntrace run: merging");
    col_merge_totals t = {.progress = &prog};
    nt_err e = {0};
    int rc = col_merge(nt_sb_str(&tmp), ins.v, ins.n, true, &t, &e);
    nt_progress_end(&prog);
    if (rc == 0 && rename(nt_sb_str(&tmp), output) == 0) {
        for (size_t i = 0; i < parts.n; i++) unlink(parts.v[i]);
        fprintf(stderr, "ntrace: merged the databases of %zu processes into %s\n", ins.n, output);
    } else {
        fprintf(stderr, "ntrace run: cannot merge the per-process databases (%s); they are "
                        "kept next to %s (ntrace merge combines them)\n",
                e.set ? e.msg : strerror(errno), output);
        unlink(nt_sb_str(&tmp));
    }
    nt_vec_free(&ins);
    nt_vec_free(&parts);
    globfree(&g);
    nt_sb_free(&tmp);
}

static volatile sig_atomic_t run_child;

static void run_forward(int sig)
{
    if (run_child > 0) kill(run_child, sig);
}

int cmd_run(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(run_usage, stdout);
            return CLI_OK;
        }
    cli_paths paths;
    if (cli_paths_get(&paths) < 0) return cli_fail(CLI_FAIL, "run", "cannot locate the ntrace executable");
    run_opts o = {0};
    nt_err e = {0};
    char *output = NULL;
    int rc = CLI_USAGE;
    if (run_parse(argc, argv, &paths, &o, &e) < 0) goto out;
    output = o.output ? nt_xstrdup(o.output) : run_default_output();
    if (run_check_output(output, o.force, &e) < 0) goto out;
    if (run_setenv(&o, &paths, output, &e) < 0) goto out;
    if (o.force) unlink(output);
    run_remove_parts(output);

    /* SIGINT and SIGQUIT from the terminal reach the whole process group,
     * the program included: ntrace only waits for it.  Signals sent to
     * ntrace alone are forwarded. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = run_forward}, oint, oquit;
    sigaction(SIGINT, &ign, &oint);
    sigaction(SIGQUIT, &ign, &oquit);
    int fwd_sigs[] = {SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    pid_t pid = fork();
    if (pid < 0) {
        rc = cli_fail(CLI_FAIL, "run", "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        sigaction(SIGINT, &oint, NULL);
        sigaction(SIGQUIT, &oquit, NULL);
        execvp(o.argv[0], o.argv);
        fprintf(stderr, "ntrace run: cannot run '%s': %s\n", o.argv[0], strerror(errno));
        _exit(127);
    }
    run_child = pid;
    for (size_t k = 0; k < NT_ARRAY_LEN(fwd_sigs); k++) sigaction(fwd_sigs[k], &fwd, NULL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    run_child = 0;
    if (WIFEXITED(status)) {
        rc = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        fprintf(stderr, "ntrace run: %s was killed by signal %d (%s)\n", o.argv[0], sig, strsignal(sig));
        rc = 128 + sig;
    }
    run_merge_parts(output);
    if (access(output, F_OK) == 0) {
        cli_run_summary(output, stderr);
        fprintf(stderr, "ntrace: results in %s\n  next: ntrace report %s\n", output, output);
    }
    else if (rc != 127)
        fprintf(stderr, "ntrace: no database was written: the program made no CUDA calls "
                        "(or ntrace was not loaded; NTRACE_LOG=debug tells more)\n");
out:
    if (e.set) fprintf(stderr, "ntrace run: %s\n", e.msg);
    for (size_t k = 0; k < o.probes.n; k++) free(o.probes.v[k]);
    nt_vec_free(&o.probes);
    free(output);
    return rc;
}
