/*
 * module.c — emu_module: a PTX module parsed, its .global/.const
 * variables given device storage (with their initializers), and each
 * .entry lowered to a runnable kernel.  Also the emulator configuration.
 */
#include <stdlib.h>
#include <string.h>
#include "emu/exec.h"

emu_kernel *emu_lower_kernel(emu_module *em, ptx_func *fn, nt_err *e);
void emu_kernel_free(emu_kernel *k);

static uint32_t env_u32(const char *name, uint32_t def, uint32_t lo, uint32_t hi)
{
    const char *s = getenv(name);
    if (!s || !*s) return def;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < lo || v > hi) {
        nt_warn("emu: %s=%s is not in [%u, %u]; using %u", name, s, lo, hi, def);
        return def;
    }
    return (uint32_t)v;
}

emu_config *emu_cfg(void)
{
    static emu_config c;
    static int done;
    if (!done) {
        c.num_sms = env_u32("NTRACE_EMU_SMS", 4, 1, 1024);
        c.max_warps_per_sm = env_u32("NTRACE_EMU_WARPS_PER_SM", 64, 1, 64);
        c.smem_per_sm = 228 * 1024;
        c.clock_hz = 1500000000ull;
        done = 1;
    }
    return &c;
}

static size_t var_bytes(const ptx_var *v)
{
    size_t n = ptx_type_size(v->type) * (v->vec ? v->vec : 1);
    for (int i = 0; i < v->ndims; i++) n *= v->dims[i];
    return n;
}

static int find_var(emu_module *em, ptx_str name, uint64_t *addr)
{
    for (int i = 0; i < em->nvars; i++)
        if (ptx_str_eq(name, em->vars[i].name)) { *addr = em->vars[i].addr; return 0; }
    return -1;
}

/* Writes var's initializer into its device storage. */
static int init_var(emu_module *em, ptx_var *v, uint8_t *mem, size_t size, nt_err *e)
{
    if (!v->has_init) return 0;
    if (ptx_var_init_elems(em->ptx, v, e)) return -1;
    unsigned es = ptx_type_size(v->type);
    for (uint32_t i = 0; i < v->ninit; i++) {
        const ptx_init *in = &v->init[i];
        uint64_t val = 0;
        switch (in->kind) {
        case PTX_INIT_INT: val = (uint64_t)in->i; break;
        case PTX_INIT_F32:
            val = v->type == PTX_T_F64 ? d2b(b2f(in->bits)) : in->bits; break;
        case PTX_INIT_F64:
            val = v->type == PTX_T_F32 ? f2b((float)b2d(in->bits)) : in->bits; break;
        case PTX_INIT_SYM: case PTX_INIT_GENERIC: {
            uint64_t a = 0;
            if (find_var(em, in->sym, &a))
                return nt_err_set(e, "line %u: initializer of %.*s refers to '%.*s', which has no device address",
                                  v->line, (int)v->name.n, v->name.s, (int)in->sym.n, in->sym.s);
            val = a + (uint64_t)in->i;
            break;
        }
        default:
            return nt_err_set(e, "line %u: unsupported initializer in %.*s", v->line,
                              (int)v->name.n, v->name.s);
        }
        uint64_t off = in->index * es;
        if (off + es > size) break;     /* checked: never past the storage */
        memcpy(mem + off, &val, es);
    }
    return 0;
}

static int alloc_vars(emu_module *em, nt_err *e)
{
    int cap = 0;
    ptx_block_foreach(&em->ptx->items, s) {
        if (s->kind != PTX_ST_VAR) continue;
        ptx_var *v = ((ptx_vardecl *)s)->var;
        if (v->space != PTX_SP_GLOBAL && v->space != PTX_SP_CONST) continue;
        if (v->linkage == PTX_LINK_EXTERN) continue;
        size_t n = var_bytes(v);
        if (n == 0) n = 1;
        uint64_t a = emu_mem_alloc(n);
        if (!a) return nt_err_set(e, "line %u: cannot allocate %zu bytes for %.*s", v->line, n,
                                  (int)v->name.n, v->name.s);
        if (em->nvars == cap) {
            cap = cap ? cap * 2 : 8;
            em->vars = nt_xrealloc(em->vars, (size_t)cap * sizeof(*em->vars));
        }
        em->vars[em->nvars].name = nt_xstrndup(v->name.s, v->name.n);
        em->vars[em->nvars].addr = a;
        em->vars[em->nvars].size = n;
        em->nvars++;
    }
    /* Initializers after all storage exists (they may take addresses). */
    ptx_block_foreach(&em->ptx->items, s) {
        if (s->kind != PTX_ST_VAR) continue;
        ptx_var *v = ((ptx_vardecl *)s)->var;
        uint64_t a;
        if ((v->space != PTX_SP_GLOBAL && v->space != PTX_SP_CONST) || find_var(em, v->name, &a))
            continue;
        size_t size;
        emu_mem_range(a, NULL, &size);
        if (init_var(em, v, emu_mem_ptr(a, size), size, e)) return -1;
    }
    return 0;
}

emu_module *emu_module_load(const void *image, size_t size, nt_err *e)
{
    emu_module *em = nt_xcalloc(1, sizeof(*em));
    em->text = nt_xstrndup(image, size);
    em->ptx = ptx_parse(em->text, strlen(em->text), "<ptx>", 0, e);
    if (!em->ptx || alloc_vars(em, e)) {
        emu_module_free(em);
        return NULL;
    }
    int cap = 0;
    ptx_block_foreach(&em->ptx->items, s) {
        if (s->kind != PTX_ST_FUNC) continue;
        ptx_func *fn = ((ptx_funcitem *)s)->fn;
        if (!fn->is_entry || !fn->has_body) continue;
        if (em->nkernels == cap) {
            cap = cap ? cap * 2 : 4;
            em->kernels = nt_xrealloc(em->kernels, (size_t)cap * sizeof(*em->kernels));
        }
        em->kernels[em->nkernels++] = emu_lower_kernel(em, fn, e);
    }
    return em;
}

void emu_module_free(emu_module *m)
{
    if (!m) return;
    for (int i = 0; i < m->nkernels; i++) emu_kernel_free(m->kernels[i]);
    free(m->kernels);
    for (int i = 0; i < m->nvars; i++) {
        emu_mem_free(m->vars[i].addr);
        free(m->vars[i].name);
    }
    free(m->vars);
    if (m->ptx) ptx_module_free(m->ptx);
    free(m->text);
    free(m);
}

emu_kernel *emu_module_kernel(emu_module *m, const char *name)
{
    for (int i = 0; i < m->nkernels; i++)
        if (strcmp(m->kernels[i]->name, name) == 0) return m->kernels[i];
    return NULL;
}

int emu_module_kernel_count(const emu_module *m) { return m->nkernels; }
emu_kernel *emu_module_kernel_at(emu_module *m, int i)
{
    return i >= 0 && i < m->nkernels ? m->kernels[i] : NULL;
}

int emu_module_global(emu_module *m, const char *name, uint64_t *addr, size_t *size)
{
    for (int i = 0; i < m->nvars; i++)
        if (strcmp(m->vars[i].name, name) == 0) {
            if (addr) *addr = m->vars[i].addr;
            if (size) *size = m->vars[i].size;
            return 0;
        }
    return -1;
}

const char *emu_kernel_name(const emu_kernel *k) { return k->name; }
int emu_kernel_nparams(const emu_kernel *k) { return (int)k->nparams; }
void emu_kernel_param(const emu_kernel *k, int i, uint32_t *off, uint32_t *size)
{
    *off = k->params[i].off;
    *size = k->params[i].size;
}
uint32_t emu_kernel_params_size(const emu_kernel *k) { return k->params_size; }
uint32_t emu_kernel_static_smem(const emu_kernel *k) { return k->smem_static; }
uint32_t emu_kernel_local_size(const emu_kernel *k) { return k->local_size; }
uint32_t emu_kernel_nregs(const emu_kernel *k) { return NT_MIN(k->ptx_regs, 255u); }
uint32_t emu_kernel_max_threads(const emu_kernel *k) { return k->max_threads; }
