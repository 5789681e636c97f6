/* bin_int.h — private helpers of src/binary (never included from outside). */
#ifndef NT_BIN_INT_H
#define NT_BIN_INT_H

#include "binary/binary.h"

#include <string.h>

/* Little-endian loads from possibly unaligned memory.  Callers check the
 * bounds first; these do no checking. */
static inline uint16_t bin_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t bin_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t bin_rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* True when [off, off+n) lies within a buffer of size avail (no overflow). */
static inline bool bin_fits(size_t avail, uint64_t off, uint64_t n)
{
    return off <= avail && n <= avail - off;
}

/* ELF pieces shared by image.c (sizes), elf.c and cubin.c. */
#define BIN_EM_CUDA 190

/* Section types with no bytes in the file: SHT_NULL (0), SHT_NOBITS (8),
 * and 0x7000000a, which CUDA uses for .nv_debug.shared in libnccl's
 * relocatable cubins (its offset + size run past the image). */
static inline bool bin_sec_nobits(uint32_t type)
{
    return type == 0 || type == 8 || type == 0x7000000au;
}

/* Section lookup over an ELF64 little-endian image, with every header and
 * section range checked against size. */
typedef struct bin_elf {
    const uint8_t *data;
    size_t         size;
    void          *elf;       /* libelf Elf * */
    size_t         shstrndx;
    unsigned       machine;
    uint32_t       flags;     /* e_flags */
} bin_elf;

typedef struct bin_sec {
    size_t         index;
    const char    *name;
    uint32_t       type;
    uint64_t       flags;
    uint64_t       offset, size;
    uint32_t       link, info;
    const uint8_t *data;      /* NULL for SHT_NOBITS */
} bin_sec;

int  bin_elf_open(bin_elf *x, const void *data, size_t size, nt_err *e);
void bin_elf_close(bin_elf *x);
size_t bin_elf_nsec(const bin_elf *x);
/* Fills s for section i; -1 with e when its header or range is bad. */
int  bin_elf_sec(const bin_elf *x, size_t i, bin_sec *s, nt_err *e);
/* Name of symbol `sym` of the symbol table in section `symtab`; NULL if bad. */
const char *bin_elf_symname(const bin_elf *x, size_t symtab, size_t sym);

/* PTX text starts, after white space, with a directive or a comment. */
bool bin_looks_like_ptx(const uint8_t *p, size_t max_len);

/* Checks the ELF identification (64-bit, little-endian) of an image that
 * starts with \x7fELF; -1 with e otherwise. */
int bin_elf_ident_ok(const uint8_t *p, size_t avail, nt_err *e);

/* Fatbins back to back in [data, data+size): used by walk.c for a fatbin
 * image and for the sections of a host ELF.  base_off is the offset of
 * data in the walked image (for messages and entry offsets). */
typedef struct bin_walk_state {
    const bin_walk_ops *ops;
    void    *ctx;
    unsigned nfatbins;
} bin_walk_state;
int bin_walk_fatbins(bin_walk_state *w, const uint8_t *data, size_t size, size_t base_off,
                     nt_err *e);

/* Parses the entry header at p (avail bytes from p to the end of its
 * fatbin); fills ent.  -1 with e naming off (the offset of p). */
int bin_entry_parse(const uint8_t *p, size_t avail, size_t off, bin_entry *ent, nt_err *e);

#endif
