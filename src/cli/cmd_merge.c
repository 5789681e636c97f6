/* cmd_merge.c — ntrace merge: one database from the per-process databases
 * of one run (out.db, out.<pid>.db, ...). */
#include "cli/cli.h"
#include "collector/collector.h"

#include <stdio.h>
#include <string.h>

static void merge_usage(FILE *f)
{
    fprintf(f, "usage: ntrace merge [-f] OUT.db IN.db...\n"
               "\n"
               "Combines the databases of the processes of one run into OUT.db: one run row\n"
               "per input, ids renumbered, probe tables of the same shape appended.\n"
               "\n"
               "  -f, --force   replace OUT.db when it exists\n");
}

int cmd_merge(int argc, char **argv)
{
    bool force = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            merge_usage(stdout);
            return CLI_OK;
        }
        if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--force")) force = true;
        else return cli_fail(CLI_USAGE, "merge", "unknown option '%s'", argv[i]);
    }
    if (argc - i < 2) {
        merge_usage(stderr);
        return CLI_USAGE;
    }
    nt_progress prog;
    nt_progress_start(&prog, stderr, "ntrace merge");
    col_merge_totals t = {.progress = &prog};
    nt_err e = {0};
    int rc = col_merge(argv[i], (const char *const *)argv + i + 1, (size_t)(argc - i - 1), force,
                       &t, &e);
    nt_progress_end(&prog);
    if (rc) return cli_fail(CLI_FAIL, "merge", "%s", e.msg);
    printf("merged %llu databases into %s: %llu launches, %llu probe records\n",
           (unsigned long long)t.inputs, argv[i], (unsigned long long)t.launches,
           (unsigned long long)t.records);
    return CLI_OK;
}
