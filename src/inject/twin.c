/* twin.c — build the probed twin of a kernel and keep it faithful.
 *
 * The twin is the kernel sliced out of its module (with what it reaches),
 * instrumented by the probe, and JIT-compiled by the driver into a module
 * of its own.  Two things keep it computing what the original computes
 * (design decision 3):
 *   - every module-scope .global variable it uses is read through the
 *     original's storage: the twin gets a variable __nt_addr_<v> holding
 *     the original's address, loaded at the top of each function, and
 *     every use of <v> is redirected to that register;
 *   - every module-scope .const variable is copied from the original to
 *     the twin before each launch (the host may change it between
 *     launches).
 * The instrumented text is cached on disk by content hash; its first
 * lines list the shared variables, so a cache hit needs no parsing. */
#include "inject/inject_int.h"
#include "collector/collector.h"
#include "probe/probe.h"
#include "ptx/ptx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INJ_BUF_PARAM "__ntrace_buf"
#define INJ_SHARED_TAG "// ntrace-shared "

static void twin_fail(inj_twin *t, const char *fmt, ...) NT_PRINTF(2, 3);
static void twin_fail(inj_twin *t, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(t->reason);
    t->reason = nt_xstrdup(buf);
}

/* Bytes and alignment of a parameter, by the PTX ABI. */
static void param_size(const ptx_var *v, size_t *size, size_t *align)
{
    size_t elem = ptx_type_size((ptx_type)v->type) * (v->vec ? v->vec : 1);
    if (!elem) elem = 8;
    size_t n = 1;
    for (unsigned d = 0; d < v->ndims; d++) n *= v->dims[d] ? v->dims[d] : 1;
    *size = elem * n;
    *align = v->align ? v->align : elem;
}

/* Offset of a u64 parameter appended after fn's own. */
static size_t param_append_offset(const ptx_func *fn)
{
    size_t off = 0;
    for (uint32_t i = 0; i < fn->nparams; i++) {
        size_t sz, al;
        param_size(&fn->params[i], &sz, &al);
        off = (off + al - 1) / al * al + sz;
    }
    return (off + 7) & ~(size_t)7;
}

/* The first statement of a body that is not a declaration: where code
 * that runs before everything else goes. */
static ptx_stmt *body_code_start(ptx_func *fn)
{
    ptx_block_foreach(&fn->body, s) {
        if (s->kind != PTX_ST_REG && s->kind != PTX_ST_VAR && s->kind != PTX_ST_DIR) return s;
    }
    return &fn->body.head;
}

/* Redirects .global variable `name` in every function of m through a
 * fresh __nt_addr_<name> variable.  Returns -1 with e on failure. */
static int alias_global(ptx_module *m, const char *name, nt_err *e)
{
    nt_sb decl = {0};
    nt_sb_printf(&decl, ".global .align 8 .u64 __nt_addr_%s;", name);
    ptx_stmt *d = ptx_raw_new(m, nt_sb_str(&decl));
    nt_sb_free(&decl);
    /* Declared before the first function so every function sees it. */
    ptx_stmt *first_fn = &m->items.head;
    ptx_block_foreach(&m->items, s) {
        if (s->kind == PTX_ST_FUNC) { first_fn = s; break; }
    }
    ptx_insert_before(first_fn, d);
    ptx_block_foreach(&m->items, s) {
        if (s->kind != PTX_ST_FUNC) continue;
        ptx_func *fn = ((ptx_funcitem *)s)->fn;
        if (!fn->has_body) continue;
        ptx_str rname;
        uint32_t reg = ptx_reg_new(m, fn, PTX_T_U64, &rname);
        if (ptx_redirect_sym(m, fn, name, reg) == 0) continue;  /* unused here */
        char text[512];
        snprintf(text, sizeof text, "ld.global.u64 %.*s, [__nt_addr_%s];", (int)rname.n, rname.s, name);
        ptx_instr *ld = ptx_instr_parse(m, fn, text, e);
        if (!ld) return -1;
        ptx_insert_before(body_code_start(fn), &ld->st);
    }
    return 0;
}

/* Finds the module-scope variables the twin must share, aliases the
 * .global ones, and writes the list as comment lines into hdr. */
static int share_vars(ptx_module *m, nt_sb *hdr, nt_err *e)
{
    NT_VEC(ptx_var *) globals = {0};
    ptx_block_foreach(&m->items, s) {
        if (s->kind != PTX_ST_VAR) continue;
        ptx_var *v = ((ptx_vardecl *)s)->var;
        /* Texture, surface and sampler references are bound to the
         * original module by the host: a twin cannot share them. */
        if (v->type == PTX_T_TEXREF || v->type == PTX_T_SURFREF || v->type == PTX_T_SAMPLERREF ||
            v->space == PTX_SP_TEX) {
            nt_vec_free(&globals);
            return nt_err_set(e, "it uses the module-scope reference %.*s (.texref/.surfref/"
                                 ".samplerref), which a twin module cannot share",
                              (int)v->name.n, v->name.s);
        }
        if (v->linkage == PTX_LINK_EXTERN) continue;
        if (v->space == PTX_SP_GLOBAL) {
            nt_vec_push(&globals, v);
            nt_sb_printf(hdr, INJ_SHARED_TAG "global %.*s\n", (int)v->name.n, v->name.s);
        } else if (v->space == PTX_SP_CONST) {
            nt_sb_printf(hdr, INJ_SHARED_TAG "const %.*s\n", (int)v->name.n, v->name.s);
        }
    }
    int rc = 0;
    for (size_t i = 0; i < globals.n && rc == 0; i++) {
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)globals.v[i]->name.n, globals.v[i]->name.s);
        rc = alias_global(m, name, e);
    }
    nt_vec_free(&globals);
    return rc;
}

/* Reads the shared-variable list back from the text's first lines. */
static void parse_shared(inj_twin *t, const char *text)
{
    const char *p = text;
    while (!strncmp(p, INJ_SHARED_TAG, strlen(INJ_SHARED_TAG))) {
        p += strlen(INJ_SHARED_TAG);
        inj_shared_var v = {0};
        v.is_const = !strncmp(p, "const ", 6);
        p += v.is_const ? 6 : 7;
        const char *nl = strchr(p, '\n');
        if (!nl) break;
        v.name = nt_xstrndup(p, (size_t)(nl - p));
        nt_vec_push(&t->vars, v);
        p = nl + 1;
    }
}

/* The disk cache (cache.c: per-user directory, no symlink followed,
 * written to a temporary name and renamed: a concurrent run never reads
 * half a file). */
static void cache_name(uint64_t key, char name[32])
{
    snprintf(name, 32, "%016llx.ptx", (unsigned long long)key);
}

static char *cache_read(uint64_t key)
{
    char name[32];
    if (!inj.cfg.cache_dir) return NULL;
    cache_name(key, name);
    return inj_cache_load(inj.cfg.cache_dir, name, NULL);
}

static void cache_write(uint64_t key, const char *text)
{
    char name[32];
    if (!inj.cfg.cache_dir) return;
    cache_name(key, name);
    nt_err e = {0};
    if (inj_cache_store(inj.cfg.cache_dir, name, text, strlen(text), &e) == 0)
        nt_debug("cached instrumented PTX in %s/%s", inj.cfg.cache_dir, name);
    else
        nt_debug("cannot cache instrumented PTX: %s", e.msg);
}

/* Instruments kernel k for probe pi: the twin's PTX text, in inj.twin_out
 * (valid until the next twin is built), or NULL with the reason in t. */
static const char *twin_text(inj_kernel *k, unsigned pi, inj_twin *t)
{
    inj_ptx *px = k->ptx;
    nt_err e = {0};
    if (!px->ix) {
        px->ix = nt_xcalloc(1, sizeof *px->ix);
        if (ptx_index_build(px->ix, px->text, px->len, k->mod->origin, &e) < 0) {
            twin_fail(t, "PTX not readable: %s", e.msg);
            free(px->ix);
            px->ix = NULL;
            return NULL;
        }
        prb_prepare(px->ix, &inj.twin_out);
    }
    ptx_module *slice = ptx_slice(px->ix, k->name, &e);
    if (!slice) {
        twin_fail(t, "cannot slice the kernel out of its module: %s", e.msg);
        return NULL;
    }
    ptx_func *fn = ptx_module_func(slice, k->name);
    nt_sb hdr = {0}, *out = &inj.twin_out;
    const char *text = NULL;
    if (!fn) {
        twin_fail(t, "kernel %s not found in its module's PTX", k->name);
        goto done;
    }
    k->nparams = fn->nparams;
    if (share_vars(slice, &hdr, &e) < 0) {
        twin_fail(t, "not instrumentable: %s", e.msg);
        goto done;
    }
    prb_inst_stats st = {0};
    if (prb_instrument(inj.probes[pi].prb, slice, fn, INJ_BUF_PARAM, &st, &e) < 0) {
        twin_fail(t, "probe %s cannot instrument it: %s", inj.probes[pi].path, e.msg);
        goto done;
    }
    inj.rewrites++;
    nt_sb_reset(out);
    prb_out_reserve(out, slice);
    nt_sb_puts(out, nt_sb_str(&hdr));
    ptx_print(slice, out);
    text = nt_sb_str(out);
done:
    nt_sb_free(&hdr);
    ptx_module_free(slice);
    return text;
}

static int jit(inj_twin *t, const char *text, const char *name)
{
    char log[4096] = "", info[1024] = "";
    CUjit_option opts[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                           CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
    void *vals[] = {log, (void *)(uintptr_t)sizeof log, info, (void *)(uintptr_t)sizeof info};
    /* A fault injected by the tests: text the JIT cannot accept. */
    CUresult r = cuModuleLoadDataEx(&t->mod, inj.fault_jit ? ".version 1.0 garbage" : text, 4, opts, vals);
    if (r != CUDA_SUCCESS) {
        const char *es = NULL;
        cuGetErrorName(r, &es);
        char *nl = strchr(log, '\n');
        if (nl && nl[1] == 0) *nl = 0;
        twin_fail(t, "the driver's JIT rejected the instrumented kernel (%s)%s%s", es ? es : "?",
                  log[0] ? ": " : "", log);
        nt_warn("JIT of the probed %s failed; the original runs. JIT log:\n%s", name, log);
        t->mod = NULL;
        return -1;
    }
    r = cuModuleGetFunction(&t->fn, t->mod, name);
    if (r != CUDA_SUCCESS) {
        twin_fail(t, "the instrumented module lacks %s", name);
        cuModuleUnload(t->mod);
        t->mod = NULL;
        return -1;
    }
    return 0;
}

/* Looks up a variable of the app's module (or library). */
static CUresult orig_global(inj_module *m, const char *name, CUdeviceptr *p, size_t *size)
{
    if (m->is_library) return cuLibraryGetGlobal(p, size, (CUlibrary)(uintptr_t)m->handle, name);
    return cuModuleGetGlobal(p, size, (CUmodule)(uintptr_t)m->handle, name);
}

/* Connects the twin's shared variables to the original module's. */
static int bind_vars(inj_twin *t, inj_module *m, CUstream stream)
{
    for (size_t i = 0; i < t->vars.n; i++) {
        inj_shared_var *v = &t->vars.v[i];
        size_t osize = 0, tsize = 0;
        if (orig_global(m, v->name, &v->orig, &osize) != CUDA_SUCCESS) {
            twin_fail(t, "variable %s of the original module not found", v->name);
            return -1;
        }
        if (v->is_const) {
            if (cuModuleGetGlobal(&v->twin, &tsize, t->mod, v->name) != CUDA_SUCCESS) {
                twin_fail(t, "constant %s missing from the twin", v->name);
                return -1;
            }
            v->size = NT_MIN(osize, tsize);
        } else {
            char an[512];
            snprintf(an, sizeof an, "__nt_addr_%s", v->name);
            if (cuModuleGetGlobal(&v->twin, &tsize, t->mod, an) != CUDA_SUCCESS || tsize != 8) {
                twin_fail(t, "address variable %s missing from the twin", an);
                return -1;
            }
            /* Two 32-bit memsets: fully asynchronous, no host memory to keep. */
            uint64_t a = v->orig;
            if (cuMemsetD32Async(v->twin, (unsigned)(a & 0xffffffffu), 1, stream) != CUDA_SUCCESS ||
                cuMemsetD32Async(v->twin + 4, (unsigned)(a >> 32), 1, stream) != CUDA_SUCCESS) {
                twin_fail(t, "cannot set the address of %s in the twin", v->name);
                return -1;
            }
        }
    }
    return 0;
}

static uint64_t twin_key(inj_kernel *k, unsigned pi)
{
    uint64_t h = nt_hash64(k->ptx->text, k->ptx->len, 0x6e74);
    h = nt_hash64(k->name, strlen(k->name), h);
    h = nt_hash64(inj.probes[pi].src, strlen(inj.probes[pi].src), h);
    h = nt_hash64(NT_VERSION, strlen(NT_VERSION), h ^ k->sm);
    return h;
}

/* The names of the user-region markers (ntrace/region.h: a scope that
 * declares %ntrace_rb_<name> or %ntrace_re_<name>) in a twin's text go to
 * StringIds: region records hold only prb_region_id(name), and the report
 * finds a name by hashing the database's strings.  The markers survive
 * instrumentation, so a cached text tells the same. */
static void note_region_names(const char *text)
{
    for (const char *p = strstr(text, "%ntrace_r"); p; p = strstr(p + 1, "%ntrace_r")) {
        if ((p[9] != 'b' && p[9] != 'e') || p[10] != '_') continue;
        const char *s = p + 11, *q = s;
        while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
               (*q >= '0' && *q <= '9') || *q == '_' || *q == '$')
            q++;
        if (q == s || q - s > 255) continue;
        char name[256];
        memcpy(name, s, (size_t)(q - s));
        name[q - s] = 0;
        col_note_string(inj.col, name);
    }
}

static void twin_build(inj_kernel *k, unsigned pi, CUstream stream)
{
    inj_twin *t = &k->twins[pi];
    uint64_t key = twin_key(k, pi);
    char *cached = cache_read(key);
    const char *text = cached;
    if (text) {
        t->from_cache = true;
        inj.cache_hits++;
    } else {
        text = twin_text(k, pi, t);
        if (!text) return;
        cache_write(key, text);
    }
    note_region_names(text);
    parse_shared(t, text);
    if (jit(t, text, k->name) < 0) goto out;
    if (bind_vars(t, k->mod, stream) < 0) goto out;
    size_t off = 0, size = 0;
    unsigned np = k->nparams;
    if (t->from_cache) {
        /* nparams comes from the original's parameter info. */
        np = 0;
        while (cuFuncGetParamInfo(t->fn, np, &off, &size) == CUDA_SUCCESS) np++;
        if (np == 0) {
            twin_fail(t, "cannot read the parameters of the cached twin");
            goto out;
        }
        k->nparams = np - 1;
    }
    if (cuFuncGetParamInfo(t->fn, k->nparams, &off, &size) == CUDA_SUCCESS && size == 8) {
        t->param_offset = off;
    } else {
        ptx_module *pm = ptx_parse(text, strlen(text), k->name, 0, NULL);
        ptx_func *f = pm ? ptx_module_func(pm, k->name) : NULL;
        if (!f || f->nparams == 0) {
            twin_fail(t, "cannot find the buffer parameter of the twin");
            ptx_module_free(pm);
            goto out;
        }
        f->nparams--;   /* the offset of the last parameter, by the ABI */
        t->param_offset = param_append_offset(f);
        ptx_module_free(pm);
    }
    cuFuncGetAttribute(&t->max_threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, t->fn);
    inj.twins_built++;
out:
    if (t->reason && t->mod) {
        cuModuleUnload(t->mod);
        t->mod = NULL;
        t->fn = NULL;
    }
    free(cached);
}

unsigned inj_twins_build(inj_kernel *k, CUstream stream)
{
    unsigned built = 0;
    k->twins = nt_xcalloc(inj.nprobes, sizeof *k->twins);
    for (unsigned i = 0; i < inj.nprobes; i++) {
        if (prb_min_sm(inj.probes[i].prb) > k->sm) {
            twin_fail(&k->twins[i], "probe %s needs sm_%u; this device is sm_%u",
                      inj.probes[i].path, prb_min_sm(inj.probes[i].prb), k->sm);
            continue;
        }
        twin_build(k, i, stream);
        built += k->twins[i].reason == NULL;
    }
    return built;
}

void inj_twin_prepare(inj_twin *t, CUfunction orig, CUstream stream)
{
    for (size_t i = 0; i < t->vars.n; i++) {
        inj_shared_var *v = &t->vars.v[i];
        if (v->is_const && v->size) cuMemcpyDtoDAsync(v->twin, v->orig, v->size, stream);
    }
    int dyn = 0;
    if (cuFuncGetAttribute(&dyn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, orig) == CUDA_SUCCESS &&
        dyn != t->dyn_smem) {
        cuFuncSetAttribute(t->fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, dyn);
        t->dyn_smem = dyn;
    }
}

void inj_twin_free(inj_twin *t)
{
    for (size_t i = 0; i < t->vars.n; i++) free(t->vars.v[i].name);
    nt_vec_free(&t->vars);
    free(t->reason);
    memset(t, 0, sizeof *t);
}
