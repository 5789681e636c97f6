/* Helpers for tests that build probe buffers the way the host and the
 * device do (tests/buffer, tests/collector). */
#ifndef BUF_TEST_H
#define BUF_TEST_H

#include <stdlib.h>
#include <string.h>

#include "buffer/buffer.h"

/* A zeroed buffer with the layout's header and map table: what the device
 * receives.  Caller frees. */
static inline uint8_t *bt_buffer(const buf_layout *l)
{
    uint8_t *b = calloc(1, l->hdr.total_size);
    if (!b || buf_layout_write(l, b, l->hdr.total_size, NULL)) abort();
    return b;
}

/* The device's save: if (count < cap) record[count] = rec; count += 1. */
static inline void bt_save(uint8_t *b, const buf_layout *l, unsigned map, uint32_t slot,
                           const void *rec)
{
    const buf_map_desc *m = &l->map[map];
    uint8_t *p = b + m->offset + (uint64_t)slot * m->slot_size;
    uint32_t n;
    memcpy(&n, p, 4);
    if (n < m->cap) memcpy(p + 8 + (size_t)n * m->record_size, rec, m->record_size);
    n++;
    memcpy(p, &n, 4);
}

#endif
