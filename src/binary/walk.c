/* walk.c — every fatbin in an image, and every PTX text (bin_foreach_ptx). */
#include "binary/bin_int.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>

/* Host ELF: the fatbins live in .nv_fatbin (cudart registration) and
 * __nv_relfatbin (relocatable device code for nvlink), back to back. */
static int walk_host_elf(bin_walk_state *w, const uint8_t *data, size_t size, nt_err *e)
{
    bin_elf x;
    if (bin_elf_open(&x, data, size, e) < 0) return -1;
    int rc = 0;
    size_t n = bin_elf_nsec(&x);
    for (size_t i = 1; i < n && rc == 0; i++) {
        bin_sec s;
        if (bin_elf_sec(&x, i, &s, e) < 0) { rc = -1; break; }
        if (!s.data || (strcmp(s.name, ".nv_fatbin") && strcmp(s.name, "__nv_relfatbin"))) continue;
        rc = bin_walk_fatbins(w, s.data, (size_t)s.size, (size_t)s.offset, e);
        if (rc < 0) nt_err_prefix(e, "section %s: ", s.name);
    }
    bin_elf_close(&x);
    return rc;
}

int bin_walk(const void *data, size_t size, const bin_walk_ops *ops, void *ctx, bin_kind *kind,
             nt_err *e)
{
    bin_walk_state w = {.ops = ops, .ctx = ctx};
    bin_kind k;
    size_t n;
    if (kind) *kind = BIN_UNKNOWN;
    if (bin_image_size(data, size, &k, &n, e) < 0) return -1;
    if (kind) *kind = k;
    switch (k) {
    case BIN_FATBIN:
        return bin_walk_fatbins(&w, data, size, 0, e);
    case BIN_FATBIN_WRAPPER: {
        if (ops && ops->no_pointers)
            return nt_err_set(e, "fatbin wrapper: refusing to follow its data pointer here");
        const void *fb;
        size_t fbsize;
        if (bin_wrapper_target(data, &fb, &fbsize, e) < 0) return -1;
        return bin_walk_fatbins(&w, fb, fbsize, 0, e);
    }
    case BIN_HOST_ELF:
        return walk_host_elf(&w, data, size, e);
    default:
        return 0;
    }
}

/* ---- bin_foreach_ptx --------------------------------------------------- */

typedef struct ptx_walk {
    bin_ptx_fn fn;
    void      *ctx;
    bin_buf    buf;
    nt_arena   arena;     /* cubin parses, reset per entry */
    nt_err    *e;
} ptx_walk;

static int emit(ptx_walk *pw, const char *text, size_t len, unsigned arch, unsigned major,
                unsigned minor, const char *origin)
{
    bin_ptx p = {.text = text, .len = len, .arch = arch, .ptx_major = major,
                 .ptx_minor = minor, .origin = origin};
    return pw->fn(pw->ctx, &p);
}

/* PTX embedded in a cubin (.nv_debug_ptx_txt). */
static int cubin_ptx(ptx_walk *pw, const uint8_t *data, size_t size, const char *origin)
{
    nt_arena_free(&pw->arena);
    nt_arena_init(&pw->arena, 0);
    bin_cubin cb;
    if (bin_cubin_parse(data, size, &pw->arena, &cb, pw->e) < 0) return -1;
    if (!cb.ptx) return 0;
    char org[256];
    snprintf(org, sizeof org, "%s .nv_debug_ptx_txt", origin);
    return emit(pw, cb.ptx, cb.ptx_len, cb.arch, 0, 0, org);
}

static int on_entry(void *ctx, const bin_entry *ent)
{
    ptx_walk *pw = ctx;
    if (ent->kind != BIN_ENTRY_PTX && ent->kind != BIN_ENTRY_ELF) return 0;
    /* nvcc embeds PTX in a cubin only for -lineinfo / -G, and those builds
     * name their source file in the entry header (docs/formats.md; the
     * corpus test checks that no unnamed cubin carries PTX).  Skipping the
     * others spares decompressing ~8 GB of cubins over CUDA's libraries. */
    if (ent->kind == BIN_ENTRY_ELF && !ent->name_len && !(ent->flags & BIN_FLAG_DEBUG)) return 0;
    const uint8_t *d;
    size_t n;
    if (bin_entry_data(ent, &pw->buf, &d, &n, pw->e) < 0) {
        nt_err_prefix(pw->e, "fatbin %u entry %u: ", ent->fatbin, ent->index);
        return -1;
    }
    char origin[128];
    snprintf(origin, sizeof origin, "fatbin %u entry %u (sm_%u%s, %s)", ent->fatbin, ent->index,
             ent->arch, bin_arch_suffix(ent->flags), bin_comp_name(ent->comp));
    if (ent->kind == BIN_ENTRY_ELF) {
        int rc = cubin_ptx(pw, d, n, origin);
        if (rc < 0) nt_err_prefix(pw->e, "%s: ", origin);
        return rc;
    }
    size_t len = bin_ptx_trim(d, n);
    const char *text = (const char *)d;
    if (len == n && ent->comp == BIN_COMP_NONE) {
        /* In the image with no NUL at all (decompressed data always has
         * one after it): copy to terminate it. */
        text = nt_arena_strndup(&pw->arena, (const char *)d, len);
    }
    return emit(pw, text, len, ent->arch, ent->ver_major, ent->ver_minor, origin);
}

int bin_foreach_ptx(const void *data, size_t size, bin_ptx_fn fn, void *ctx, nt_err *e)
{
    ptx_walk pw = {.fn = fn, .ctx = ctx, .e = e};
    nt_arena_init(&pw.arena, 0);
    int rc;
    if (size > 0 && bin_looks_like_ptx(data, size)) {
        /* Plain text: size bounds it (unlike bin_image_size, no NUL is
         * needed within it; an unterminated text is copied). */
        size_t len = bin_ptx_trim(data, size);
        const char *text = len < size ? data : nt_arena_strndup(&pw.arena, data, len);
        rc = emit(&pw, text, len, 0, 0, 0, "PTX image");
    } else {
        bin_walk_ops ops = {.entry = on_entry};
        bin_kind k;
        rc = bin_walk(data, size, &ops, &pw, &k, e);
        if (rc == 0 && k == BIN_CUBIN) rc = cubin_ptx(&pw, data, size, "cubin");
    }
    bin_buf_free(&pw.buf);
    nt_arena_free(&pw.arena);
    return rc;
}
