/*
 * drv_module.c — modules, libraries, functions/kernels and their
 * attributes.  A module is loaded from PTX text (the driver's JIT path),
 * the PTX that the context's device would JIT.  A library is context-less
 * and loads a module per context; a CUkernel is its own object (drv.h).
 */
#include <stdlib.h>
#include <string.h>
#include <cupti_callbacks.h>
#include "emu/drv.h"

static uint32_t mod_id_next = 1;
static CUmodule mods;              /* live modules; a context's die with it */

/* Handles are checked against the live modules, never by reading through
 * a pointer that may be stale (a handle used after cuModuleUnload). */
#define mod_ok(m) DRV_LIVE(mods, m)

int drv_func_ok(CUfunction f)
{
    for (CUmodule x = mods; x; x = x->next)
        if (x->nfuncs && f >= x->funcs && f < x->funcs + x->nfuncs) return 1;
    return 0;
}

#define func_ok drv_func_ok

static void jit_log(unsigned nopt, const CUjit_option *opts, void **vals, const char *msg)
{
    char *buf = NULL;
    size_t size = 0;
    for (unsigned i = 0; opts && vals && i < nopt; i++) {
        if (opts[i] == CU_JIT_ERROR_LOG_BUFFER) buf = vals[i];
        else if (opts[i] == CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) size = (size_t)(uintptr_t)vals[i];
    }
    if (buf && size)
        snprintf(buf, size, "%s", msg);
}

static CUresult mod_load(CUmodule *pm, const void *image, unsigned nopt,
                         const CUjit_option *opts, void **vals)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    if (!pm || !image) return CUDA_ERROR_INVALID_VALUE;
    char *ptx, *copy;
    size_t ptx_len, copy_size;
    r = drv_image_ptx(image, drv_ctx_sm(drv_ctx()), &ptx, &ptx_len, &copy, &copy_size);
    if (r) return r;
    nt_err e = { 0 };
    emu_module *em = emu_module_load(ptx, ptx_len, &e);
    free(ptx);
    if (!em) {
        nt_warn("emu: loading module: %s", e.msg);
        jit_log(nopt, opts, vals, e.msg);
        free(copy);
        return CUDA_ERROR_INVALID_PTX;
    }
    CUmodule m = nt_xcalloc(1, sizeof(*m));
    m->magic = DRV_MAGIC_MOD;
    m->id = mod_id_next++;
    m->ctx = drv_ctx();
    m->em = em;
    m->nfuncs = emu_module_kernel_count(em);
    m->funcs = nt_xcalloc((size_t)NT_MAX(m->nfuncs, 1), sizeof(*m->funcs));
    for (int i = 0; i < m->nfuncs; i++) {
        m->funcs[i].magic = DRV_MAGIC_FUNC;
        m->funcs[i].mod = m;
        m->funcs[i].k = emu_module_kernel_at(em, i);
        m->funcs[i].max_dyn_smem = 48 * 1024 - (int)emu_kernel_static_smem(m->funcs[i].k);
        m->funcs[i].carveout = -1;
    }
    m->image = copy;              /* PTX text: includes its NUL */
    m->image_size = copy_size;
    *pm = m;
    m->next = mods;
    mods = m;
    CUpti_ModuleResourceData d = { m->id, m->image_size, m->image };
    drv_resource(CUPTI_CBID_RESOURCE_MODULE_LOADED, m->ctx, NULL, &d);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuModuleLoadData(CUmodule *module, const void *image)
{
    cuModuleLoadData_params p = { module, image };
    DRV_CALL(cuModuleLoadData, p, mod_load(p.module, p.image, 0, NULL, NULL));
}

NT_EXPORT CUresult CUDAAPI cuModuleLoadFatBinary(CUmodule *module, const void *fatCubin)
{
    cuModuleLoadFatBinary_params p = { module, fatCubin };
    DRV_CALL(cuModuleLoadFatBinary, p, mod_load(p.module, p.fatCubin, 0, NULL, NULL));
}

NT_EXPORT CUresult CUDAAPI cuModuleLoadDataEx(CUmodule *module, const void *image,
                                              unsigned int numOptions, CUjit_option *options,
                                              void **optionValues)
{
    cuModuleLoadDataEx_params p = { module, image, numOptions, options, optionValues };
    DRV_CALL(cuModuleLoadDataEx, p,
             mod_load(p.module, p.image, p.numOptions, p.options, p.optionValues));
}

static CUresult mod_load_file(CUmodule *pm, const char *path)
{
    if (!path) return CUDA_ERROR_INVALID_VALUE;
    nt_file f;
    nt_err e = { 0 };
    if (nt_file_open(&f, path, &e)) {
        nt_warn("emu: %s", e.msg);
        return CUDA_ERROR_FILE_NOT_FOUND;
    }
    CUresult r = f.size ? mod_load(pm, f.data, 0, NULL, NULL) : CUDA_ERROR_INVALID_IMAGE;
    nt_file_close(&f);
    return r;
}

NT_EXPORT CUresult CUDAAPI cuModuleLoad(CUmodule *module, const char *fname)
{
    cuModuleLoad_params p = { module, fname };
    DRV_CALL(cuModuleLoad, p, mod_load_file(p.module, p.fname));
}

static void mod_free(CUmodule m)
{
    DRV_UNLINK(mods, m);
    CUpti_ModuleResourceData d = { m->id, m->image_size, m->image };
    drv_resource(CUPTI_CBID_RESOURCE_MODULE_UNLOAD_STARTING, m->ctx, NULL, &d);
    emu_module_free(m->em);
    for (int i = 0; i < m->nfuncs; i++)
        m->funcs[i].magic = 0;
    free(m->funcs);
    free(m->image);
    m->magic = 0;
    free(m);
}

/* A library outlives the context: only its module in ctx goes. */
void drv_unload_ctx_modules(CUcontext ctx)
{
    CUmodule m = mods;
    while (m) {
        CUmodule next = m->next;
        if (m->ctx == ctx) mod_free(m);
        m = next;
    }
}

static CUresult mod_unload(CUmodule m)
{
    if (!mod_ok(m) || m->lib) return CUDA_ERROR_INVALID_HANDLE;
    mod_free(m);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuModuleUnload(CUmodule hmod)
{
    cuModuleUnload_params p = { hmod };
    DRV_CALL(cuModuleUnload, p, mod_unload(p.hmod));
}

static CUresult mod_func(CUfunction *pf, CUmodule m, const char *name)
{
    if (!pf || !name) return CUDA_ERROR_INVALID_VALUE;
    if (!mod_ok(m)) return CUDA_ERROR_INVALID_HANDLE;
    for (int i = 0; i < m->nfuncs; i++)
        if (strcmp(emu_kernel_name(m->funcs[i].k), name) == 0) {
            *pf = &m->funcs[i];
            return CUDA_SUCCESS;
        }
    return CUDA_ERROR_NOT_FOUND;
}

NT_EXPORT CUresult CUDAAPI cuModuleGetFunction(CUfunction *hfunc, CUmodule hmod, const char *name)
{
    cuModuleGetFunction_params p = { hfunc, hmod, name };
    DRV_CALL(cuModuleGetFunction, p, mod_func(p.hfunc, p.hmod, p.name));
}

static CUresult mod_count(unsigned *n, CUmodule m)
{
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    if (!mod_ok(m)) return CUDA_ERROR_INVALID_HANDLE;
    *n = (unsigned)m->nfuncs;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuModuleGetFunctionCount(unsigned int *count, CUmodule mod)
{
    cuModuleGetFunctionCount_params p = { count, mod };
    DRV_CALL(cuModuleGetFunctionCount, p, mod_count(p.count, p.mod));
}

static CUresult mod_enum(CUfunction *fs, unsigned n, CUmodule m)
{
    if (!fs) return CUDA_ERROR_INVALID_VALUE;
    if (!mod_ok(m)) return CUDA_ERROR_INVALID_HANDLE;
    if (n > (unsigned)m->nfuncs) n = (unsigned)m->nfuncs;
    for (unsigned i = 0; i < n; i++)
        fs[i] = &m->funcs[i];
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuModuleEnumerateFunctions(CUfunction *functions, unsigned int numFunctions,
                                                      CUmodule mod)
{
    cuModuleEnumerateFunctions_params p = { functions, numFunctions, mod };
    DRV_CALL(cuModuleEnumerateFunctions, p, mod_enum(p.functions, p.numFunctions, p.mod));
}

static CUresult mod_global(CUdeviceptr *dp, size_t *bytes, CUmodule m, const char *name)
{
    if (!name) return CUDA_ERROR_INVALID_VALUE;
    if (!mod_ok(m)) return CUDA_ERROR_INVALID_HANDLE;
    uint64_t a; size_t n;
    if (emu_module_global(m->em, name, &a, &n)) return CUDA_ERROR_NOT_FOUND;
    if (dp) *dp = a;
    if (bytes) *bytes = n;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuModuleGetGlobal(CUdeviceptr *dptr, size_t *bytes, CUmodule hmod,
                                             const char *name)
{
    cuModuleGetGlobal_v2_params p = { dptr, bytes, hmod, name };
    DRV_CALL(cuModuleGetGlobal_v2, p, mod_global(p.dptr, p.bytes, p.hmod, p.name));
}

NT_EXPORT CUresult CUDAAPI cuModuleGetLoadingMode(CUmoduleLoadingMode *mode)
{
    cuModuleGetLoadingMode_params p = { mode };
    DRV_CALL(cuModuleGetLoadingMode, p,
             p.mode ? (*p.mode = CU_MODULE_EAGER_LOADING, CUDA_SUCCESS) : CUDA_ERROR_INVALID_VALUE);
}

/* ---- libraries ------------------------------------------------------------------- */
static CUlibrary libs;             /* live libraries */

#define lib_ok(l) DRV_LIVE(libs, l)

static int kern_ok(CUkernel k)
{
    for (CUlibrary x = libs; x; x = x->next)
        if (x->nkerns && k >= x->kerns && k < x->kerns + x->nkerns) return 1;
    return 0;
}

/* Applies what cuKernelSetAttribute set to the function f of kernel k. */
static void kern_apply(CUkernel k, CUfunction f)
{
    if (k->max_dyn_smem >= 0) f->max_dyn_smem = k->max_dyn_smem;
    if (k->carveout >= 0) f->carveout = k->carveout;
}

static CUkernel lib_kern_named(CUlibrary l, const char *name)
{
    for (int i = 0; i < l->nkerns; i++)
        if (!strcmp(l->kerns[i].name, name)) return &l->kerns[i];
    return NULL;
}

/* The library's module in the current context, loaded on first use. */
static CUresult lib_module(CUlibrary l, CUmodule *pm)
{
    CUcontext c = drv_ctx();
    for (CUmodule x = mods; x; x = x->next)
        if (x->lib == l && x->ctx == c) { *pm = x; return CUDA_SUCCESS; }
    CUmodule m;
    CUresult r = mod_load(&m, l->image, 0, NULL, NULL);
    if (r) return r;
    m->lib = l;
    for (int i = 0; i < m->nfuncs; i++) {
        CUkernel k = lib_kern_named(l, emu_kernel_name(m->funcs[i].k));
        if (k) kern_apply(k, &m->funcs[i]);
    }
    *pm = m;
    return CUDA_SUCCESS;
}

/* The function of kernel k in the current context. */
static CUresult kern_func(CUfunction *pf, CUkernel k)
{
    if (!pf) return CUDA_ERROR_INVALID_VALUE;
    if (!kern_ok(k)) return CUDA_ERROR_INVALID_HANDLE;
    CUmodule m;
    CUresult r = drv_need_ctx();
    if (!r) r = lib_module(k->lib, &m);
    return r ? r : mod_func(pf, m, k->name);
}

CUfunction drv_launch_func(CUfunction f)
{
    if (func_ok(f)) return f;
    CUfunction g = NULL;
    return kern_func(&g, (CUkernel)f) == CUDA_SUCCESS ? g : NULL;
}

const char *drv_handle_name(CUfunction f)
{
    pthread_mutex_lock(&drv_mu);
    const char *n = func_ok(f) ? emu_kernel_name(f->k)
                  : kern_ok((CUkernel)f) ? ((CUkernel)f)->name : NULL;
    pthread_mutex_unlock(&drv_mu);
    return n;
}

/* Loads the image into the current context and keeps it for the others. */
static CUresult lib_load(CUlibrary *pl, const void *code, unsigned nopt, CUjit_option *opts,
                         void **vals)
{
    if (!pl) return CUDA_ERROR_INVALID_VALUE;
    CUmodule m;
    CUresult r = mod_load(&m, code, nopt, opts, vals);
    if (r) return r;
    CUlibrary l = nt_xcalloc(1, sizeof(*l));
    l->magic = DRV_MAGIC_LIB;
    l->image = nt_xmalloc(m->image_size + 1);
    memcpy(l->image, m->image, m->image_size + 1);   /* mod_load's copy ends in a NUL */
    l->image_size = m->image_size;
    l->nkerns = m->nfuncs;
    l->kerns = nt_xcalloc((size_t)NT_MAX(l->nkerns, 1), sizeof(*l->kerns));
    for (int i = 0; i < l->nkerns; i++)
        l->kerns[i] = (struct CUkern_st){ DRV_MAGIC_KERN, l,
                                          nt_xstrdup(emu_kernel_name(m->funcs[i].k)), -1, -1 };
    m->lib = l;
    l->next = libs;
    libs = l;
    *pl = l;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuLibraryLoadData(CUlibrary *library, const void *code,
                                             CUjit_option *jitOptions, void **jitOptionsValues,
                                             unsigned int numJitOptions,
                                             CUlibraryOption *libraryOptions,
                                             void **libraryOptionValues,
                                             unsigned int numLibraryOptions)
{
    cuLibraryLoadData_params p = { library, code, jitOptions, jitOptionsValues, numJitOptions,
                                   libraryOptions, libraryOptionValues, numLibraryOptions };
    DRV_CALL(cuLibraryLoadData, p,
             lib_load(p.library, p.code, p.numJitOptions, p.jitOptions, p.jitOptionsValues));
}

static CUresult lib_load_file(CUlibrary *pl, const char *path)
{
    if (!pl || !path) return CUDA_ERROR_INVALID_VALUE;
    nt_file f;
    nt_err e = { 0 };
    if (nt_file_open(&f, path, &e)) {
        nt_warn("emu: %s", e.msg);
        return CUDA_ERROR_FILE_NOT_FOUND;
    }
    /* A NUL after the bytes, so a PTX file is an image too. */
    char *img = nt_xmalloc(f.size + 1);
    memcpy(img, f.data, f.size);
    img[f.size] = 0;
    CUresult r = f.size ? lib_load(pl, img, 0, NULL, NULL) : CUDA_ERROR_INVALID_IMAGE;
    free(img);
    nt_file_close(&f);
    return r;
}

NT_EXPORT CUresult CUDAAPI cuLibraryLoadFromFile(CUlibrary *library, const char *fileName,
                                                 CUjit_option *jitOptions, void **jitOptionsValues,
                                                 unsigned int numJitOptions,
                                                 CUlibraryOption *libraryOptions,
                                                 void **libraryOptionValues,
                                                 unsigned int numLibraryOptions)
{
    cuLibraryLoadFromFile_params p = { library, fileName, jitOptions, jitOptionsValues,
                                       numJitOptions, libraryOptions, libraryOptionValues,
                                       numLibraryOptions };
    DRV_CALL(cuLibraryLoadFromFile, p, lib_load_file(p.library, p.fileName));
}

static void lib_free(CUlibrary l)
{
    CUmodule m = mods;
    while (m) {
        CUmodule next = m->next;
        if (m->lib == l) mod_free(m);
        m = next;
    }
    DRV_UNLINK(libs, l);
    for (int i = 0; i < l->nkerns; i++) {
        free(l->kerns[i].name);
        l->kerns[i].magic = 0;
    }
    free(l->kerns);
    free(l->image);
    l->magic = 0;
    free(l);
}

static CUresult lib_unload(CUlibrary l)
{
    if (!lib_ok(l)) return CUDA_ERROR_INVALID_HANDLE;
    lib_free(l);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuLibraryUnload(CUlibrary library)
{
    cuLibraryUnload_params p = { library };
    DRV_CALL(cuLibraryUnload, p, lib_unload(p.library));
}

static CUresult lib_kernel(CUkernel *pk, CUlibrary l, const char *name)
{
    if (!pk || !name) return CUDA_ERROR_INVALID_VALUE;
    if (!lib_ok(l)) return CUDA_ERROR_INVALID_HANDLE;
    CUkernel k = lib_kern_named(l, name);
    if (!k) return CUDA_ERROR_NOT_FOUND;
    *pk = k;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuLibraryGetKernel(CUkernel *pKernel, CUlibrary library, const char *name)
{
    cuLibraryGetKernel_params p = { pKernel, library, name };
    DRV_CALL(cuLibraryGetKernel, p, lib_kernel(p.pKernel, p.library, p.name));
}

NT_EXPORT CUresult CUDAAPI cuLibraryGetKernelCount(unsigned int *count, CUlibrary lib)
{
    cuLibraryGetKernelCount_params p = { count, lib };
    DRV_CALL(cuLibraryGetKernelCount, p,
             !p.count ? CUDA_ERROR_INVALID_VALUE : !lib_ok(p.lib) ? CUDA_ERROR_INVALID_HANDLE
                      : (*p.count = (unsigned)p.lib->nkerns, CUDA_SUCCESS));
}

static CUresult lib_enum(CUkernel *ks, unsigned n, CUlibrary l)
{
    if (!ks) return CUDA_ERROR_INVALID_VALUE;
    if (!lib_ok(l)) return CUDA_ERROR_INVALID_HANDLE;
    for (unsigned i = 0; i < n && i < (unsigned)l->nkerns; i++) ks[i] = &l->kerns[i];
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuLibraryEnumerateKernels(CUkernel *kernels, unsigned int numKernels,
                                                     CUlibrary lib)
{
    cuLibraryEnumerateKernels_params p = { kernels, numKernels, lib };
    DRV_CALL(cuLibraryEnumerateKernels, p, lib_enum(p.kernels, p.numKernels, p.lib));
}

static CUresult lib_get_module(CUmodule *pm, CUlibrary l)
{
    if (!pm) return CUDA_ERROR_INVALID_VALUE;
    if (!lib_ok(l)) return CUDA_ERROR_INVALID_HANDLE;
    CUresult r = drv_need_ctx();
    return r ? r : lib_module(l, pm);
}

NT_EXPORT CUresult CUDAAPI cuLibraryGetModule(CUmodule *pMod, CUlibrary library)
{
    cuLibraryGetModule_params p = { pMod, library };
    DRV_CALL(cuLibraryGetModule, p, lib_get_module(p.pMod, p.library));
}

static CUresult lib_global(CUdeviceptr *dp, size_t *bytes, CUlibrary l, const char *name)
{
    CUmodule m;
    CUresult r = lib_get_module(&m, l);
    return r ? r : mod_global(dp, bytes, m, name);
}

NT_EXPORT CUresult CUDAAPI cuLibraryGetGlobal(CUdeviceptr *dptr, size_t *bytes, CUlibrary library,
                                              const char *name)
{
    cuLibraryGetGlobal_params p = { dptr, bytes, library, name };
    DRV_CALL(cuLibraryGetGlobal, p, lib_global(p.dptr, p.bytes, p.library, p.name));
}

NT_EXPORT CUresult CUDAAPI cuKernelGetFunction(CUfunction *pFunc, CUkernel kernel)
{
    cuKernelGetFunction_params p = { pFunc, kernel };
    DRV_CALL(cuKernelGetFunction, p, kern_func(p.pFunc, p.kernel));
}

static CUresult kern_lib(CUlibrary *pl, CUkernel k)
{
    if (!pl) return CUDA_ERROR_INVALID_VALUE;
    if (!kern_ok(k)) return CUDA_ERROR_INVALID_HANDLE;
    *pl = k->lib;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuKernelGetLibrary(CUlibrary *pLib, CUkernel kernel)
{
    cuKernelGetLibrary_params p = { pLib, kernel };
    DRV_CALL(cuKernelGetLibrary, p, kern_lib(p.pLib, p.kernel));
}

/* ---- function attributes ------------------------------------------------------------ */
static CUresult func_attr(int *pi, CUfunction_attribute a, CUfunction f)
{
    if (!pi) return CUDA_ERROR_INVALID_VALUE;
    if (!func_ok(f)) return CUDA_ERROR_INVALID_HANDLE;
    switch (a) {
    case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *pi = (int)emu_kernel_max_threads(f->k); break;
    case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES:     *pi = (int)emu_kernel_static_smem(f->k); break;
    case CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES:      *pi = 0; break;
    case CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES:      *pi = (int)emu_kernel_local_size(f->k); break;
    case CU_FUNC_ATTRIBUTE_NUM_REGS:              *pi = (int)emu_kernel_nregs(f->k); break;
    case CU_FUNC_ATTRIBUTE_PTX_VERSION:           *pi = 90; break;
    case CU_FUNC_ATTRIBUTE_BINARY_VERSION:        *pi = 90; break;
    case CU_FUNC_ATTRIBUTE_CACHE_MODE_CA:         *pi = 0; break;
    case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: *pi = f->max_dyn_smem; break;
    case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT: *pi = f->carveout; break;
    default: return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuFuncGetAttribute(int *pi, CUfunction_attribute attrib, CUfunction hfunc)
{
    cuFuncGetAttribute_params p = { pi, attrib, hfunc };
    DRV_CALL(cuFuncGetAttribute, p, func_attr(p.pi, p.attrib, p.hfunc));
}

NT_EXPORT CUresult CUDAAPI cuKernelGetAttribute(int *pi, CUfunction_attribute attrib, CUkernel kernel,
                                                CUdevice dev)
{
    cuKernelGetAttribute_params p = { pi, attrib, kernel, dev };
    CUfunction f = NULL;
    DRV_CALL(cuKernelGetAttribute, p,
             kern_func(&f, p.kernel) ? CUDA_ERROR_INVALID_HANDLE : func_attr(p.pi, p.attrib, f));
}

static CUresult func_set_attr(CUfunction f, CUfunction_attribute a, int v)
{
    if (!func_ok(f)) return CUDA_ERROR_INVALID_HANDLE;
    const emu_config *c = emu_cfg();
    switch (a) {
    case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
        if (v < 0 || (uint64_t)v + emu_kernel_static_smem(f->k) > c->smem_per_sm - 1024)
            return CUDA_ERROR_INVALID_VALUE;
        f->max_dyn_smem = v;
        return CUDA_SUCCESS;
    case CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT:
        if (v < -1 || v > 100) return CUDA_ERROR_INVALID_VALUE;
        f->carveout = v;
        return CUDA_SUCCESS;
    default:
        return CUDA_ERROR_INVALID_VALUE;
    }
}

NT_EXPORT CUresult CUDAAPI cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value)
{
    cuFuncSetAttribute_params p = { hfunc, attrib, value };
    DRV_CALL(cuFuncSetAttribute, p, func_set_attr(p.hfunc, p.attrib, p.value));
}

/* Checked on the current context's function, then kept for every context
 * (functions loaded later get it too). */
static CUresult kern_set_attr(CUkernel k, CUfunction_attribute a, int v)
{
    CUfunction f = NULL;
    CUresult r = kern_func(&f, k);
    if (!r) r = func_set_attr(f, a, v);
    if (r) return r;
    if (a == CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) k->max_dyn_smem = v;
    else k->carveout = v;
    for (CUmodule x = mods; x; x = x->next)
        for (int i = 0; x->lib == k->lib && i < x->nfuncs; i++)
            if (!strcmp(emu_kernel_name(x->funcs[i].k), k->name)) kern_apply(k, &x->funcs[i]);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuKernelSetAttribute(CUfunction_attribute attrib, int val, CUkernel kernel,
                                                CUdevice dev)
{
    cuKernelSetAttribute_params p = { attrib, val, kernel, dev };
    DRV_CALL(cuKernelSetAttribute, p, kern_set_attr(p.kernel, p.attrib, p.val));
}

NT_EXPORT CUresult CUDAAPI cuFuncSetCacheConfig(CUfunction hfunc, CUfunc_cache config)
{
    cuFuncSetCacheConfig_params p = { hfunc, config };
    DRV_CALL(cuFuncSetCacheConfig, p,
             func_ok(p.hfunc) ? (p.hfunc->cache_cfg = (int)p.config, CUDA_SUCCESS)
                              : CUDA_ERROR_INVALID_HANDLE);
}

static CUresult func_name(const char **pn, CUfunction f)
{
    if (!pn) return CUDA_ERROR_INVALID_VALUE;
    if (!func_ok(f)) return CUDA_ERROR_INVALID_HANDLE;
    *pn = emu_kernel_name(f->k);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuFuncGetName(const char **name, CUfunction hfunc)
{
    cuFuncGetName_params p = { name, hfunc };
    DRV_CALL(cuFuncGetName, p, func_name(p.name, p.hfunc));
}

NT_EXPORT CUresult CUDAAPI cuKernelGetName(const char **name, CUkernel hfunc)
{
    cuKernelGetName_params p = { name, hfunc };
    DRV_CALL(cuKernelGetName, p,
             !p.name ? CUDA_ERROR_INVALID_VALUE : !kern_ok(p.hfunc) ? CUDA_ERROR_INVALID_HANDLE
                     : (*p.name = p.hfunc->name, CUDA_SUCCESS));
}

NT_EXPORT CUresult CUDAAPI cuFuncGetModule(CUmodule *hmod, CUfunction hfunc)
{
    cuFuncGetModule_params p = { hmod, hfunc };
    DRV_CALL(cuFuncGetModule, p,
             !p.hmod ? CUDA_ERROR_INVALID_VALUE : !func_ok(p.hfunc) ? CUDA_ERROR_INVALID_HANDLE
                     : (*p.hmod = p.hfunc->mod, CUDA_SUCCESS));
}

static CUresult param_info(CUfunction f, size_t i, size_t *off, size_t *size)
{
    if (!func_ok(f)) return CUDA_ERROR_INVALID_HANDLE;
    if (i >= (size_t)emu_kernel_nparams(f->k)) return CUDA_ERROR_INVALID_VALUE;
    uint32_t o, s;
    emu_kernel_param(f->k, (int)i, &o, &s);
    if (off) *off = o;
    if (size) *size = s;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuFuncGetParamInfo(CUfunction func, size_t paramIndex, size_t *paramOffset,
                                              size_t *paramSize)
{
    cuFuncGetParamInfo_params p = { func, paramIndex, paramOffset, paramSize };
    DRV_CALL(cuFuncGetParamInfo, p, param_info(p.func, p.paramIndex, p.paramOffset, p.paramSize));
}

NT_EXPORT CUresult CUDAAPI cuKernelGetParamInfo(CUkernel kernel, size_t paramIndex, size_t *paramOffset,
                                                size_t *paramSize)
{
    cuKernelGetParamInfo_params p = { kernel, paramIndex, paramOffset, paramSize };
    CUfunction f = NULL;
    DRV_CALL(cuKernelGetParamInfo, p,
             kern_func(&f, p.kernel) ? CUDA_ERROR_INVALID_HANDLE
                                     : param_info(f, p.paramIndex, p.paramOffset, p.paramSize));
}
