/* decode.c — validate a probe buffer copied back from the device, then
 * read its records without any further check being needed. */
#include "buffer/buffer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ULL(x) ((unsigned long long)(x))

static int check_header(buf_view *v, nt_err *e)
{
    const buf_header *h = &v->hdr;
    if (h->magic != BUF_MAGIC)
        return nt_err_set(e, "offset 0: magic 0x%08x is not an ntrace probe buffer (0x%08x)",
                          h->magic, BUF_MAGIC);
    if (h->version != BUF_VERSION)
        return nt_err_set(e, "offset 4: buffer format version %u, this ntrace reads version %u",
                          h->version, BUF_VERSION);
    if (h->nmaps > BUF_MAX_MAPS)
        return nt_err_set(e, "offset 6: %u maps, at most %u are allowed", h->nmaps, BUF_MAX_MAPS);
    if (h->header_size != BUF_MAP_DESC_AT(h->nmaps))
        return nt_err_set(e, "offset 48: header_size %u, but %u maps need %u",
                          h->header_size, h->nmaps, BUF_MAP_DESC_AT(h->nmaps));
    if (h->total_size != v->size)
        return nt_err_set(e, "offset 40: total_size %llu, but the buffer holds %zu bytes%s",
                          ULL(h->total_size), v->size,
                          h->total_size > v->size ? " (truncated)" : "");
    if (h->header_size > v->size)
        return nt_err_set(e, "offset 48: the %u-byte header runs past the end of the "
                          "%zu-byte buffer", h->header_size, v->size);
    if (h->flags != 0 || h->reserved != 0)
        return nt_err_set(e, "offset 52: reserved header fields are not 0 (flags 0x%x, "
                          "reserved 0x%llx)", h->flags, ULL(h->reserved));
    nt_err sub = {0};
    int64_t nb = buf_nslots(BUF_BLOCK, h->grid, h->block, &sub);
    int64_t nt = nb < 0 ? -1 : buf_nslots(BUF_THREAD, h->grid, h->block, &sub);
    if (nt < 0) return nt_err_set(e, "offset 16: %s", sub.msg);
    v->nblocks = (uint32_t)nb;
    v->threads_per_block = h->block[0] * h->block[1] * h->block[2];
    v->warps_per_block = (uint32_t)((v->threads_per_block + 31ull) / 32);
    return 0;
}

static int check_map(buf_view *v, unsigned i, nt_err *e)
{
    const buf_map_desc *m = &v->map[i];
    unsigned at = BUF_MAP_DESC_AT(i);
    if (m->level > BUF_BLOCK)
        return nt_err_set(e, "offset %u: map %u has unknown level %u", at + 26, i, m->level);
    if (m->record_size == 0 || m->record_size % 8)
        return nt_err_set(e, "offset %u: map %u record_size %u is not a positive multiple of 8",
                          at + 24, i, m->record_size);
    if (m->cap == 0)
        return nt_err_set(e, "offset %u: map %u has cap 0", at + 16, i);
    uint64_t slot = BUF_SLOT_HEADER + (uint64_t)m->cap * m->record_size;
    if (m->slot_size != slot)
        return nt_err_set(e, "offset %u: map %u slot_size %llu, but 8 + cap %u * record_size "
                          "%u = %llu", at + 8, i, ULL(m->slot_size), m->cap, m->record_size,
                          ULL(slot));
    int64_t n = buf_nslots((enum buf_level)m->level, v->hdr.grid, v->hdr.block, NULL);
    if (n != (int64_t)m->nslots)
        return nt_err_set(e, "offset %u: map %u has %u slots, but its level and the launch "
                          "shape give %lld", at + 20, i, m->nslots, (long long)n);
    if (m->offset % 8)
        return nt_err_set(e, "offset %u: map %u slots at offset %llu, not 8-byte aligned",
                          at, i, ULL(m->offset));
    if (m->offset < v->hdr.header_size)
        return nt_err_set(e, "offset %u: map %u slots at offset %llu overlap the %u-byte header",
                          at, i, ULL(m->offset), v->hdr.header_size);
    uint64_t bytes = slot * m->nslots;      /* < 2^48 * 2^32 would overflow: check */
    if (m->nslots && bytes / m->nslots != slot)
        return nt_err_set(e, "offset %u: map %u slot array size overflows", at + 8, i);
    if (m->offset > v->size || bytes > v->size - m->offset)
        return nt_err_set(e, "offset %u: map %u slots [%llu, +%llu) run past the end of the "
                          "%zu-byte buffer", at, i, ULL(m->offset), ULL(bytes), v->size);
    return 0;
}

static int cmp_by_offset(const void *a, const void *b, void *ctx)
{
    const buf_map_desc *m = ctx;
    uint64_t x = m[*(const unsigned *)a].offset, y = m[*(const unsigned *)b].offset;
    return (x > y) - (x < y);
}

static int check_overlap(const buf_view *v, nt_err *e)
{
    unsigned order[BUF_MAX_MAPS], n = v->hdr.nmaps;
    for (unsigned i = 0; i < n; i++) order[i] = i;
    qsort_r(order, n, sizeof order[0], cmp_by_offset, (void *)v->map);
    for (unsigned k = 1; k < n; k++) {
        const buf_map_desc *a = &v->map[order[k - 1]], *b = &v->map[order[k]];
        uint64_t a_end = a->offset + a->slot_size * a->nslots;   /* checked in check_map */
        if (a_end > b->offset)
            return nt_err_set(e, "map %u slots [%llu, %llu) overlap map %u slots at %llu",
                              order[k - 1], ULL(a->offset), ULL(a_end), order[k],
                              ULL(b->offset));
    }
    return 0;
}

/* Reads every slot header once: flags must be 0 (only the host writes
 * them, as zero), and the totals are summed here so readers need not. */
static int scan_slots(buf_view *v, unsigned i, nt_err *e)
{
    const buf_map_desc *m = &v->map[i];
    buf_map_totals t = {0};
    const uint8_t *p = v->data + m->offset;
    for (uint32_t s = 0; s < m->nslots; s++, p += m->slot_size) {
        uint32_t hdr[2];
        memcpy(hdr, p, 8);
        if (hdr[1] != 0)
            return nt_err_set(e, "offset %llu: map %u slot %u has flags 0x%x, not 0 (slot "
                              "header overwritten)", ULL(m->offset + (uint64_t)s * m->slot_size + 4),
                              i, s, hdr[1]);
        if (hdr[0]) {
            t.used_slots++;
            uint32_t saved = NT_MIN(hdr[0], m->cap);
            t.saved += saved;
            t.dropped += hdr[0] - saved;
        }
    }
    v->tot[i] = t;
    return 0;
}

int buf_open(buf_view *v, const void *data, size_t size, nt_err *e)
{
    memset(v, 0, sizeof *v);
    v->data = data;
    v->size = size;
    if (size < sizeof(buf_header))
        return nt_err_set(e, "a %zu-byte buffer is shorter than the 64-byte header", size);
    memcpy(&v->hdr, data, sizeof v->hdr);
    if (check_header(v, e)) return -1;
    memcpy(v->map, v->data + sizeof(buf_header), sizeof(buf_map_desc) * v->hdr.nmaps);
    for (unsigned i = 0; i < v->hdr.nmaps; i++)
        if (check_map(v, i, e)) return -1;
    if (check_overlap(v, e)) return -1;
    for (unsigned i = 0; i < v->hdr.nmaps; i++)
        if (scan_slots(v, i, e)) return -1;
    return 0;
}

#define DIFF(what, got, want)                                                          \
    do {                                                                               \
        if ((got) != (want))                                                           \
            return nt_err_set(e, "%s is %llu, the launch's layout says %llu", what,    \
                              ULL(got), ULL(want));                                    \
    } while (0)

int buf_check_layout(const buf_view *v, const buf_layout *x, unsigned flags, nt_err *e)
{
    DIFF("launch id", v->hdr.launch_id, x->hdr.launch_id);
    static const char *const gname[] = {"grid.x", "grid.y", "grid.z"};
    static const char *const bname[] = {"block.x", "block.y", "block.z"};
    for (int d = 0; d < 3; d++) {
        DIFF(gname[d], v->hdr.grid[d], x->hdr.grid[d]);
        DIFF(bname[d], v->hdr.block[d], x->hdr.block[d]);
    }
    DIFF("the number of maps", v->hdr.nmaps, x->hdr.nmaps);
    if (flags & BUF_CHECK_EXACT) DIFF("total_size", v->hdr.total_size, x->hdr.total_size);
    for (unsigned i = 0; i < v->hdr.nmaps; i++) {
        const buf_map_desc *a = &v->map[i], *b = &x->map[i];
        char w[64];
#define MDIFF(field) do { snprintf(w, sizeof w, "map %u " #field, i); DIFF(w, a->field, b->field); } while (0)
        MDIFF(level);
        MDIFF(record_size);
        MDIFF(map_id);
        MDIFF(nslots);
        if (flags & BUF_CHECK_EXACT) {
            MDIFF(cap);
            MDIFF(slot_size);
            MDIFF(offset);
        }
#undef MDIFF
    }
    return 0;
}

buf_slot_id buf_slot_ident(const buf_view *v, unsigned map, uint32_t slot)
{
    buf_slot_id id = {.block = slot, .warp = -1, .thread = -1};
    switch (v->map[map].level) {
    case BUF_THREAD:
        id.block = slot / v->threads_per_block;
        id.thread = (int32_t)(slot % v->threads_per_block);
        id.warp = id.thread / 32;
        break;
    case BUF_WARP:
        id.block = slot / v->warps_per_block;
        id.warp = (int32_t)(slot % v->warps_per_block);
        break;
    default:
        break;
    }
    return id;
}

buf_slot buf_slot_get(const buf_view *v, unsigned map, uint32_t slot)
{
    const buf_map_desc *m = &v->map[map];
    const uint8_t *p = v->data + m->offset + (uint64_t)slot * m->slot_size;
    buf_slot s;
    memcpy(&s.count, p, 4);
    s.saved = NT_MIN(s.count, m->cap);
    s.dropped = s.count - s.saved;
    s.records = p + BUF_SLOT_HEADER;
    return s;
}

void buf_iter_init(buf_iter *it, const buf_view *v, unsigned map)
{
    memset(it, 0, sizeof *it);
    it->v = v;
    it->map = map;
    if (map < v->hdr.nmaps && v->map[map].nslots) it->cur = buf_slot_get(v, map, 0);
}

int buf_iter_next(buf_iter *it, buf_rec *r)
{
    const buf_view *v = it->v;
    if (it->map >= v->hdr.nmaps) return 0;
    const buf_map_desc *m = &v->map[it->map];
    while (it->slot < m->nslots) {
        if (it->idx < it->cur.saved) {
            r->slot = it->slot;
            r->seq = it->idx;
            r->id = buf_slot_ident(v, it->map, it->slot);
            r->data = it->cur.records + (size_t)it->idx * m->record_size;
            it->idx++;
            return 1;
        }
        it->idx = 0;
        if (++it->slot < m->nslots) it->cur = buf_slot_get(v, it->map, it->slot);
    }
    return 0;
}
