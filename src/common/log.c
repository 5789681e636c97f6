/* log.c — leveled logging controlled by NTRACE_LOG / NTRACE_LOG_FILE.
 *
 * The level is read once, lazily; reads and the one-time init race
 * benignly (every racer computes the same value).  Each message is
 * formatted into one buffer and written with a single write(2), so lines
 * from different threads never interleave. */
#include "common/common.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

static const char *const nt_level_names[] = {"error", "warn", "info", "debug", "trace"};
static volatile int nt_level = -1;
static volatile int nt_log_fd = -1;

int nt_log_parse_level(const char *s)
{
    if (!s) return -1;
    for (size_t i = 0; i < NT_ARRAY_LEN(nt_level_names); i++)
        if (strcasecmp(s, nt_level_names[i]) == 0) return (int)i;
    if (strcasecmp(s, "warning") == 0) return NT_LOG_WARN;
    return -1;
}

static void nt_log_init(void)
{
    const char *s = getenv("NTRACE_LOG");
    int lvl = nt_log_parse_level(s);
    int fd = 2;
    const char *path = getenv("NTRACE_LOG_FILE");
    if (path && *path) {
        int f = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (f >= 0) fd = f;
    }
    nt_log_fd = fd;
    nt_level = lvl < 0 ? NT_LOG_WARN : lvl;
    if (s && *s && lvl < 0)
        nt_log(NT_LOG_WARN, "NTRACE_LOG=%s is not a level (error, warn, info, debug, trace); using warn", s);
}

void nt_log_reset(void)
{
    if (nt_log_fd > 2) close(nt_log_fd);
    nt_log_fd = -1;
    nt_level = -1;
}

bool nt_log_on(enum nt_log_level lvl)
{
    if (nt_level < 0) nt_log_init();
    return (int)lvl <= nt_level;
}

void nt_log(enum nt_log_level lvl, const char *fmt, ...)
{
    if (!nt_log_on(lvl)) return;
    char buf[2048];
    int n = snprintf(buf, sizeof buf, "ntrace: %s: ", nt_level_names[lvl]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof buf - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : NT_MIN((size_t)m, sizeof buf - (size_t)n - 2));
    buf[len++] = '\n';
    ssize_t w = write(nt_log_fd, buf, len);
    (void)w;
}
