/*
 * cli.h — shared pieces of the ntrace command (src/cli).
 *
 * One file per subcommand (cmd_<name>.c), like perf: each exports
 * `int cmd_<name>(int argc, char **argv)` where argv[0] is the subcommand
 * name, and is listed in the table in ntrace_main.c.
 *
 * Exit codes of every subcommand (docs/user-guide.md):
 *   0  success
 *   1  the work failed (bad input file, failed check, ...)
 *   2  usage error (unknown flag, missing argument)
 *   otherwise: `ntrace run` forwards the profiled program's own status.
 */
#ifndef NT_CLI_H
#define NT_CLI_H

#include "common/common.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Where ntrace's own files live, resolved from /proc/self/exe so that the
 * build tree and an installed tree (PREFIX/bin, PREFIX/lib/ntrace,
 * PREFIX/share/ntrace) both work without configuration. */
typedef struct cli_paths {
    char bin_dir[4096];     /* directory of the ntrace executable */
    char lib_dir[4096];     /* libntrace_inject.so */
    char emu_dir[4096];     /* the emulator's libcuda.so.1 / libcupti */
    char share_dir[4096];   /* holds lua/ and probes/ */
} cli_paths;

int  cli_paths_get(cli_paths *p);

/* "ntrace <cmd>: message" on stderr; returns `code`. */
int  cli_fail(int code, const char *cmd, const char *fmt, ...) NT_PRINTF(3, 4);


/* run_summary.c: the end-of-run summary of a database. */
#include <stdio.h>
int cli_run_summary(const char *path, FILE *out);

int cmd_run(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_ptx(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_version(int argc, char **argv);

#endif
