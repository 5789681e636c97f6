/* layout.c — where each map's slots go in a launch's probe buffer. */
#include "buffer/buffer.h"

#include <stdio.h>
#include <string.h>

static const char *level_name(unsigned level)
{
    static const char *const n[] = {"thread", "warp", "block"};
    return level < 3 ? n[level] : "unknown";
}

int64_t buf_nslots(enum buf_level level, const uint32_t grid[3], const uint32_t block[3],
                   nt_err *e)
{
    /* Each factor is < 2^32, so each partial product of two fits 64 bits;
     * checking against 2^32 after every step keeps the next one exact. */
    uint64_t blocks = 1, threads = 1;
    for (int d = 0; d < 3; d++) {
        if (grid[d] == 0 || block[d] == 0)
            return nt_err_set(e, "grid %ux%ux%u block %ux%ux%u has a zero dimension",
                              grid[0], grid[1], grid[2], block[0], block[1], block[2]);
        blocks *= grid[d];
        threads *= block[d];
        if (blocks > UINT32_MAX || threads > UINT32_MAX) goto overflow;
    }
    uint64_t per_block;
    switch (level) {
    case BUF_THREAD: per_block = threads; break;
    case BUF_WARP:   per_block = (threads + 31) / 32; break;
    case BUF_BLOCK:  per_block = 1; break;
    default: return nt_err_set(e, "unknown map level %u", (unsigned)level);
    }
    if (blocks * per_block > UINT32_MAX) goto overflow;
    return (int64_t)(blocks * per_block);
overflow:
    return nt_err_set(e, "grid %ux%ux%u block %ux%ux%u has more than 2^32-1 %ss",
                      grid[0], grid[1], grid[2], block[0], block[1], block[2],
                      level_name(level));
}

/* Total bytes with every cap clamped to t; UINT64_MAX on overflow. */
static uint64_t total_for(const buf_map_spec *specs, unsigned nmaps, const uint32_t *nslots,
                          uint32_t t, buf_map_desc *out)
{
    uint64_t off = BUF_MAP_DESC_AT(nmaps);
    for (unsigned i = 0; i < nmaps; i++) {
        uint32_t cap = NT_MIN(specs[i].cap, t);
        /* cap < 2^32 and record_size < 2^16: the product fits 48 bits. */
        uint64_t slot = BUF_SLOT_HEADER + (uint64_t)cap * specs[i].record_size;
        off = (off + BUF_MAP_ALIGN - 1) & ~(uint64_t)(BUF_MAP_ALIGN - 1);
        uint64_t bytes;
        if (__builtin_mul_overflow(slot, (uint64_t)nslots[i], &bytes) ||
            __builtin_add_overflow(off, bytes, &bytes))
            return UINT64_MAX;
        if (out) {
            out[i] = (buf_map_desc){
                .offset = off, .slot_size = slot, .cap = cap, .nslots = nslots[i],
                .record_size = specs[i].record_size, .level = specs[i].level,
                .map_id = specs[i].map_id,
            };
        }
        off = bytes;
    }
    return off;
}

int buf_layout_compute(buf_layout *l, const uint32_t grid[3], const uint32_t block[3],
                       const buf_map_spec *specs, unsigned nmaps, uint64_t budget,
                       unsigned flags, int *reduced, nt_err *e)
{
    memset(l, 0, sizeof *l);
    if (reduced) *reduced = 0;
    if (nmaps == 0 || nmaps > BUF_MAX_MAPS)
        return nt_err_set(e, "a probe buffer holds 1 to %u maps, not %u", BUF_MAX_MAPS, nmaps);
    uint32_t nslots[BUF_MAX_MAPS];
    uint32_t maxcap = 0;
    for (unsigned i = 0; i < nmaps; i++) {
        const buf_map_spec *s = &specs[i];
        if (s->record_size == 0 || s->record_size % 8)
            return nt_err_set(e, "map %u: record size %u is not a positive multiple of 8",
                              i, s->record_size);
        if (s->cap == 0) return nt_err_set(e, "map %u: cap is 0, the map could hold nothing", i);
        int64_t n = buf_nslots((enum buf_level)s->level, grid, block, e);
        if (n < 0) {
            nt_err_prefix(e, "map %u: ", i);
            return -1;
        }
        nslots[i] = (uint32_t)n;
        maxcap = NT_MAX(maxcap, s->cap);
    }
    uint64_t need = total_for(specs, nmaps, nslots, maxcap, NULL);
    uint32_t t = maxcap;
    if (budget && need > budget) {
        char needs[32];
        if (need == UINT64_MAX) snprintf(needs, sizeof needs, "more than 2^64");
        else snprintf(needs, sizeof needs, "%llu", (unsigned long long)need);
        if (!(flags & BUF_FIT_REDUCE_CAP))
            return nt_err_set(e, "the probe buffer needs %s bytes for grid %ux%ux%u block "
                              "%ux%ux%u, over the budget of %llu bytes",
                              needs, grid[0], grid[1], grid[2], block[0], block[1], block[2],
                              (unsigned long long)budget);
        if (total_for(specs, nmaps, nslots, 1, NULL) > budget)
            return nt_err_set(e, "the probe buffer needs %s bytes for grid %ux%ux%u block "
                              "%ux%ux%u and still %llu with every cap lowered to 1, over "
                              "the budget of %llu bytes", needs,
                              grid[0], grid[1], grid[2], block[0], block[1], block[2],
                              (unsigned long long)total_for(specs, nmaps, nslots, 1, NULL),
                              (unsigned long long)budget);
        /* Invariant: total_for(lo) fits, total_for(hi + 1) does not. */
        uint32_t lo = 1, hi = maxcap - 1;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo + 1) / 2;
            if (total_for(specs, nmaps, nslots, mid, NULL) <= budget) lo = mid;
            else hi = mid - 1;
        }
        t = lo;
        if (reduced) *reduced = 1;
    } else if (need == UINT64_MAX) {
        return nt_err_set(e, "the probe buffer for grid %ux%ux%u block %ux%ux%u would be "
                          "larger than 2^64 bytes", grid[0], grid[1], grid[2],
                          block[0], block[1], block[2]);
    }
    uint64_t total = total_for(specs, nmaps, nslots, t, l->map);
    l->hdr = (buf_header){
        .magic = BUF_MAGIC, .version = BUF_VERSION, .nmaps = (uint16_t)nmaps,
        .grid = {grid[0], grid[1], grid[2]}, .block = {block[0], block[1], block[2]},
        .total_size = total, .header_size = BUF_MAP_DESC_AT(nmaps),
    };
    return 0;
}

int buf_layout_write(const buf_layout *l, void *dst, size_t cap, nt_err *e)
{
    size_t n = l->hdr.header_size;
    if (n != BUF_MAP_DESC_AT(l->hdr.nmaps) || l->hdr.nmaps > BUF_MAX_MAPS)
        return nt_err_set(e, "layout header is inconsistent (nmaps %u, header_size %u)",
                          l->hdr.nmaps, l->hdr.header_size);
    if (cap < n)
        return nt_err_set(e, "destination of %zu bytes cannot hold the %zu-byte header", cap, n);
    memcpy(dst, &l->hdr, sizeof l->hdr);
    memcpy((uint8_t *)dst + sizeof l->hdr, l->map, n - sizeof l->hdr);
    return 0;
}
