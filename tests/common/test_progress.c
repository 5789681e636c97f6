/* Tests: the progress line (common.h nt_progress_*): quiet off a terminal,
 * forced on by NTRACE_PROGRESS=1, rate-limited, erased at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "common/common.h"

static char *run(const char *env, uint64_t delay, uint64_t every, int updates)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (env) setenv("NTRACE_PROGRESS", env, 1);
    else unsetenv("NTRACE_PROGRESS");
    nt_progress p;
    nt_progress_start(&p, m, "report");
    p.delay_ns = delay;
    p.every_ns = every;
    for (int i = 1; i <= updates; i++) nt_progress_update(&p, "timeline", (uint64_t)i, 4);
    nt_progress_end(&p);
    fclose(m);
    unsetenv("NTRACE_PROGRESS");
    return buf;
}

static void quiet_when_not_a_terminal(void **state)
{
    char *s = run(NULL, 0, 0, 4);          /* a memory stream is no terminal */
    assert_string_equal(s, "");
    free(s);
    s = run("0", 0, 0, 4);
    assert_string_equal(s, "");
    free(s);
}

static void forced_line_is_rewritten_and_erased(void **state)
{
    char *s = run("1", 0, 0, 2);
    assert_string_equal(s, "\rreport: timeline 1/4 (25%)\033[K"
                           "\rreport: timeline 2/4 (50%)\033[K"
                           "\r\033[K");
    free(s);
}

static void nothing_before_the_delay_and_rate_limited(void **state)
{
    char *s = run("1", 3600000000000ull, 0, 4);     /* short work: no line at all */
    assert_string_equal(s, "");
    free(s);
    s = run("1", 0, 3600000000000ull, 4);           /* the first, then none for an hour */
    assert_string_equal(s, "\rreport: timeline 1/4 (25%)\033[K\r\033[K");
    free(s);
    /* off by default: update and end do nothing */
    nt_progress p;
    nt_progress_start(&p, NULL, "x");
    nt_progress_update(&p, NULL, 1, 0);
    nt_progress_end(&p);
}

/* A real terminal (a pseudo-terminal): on without NTRACE_PROGRESS. */
static void on_for_a_terminal(void **state)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) skip();
    int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    FILE *f = fdopen(slave, "w");
    unsetenv("NTRACE_PROGRESS");
    nt_progress p;
    nt_progress_start(&p, f, "inspect");
    assert_non_null(p.out);
    assert_true(p.delay_ns > 0);        /* short work stays quiet */
    p.delay_ns = 0;
    nt_progress_update(&p, NULL, 1, 2);
    nt_progress_end(&p);
    fclose(f);
    /* each flush is a write of its own: read until the line discipline
     * has nothing more for a while */
    char buf[256];
    size_t n = 0;
    struct pollfd pf = {.fd = master, .events = POLLIN};
    while (n < sizeof buf - 1 && poll(&pf, 1, 200) == 1) {
        ssize_t k = read(master, buf + n, sizeof buf - 1 - n);
        if (k <= 0) break;
        n += (size_t)k;
    }
    buf[n] = 0;
    assert_non_null(strstr(buf, "\rinspect: 1/2 (50%)\033[K\r\033[K"));
    close(master);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quiet_when_not_a_terminal),
        cmocka_unit_test(forced_line_is_rewritten_and_erased),
        cmocka_unit_test(nothing_before_the_delay_and_rate_limited),
        cmocka_unit_test(on_for_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
