/* elf.c — section access for cubins and host ELF files, through libelf.
 *
 * libelf reads the headers in place (elf_memory: no copy of the image, so
 * a 540 MB library costs nothing but its section table).  Section data is
 * taken straight from the image after checking its range, never through
 * elf_getdata, which could copy. */
#include "binary/bin_int.h"

#include <gelf.h>
#include <pthread.h>

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static void elf_init(void) { elf_version(EV_CURRENT); }

int bin_elf_ident_ok(const uint8_t *p, size_t avail, nt_err *e)
{
    if (avail < sizeof(Elf64_Ehdr))
        return nt_err_set(e, "ELF header needs %zu bytes, only %zu there",
                          sizeof(Elf64_Ehdr), avail);
    if (p[EI_CLASS] != ELFCLASS64)
        return nt_err_set(e, "ELF class %u at offset 0x%x: only 64-bit ELF is supported",
                          p[EI_CLASS], EI_CLASS);
    if (p[EI_DATA] != ELFDATA2LSB)
        return nt_err_set(e, "ELF data encoding %u at offset 0x%x: only little-endian is supported",
                          p[EI_DATA], EI_DATA);
    return 0;
}

int bin_elf_open(bin_elf *x, const void *data, size_t size, nt_err *e)
{
    memset(x, 0, sizeof *x);
    if (size < 4 || memcmp(data, ELFMAG, SELFMAG) != 0)
        return nt_err_set(e, "not an ELF image (bad magic at offset 0)");
    if (bin_elf_ident_ok(data, size, e) < 0) return -1;
    pthread_once(&elf_once, elf_init);
    /* elf_memory takes a non-const pointer but only writes when it must
     * convert byte order, which the ident check above rules out. */
    Elf *elf = elf_memory((char *)data, size);
    if (!elf) return nt_err_set(e, "ELF image: %s", elf_errmsg(-1));
    GElf_Ehdr eh;
    size_t shstrndx;
    if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
        nt_err_set(e, "ELF header: %s", elf_errmsg(-1));
        elf_end(elf);
        return -1;
    }
    if (elf_getshdrstrndx(elf, &shstrndx) < 0) {
        nt_err_set(e, "ELF section name table: %s", elf_errmsg(-1));
        elf_end(elf);
        return -1;
    }
    x->data = data;
    x->size = size;
    x->elf = elf;
    x->shstrndx = shstrndx;
    x->machine = eh.e_machine;
    x->flags = eh.e_flags;
    return 0;
}

void bin_elf_close(bin_elf *x)
{
    if (x->elf) elf_end(x->elf);
    x->elf = NULL;
}

size_t bin_elf_nsec(const bin_elf *x)
{
    size_t n = 0;
    if (elf_getshdrnum(x->elf, &n) < 0) return 0;
    return n;
}

int bin_elf_sec(const bin_elf *x, size_t i, bin_sec *s, nt_err *e)
{
    memset(s, 0, sizeof *s);
    Elf_Scn *scn = elf_getscn(x->elf, i);
    GElf_Shdr sh;
    if (!scn || !gelf_getshdr(scn, &sh))
        return nt_err_set(e, "ELF section %zu: %s", i, elf_errmsg(-1));
    const char *name = elf_strptr(x->elf, x->shstrndx, sh.sh_name);
    s->index = i;
    s->name = name ? name : "";
    s->type = sh.sh_type;
    s->flags = sh.sh_flags;
    s->offset = sh.sh_offset;
    s->size = sh.sh_size;
    s->link = sh.sh_link;
    s->info = sh.sh_info;
    if (!bin_sec_nobits(sh.sh_type)) {
        if (!bin_fits(x->size, sh.sh_offset, sh.sh_size))
            return nt_err_set(e, "ELF section %zu (%s, type 0x%x): offset 0x%llx + size %llu runs past the "
                              "end of the image (%zu bytes)", i, s->name, s->type,
                              (unsigned long long)sh.sh_offset, (unsigned long long)sh.sh_size,
                              x->size);
        s->data = x->data + sh.sh_offset;
    }
    return 0;
}

const char *bin_elf_symname(const bin_elf *x, size_t symtab, size_t sym)
{
    bin_sec st, strs;
    if (bin_elf_sec(x, symtab, &st, NULL) < 0 || st.type != SHT_SYMTAB || !st.data) return NULL;
    if ((sym + 1) * sizeof(Elf64_Sym) > st.size) return NULL;
    if (bin_elf_sec(x, st.link, &strs, NULL) < 0 || !strs.data) return NULL;
    Elf64_Sym s;
    memcpy(&s, st.data + sym * sizeof(Elf64_Sym), sizeof s);
    if (s.st_name >= strs.size) return NULL;
    const char *n = (const char *)strs.data + s.st_name;
    if (!memchr(n, 0, strs.size - s.st_name)) return NULL;
    return n;
}
