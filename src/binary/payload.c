/* payload.c — entry payloads: zstd frames and lz4 blocks, decompressed into
 * a reusable buffer and checked against the size the entry header declares. */
#include "binary/bin_int.h"

#include <lz4.h>
#include <stdlib.h>
#include <zstd.h>

/* No entry in CUDA 13's libraries comes near this (docs/formats.md); a
 * larger declared size is treated as corrupt rather than allocated. */
#define BIN_MAX_PAYLOAD ((uint64_t)1 << 30)

void bin_buf_free(bin_buf *b)
{
    free(b->p);
    if (b->zctx) ZSTD_freeDCtx(b->zctx);
    memset(b, 0, sizeof *b);
}

/* Room for n bytes plus a terminating NUL. */
static uint8_t *buf_reserve(bin_buf *b, size_t n)
{
    if (n + 1 > b->cap) {
        size_t cap = NT_MAX(n + 1, b->cap * 2);
        free(b->p);
        b->p = nt_xmalloc(cap);
        b->cap = cap;
    }
    return b->p;
}

/* Frames that do not state their size, or claim more than ZSTD_ONESHOT_RATIO
 * times their stored bytes (none in CUDA 13's libraries; easy for a corrupt
 * header), are decoded by streaming into a buffer that grows with the
 * output, so memory follows what the frame really produces. */
#define ZSTD_ONESHOT_RATIO 256u

static void buf_grow(bin_buf *b, size_t n)
{
    if (n + 1 <= b->cap) return;
    b->p = nt_xrealloc(b->p, n + 1);
    b->cap = n + 1;
}

static int inflate_zstd_stream(const bin_entry *ent, bin_buf *buf, nt_err *e)
{
    ZSTD_DCtx_reset(buf->zctx, ZSTD_reset_session_only);
    ZSTD_inBuffer in = {ent->payload, (size_t)ent->stored_size, 0};
    size_t want = (size_t)ent->size, cap = NT_MIN(want, (size_t)1 << 20), pos = 0;
    buf_grow(buf, cap);
    for (;;) {
        ZSTD_outBuffer out = {buf->p, cap, pos};
        size_t in_before = in.pos;
        size_t r = ZSTD_decompressStream(buf->zctx, &out, &in);
        if (ZSTD_isError(r))
            return nt_err_set(e, "fatbin entry at offset 0x%zx: zstd payload (%llu bytes at offset "
                              "0x%zx): %s", ent->offset, (unsigned long long)ent->stored_size,
                              ent->offset + ent->header_size, ZSTD_getErrorName(r));
        bool progress = out.pos > pos || in.pos > in_before;
        pos = out.pos;
        if (r == 0 && in.pos == in.size) break;          /* last frame complete */
        if (pos == cap) {
            if (cap == want)
                return nt_err_set(e, "fatbin entry at offset 0x%zx: zstd payload holds more than "
                                  "the %zu bytes the header declares", ent->offset, want);
            cap = NT_MIN(want, cap * 2);
            buf_grow(buf, cap);
        } else if (in.pos == in.size || !progress) {
            return nt_err_set(e, "fatbin entry at offset 0x%zx: zstd payload (%llu bytes) ends "
                              "inside a frame after %zu bytes of output", ent->offset,
                              (unsigned long long)ent->stored_size, pos);
        }
    }
    if (pos != want)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: zstd payload gave %zu bytes, the "
                          "header declares %zu", ent->offset, pos, want);
    return 0;
}

static int inflate_zstd(const bin_entry *ent, bin_buf *buf, nt_err *e)
{
    unsigned long long fcs = ZSTD_getFrameContentSize(ent->payload, ent->stored_size);
    if (fcs == ZSTD_CONTENTSIZE_ERROR)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: payload is not a zstd frame "
                          "(first bytes %02x %02x %02x %02x)", ent->offset,
                          ent->payload[0], ent->stored_size > 1 ? ent->payload[1] : 0,
                          ent->stored_size > 2 ? ent->payload[2] : 0,
                          ent->stored_size > 3 ? ent->payload[3] : 0);
    if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ent->size)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: zstd frame holds %llu bytes, the "
                          "header declares %llu", ent->offset, fcs,
                          (unsigned long long)ent->size);
    if (!buf->zctx && !(buf->zctx = ZSTD_createDCtx())) {
        nt_error("out of memory creating a zstd context");
        abort();
    }
    if (fcs == ZSTD_CONTENTSIZE_UNKNOWN || ent->size > ent->stored_size * ZSTD_ONESHOT_RATIO)
        return inflate_zstd_stream(ent, buf, e);
    uint8_t *dst = buf_reserve(buf, (size_t)ent->size);
    size_t r = ZSTD_decompressDCtx(buf->zctx, dst, ent->size, ent->payload, ent->stored_size);
    if (ZSTD_isError(r))
        return nt_err_set(e, "fatbin entry at offset 0x%zx: zstd payload (%llu bytes at offset "
                          "0x%zx): %s", ent->offset, (unsigned long long)ent->stored_size,
                          ent->offset + ent->header_size, ZSTD_getErrorName(r));
    if (r != ent->size)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: zstd payload gave %zu bytes, the "
                          "header declares %llu", ent->offset, r,
                          (unsigned long long)ent->size);
    return 0;
}

static int inflate_lz4(const bin_entry *ent, uint8_t *dst, nt_err *e)
{
    if (ent->stored_size > INT32_MAX || ent->size > INT32_MAX)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: lz4 sizes %llu/%llu exceed what a "
                          "block can hold", ent->offset, (unsigned long long)ent->stored_size,
                          (unsigned long long)ent->size);
    int r = LZ4_decompress_safe((const char *)ent->payload, (char *)dst, (int)ent->stored_size,
                                (int)ent->size);
    if (r < 0)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: lz4 payload (%llu bytes at offset "
                          "0x%zx) is corrupt (error at input byte %d)", ent->offset,
                          (unsigned long long)ent->stored_size,
                          ent->offset + ent->header_size, -r - 1);
    if ((uint64_t)r != ent->size)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: lz4 payload gave %d bytes, the "
                          "header declares %llu", ent->offset, r,
                          (unsigned long long)ent->size);
    return 0;
}

int bin_entry_data(const bin_entry *ent, bin_buf *buf, const uint8_t **out, size_t *len,
                   nt_err *e)
{
    if (ent->comp == BIN_COMP_NONE) {
        *out = ent->payload;
        *len = (size_t)ent->payload_size;
        return 0;
    }
    if (ent->size == 0 || ent->size > BIN_MAX_PAYLOAD)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: uncompressed size %llu is not within "
                          "1..%llu", ent->offset, (unsigned long long)ent->size,
                          (unsigned long long)BIN_MAX_PAYLOAD);
    /* lz4 cannot expand more than 255:1; anything above is corrupt. */
    if (ent->comp == BIN_COMP_LZ4 && ent->size > ent->stored_size * 255 + 16)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: uncompressed size %llu is impossible "
                          "for %llu bytes of lz4", ent->offset, (unsigned long long)ent->size,
                          (unsigned long long)ent->stored_size);
    int rc = ent->comp == BIN_COMP_ZSTD ? inflate_zstd(ent, buf, e)
                                        : inflate_lz4(ent, buf_reserve(buf, (size_t)ent->size), e);
    if (rc < 0) return -1;
    buf->p[ent->size] = 0;      /* every path reserved size + 1 */
    *out = buf->p;
    *len = (size_t)ent->size;
    return 0;
}
