/* record.c — field types of a probe map and the record layout rule. */
#include "buffer/buffer.h"

#include <string.h>

static const char *const ftype_names[BUF_NFTYPES] = {
    "u32", "u64", "s32", "s64", "f32", "f64",
};

const char *buf_ftype_name(enum buf_ftype t)
{
    return (unsigned)t < BUF_NFTYPES ? ftype_names[t] : NULL;
}

int buf_ftype_parse(const char *s)
{
    for (int i = 0; i < (int)BUF_NFTYPES; i++)
        if (s && !strcmp(s, ftype_names[i])) return i;
    return -1;
}

unsigned buf_ftype_size(enum buf_ftype t)
{
    return (t == BUF_U32 || t == BUF_S32 || t == BUF_F32) ? 4u : 8u;
}

int buf_record_layout(const uint8_t *types, unsigned n, uint16_t *offsets,
                      uint16_t *record_size, nt_err *e)
{
    if (n == 0) return nt_err_set(e, "a map needs at least one field");
    if (n > BUF_MAX_FIELDS)
        return nt_err_set(e, "a map has %u fields, at most %u are allowed", n, BUF_MAX_FIELDS);
    unsigned off = 0;   /* at most 64 fields of 8 bytes: no overflow */
    for (unsigned i = 0; i < n; i++) {
        if (types[i] >= BUF_NFTYPES)
            return nt_err_set(e, "field %u: unknown type code %u", i, types[i]);
        unsigned sz = buf_ftype_size((enum buf_ftype)types[i]);
        off = (off + sz - 1) & ~(sz - 1);          /* natural alignment */
        offsets[i] = (uint16_t)off;
        off += sz;
    }
    *record_size = (uint16_t)((off + 7u) & ~7u);   /* records stay 8-aligned */
    return 0;
}

int buf_field_read(const uint8_t *rec, uint16_t offset, enum buf_ftype t,
                   int64_t *i, double *f)
{
    const uint8_t *p = rec + offset;
    switch (t) {
    case BUF_U32: { uint32_t x; memcpy(&x, p, 4); *i = x; return 0; }
    case BUF_S32: { int32_t x;  memcpy(&x, p, 4); *i = x; return 0; }
    case BUF_U64:
    case BUF_S64: { int64_t x;  memcpy(&x, p, 8); *i = x; return 0; }
    case BUF_F32: { float x;    memcpy(&x, p, 4); *f = x; return 1; }
    case BUF_F64: { double x;   memcpy(&x, p, 8); *f = x; return 1; }
    default: *i = 0; return 0;
    }
}
