/* cmd_probe.c — ntrace probe list|check|compile: probes from the command
 * line (docs/probe-language.md is the language reference). */
#include "cli/cli.h"
#include "probe/probe.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ntrace probe list              the shipped probes, one line each\n"
            "       ntrace probe check PROBE [-v]  compile a probe script, report the first\n"
            "                                      error (file:line); -v prints its IR\n"
            "       ntrace probe compile PROBE [IN.ptx | --ptx IN.ptx] [--kernel NAME]\n"
            "                                  [-o OUT.ptx]\n"
            "                                      instrument kernel NAME (default: every\n"
            "                                      kernel) of a PTX module; without a PTX\n"
            "                                      file, print the probe's IR\n"
            "PROBE is a file, or the name of a shipped probe (block_sched, gmem_bytes, ...).\n");
}

static void dir_of(const cli_paths *cp, const char *sub, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", cp->share_dir, sub);
}

/* A path, or a shipped probe's name. */
static void resolve(const cli_paths *cp, const char *arg, char *buf, size_t n)
{
    if (access(arg, F_OK) == 0 || strchr(arg, '/') || strstr(arg, ".lua")) {
        snprintf(buf, n, "%s", arg);
        return;
    }
    snprintf(buf, n, "%s/probes/%s.lua", cp->share_dir, arg);
}

static prb_probe *load(const cli_paths *cp, const char *arg)
{
    char path[4400], lua[4200];
    resolve(cp, arg, path, sizeof path);
    dir_of(cp, "lua", lua, sizeof lua);
    nt_err e = {0};
    prb_probe *p = prb_compile_file(path, lua, NULL, &e);
    if (!p) cli_fail(CLI_FAIL, "probe", "%s", e.msg);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* First comment line of a probe: "-- name: what it measures". */
static void summary(const char *path, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    if (fgets(line, sizeof line, f) && !strncmp(line, "-- ", 3)) {
        line[strcspn(line, "\n")] = 0;
        const char *s = strchr(line, ':');
        snprintf(buf, n, "%s", s ? s + 2 : line + 3);
    }
    fclose(f);
}

static int do_list(const cli_paths *cp)
{
    char dir[4200];
    dir_of(cp, "probes", dir, sizeof dir);
    DIR *d = opendir(dir);
    if (!d) return cli_fail(CLI_FAIL, "probe", "cannot open %s", dir);
    NT_VEC(char *) names = {0};
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (n > 4 && !strcmp(de->d_name + n - 4, ".lua"))
            nt_vec_push(&names, nt_xstrndup(de->d_name, n - 4));
    }
    closedir(d);
    if (names.n) qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        char path[4500], sum[512];
        snprintf(path, sizeof path, "%s/%s.lua", dir, names.v[i]);
        summary(path, sum, sizeof sum);
        printf("%-18s %s\n", names.v[i], sum);
        free(names.v[i]);
    }
    nt_vec_free(&names);
    return CLI_OK;
}

static void describe(const prb_probe *p)
{
    static const char *const lv[] = { "thread", "warp", "block" };
    printf("probe %s: level %s, %zu handler(s)\n", p->name, lv[p->level], p->handlers.n);
    for (size_t i = 0; i < p->maps.n; i++) {
        const prb_map *m = &p->maps.v[i];
        printf("  map %-12s cap %-6u record %3u bytes:", m->name, m->cap, m->record_size);
        for (size_t f = 0; f < m->fields.n; f++)
            printf(" %s:%s", m->fields.v[f].name, prb_type_name(m->fields.v[f].type));
        printf("\n");
    }
}

static int do_compile(const cli_paths *cp, prb_probe *p, const char *ptx, const char *kernel,
                      const char *outpath)
{
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, ptx, &e) != 0) return cli_fail(CLI_FAIL, "probe", "%s", e.msg);
    prb_inst_stats st;
    char *out = prb_instrument_text(p, f.data, f.size, ptx, kernel, &st, &e);
    nt_file_close(&f);
    if (!out) return cli_fail(CLI_FAIL, "probe", "%s", e.msg);
    int rc = CLI_OK;
    if (outpath) {
        if (nt_file_write(outpath, out, strlen(out), &e) != 0)
            rc = cli_fail(CLI_FAIL, "probe", "%s", e.msg);
    } else if (fputs(out, stdout) < 0 || fflush(stdout)) {
        rc = cli_fail(CLI_FAIL, "probe", "writing output failed");
    }
    free(out);
    fprintf(stderr, "ntrace probe: %s: %u kernel(s), %u site(s), %u exit(s)%s\n", p->name,
            st.kernels, st.sites, st.exits, st.uses_missed ? ", some first uses not found" : "");
    return rc;
}

int cmd_probe(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    cli_paths cp;
    if (cli_paths_get(&cp) != 0) return cli_fail(CLI_FAIL, "probe", "cannot locate ntrace's files");
    const char *verb = argv[1];
    if (!strcmp(verb, "list")) return do_list(&cp);
    if (strcmp(verb, "check") && strcmp(verb, "compile")) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *probe = NULL, *ptx = NULL, *kernel = NULL, *out = NULL;
    bool verbose = false;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return CLI_OK;
        } else if (!strcmp(a, "-v")) verbose = true;
        else if ((!strcmp(a, "--ptx") || !strcmp(a, "--kernel") || !strcmp(a, "-o"))) {
            if (i + 1 >= argc) return cli_fail(CLI_USAGE, "probe", "%s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--ptx")) ptx = v;
            else if (!strcmp(a, "--kernel")) kernel = v;
            else out = v;
        } else if (a[0] == '-') {
            return cli_fail(CLI_USAGE, "probe", "unknown option %s", a);
        } else if (!probe) probe = a;
        else if (!ptx && !strcmp(verb, "compile")) ptx = a;
        else return cli_fail(CLI_USAGE, "probe", "unexpected argument %s", a);
    }
    if (!probe) return cli_fail(CLI_USAGE, "probe", "%s needs a probe script", verb);
    prb_probe *p = load(&cp, probe);
    if (!p) return CLI_FAIL;
    int rc = CLI_OK;
    if (!strcmp(verb, "check") || !ptx) {
        describe(p);
        if (verbose || !strcmp(verb, "compile")) {
            char *d = prb_dump(p);
            fputs(d, stdout);
            free(d);
        }
    } else {
        rc = do_compile(&cp, p, ptx, kernel, out);
    }
    prb_free(p);
    return rc;
}
