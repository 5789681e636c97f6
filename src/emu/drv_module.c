/*
 * drv_module.c — modules, libraries, functions/kernels and their
 * attributes.  A module is loaded from PTX text (the driver's JIT path); a
 * library is a module with the library API around it; a CUkernel is the
 * same object as the CUfunction it names.
 */
#include <stdlib.h>
#include <string.h>
#include <cupti_callbacks.h>
#include "emu/drv.h"

static uint32_t mod_id_next = 1;

static int mod_ok(CUmodule m) { return m && m->magic == DRV_MAGIC_MOD; }
static int func_ok(CUfunction f) { return f && f->magic == DRV_MAGIC_FUNC; }

/* Size of a PTX image: the text ends at its NUL, as the driver expects. */
static CUresult image_size(const void *image, size_t *n)
{
    const unsigned char *b = image;
    if (b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F')
        return CUDA_ERROR_NO_BINARY_FOR_GPU;      /* cubin: no PTX to run */
    uint32_t magic;
    memcpy(&magic, b, 4);
    if (magic == 0xba55ed50u || magic == 0x466243b1u)
        return CUDA_ERROR_NO_BINARY_FOR_GPU;      /* fatbin: not yet */
    *n = strlen(image);
    return CUDA_SUCCESS;
}

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
    size_t n = 0;
    r = image_size(image, &n);
    if (r) {
        nt_warn("emu: module image is not PTX text (cubin/fatbin images need PTX)");
        return r;
    }
    nt_err e = { 0 };
    emu_module *em = emu_module_load(image, n, &e);
    if (!em) {
        nt_warn("emu: loading module: %s", e.msg);
        jit_log(nopt, opts, vals, e.msg);
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
    m->image = nt_xmalloc(n + 1);
    memcpy(m->image, image, n);
    m->image[n] = 0;
    m->image_size = n + 1;
    *pm = m;
    CUpti_ModuleResourceData d = { m->id, m->image_size, m->image };
    drv_resource(CUPTI_CBID_RESOURCE_MODULE_LOADED, m->ctx, NULL, &d);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuModuleLoadData(CUmodule *module, const void *image)
{
    cuModuleLoadData_params p = { module, image };
    DRV_CALL(cuModuleLoadData, p, mod_load(p.module, p.image, 0, NULL, NULL));
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
static int lib_ok(CUlibrary l) { return l && l->magic == DRV_MAGIC_LIB; }

static CUresult lib_wrap(CUlibrary *pl, CUmodule m)
{
    CUlibrary l = nt_xcalloc(1, sizeof(*l));
    l->magic = DRV_MAGIC_LIB;
    l->mod = m;
    m->lib = l;
    *pl = l;
    return CUDA_SUCCESS;
}

static CUresult lib_load(CUlibrary *pl, const void *code, unsigned nopt, CUjit_option *opts,
                         void **vals)
{
    if (!pl) return CUDA_ERROR_INVALID_VALUE;
    CUmodule m;
    CUresult r = mod_load(&m, code, nopt, opts, vals);
    return r ? r : lib_wrap(pl, m);
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
    if (!pl) return CUDA_ERROR_INVALID_VALUE;
    CUmodule m;
    CUresult r = mod_load_file(&m, path);
    return r ? r : lib_wrap(pl, m);
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

static CUresult lib_unload(CUlibrary l)
{
    if (!lib_ok(l)) return CUDA_ERROR_INVALID_HANDLE;
    mod_free(l->mod);
    l->magic = 0;
    free(l);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuLibraryUnload(CUlibrary library)
{
    cuLibraryUnload_params p = { library };
    DRV_CALL(cuLibraryUnload, p, lib_unload(p.library));
}

static CUresult lib_kernel(CUkernel *pk, CUlibrary l, const char *name)
{
    if (!lib_ok(l)) return CUDA_ERROR_INVALID_HANDLE;
    return mod_func((CUfunction *)pk, l->mod, name);
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
             lib_ok(p.lib) ? mod_count(p.count, p.lib->mod) : CUDA_ERROR_INVALID_HANDLE);
}

NT_EXPORT CUresult CUDAAPI cuLibraryEnumerateKernels(CUkernel *kernels, unsigned int numKernels,
                                                     CUlibrary lib)
{
    cuLibraryEnumerateKernels_params p = { kernels, numKernels, lib };
    DRV_CALL(cuLibraryEnumerateKernels, p,
             lib_ok(p.lib) ? mod_enum((CUfunction *)p.kernels, p.numKernels, p.lib->mod)
                           : CUDA_ERROR_INVALID_HANDLE);
}

NT_EXPORT CUresult CUDAAPI cuLibraryGetModule(CUmodule *pMod, CUlibrary library)
{
    cuLibraryGetModule_params p = { pMod, library };
    DRV_CALL(cuLibraryGetModule, p,
             !p.pMod ? CUDA_ERROR_INVALID_VALUE : !lib_ok(p.library) ? CUDA_ERROR_INVALID_HANDLE
                     : (*p.pMod = p.library->mod, CUDA_SUCCESS));
}

NT_EXPORT CUresult CUDAAPI cuLibraryGetGlobal(CUdeviceptr *dptr, size_t *bytes, CUlibrary library,
                                              const char *name)
{
    cuLibraryGetGlobal_params p = { dptr, bytes, library, name };
    DRV_CALL(cuLibraryGetGlobal, p,
             lib_ok(p.library) ? mod_global(p.dptr, p.bytes, p.library->mod, p.name)
                               : CUDA_ERROR_INVALID_HANDLE);
}

static CUresult kern_func(CUfunction *pf, CUkernel k)
{
    if (!pf) return CUDA_ERROR_INVALID_VALUE;
    if (!func_ok((CUfunction)k)) return CUDA_ERROR_INVALID_HANDLE;
    *pf = (CUfunction)k;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuKernelGetFunction(CUfunction *pFunc, CUkernel kernel)
{
    cuKernelGetFunction_params p = { pFunc, kernel };
    DRV_CALL(cuKernelGetFunction, p, kern_func(p.pFunc, p.kernel));
}

static CUresult kern_lib(CUlibrary *pl, CUkernel k)
{
    CUfunction f = (CUfunction)k;
    if (!pl) return CUDA_ERROR_INVALID_VALUE;
    if (!func_ok(f) || !f->mod->lib) return CUDA_ERROR_INVALID_HANDLE;
    *pl = f->mod->lib;
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
    DRV_CALL(cuKernelGetAttribute, p, func_attr(p.pi, p.attrib, (CUfunction)p.kernel));
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

NT_EXPORT CUresult CUDAAPI cuKernelSetAttribute(CUfunction_attribute attrib, int val, CUkernel kernel,
                                                CUdevice dev)
{
    cuKernelSetAttribute_params p = { attrib, val, kernel, dev };
    DRV_CALL(cuKernelSetAttribute, p, func_set_attr((CUfunction)p.kernel, p.attrib, p.val));
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
    DRV_CALL(cuKernelGetName, p, func_name(p.name, (CUfunction)p.hfunc));
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
    DRV_CALL(cuKernelGetParamInfo, p,
             param_info((CUfunction)p.kernel, p.paramIndex, p.paramOffset, p.paramSize));
}
