/* fatbin.c — fatbin containers (magic 0xBA55ED50) and their entry headers.
 *
 * Layout as observed in CUDA 13 libraries and nvcc output (docs/formats.md):
 *   container header, 16 bytes: u32 magic, u16 version (1), u16 header size
 *   (16), u64 size of the entries that follow.
 *   entry header (64 bytes, or more when an extension follows):
 *     0 u16 kind (1 PTX, 2 ELF)   2 u16 (0x0101)   4 u32 header size
 *     8 u64 payload size (padded to 8)   16 u32 compressed size (0: none)
 *    20 u32 offset of the extension descriptor in the header (0: none)
 *    24 u16 minor, 26 u16 major (PTX ISA version in PTX entries)
 *    28 u32 arch (90 = sm_90)   32 u32 name offset   36 u32 name length (the
 *    source file of -lineinfo / -G builds)
 *    40 u64 flags (0x2 debug, 0x8000 zstd, 0x2000 lz4, 0x100000 sm_XXa, 0x200000 sm_XXf)
 *    48 u64 (always 0)
 *    56 u64 uncompressed size (0 when not compressed)
 */
#include "binary/bin_int.h"

#define ENT_MIN_HDR 64u

const char *bin_comp_name(bin_comp c)
{
    switch (c) {
    case BIN_COMP_NONE: return "none";
    case BIN_COMP_ZSTD: return "zstd";
    case BIN_COMP_LZ4:  return "lz4";
    }
    return "?";
}

const char *bin_arch_suffix(uint64_t flags)
{
    if (flags & BIN_FLAG_ARCH_A) return "a";
    if (flags & BIN_FLAG_ARCH_F) return "f";
    return "";
}

int bin_entry_parse(const uint8_t *p, size_t avail, size_t off, bin_entry *ent, nt_err *e)
{
    memset(ent, 0, sizeof *ent);
    ent->offset = off;
    if (avail < ENT_MIN_HDR)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: header needs %u bytes, only %zu left",
                          off, ENT_MIN_HDR, avail);
    ent->kind = bin_rd16(p);
    ent->header_size = bin_rd32(p + 4);
    ent->payload_size = bin_rd64(p + 8);
    uint32_t csize = bin_rd32(p + 16);
    ent->ver_minor = bin_rd16(p + 24);
    ent->ver_major = bin_rd16(p + 26);
    ent->arch = bin_rd32(p + 28);
    uint32_t name_off = bin_rd32(p + 32), name_len = bin_rd32(p + 36);
    ent->flags = bin_rd64(p + 40);
    uint64_t usize = bin_rd64(p + 56);
    if (ent->header_size < ENT_MIN_HDR || ent->header_size > avail)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: header size %u is not within %u..%zu",
                          off, ent->header_size, ENT_MIN_HDR, avail);
    if (ent->payload_size > avail - ent->header_size)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: payload size %llu runs past the end "
                          "of the fatbin (%zu bytes left)", off,
                          (unsigned long long)ent->payload_size, avail - ent->header_size);
    ent->payload = p + ent->header_size;
    if (name_len) {
        uint64_t total = ent->header_size + ent->payload_size;
        if (!bin_fits(total, name_off, name_len))
            return nt_err_set(e, "fatbin entry at offset 0x%zx: name (offset %u, %u bytes) lies "
                              "outside the entry", off, name_off, name_len);
        /* The source file name of -lineinfo / -G builds, NUL-padded. */
        ent->name = (const char *)p + name_off;
        ent->name_len = strnlen(ent->name, name_len);
    }
    bool zstd = ent->flags & BIN_FLAG_ZSTD, lz4 = ent->flags & BIN_FLAG_LZ4;
    if (zstd && lz4)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: flags 0x%llx say both zstd and lz4",
                          off, (unsigned long long)ent->flags);
    if (!zstd && !lz4) {
        ent->comp = BIN_COMP_NONE;
        ent->stored_size = ent->size = ent->payload_size;
        return 0;
    }
    ent->comp = zstd ? BIN_COMP_ZSTD : BIN_COMP_LZ4;
    ent->stored_size = csize;
    ent->size = usize;
    if (csize == 0 || csize > ent->payload_size)
        return nt_err_set(e, "fatbin entry at offset 0x%zx: compressed size %u is not within "
                          "1..%llu (the payload)", off, csize,
                          (unsigned long long)ent->payload_size);
    return 0;
}

/* One container at data (avail bytes to the end of the walked region). */
static int walk_one(bin_walk_state *w, const uint8_t *data, size_t avail, size_t off,
                    size_t *used, nt_err *e)
{
    if (avail < BIN_FATBIN_HDR)
        return nt_err_set(e, "fatbin at offset 0x%zx: header needs %u bytes, only %zu left",
                          off, BIN_FATBIN_HDR, avail);
    uint32_t magic = bin_rd32(data);
    if (magic != BIN_FATBIN_MAGIC)
        return nt_err_set(e, "fatbin at offset 0x%zx: bad magic 0x%08x (expected 0x%08x)",
                          off, magic, BIN_FATBIN_MAGIC);
    unsigned version = bin_rd16(data + 4), hsz = bin_rd16(data + 6);
    uint64_t fsz = bin_rd64(data + 8);
    if (hsz < BIN_FATBIN_HDR || hsz > avail)
        return nt_err_set(e, "fatbin at offset 0x%zx: header size %u is not within %u..%zu",
                          off, hsz, BIN_FATBIN_HDR, avail);
    if (fsz > avail - hsz)
        return nt_err_set(e, "fatbin at offset 0x%zx: size %llu runs past the end (%zu bytes left)",
                          off, (unsigned long long)fsz, avail - hsz);
    size_t total = hsz + (size_t)fsz;
    unsigned index = w->nfatbins++;
    int rc;
    if (w->ops && w->ops->fatbin && (rc = w->ops->fatbin(w->ctx, index, off, total, version)))
        return rc;
    size_t q = hsz;
    for (unsigned n = 0; q < total; n++) {
        bin_entry ent;
        if (bin_entry_parse(data + q, total - q, off + q, &ent, e) < 0) {
            nt_err_prefix(e, "fatbin %u entry %u: ", index, n);
            return -1;
        }
        ent.fatbin = index;
        ent.index = n;
        if (w->ops && w->ops->entry && (rc = w->ops->entry(w->ctx, &ent))) return rc;
        q += ent.header_size + (size_t)ent.payload_size;
    }
    *used = total;
    return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

/* Fatbins back to back; zero bytes after the last one are padding. */
int bin_walk_fatbins(bin_walk_state *w, const uint8_t *data, size_t size, size_t base_off,
                     nt_err *e)
{
    size_t pos = 0;
    while (pos < size) {
        if (pos > 0 && all_zero(data + pos, size - pos)) break;
        size_t used = 0;
        int rc = walk_one(w, data + pos, size - pos, base_off + pos, &used, e);
        if (rc) return rc;
        pos += used;
    }
    return 0;
}

size_t bin_ptx_trim(const uint8_t *p, size_t n)
{
    /* The text ends at the first NUL: payloads are padded with NULs, and
     * nothing after a NUL is PTX. */
    const uint8_t *z = memchr(p, 0, n);
    return z ? (size_t)(z - p) : n;
}
