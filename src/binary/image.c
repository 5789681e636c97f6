/* image.c — what kind of image the driver was handed, and how long it is.
 *
 * The driver API passes no length with cuModuleLoadData's image, so the
 * size comes from the image's own headers.  max_len bounds every read
 * (SIZE_MAX when the caller does not know it: then the image is trusted
 * to be as long as its headers say, as the driver trusts it). */
#include "binary/bin_int.h"

#include <elf.h>

const char *bin_kind_name(bin_kind k)
{
    switch (k) {
    case BIN_UNKNOWN:        return "unknown";
    case BIN_FATBIN:         return "fatbin";
    case BIN_FATBIN_WRAPPER: return "fatbin wrapper";
    case BIN_CUBIN:          return "cubin";
    case BIN_PTX:            return "PTX";
    case BIN_HOST_ELF:       return "host ELF";
    }
    return "?";
}

static int fatbin_size(const uint8_t *p, size_t max_len, size_t *size, nt_err *e)
{
    if (max_len < BIN_FATBIN_HDR)
        return nt_err_set(e, "fatbin at offset 0x0: header needs %u bytes, only %zu there",
                          BIN_FATBIN_HDR, max_len);
    unsigned hsz = bin_rd16(p + 6);
    uint64_t fsz = bin_rd64(p + 8);
    if (hsz < BIN_FATBIN_HDR)
        return nt_err_set(e, "fatbin at offset 0x6: header size %u is below %u", hsz,
                          BIN_FATBIN_HDR);
    if (hsz > max_len || fsz > max_len - hsz || (max_len == SIZE_MAX && fsz > SIZE_MAX / 2))
        return nt_err_set(e, "fatbin at offset 0x8: size %llu runs past the end of the image "
                          "(%zu bytes)", (unsigned long long)fsz, max_len);
    *size = hsz + (size_t)fsz;
    return 0;
}

/* End of the furthest piece of an ELF64 image: headers, sections (not
 * NOBITS), segments. */
static int elf_size(const uint8_t *p, size_t max_len, size_t *size, nt_err *e)
{
    if (bin_elf_ident_ok(p, max_len, e) < 0) return -1;
    Elf64_Ehdr eh;
    memcpy(&eh, p, sizeof eh);
    uint64_t end = sizeof eh;
    if (eh.e_shoff && eh.e_shnum) {
        if (eh.e_shentsize < sizeof(Elf64_Shdr))
            return nt_err_set(e, "ELF header: section header size %u is below %zu",
                              eh.e_shentsize, sizeof(Elf64_Shdr));
        uint64_t tab = (uint64_t)eh.e_shnum * eh.e_shentsize;
        if (!bin_fits(max_len, eh.e_shoff, tab))
            return nt_err_set(e, "ELF section table at offset 0x%llx (%llu bytes) runs past the "
                              "end of the image (%zu bytes)", (unsigned long long)eh.e_shoff,
                              (unsigned long long)tab, max_len);
        end = NT_MAX(end, eh.e_shoff + tab);
        for (unsigned i = 0; i < eh.e_shnum; i++) {
            Elf64_Shdr sh;
            memcpy(&sh, p + eh.e_shoff + (uint64_t)i * eh.e_shentsize, sizeof sh);
            if (bin_sec_nobits(sh.sh_type)) continue;
            if (!bin_fits(max_len, sh.sh_offset, sh.sh_size))
                return nt_err_set(e, "ELF section %u: offset 0x%llx + size %llu runs past the end "
                                  "of the image (%zu bytes)", i,
                                  (unsigned long long)sh.sh_offset,
                                  (unsigned long long)sh.sh_size, max_len);
            end = NT_MAX(end, sh.sh_offset + sh.sh_size);
        }
    }
    if (eh.e_phoff && eh.e_phnum) {
        if (eh.e_phentsize < sizeof(Elf64_Phdr))
            return nt_err_set(e, "ELF header: program header size %u is below %zu",
                              eh.e_phentsize, sizeof(Elf64_Phdr));
        uint64_t tab = (uint64_t)eh.e_phnum * eh.e_phentsize;
        if (!bin_fits(max_len, eh.e_phoff, tab))
            return nt_err_set(e, "ELF program headers at offset 0x%llx (%llu bytes) run past the "
                              "end of the image (%zu bytes)", (unsigned long long)eh.e_phoff,
                              (unsigned long long)tab, max_len);
        end = NT_MAX(end, eh.e_phoff + tab);
        for (unsigned i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            memcpy(&ph, p + eh.e_phoff + (uint64_t)i * eh.e_phentsize, sizeof ph);
            if (!bin_fits(max_len, ph.p_offset, ph.p_filesz))
                return nt_err_set(e, "ELF segment %u: offset 0x%llx + size %llu runs past the end "
                                  "of the image (%zu bytes)", i,
                                  (unsigned long long)ph.p_offset,
                                  (unsigned long long)ph.p_filesz, max_len);
            end = NT_MAX(end, ph.p_offset + ph.p_filesz);
        }
    }
    if (end > max_len)
        return nt_err_set(e, "ELF image needs %llu bytes, only %zu there",
                          (unsigned long long)end, max_len);
    *size = (size_t)end;
    return 0;
}

/* PTX text starts, after white space, with a comment or a directive. */
bool bin_looks_like_ptx(const uint8_t *p, size_t max_len)
{
    size_t i = 0;
    while (i < max_len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) i++;
    if (i >= max_len) return false;
    if (p[i] == '.') return true;
    return p[i] == '/' && i + 1 < max_len && (p[i + 1] == '/' || p[i + 1] == '*');
}

int bin_image_size(const void *image, size_t max_len, bin_kind *kind, size_t *size, nt_err *e)
{
    const uint8_t *p = image;
    bin_kind k = BIN_UNKNOWN;
    size_t n = 0;
    int rc = 0;
    if (kind) *kind = BIN_UNKNOWN;
    if (!p || max_len == 0) return nt_err_set(e, "empty image");
    uint32_t magic = max_len >= 4 ? bin_rd32(p) : 0;
    if (magic == BIN_FATBIN_MAGIC) {
        k = BIN_FATBIN;
        rc = fatbin_size(p, max_len, &n, e);
    } else if (magic == BIN_WRAPPER_MAGIC) {
        k = BIN_FATBIN_WRAPPER;
        if (max_len < BIN_WRAPPER_SIZE)
            rc = nt_err_set(e, "fatbin wrapper: needs %u bytes, only %zu there",
                            BIN_WRAPPER_SIZE, max_len);
        n = BIN_WRAPPER_SIZE;
    } else if (max_len >= 4 && memcmp(p, ELFMAG, SELFMAG) == 0) {
        rc = elf_size(p, max_len, &n, e);
        if (rc == 0) {
            uint16_t machine = bin_rd16(p + offsetof(Elf64_Ehdr, e_machine));
            k = machine == BIN_EM_CUDA ? BIN_CUBIN : BIN_HOST_ELF;
        }
    } else if (bin_looks_like_ptx(p, max_len)) {
        k = BIN_PTX;
        size_t len = max_len == SIZE_MAX ? strlen((const char *)p) : strnlen((const char *)p, max_len);
        if (len == max_len)
            rc = nt_err_set(e, "PTX image: no terminating NUL within %zu bytes", max_len);
        n = len + 1;
    } else {
        return nt_err_set(e, "unknown image kind: first bytes %02x %02x %02x %02x are no fatbin, "
                          "wrapper, ELF or PTX", p[0], max_len > 1 ? p[1] : 0,
                          max_len > 2 ? p[2] : 0, max_len > 3 ? p[3] : 0);
    }
    if (rc < 0) return -1;
    if (kind) *kind = k;
    if (size) *size = n;
    return 0;
}

int bin_wrapper_target(const void *wrapper, const void **fatbin, size_t *size, nt_err *e)
{
    const uint8_t *w = wrapper;
    if (bin_rd32(w) != BIN_WRAPPER_MAGIC)
        return nt_err_set(e, "fatbin wrapper: bad magic 0x%08x (expected 0x%08x)", bin_rd32(w),
                          BIN_WRAPPER_MAGIC);
    const void *target;
    memcpy(&target, w + 8, sizeof target);
    if (!target) return nt_err_set(e, "fatbin wrapper: data pointer is NULL");
    if (bin_rd32(target) != BIN_FATBIN_MAGIC)
        return nt_err_set(e, "fatbin wrapper: data at %p has magic 0x%08x, not a fatbin (0x%08x)",
                          target, bin_rd32(target), BIN_FATBIN_MAGIC);
    size_t n;
    if (fatbin_size(target, SIZE_MAX, &n, e) < 0) {
        nt_err_prefix(e, "fatbin wrapper target: ");
        return -1;
    }
    *fatbin = target;
    *size = n;
    return 0;
}
