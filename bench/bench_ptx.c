/* bench_ptx.c — throughput of the PTX front end over NVIDIA's library PTX.
 *
 *   bench ptx_index: X MB/s          module index (fast scan)
 *   bench ptx_parse: X MB/s          full parse
 *   bench ptx_parse_print: X MB/s    parse + print
 *   bench ptx_ir_memory: X x text    arena bytes / text bytes
 *   bench ptx_slice_8mb: X ms        index + slice + print, one kernel of the
 *                                    largest sm_90 cuSOLVER module (best of 25,
 *                                    ~80 ms: on 2 loaded cores best of 7 still
 *                                    read 2.9-4.8 ms; the arena a freed module
 *                                    leaves is reused)
 *   bench ptx_slice_8mb_cold: X ms   the same, first run after
 *                                    ptx_release_cache() (fresh memory)
 *   bench ptx_slice_largest: X ms    the same on the largest module
 *   bench ptx_ptxas_ratio: X         ptxas time whole module / sliced kernel
 *
 * Corpus: the PTX in $CUDA_HOME/lib64 libraries named by NTRACE_BENCH_LIBS
 * (default "libcusolver.so.12 libcurand.so.10"; "all" for every library),
 * read with bin_foreach_ptx.  NTRACE_BENCH_BIG names (blank-separated)
 * more libraries in lib64 or PTX text files (a name with a '/' or ending in
 * ".ptx") whose largest module is a candidate for ptx_slice_largest only
 * (the throughput corpus stays the same): the default libraries reach
 * 10.5 MB, while the largest module of the CUDA 13 corpus (39.5 MB) is in
 * cuDNN, NTRACE_BENCH_BIG=libcudnn_engines_precompiled.so.9.
 * NTRACE_BENCH_PTXAS=0 skips the ptxas timing.
 *
 * Index throughput is the median of three passes over the corpus (each
 * pass: every module indexed once), after a pass that reads every text
 * byte: the texts are then resident, as they are for the injector, which
 * indexes a module it has just read. */
#include "binary/binary.h"
#include "ptx/ptx.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct mod {
    char    *text;
    size_t   len;
    unsigned arch;
    char     origin[256];
} mod;

static NT_VEC(mod) mods;
static const char *cur_lib;

static int take(void *ctx, const bin_ptx *p)
{
    mod m = {0};
    m.text = nt_xmalloc(p->len + 1);
    memcpy(m.text, p->text, p->len + 1);
    m.len = p->len;
    m.arch = p->arch;
    snprintf(m.origin, sizeof m.origin, "%s %s", cur_lib, p->origin);
    nt_vec_push(&mods, m);
    return 0;
}

static void load_lib(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) < 0) { fprintf(stderr, "bench_ptx: %s\n", e.msg); return; }
    cur_lib = name;
    if (bin_foreach_ptx(f.data, f.size, take, NULL, &e) < 0)
        fprintf(stderr, "bench_ptx: %s: %s\n", name, e.msg);
    nt_file_close(&f);
}

/* NTRACE_BENCH_BIG: the largest module seen (only that one is kept). */
static mod big_extra;

static void keep_if_bigger(char *text, size_t len, unsigned arch, const char *origin)
{
    if (len <= big_extra.len) { free(text); return; }
    free(big_extra.text);
    big_extra.text = text;
    big_extra.len = len;
    big_extra.arch = arch;
    snprintf(big_extra.origin, sizeof big_extra.origin, "%s", origin);
}

static int take_big(void *ctx, const bin_ptx *p)
{
    if (p->len <= big_extra.len) return 0;
    char *t = nt_xmalloc(p->len + 1);
    memcpy(t, p->text, p->len + 1);
    char origin[256];
    snprintf(origin, sizeof origin, "%s %s", (const char *)ctx, p->origin);
    keep_if_bigger(t, p->len, p->arch, origin);
    return 0;
}

static void load_big(const char *dir, const char *name)
{
    bool ptx_file = strchr(name, '/') || (strlen(name) > 4 && !strcmp(name + strlen(name) - 4, ".ptx"));
    char path[1024];
    if (ptx_file) snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "%s/%s", dir, name);
    nt_file f;
    nt_err e = {0};
    if (nt_file_open(&f, path, &e) < 0) { fprintf(stderr, "bench_ptx: %s\n", e.msg); return; }
    if (ptx_file) {
        char *t = nt_xmalloc(f.size + 1);
        memcpy(t, f.data, f.size);
        t[f.size] = 0;
        const char *tg = strstr(t, ".target sm_");   /* the header, near the top */
        keep_if_bigger(t, f.size, tg ? (unsigned)strtoul(tg + 11, NULL, 10) : 0, name);
    } else if (bin_foreach_ptx(f.data, f.size, take_big, (void *)name, &e) < 0) {
        fprintf(stderr, "bench_ptx: %s: %s\n", name, e.msg);
    }
    nt_file_close(&f);
}

static double median3(const double *v)
{
    double a = v[0], b = v[1], c = v[2];
    return a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);
}

static double secs(uint64_t t0) { return (double)(nt_now_ns() - t0) / 1e9; }

/* CPU time of this thread: on a shared, loaded machine (other builds on
 * the same two cores) wall time mostly measures the neighbours. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static double cpu_secs(uint64_t c0) { return (double)(cpu_ns() - c0) / 1e9; }

/* Index + slice + print of one kernel; returns ms. */
static double slice_once(const mod *m, const char *kernel, nt_sb *out)
{
    uint64_t t0 = cpu_ns();
    ptx_index ix;
    nt_err e = {0};
    if (ptx_index_build(&ix, m->text, m->len, m->origin, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return -1; }
    ptx_module *s = ptx_slice(&ix, kernel, &e);
    if (!s) { fprintf(stderr, "%s\n", e.msg); ptx_index_free(&ix); return -1; }
    nt_sb_reset(out);
    ptx_print(s, out);
    ptx_module_free(s);
    ptx_index_free(&ix);
    return cpu_secs(t0) * 1e3;   /* cpu time, see cpu_ns */
}

/* Best of several runs for the middle entry of module m. */
static double slice_bench(const mod *m, char *kernel, size_t cap, nt_sb *out, double *cold)
{
    ptx_index ix;
    nt_err e = {0};
    if (ptx_index_build(&ix, m->text, m->len, "", &e) < 0) return -1;
    size_t want = ix.nentries / 2, k = 0;
    kernel[0] = 0;
    for (size_t i = 0; i < ix.n; i++) {
        const ptx_ix_item *it = &ix.items[i];
        if (it->kind == PTX_IX_FUNC && it->is_entry && it->has_body && k++ == want) {
            snprintf(kernel, cap, "%.*s", (int)it->name.n, it->name.s);
            break;
        }
    }
    ptx_index_free(&ix);
    if (!kernel[0]) return -1;
    ptx_release_cache();
    *cold = slice_once(m, kernel, out);
    double best = *cold;
    for (int r = 1; r < 25; r++) {
        double ms = slice_once(m, kernel, out);
        if (ms >= 0 && ms < best) best = ms;
    }
    return best;
}

static double ptxas_time(const char *text, size_t len, unsigned sm)
{
    const char *cuda = getenv("CUDA_HOME");
    char in[] = "/tmp/nt_bench_ptxXXXXXX", cmd[1024];
    int fd = mkstemp(in);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "wb");
    fwrite(text, 1, len, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s/bin/ptxas -arch=sm_%u %s -o /dev/null 2>/dev/null", cuda ? cuda : "/usr/local/cuda", sm, in);
    uint64_t t0 = nt_now_ns();
    int rc = system(cmd);
    double t = secs(t0);
    unlink(in);
    return rc == 0 ? t : -1;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *cuda = getenv("CUDA_HOME");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/lib64", cuda ? cuda : "/usr/local/cuda");
    const char *libs = getenv("NTRACE_BENCH_LIBS");
    if (!libs) libs = "libcusolver.so.12 libcurand.so.10";
    if (!strcmp(libs, "all")) {
        DIR *d = opendir(dir);
        struct dirent *de;
        while (d && (de = readdir(d)))
            if (strstr(de->d_name, ".so.") && de->d_type == DT_REG) load_lib(dir, de->d_name);
        if (d) closedir(d);
    } else {
        char *copy = nt_xstrdup(libs), *save = NULL;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) load_lib(dir, t);
        free(copy);
    }
    const char *extra = getenv("NTRACE_BENCH_BIG");
    if (extra) {
        char *copy = nt_xstrdup(extra), *save = NULL;
        for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) load_big(dir, t);
        free(copy);
    }
    size_t total = 0;
    for (size_t i = 0; i < mods.n; i++) total += mods.v[i].len;
    if (!total) { fprintf(stderr, "bench_ptx: no PTX found under %s\n", dir); return 0; }
    double mb = (double)total / 1e6;
    printf("corpus: %zu modules, %.1f MB (%s)\n", mods.n, mb, libs);
    /* Parse throughput is measured module after module as a long-running
     * process sees it: a freed module's arena is reused (ptx_module_free),
     * so only modules bigger than any before pay first-touch page faults. */

    /* every text byte read once before the timed passes */
    uint8_t sum = 0;
    for (size_t i = 0; i < mods.n; i++)
        for (size_t j = 0; j < mods.v[i].len; j += 64) sum ^= (uint8_t)mods.v[i].text[j];
    double ix_cpu[3], ix_wall[3];
    for (int pass = 0; pass < 3; pass++) {
        uint64_t w0 = nt_now_ns(), k0 = cpu_ns();
        for (size_t i = 0; i < mods.n; i++) {
            ptx_index ix;
            nt_err e = {0};
            if (ptx_index_build(&ix, mods.v[i].text, mods.v[i].len, mods.v[i].origin, &e) < 0) {
                fprintf(stderr, "index: %s\n", e.msg);
                continue;
            }
            ptx_index_free(&ix);
        }
        ix_cpu[pass] = mb / cpu_secs(k0);
        ix_wall[pass] = mb / secs(w0);
    }
    printf("bench ptx_index: %.0f MB/s (cpu time, median of 3 passes: %.0f %.0f %.0f; wall %.0f MB/s; %02x)\n",
           median3(ix_cpu), ix_cpu[0], ix_cpu[1], ix_cpu[2], median3(ix_wall), sum);

    size_t arena = 0, failed = 0;
    uint64_t t0 = nt_now_ns(), c0 = cpu_ns();
    for (size_t i = 0; i < mods.n; i++) {
        nt_err e = {0};
        ptx_module *m = ptx_parse(mods.v[i].text, mods.v[i].len, mods.v[i].origin, 0, &e);
        if (!m) { fprintf(stderr, "parse: %s\n", e.msg); failed++; continue; }
        /* bytes in use: reserved minus the untouched tail of the chunk */
        arena += m->arena.total - (size_t)(m->arena.end - m->arena.cur);
        ptx_module_free(m);
    }
    printf("bench ptx_parse: %.0f MB/s (cpu time; wall %.0f MB/s)\n", mb / cpu_secs(c0), mb / secs(t0));
    printf("bench ptx_ir_memory: %.2f x text\n", (double)arena / (double)total);
    if (failed) printf("parse failures: %zu\n", failed);

    nt_sb out = {0};
    t0 = nt_now_ns();
    c0 = cpu_ns();
    for (size_t i = 0; i < mods.n; i++) {
        nt_err e = {0};
        ptx_module *m = ptx_parse(mods.v[i].text, mods.v[i].len, mods.v[i].origin, 0, &e);
        if (!m) continue;
        nt_sb_reset(&out);
        ptx_print(m, &out);
        ptx_module_free(m);
    }
    printf("bench ptx_parse_print: %.0f MB/s (cpu time; wall %.0f MB/s)\n", mb / cpu_secs(c0), mb / secs(t0));

    /* slicing: the largest sm_90 module of cuSOLVER (if loaded), the largest overall */
    const mod *m90 = NULL, *big = NULL;
    for (size_t i = 0; i < mods.n; i++) {
        const mod *m = &mods.v[i];
        if (m->arch == 90 && strstr(m->origin, "cusolver") && (!m90 || m->len > m90->len)) m90 = m;
        if (!big || m->len > big->len) big = m;
    }
    if (big_extra.len && (!big || big_extra.len > big->len)) big = &big_extra;
    char kernel[1024];
    if (m90) {
        double cold;
        double ms = slice_bench(m90, kernel, sizeof kernel, &out, &cold);
        printf("bench ptx_slice_8mb: %.2f ms (%.1f MB module, kernel %.60s, slice %.1f KB)\n", ms,
               (double)m90->len / 1e6, kernel, (double)out.len / 1e3);
        printf("bench ptx_slice_8mb_cold: %.2f ms (first slice, fresh arena)\n", cold);
        const char *px = getenv("NTRACE_BENCH_PTXAS");
        if (!px || strcmp(px, "0")) {
            double whole = ptxas_time(m90->text, m90->len, 90);
            slice_once(m90, kernel, &out);
            double part = ptxas_time(out.s, out.len, 90);
            if (whole > 0 && part > 0)
                printf("bench ptx_ptxas_ratio: %.0f (whole module %.1f s, sliced kernel %.3f s)\n",
                       whole / part, whole, part);
            else
                printf("ptxas timing failed (whole %.1f, slice %.1f)\n", whole, part);
        }
    }
    if (big) {
        double cold;
        double ms = slice_bench(big, kernel, sizeof kernel, &out, &cold);
        printf("bench ptx_slice_largest: %.2f ms (%.1f MB module %s, kernel %.60s)\n", ms,
               (double)big->len / 1e6, big->origin, kernel);
    }
    nt_sb_free(&out);
    for (size_t i = 0; i < mods.n; i++) free(mods.v[i].text);
    nt_vec_free(&mods);
    free(big_extra.text);
    return 0;
}
