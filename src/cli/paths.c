/* paths.c — find ntrace's own files relative to the executable. */
#include "cli/cli.h"

#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool cli_exists(const char *dir, const char *name)
{
    char p[8192];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* Canonicalizes dir in place when it exists ("bin/../lib" -> "lib"). */
static void cli_canon(char *dir, size_t cap)
{
    char real[PATH_MAX];
    if (realpath(dir, real) && strlen(real) < cap) memcpy(dir, real, strlen(real) + 1);
}

int cli_paths_get(cli_paths *p)
{
    memset(p, 0, sizeof *p);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = 0;
    snprintf(p->bin_dir, sizeof p->bin_dir, "%s", exe);
    /* Installed: PREFIX/bin/ntrace, PREFIX/lib/ntrace, PREFIX/share/ntrace. */
    char inst_lib[4200];
    snprintf(inst_lib, sizeof inst_lib, "%s/../lib/ntrace", exe);
    if (cli_exists(inst_lib, ".")) {
        snprintf(p->lib_dir, sizeof p->lib_dir, "%s", inst_lib);
        snprintf(p->emu_dir, sizeof p->emu_dir, "%s/../lib/ntrace/emu", exe);
        snprintf(p->share_dir, sizeof p->share_dir, "%s/../share/ntrace", exe);
    } else {
        /* Build tree: BUILD/bin/ntrace, BUILD/lib, BUILD/emu, sources one up. */
        snprintf(p->lib_dir, sizeof p->lib_dir, "%s/../lib", exe);
        snprintf(p->emu_dir, sizeof p->emu_dir, "%s/../emu", exe);
        snprintf(p->share_dir, sizeof p->share_dir, "%s/../..", exe);
    }
    cli_canon(p->lib_dir, sizeof p->lib_dir);
    cli_canon(p->emu_dir, sizeof p->emu_dir);
    cli_canon(p->share_dir, sizeof p->share_dir);
    return 0;
}

int cli_fail(int code, const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "ntrace %s: %s\n", cmd, msg);
    return code;
}

