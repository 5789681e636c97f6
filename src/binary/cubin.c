/* cubin.c — kernels and their attributes out of a cubin (CUDA ELF).
 *
 * Per kernel <name>: .text.<name> (code), .nv.info.<name> (attributes),
 * .nv.shared.<name> (static shared memory), .nv.constant<N>.<name> (its
 * constant banks; bank 0 holds the parameters).  Module-wide: .nv.info
 * (attributes keyed by symbol index: register count, frame size),
 * .nv.constant<N> (module constant banks), .nv_debug_ptx_txt (the PTX,
 * in -lineinfo / debug builds and Triton's).  Evidence: docs/formats.md. */
#include "binary/bin_int.h"

#include <elf.h>
#include <stdlib.h>

/* .nv.info attribute formats and the attributes we read (EIATTR_*). */
enum { NVI_NVAL = 1, NVI_BVAL = 2, NVI_HVAL = 3, NVI_SVAL = 4 };
enum {
    EIATTR_MAX_THREADS = 0x05, EIATTR_PARAM_CBANK = 0x0a, EIATTR_REQNTID = 0x10,
    EIATTR_FRAME_SIZE = 0x11, EIATTR_MIN_STACK_SIZE = 0x12, EIATTR_KPARAM_INFO = 0x17,
    EIATTR_CBANK_PARAM_SIZE = 0x19, EIATTR_MAXREG_COUNT = 0x1b, EIATTR_REGCOUNT = 0x2f,
    EIATTR_CTA_PER_CLUSTER = 0x3d, EIATTR_EXPLICIT_CLUSTER = 0x3e,
    EIATTR_NUM_BARRIERS = 0x4c,
};
#define STO_CUDA_ENTRY 0x10     /* st_other bit of kernel (entry) symbols */

typedef struct nvattr {
    unsigned       fmt, attr;
    unsigned       val;         /* BVAL/HVAL */
    const uint8_t *data;        /* SVAL */
    unsigned       size;
} nvattr;

/* Next attribute at *pos of an .nv.info section; 1 got one, 0 end, -1 bad. */
static int nvinfo_next(const bin_sec *s, size_t *pos, nvattr *a, nt_err *e)
{
    const uint8_t *p = s->data;
    size_t n = (size_t)s->size, i = *pos;
    if (i >= n) return 0;
    if (n - i < 4)
        return nt_err_set(e, "section %s offset 0x%zx: attribute needs 4 bytes, only %zu left",
                          s->name, i, n - i);
    memset(a, 0, sizeof *a);
    a->fmt = p[i];
    a->attr = p[i + 1];
    switch (a->fmt) {
    case NVI_NVAL: break;
    case NVI_BVAL: a->val = p[i + 2]; break;
    case NVI_HVAL: a->val = bin_rd16(p + i + 2); break;
    case NVI_SVAL:
        a->size = bin_rd16(p + i + 2);
        if (a->size > n - i - 4)
            return nt_err_set(e, "section %s offset 0x%zx: attribute 0x%02x of %u bytes runs past "
                              "the end of the section (%zu bytes)", s->name, i, a->attr, a->size, n);
        a->data = p + i + 4;
        *pos = i + 4 + a->size;
        return 1;
    default:
        return nt_err_set(e, "section %s offset 0x%zx: unknown attribute format %u", s->name, i,
                          a->fmt);
    }
    *pos = i + 4;
    return 1;
}

static void rd3(const nvattr *a, unsigned out[3])
{
    for (unsigned k = 0; k < 3 && (k + 1) * 4 <= a->size; k++) out[k] = bin_rd32(a->data + 4 * k);
}

static int param_cmp(const void *x, const void *y)
{
    const bin_param *a = x, *b = y;
    return (a->ordinal > b->ordinal) - (a->ordinal < b->ordinal);
}

/* Attributes of .nv.info.<name>. */
static int kernel_info(const bin_sec *s, bin_kernel *k, nt_arena *ar, nt_err *e)
{
    size_t pos = 0, np = 0;
    nvattr a;
    int rc;
    /* First pass counts parameters so they land in one arena array. */
    while ((rc = nvinfo_next(s, &pos, &a, e)) > 0)
        if (a.attr == EIATTR_KPARAM_INFO && a.fmt == NVI_SVAL && a.size >= 12) np++;
    if (rc < 0) return -1;
    k->params = np ? nt_arena_alloc(ar, np * sizeof *k->params) : NULL;
    k->nparams = 0;
    pos = 0;
    while (nvinfo_next(s, &pos, &a, NULL) > 0) {
        bool sval = a.fmt == NVI_SVAL;
        switch (a.attr) {
        case EIATTR_KPARAM_INFO:
            if (sval && a.size >= 12) {
                /* u32 index, u16 ordinal, u16 offset, u32 flags: size in bits 18..31 */
                bin_param *pr = &k->params[k->nparams++];
                pr->ordinal = bin_rd16(a.data + 4);
                pr->offset = bin_rd16(a.data + 6);
                pr->size = bin_rd32(a.data + 8) >> 18;
            }
            break;
        case EIATTR_MAX_THREADS:      if (sval) rd3(&a, k->max_threads); break;
        case EIATTR_REQNTID:          if (sval) rd3(&a, k->reqntid); break;
        case EIATTR_CTA_PER_CLUSTER:  if (sval) rd3(&a, k->cluster); break;
        case EIATTR_EXPLICIT_CLUSTER: k->explicit_cluster = true; break;
        case EIATTR_MAXREG_COUNT:     if (!sval) k->max_regs = a.val; break;
        case EIATTR_NUM_BARRIERS:     if (!sval) k->barriers = a.val; break;
        case EIATTR_CBANK_PARAM_SIZE: if (!sval) k->param_size = a.val; break;
        case EIATTR_PARAM_CBANK:
            /* u32 symbol of the bank section, u32 (size << 16 | offset) */
            if (sval && a.size >= 8) k->param_offset = bin_rd32(a.data + 4) & 0xffff;
            break;
        default: break;
        }
    }
    if (k->nparams) qsort(k->params, k->nparams, sizeof *k->params, param_cmp);
    return 0;
}

typedef struct cubin_ctx {
    bin_elf    x;
    nt_arena  *ar;
    bin_cubin *out;
    nt_map     byname;      /* kernel name -> index + 1 */
    size_t     symtab;
} cubin_ctx;

static bin_kernel *kernel_named(cubin_ctx *c, const char *name)
{
    uint64_t v;
    if (!nt_map_get(&c->byname, name, strlen(name), &v)) return NULL;
    return &c->out->kernels[v];
}

/* Module-wide .nv.info: attributes keyed by symbol index. */
static int module_info(cubin_ctx *c, const bin_sec *s, nt_err *e)
{
    size_t pos = 0;
    nvattr a;
    int rc;
    while ((rc = nvinfo_next(s, &pos, &a, e)) > 0) {
        if (a.fmt != NVI_SVAL || a.size < 8) continue;
        if (a.attr != EIATTR_REGCOUNT && a.attr != EIATTR_FRAME_SIZE &&
            a.attr != EIATTR_MIN_STACK_SIZE) continue;
        const char *name = bin_elf_symname(&c->x, c->symtab, bin_rd32(a.data));
        bin_kernel *k = name ? kernel_named(c, name) : NULL;
        if (!k) continue;
        unsigned v = bin_rd32(a.data + 4);
        if (a.attr == EIATTR_REGCOUNT) k->regs = v;
        else if (a.attr == EIATTR_FRAME_SIZE) k->frame_size = v;
        else k->min_stack = v;
    }
    return rc;
}

static bool is_entry_symbol(cubin_ctx *c, uint32_t sym)
{
    bin_sec st;
    if (c->symtab == 0 || bin_elf_sec(&c->x, c->symtab, &st, NULL) < 0 || !st.data) return false;
    if ((uint64_t)(sym + 1) * sizeof(Elf64_Sym) > st.size) return false;
    Elf64_Sym s;
    memcpy(&s, st.data + (size_t)sym * sizeof s, sizeof s);
    return (s.st_other & STO_CUDA_ENTRY) != 0;
}

/* ".nv.constant3" -> bank 3, rest ""; ".nv.constant0.k" -> 0, "k".  -1 if not one. */
static int cbank_of(const char *name, const char **rest)
{
    const char *pfx = ".nv.constant";
    size_t lp = strlen(pfx);
    if (strncmp(name, pfx, lp) != 0) return -1;
    const char *p = name + lp;
    if (*p < '0' || *p > '9') return -1;
    unsigned n = 0;
    while (*p >= '0' && *p <= '9' && n < 1000) n = n * 10 + (unsigned)(*p++ - '0');
    if (*p == '.') p++;
    else if (*p) return -1;
    *rest = p;
    return (int)n;
}

/* .nv_debug_ptx_txt holds the PTX one line per NUL-terminated string (as
 * nvcc -lineinfo writes it: the line table indexes into it).  The text is
 * rebuilt with newlines; trailing empty lines are dropped. */
static void debug_ptx(cubin_ctx *c, const bin_sec *s)
{
    size_t n = (size_t)s->size;
    while (n > 0 && s->data[n - 1] == 0) n--;
    char *t = nt_arena_alloc(c->ar, n + 2);
    for (size_t i = 0; i < n; i++) t[i] = s->data[i] ? (char)s->data[i] : '\n';
    size_t len = n;
    if (len > 0) t[len++] = '\n';
    t[len] = 0;
    c->out->ptx = t;
    c->out->ptx_len = len;
}

static int cubin_sections(cubin_ctx *c, nt_err *e)
{
    size_t n = bin_elf_nsec(&c->x);
    bin_cubin *out = c->out;
    NT_VEC(bin_kernel) ks = {0};
    NT_VEC(bin_cbank) cbs = {0};
    int rc = 0;
    /* Pass 1: symbol table, kernels (.text.<name> of entry symbols), PTX. */
    for (size_t i = 1; i < n; i++) {
        bin_sec s;
        if (bin_elf_sec(&c->x, i, &s, e) < 0) { rc = -1; goto done; }
        if (s.type == SHT_SYMTAB && !c->symtab) c->symtab = i;
    }
    for (size_t i = 1; i < n; i++) {
        bin_sec s;
        bin_elf_sec(&c->x, i, &s, NULL);
        /* sh_info of .text.<name>: the symbol index in bits 0..23; up to
         * sm_8x the register count sits in bits 24..31 (sm_90 on: 0, the
         * count is in .nv.info only). */
        if (!strncmp(s.name, ".text.", 6) && is_entry_symbol(c, s.info & 0xffffff)) {
            bin_kernel k = {.name = nt_arena_strdup(c->ar, s.name + 6), .code_size = s.size,
                            .regs = s.info >> 24};
            nt_vec_push(&ks, k);
        } else if (!strcmp(s.name, ".nv_debug_ptx_txt") && s.data) {
            debug_ptx(c, &s);
        }
    }
    out->kernels = ks.n ? nt_arena_alloc(c->ar, ks.n * sizeof *ks.v) : NULL;
    if (ks.n) memcpy(out->kernels, ks.v, ks.n * sizeof *ks.v);
    out->nkernels = ks.n;
    for (size_t i = 0; i < ks.n; i++)
        nt_map_put(&c->byname, out->kernels[i].name, strlen(out->kernels[i].name), i);
    /* Pass 2: per-kernel sections and module attributes. */
    for (size_t i = 1; i < n; i++) {
        bin_sec s;
        bin_elf_sec(&c->x, i, &s, NULL);
        const char *rest;
        int bank;
        bin_kernel *k;
        if (!strcmp(s.name, ".nv.info") && s.data) {
            if (module_info(c, &s, e) < 0) { rc = -1; goto done; }
        } else if (!strncmp(s.name, ".nv.info.", 9) && s.data) {
            if ((k = kernel_named(c, s.name + 9)) && kernel_info(&s, k, c->ar, e) < 0) {
                rc = -1;
                goto done;
            }
        } else if (!strncmp(s.name, ".nv.shared.", 11)) {
            if ((k = kernel_named(c, s.name + 11))) k->shared = s.size;
        } else if ((bank = cbank_of(s.name, &rest)) >= 0) {
            k = *rest ? kernel_named(c, rest) : NULL;
            if (k && bank == 0) k->cbank0_size = s.size;
            bin_cbank cb = {.bank = (unsigned)bank, .kernel = k ? k->name : NULL, .size = s.size};
            if (!*rest || k) nt_vec_push(&cbs, cb);
        }
    }
    out->cbanks = cbs.n ? nt_arena_alloc(c->ar, cbs.n * sizeof *cbs.v) : NULL;
    if (cbs.n) memcpy(out->cbanks, cbs.v, cbs.n * sizeof *cbs.v);
    out->ncbanks = cbs.n;
done:
    nt_vec_free(&ks);
    nt_vec_free(&cbs);
    return rc;
}

int bin_cubin_parse(const void *data, size_t size, nt_arena *a, bin_cubin *out, nt_err *e)
{
    memset(out, 0, sizeof *out);
    cubin_ctx c = {.ar = a, .out = out};
    if (bin_elf_open(&c.x, data, size, e) < 0) return -1;
    int rc = -1;
    if (c.x.machine != BIN_EM_CUDA) {
        nt_err_set(e, "ELF machine %u is not CUDA (%u): not a cubin", c.x.machine, BIN_EM_CUDA);
        goto out;
    }
    /* e_flags: the SM version sits in bits 8..15 from ELF ABI version 8 on
     * (CUDA 13), in bits 0..7 before. */
    unsigned abiver = ((const uint8_t *)data)[EI_ABIVERSION];
    out->arch = abiver >= 8 ? (c.x.flags >> 8) & 0xff : c.x.flags & 0xff;
    rc = cubin_sections(&c, e);
out:
    if (rc < 0) nt_err_prefix(e, "cubin: ");
    nt_map_free(&c.byname);
    bin_elf_close(&c.x);
    return rc;
}
