/* ntrace_main.c — the ntrace command: dispatch to one file per subcommand. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

typedef struct cli_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cli_cmd;

/* Subcommands in the order `ntrace --help` lists them. */
static const cli_cmd cli_cmds[] = {
    {"run",     cmd_run,     "run a program with its kernels probed, into a database"},
    {"report",  cmd_report,  "summaries, timelines and HTML reports from a database"},
    {"inspect", cmd_inspect, "what GPU code a binary holds: fatbins, entries, kernels, PTX"},
    {"probe",   cmd_probe,   "list, check or compile probes (instrument a PTX kernel)"},
    {"ptx",     cmd_ptx,     "check, print or slice a PTX module"},
    {"merge",   cmd_merge,   "combine the per-process databases of one run"},
    {"doctor",  cmd_doctor,  "what this machine offers: driver, CUDA, CUPTI, emulator"},
    {"version", cmd_version, "print the version"},
};

static void cli_usage(FILE *out)
{
    fprintf(out,
            "usage: ntrace <command> [args]\n"
            "\n"
            "ntrace is a GPU kernel profiler with programmable probes.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < NT_ARRAY_LEN(cli_cmds); i++)
        fprintf(out, "  %-10s %s\n", cli_cmds[i].name, cli_cmds[i].summary);
    fprintf(out, "\n'ntrace <command> --help' shows a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        cli_usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(name, "--version")) name = "version";
    for (size_t i = 0; i < NT_ARRAY_LEN(cli_cmds); i++)
        if (!strcmp(name, cli_cmds[i].name)) return cli_cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ntrace: '%s' is not a command; 'ntrace --help' lists them\n", name);
    return CLI_USAGE;
}
