/* bench_binary.c — extraction throughput over the CUDA library directory,
 * side by side with plain ZSTD_decompress on the very same payloads.
 *
 * binary_extract: bin_walk over every library (container and entry headers
 *   parsed and checked) with bin_entry_data on every compressed entry
 *   (decompressed into one reused buffer, size checked).
 * binary_zstd_raw: ZSTD_decompress on the same zstd payloads, one call
 *   each, into a buffer of the right size: the floor.
 * Both count the same decompressed bytes (uncompressed entries, which
 * extraction hands out in place, are left out of both).  Each phase runs
 * NTRACE_BENCH_ROUNDS times (default 3), alternating; the best round counts.
 * binary_zstd_dctx: the same with one reused ZSTD_DCtx (a stricter floor:
 *   no context set-up per payload).
 * Files are mapped once beforehand, so the page cache is warm for both.
 * Times are the thread's CPU time, not wall time: the machines this runs on
 * are shared, and wall time there measures the neighbours.
 * To keep a run short on a shared 2-core machine, each round decompresses
 * the first NTRACE_BENCH_MB megabytes (default 2000; 0: all ~9 GB) in
 * directory order; the walk itself always covers every library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "binary/binary.h"

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

typedef struct payload { const uint8_t *src; size_t stored, size; } payload;

typedef struct bench {
    NT_VEC(nt_file) files;
    NT_VEC(payload) zstd;
    bin_buf buf;
    uint64_t bytes;        /* decompressed bytes seen in a round */
    uint64_t budget;       /* stop decompressing past this many bytes (0: never) */
    bool collect;
} bench;

static int on_entry(void *ctx, const bin_entry *ent)
{
    bench *b = ctx;
    if (ent->comp == BIN_COMP_NONE || (b->budget && b->bytes >= b->budget)) return 0;
    const uint8_t *d;
    size_t n;
    nt_err e = {0};
    if (bin_entry_data(ent, &b->buf, &d, &n, &e) < 0) {
        fprintf(stderr, "bench_binary: %s\n", e.msg);
        exit(1);
    }
    b->bytes += n;
    if (b->collect && ent->comp == BIN_COMP_ZSTD) {
        payload p = {ent->payload, (size_t)ent->stored_size, (size_t)ent->size};
        nt_vec_push(&b->zstd, p);
    }
    return 0;
}

static uint64_t extract_round(bench *b)
{
    bin_walk_ops ops = {.entry = on_entry};
    b->bytes = 0;
    uint64_t t0 = cpu_ns();
    for (size_t i = 0; i < b->files.n; i++) {
        nt_err e = {0};
        if (bin_walk(b->files.v[i].data, b->files.v[i].size, &ops, b, NULL, &e) < 0) {
            fprintf(stderr, "bench_binary: %s\n", e.msg);
            exit(1);
        }
    }
    return cpu_ns() - t0;
}

/* dctx NULL: plain ZSTD_decompress. */
static uint64_t raw_round(bench *b, ZSTD_DCtx *dctx, uint8_t *dst, uint64_t *bytes)
{
    *bytes = 0;
    uint64_t t0 = cpu_ns();
    for (size_t i = 0; i < b->zstd.n; i++) {
        const payload *p = &b->zstd.v[i];
        size_t r = dctx ? ZSTD_decompressDCtx(dctx, dst, p->size, p->src, p->stored)
                        : ZSTD_decompress(dst, p->size, p->src, p->stored);
        if (ZSTD_isError(r) || r != b->zstd.v[i].size) {
            fprintf(stderr, "bench_binary: raw zstd failed on payload %zu\n", i);
            exit(1);
        }
        *bytes += r;
    }
    return cpu_ns() - t0;
}

int main(void)
{
    char **paths;
    size_t npaths;
    nt_err e = {0};
    if (bin_list_libs(NULL, &paths, &npaths, &e) < 0) {
        printf("bench_binary: %s, skipped\n", e.msg);
        return 0;
    }
    bench b = {0};
    /* Sorted, so the budget always picks the same payloads. */
    for (size_t i = 0; i < npaths; i++) {
        nt_file f;
        if (nt_file_open(&f, paths[i], &e) == 0) nt_vec_push(&b.files, f);
    }
    bin_free_libs(paths, npaths);
    const char *r = getenv("NTRACE_BENCH_ROUNDS");
    int rounds = r && atoi(r) > 0 ? atoi(r) : 3;
    const char *mb = getenv("NTRACE_BENCH_MB");
    b.budget = (uint64_t)(mb ? atoll(mb) : 2000) * 1000000u;
    /* Warm-up round: faults the files in and collects the zstd payloads. */
    b.collect = true;
    extract_round(&b);
    b.collect = false;
    size_t maxsize = 0;
    for (size_t i = 0; i < b.zstd.n; i++) maxsize = NT_MAX(maxsize, b.zstd.v[i].size);
    uint8_t *dst = nt_xmalloc(maxsize + 1);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    uint64_t best_x = UINT64_MAX, best_z = UINT64_MAX, best_c = UINT64_MAX;
    uint64_t xbytes = 0, zbytes = 0;
    for (int i = 0; i < rounds; i++) {
        best_x = NT_MIN(best_x, extract_round(&b));
        xbytes = b.bytes;
        best_z = NT_MIN(best_z, raw_round(&b, NULL, dst, &zbytes));
        best_c = NT_MIN(best_c, raw_round(&b, dctx, dst, &zbytes));
    }
    ZSTD_freeDCtx(dctx);
    if (xbytes != zbytes) {
        fprintf(stderr, "bench_binary: extraction saw %llu bytes, zstd %llu\n",
                (unsigned long long)xbytes, (unsigned long long)zbytes);
        return 1;
    }
    double x = (double)xbytes / ((double)best_x / 1e9) / 1e6;
    double z = (double)zbytes / ((double)best_z / 1e9) / 1e6;
    double c = (double)zbytes / ((double)best_c / 1e9) / 1e6;
    printf("bench_binary: %zu files, %zu zstd payloads, %.0f MB decompressed per round, best of %d\n",
           b.files.n, b.zstd.n, (double)zbytes / 1e6, rounds);
    printf("bench binary_extract: %.0f MB/s\n", x);
    printf("bench binary_zstd_raw: %.0f MB/s\n", z);
    printf("bench binary_zstd_dctx: %.0f MB/s\n", c);
    printf("bench binary_extract_vs_zstd: %.2f ratio\n", x / z);
    printf("bench binary_extract_vs_zstd_dctx: %.2f ratio\n", x / c);
    free(dst);
    for (size_t i = 0; i < b.files.n; i++) nt_file_close(&b.files.v[i]);
    nt_vec_free(&b.files);
    nt_vec_free(&b.zstd);
    bin_buf_free(&b.buf);
    return 0;
}
