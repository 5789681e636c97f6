/* progress.c — the progress line of long commands (common.h). */
#include "common/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void nt_progress_start(nt_progress *p, void *out, const char *what)
{
    memset(p, 0, sizeof *p);
    const char *env = getenv("NTRACE_PROGRESS");
    bool forced = env && *env && strcmp(env, "0") != 0;
    bool on = out && (env && *env ? forced : isatty(fileno((FILE *)out)) == 1);
    if (!on) return;
    p->out = out;
    p->what = what;
    p->t0 = nt_now_ns();
    p->delay_ns = forced ? 0 : 500000000ull;
    p->every_ns = 100000000ull;
}

void nt_progress_update(nt_progress *p, const char *phase, uint64_t done, uint64_t total)
{
    if (!p->out) return;
    uint64_t now = nt_now_ns();
    if (now - p->t0 < p->delay_ns) return;
    if (p->shown && now - p->last < p->every_ns) return;
    p->last = now;
    /* \033[K erases what a longer earlier line left on the right */
    FILE *f = p->out;
    fprintf(f, "\r%s:", p->what);
    if (phase) fprintf(f, " %s", phase);
    if (total) {
        if (done > total) done = total;
        fprintf(f, " %llu/%llu (%.0f%%)", (unsigned long long)done, (unsigned long long)total,
                100.0 * (double)done / (double)total);
    }
    fputs("\033[K", f);
    fflush(f);
    p->shown = true;
}

void nt_progress_clear(nt_progress *p)
{
    if (p->out && p->shown) {
        fputs("\r\033[K", (FILE *)p->out);
        fflush((FILE *)p->out);
    }
    p->shown = false;
}

void nt_progress_end(nt_progress *p)
{
    nt_progress_clear(p);
    memset(p, 0, sizeof *p);
}
