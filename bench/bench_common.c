/* bench_common.c — throughput of the shared containers that the parser
 * and the collector lean on: string map, integer map, arena, string builder.
 * Note: the map and arena figures include first-touch page faults of the
 * memory they grow into, which are expensive on virtualized machines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static double mops(size_t n, uint64_t ns) { return n / (ns / 1e9) / 1e6; }

int main(void)
{
    enum { N = 2000000 };
    char (*keys)[16] = nt_xmalloc((size_t)N * 16);
    for (int i = 0; i < N; i++) snprintf(keys[i], 16, "%%rd%d", i);

    nt_map m = {0};
    uint64_t t0 = nt_now_ns();
    for (int i = 0; i < N; i++) nt_map_put(&m, keys[i], strlen(keys[i]), (uint64_t)i);
    uint64_t t1 = nt_now_ns();
    uint64_t sum = 0, v;
    for (int i = 0; i < N; i++)
        if (nt_map_get(&m, keys[((size_t)i * 7919) % N], strlen(keys[((size_t)i * 7919) % N]), &v)) sum += v;
    uint64_t t2 = nt_now_ns();
    printf("bench common_map_put: %.1f Mops/s\n", mops(N, t1 - t0));
    printf("bench common_map_get: %.1f Mops/s\n", mops(N, t2 - t1));
    nt_map_free(&m);

    nt_imap im = {0};
    t0 = nt_now_ns();
    for (uint64_t i = 0; i < N; i++) nt_imap_put(&im, i * 0x10000, i);
    t1 = nt_now_ns();
    for (uint64_t i = 0; i < N; i++)
        if (nt_imap_get(&im, ((i * 7919) % N) * 0x10000, &v)) sum += v;
    t2 = nt_now_ns();
    printf("bench common_imap_put: %.1f Mops/s\n", mops(N, t1 - t0));
    printf("bench common_imap_get: %.1f Mops/s\n", mops(N, t2 - t1));
    nt_imap_free(&im);

    nt_arena a;
    nt_arena_init(&a, 0);
    t0 = nt_now_ns();
    for (int i = 0; i < N * 4; i++) ((char *)nt_arena_alloc(&a, 24))[0] = (char)i;
    t1 = nt_now_ns();
    printf("bench common_arena_alloc: %.1f Mops/s\n", mops((size_t)N * 4, t1 - t0));
    nt_arena_free(&a);

    nt_sb b = {0};
    t0 = nt_now_ns();
    for (int i = 0; i < N; i++) nt_sb_printf(&b, "\tadd.s32 %%r%d, %%r%d, %d;\n", i, i + 1, i & 255);
    t1 = nt_now_ns();
    printf("bench common_sb_printf: %.1f MB/s\n", b.len / ((t1 - t0) / 1e9) / 1e6);
    nt_sb_free(&b);

    uint64_t h = 0;
    size_t blen = 64 << 20;
    char *buf = nt_xmalloc(blen);
    memset(buf, 0x5a, blen);   /* fault the pages in before timing */
    t0 = nt_now_ns();
    h ^= nt_hash64(buf, blen, 1);
    t1 = nt_now_ns();
    printf("bench common_hash64: %.0f MB/s\n", blen / ((t1 - t0) / 1e9) / 1e6);
    free(buf);
    free(keys);
    return (sum ^ h) == 42 ? 1 : 0;  /* keep the work observable */
}
