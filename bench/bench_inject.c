/* bench_inject — the injector's host-side cost, on the emulator:
 *   - per launch: a probed launch (block_sched) against an unprobed one
 *     (the same program, no ntrace), kernel execution being one warp and
 *     one store;
 *   - first launch: building the twin (slice, instrument, JIT) with a cold
 *     cache, against a warm cache (no rewrite).
 * Runs build/bench/launchloop_app through `ntrace run --emulate`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int run(const char *cmd, double *first, double *per)
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[512];
    int ok = -1;
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "launchloop: first_launch_us %lf launch_us %lf", first, per) == 2) ok = 0;
    if (pclose(p) != 0) ok = -1;
    return ok;
}

int main(void)
{
    const char *b = getenv("BUILD");
    char build[1024];
    snprintf(build, sizeof build, "%s", b ? b : "build");
    char cache[] = "/tmp/nt_bench_cache_XXXXXX";
    if (!mkdtemp(cache)) return 1;
    const int n = 3000;
    char cmd[4096];
    double f0, p0, f1, p1, f2, p2;
    snprintf(cmd, sizeof cmd, "LD_LIBRARY_PATH=%s/emu %s/bench/launchloop_app %d", build, build, n);
    if (run(cmd, &f0, &p0) < 0) { fprintf(stderr, "bench_inject: native run failed\n"); return 1; }
    snprintf(cmd, sizeof cmd,
             "NTRACE_CACHE_DIR=%s %s/bin/ntrace run --emulate -f -o %s/bench.db -p block_sched -- "
             "%s/bench/launchloop_app %d 2>/dev/null", cache, build, cache, build, n);
    if (run(cmd, &f1, &p1) < 0 || run(cmd, &f2, &p2) < 0) {
        fprintf(stderr, "bench_inject: probed run failed\n");
        return 1;
    }
    printf("bench inject_launch_unprobed: %.2f us\n", p0);
    printf("bench inject_launch_probed: %.2f us\n", p2);
    printf("bench inject_launch_overhead: %.2f us\n", p2 - p0);
    printf("bench inject_first_launch_cold: %.0f us\n", f1);
    printf("bench inject_first_launch_cached: %.0f us\n", f2);
    printf("bench inject_first_launch_native: %.0f us\n", f0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", cache);
    return system(cmd) == 0 ? 0 : 1;
}
