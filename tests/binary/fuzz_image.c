/* Fuzz: the image reader on arbitrary bytes — classification and sizes,
 * the fatbin walk with every payload decompressed, cubin parsing of the
 * input and of every ELF entry, PTX extraction.  Wrapper pointers are never
 * followed (they would point anywhere).  Seeds: the nvcc fixtures, copied
 * into the fuzz corpus by src/binary/module.mk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binary/binary.h"

typedef struct fz { bin_buf buf; } fz;

static void parse_cubin(const uint8_t *d, size_t n)
{
    nt_arena a;
    nt_arena_init(&a, 0);
    bin_cubin c;
    if (bin_cubin_parse(d, n, &a, &c, NULL) == 0) {
        /* Touch everything the parse handed out. */
        volatile unsigned sink = 0;
        for (size_t i = 0; i < c.nkernels; i++) {
            sink += (unsigned)strlen(c.kernels[i].name) + c.kernels[i].regs;
            for (size_t p = 0; p < c.kernels[i].nparams; p++) sink += c.kernels[i].params[p].size;
        }
        if (c.ptx && strlen(c.ptx) != c.ptx_len) abort();
        (void)sink;
    }
    bin_lines l;
    if (bin_cubin_lines(d, n, &a, &l, NULL) == 0)
        for (size_t i = 0; i < l.n; i++) {
            /* Rows are sorted, non-empty, and each is found by its own start. */
            if (l.rows[i].end <= l.rows[i].offset || !l.rows[i].file) abort();
            if (bin_line_find(&l, l.rows[i].function, l.rows[i].offset) != &l.rows[i]) abort();
        }
    nt_arena_free(&a);
}

static int on_entry(void *ctx, const bin_entry *ent)
{
    fz *f = ctx;
    const uint8_t *d;
    size_t n;
    if (bin_entry_data(ent, &f->buf, &d, &n, NULL) < 0) return 0;
    if (ent->kind == BIN_ENTRY_ELF) parse_cubin(d, n);
    else if (ent->kind == BIN_ENTRY_PTX) (void)bin_ptx_trim(d, n);
    return 0;
}

static int on_ptx(void *ctx, const bin_ptx *p)
{
    if (strlen(p->text) != p->len) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bin_kind k = BIN_UNKNOWN;
    size_t n = 0;
    nt_err e = {0};
    if (bin_image_size(data, size, &k, &n, &e) == 0 && n > size) abort();
    fz f = {{0}};
    bin_walk_ops ops = {.entry = on_entry, .no_pointers = true};
    bin_walk(data, size, &ops, &f, &k, NULL);
    bin_buf_free(&f.buf);
    if (k == BIN_CUBIN || k == BIN_HOST_ELF) parse_cubin(data, size);
    if (k != BIN_FATBIN_WRAPPER) bin_foreach_ptx(data, size, on_ptx, NULL, NULL);
    return 0;
}
