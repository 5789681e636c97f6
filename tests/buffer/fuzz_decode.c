/* Fuzz: the probe-buffer decoder.  Whatever the bytes, buf_open either
 * rejects them with a message or accepts them, and then every record of
 * every map can be read inside the input, with ids inside the grid and the
 * per-map totals matching what the iteration sees. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer/buffer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy so that any read past the end is caught. */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    buf_view v;
    nt_err e = {0};
    if (buf_open(&v, copy, size, &e) != 0) {
        if (!e.set || !e.msg[0]) abort();      /* a rejection always says why */
        free(copy);
        return 0;
    }
    volatile uint64_t sink = 0;
    for (unsigned m = 0; m < v.hdr.nmaps; m++) {
        buf_iter it;
        buf_rec r;
        uint64_t n = 0;
        buf_iter_init(&it, &v, m);
        while (buf_iter_next(&it, &r)) {
            if (r.id.block >= v.nblocks) abort();
            if (r.data < copy || r.data + v.map[m].record_size > copy + size) abort();
            sink += r.data[0] + r.data[v.map[m].record_size - 1];
            n++;
        }
        if (n != v.tot[m].saved) abort();
    }
    (void)sink;
    free(copy);
    return 0;
}
