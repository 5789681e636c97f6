/* callbacks.c — what the injector does in CUPTI's callbacks.
 *
 * Invariants:
 *   - Driver calls made by ntrace inside a callback are not traced: the
 *     thread-local inj_busy flag makes the callback return at once.
 *   - A launch is swapped only when everything for it is ready (twin,
 *     buffer, header copy); otherwise the app's launch is left untouched.
 *   - If the swapped launch fails, the original is launched in its place
 *     and the app sees that result: probing never changes what runs.
 *   - Nothing here waits for the GPU: buffers come back through an async
 *     copy and a stream host function. */
#include "inject/inject_int.h"
#include "inject/pcsamp.h"
#include "collector/collector.h"
#include "probe/probe.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static __thread int inj_busy;

/* What API_EXIT of a swapped launch needs. */
typedef struct inj_pending {
    bool        active;
    CUpti_CallbackId cbid;
    inj_buf    *buf;
    int64_t     launch_id;
    CUstream    stream;
    CUfunction  orig_fn;
    void      **orig_params, **orig_extra;
    inj_launch  l;
} inj_pending;

static __thread inj_pending inj_pend;
static __thread inj_args inj_targs;

/* inj_targs holds heap arrays: a thread's are freed when it exits (a key
 * destructor runs before its TLS goes; found by tests/reliability's leak
 * check with several launching threads). */
static pthread_key_t  targs_key;
static pthread_once_t targs_once = PTHREAD_ONCE_INIT;
static void targs_free(void *a) { inj_args_free(a); }
static void targs_key_make(void) { pthread_key_create(&targs_key, targs_free); }
static inj_args *thread_args(void)
{
    if (!inj_targs.params_cap && !inj_targs.buf_cap) {   /* nothing yet in this thread */
        pthread_once(&targs_once, targs_key_make);
        pthread_setspecific(targs_key, &inj_targs);
    }
    return &inj_targs;
}

/* A buffer on its way to the collector. */
typedef struct inj_drain {
    inj_buf *buf;
    int64_t  launch_id;
} inj_drain;

static void drain_release(void *ctx, const void *data)
{
    inj_drain *d = ctx;
    inj_pool_release(inj.pool, d->buf);
    free(d);
}

/* Stream host function: runs after the copy back has completed.  It may
 * not call CUDA; it only hands the bytes to the collector's queue. */
static void CUDA_CB drain_host(void *ud)
{
    inj_drain *d = ud;
    if (inj.col) col_submit_buffer(inj.col, d->launch_id, d->buf->host, d->buf->size, drain_release, d);
    else drain_release(d, NULL);
}

static void CUDA_CB release_host(void *ud) { drain_release(ud, NULL); }

/* Gives b back to the pool once the work queued on stream before now has
 * run (our header copy may still be pending).  If that cannot be queued,
 * b stays out of the pool: it is never reused while in use. */
static void release_after(CUstream stream, inj_buf *b)
{
    inj_drain *d = nt_xcalloc(1, sizeof *d);
    d->buf = b;
    if (cuLaunchHostFunc(stream, release_host, d) != CUDA_SUCCESS) free(d);
}

/* Stream 0 of a per-thread-stream launch is the thread's default stream. */
static CUstream op_stream(const inj_launch *l)
{
    return (!l->stream && l->ptsz) ? CU_STREAM_PER_THREAD : l->stream;
}

/* ---- devices ---- */
/* The current context's device, registered with the collector the first
 * time it is seen (each device has its own compute capability: the PTX
 * and the twins are chosen per device).  Called with the lock held;
 * *id gets the device ordinal. */
static inj_device *device_current(uint32_t *id)
{
    CUdevice dev;
    *id = 0;
    if (cuCtxGetDevice(&dev) != CUDA_SUCCESS || dev < 0 || dev >= INJ_MAX_DEVICES) return NULL;
    inj_device *d = &inj.devices[dev];
    *id = (uint32_t)dev;
    if (d->known) return d;
    char name[256] = "?";
    int maj = 0, min = 0, sms = 0, khz = 0;
    size_t mem = 0;
    cuDeviceGetName(name, sizeof name, dev);
    cuDeviceGetAttribute(&maj, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
    cuDeviceGetAttribute(&min, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
    cuDeviceGetAttribute(&sms, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
    cuDeviceGetAttribute(&khz, CU_DEVICE_ATTRIBUTE_CLOCK_RATE, dev);
    cuDeviceTotalMem(&mem, dev);
    col_device_info di = {.id = (uint32_t)dev, .name = name, .total_memory = mem,
                          .clock_hz = (uint64_t)khz * 1000, .sm_count = (uint32_t)sms,
                          .cc_major = (uint32_t)maj, .cc_minor = (uint32_t)min};
    col_device(inj.col, &di);
    d->sm = (unsigned)(maj * 10 + min);
    d->known = true;
    return d;
}

/* ---- modules ---- */
static void on_module_loaded(CUpti_CallbackId cbid, const CUpti_CallbackData *cb)
{
    if (*(CUresult *)cb->functionReturnValue != CUDA_SUCCESS) return;
    const void *image = NULL;
    const char *file = NULL;
    uint64_t handle = 0;
    bool lib = false;
    switch (cbid) {
    case CUPTI_DRIVER_TRACE_CBID_cuModuleLoad: {
        const cuModuleLoad_params *p = cb->functionParams;
        handle = (uint64_t)(uintptr_t)*p->module; file = p->fname; break;
    }
    case CUPTI_DRIVER_TRACE_CBID_cuModuleLoadData: {
        const cuModuleLoadData_params *p = cb->functionParams;
        handle = (uint64_t)(uintptr_t)*p->module; image = p->image; break;
    }
    case CUPTI_DRIVER_TRACE_CBID_cuModuleLoadDataEx: {
        const cuModuleLoadDataEx_params *p = cb->functionParams;
        handle = (uint64_t)(uintptr_t)*p->module; image = p->image; break;
    }
    case CUPTI_DRIVER_TRACE_CBID_cuModuleLoadFatBinary: {
        const cuModuleLoadFatBinary_params *p = cb->functionParams;
        handle = (uint64_t)(uintptr_t)*p->module; image = p->fatCubin; break;
    }
    case CUPTI_DRIVER_TRACE_CBID_cuLibraryLoadData: {
        const cuLibraryLoadData_params *p = cb->functionParams;
        handle = (uint64_t)(uintptr_t)*p->library; image = p->code; lib = true; break;
    }
    case CUPTI_DRIVER_TRACE_CBID_cuLibraryLoadFromFile: {
        const cuLibraryLoadFromFile_params *p = cb->functionParams;
        handle = (uint64_t)(uintptr_t)*p->library; file = p->fileName; lib = true; break;
    }
    default:
        return;
    }
    inj_lock();
    uint32_t dev_id;
    device_current(&dev_id);
    inj_module *m = inj_module_add(&inj.modules, handle, lib, image, file, cb->functionName);
    char label[64];
    snprintf(label, sizeof label, "%s@%llx", lib ? "library" : "module", (unsigned long long)handle);
    col_module_info mi = {.device_id = dev_id, .context_id = cb->contextUid,
                          .name = file ? file : label, .content_hash = m->hash};
    m->col_id = col_module(inj.col, &mi);
    inj_unlock();
}

static void on_module_unload(CUpti_CallbackId cbid, const CUpti_CallbackData *cb)
{
    uint64_t h = 0;
    inj_pcs_drain(cb->context);         /* samples of the module's code, before it goes */
    if (cbid == CUPTI_DRIVER_TRACE_CBID_cuModuleUnload)
        h = (uint64_t)(uintptr_t)((const cuModuleUnload_params *)cb->functionParams)->hmod;
    else
        h = (uint64_t)(uintptr_t)((const cuLibraryUnload_params *)cb->functionParams)->library;
    inj_lock();
    inj_module_forget(h);
    inj_unlock();
}

/* ---- kernels ---- */
/* The library whose module in the current context is mod (a CUfunction
 * from cuKernelGetFunction, launched directly), or NULL. */
static inj_module *library_of(CUmodule mod)
{
    for (size_t i = 0; i < inj.modules.all.n; i++) {
        inj_module *m = inj.modules.all.v[i];
        CUmodule lm;
        if (!m->is_library || inj_module_find(&inj.modules, m->handle) != m) continue;
        if (cuLibraryGetModule(&lm, (CUlibrary)(uintptr_t)m->handle) == CUDA_SUCCESS && lm == mod)
            return m;
    }
    return NULL;
}

/* launched: the handle as launched (a CUkernel when it differs from f). */
static inj_module *kernel_module(CUfunction f, CUfunction launched, const char *name, unsigned sm)
{
    CUmodule mod = NULL;
    inj_module *m = NULL;
    if (cuFuncGetModule(&mod, f) == CUDA_SUCCESS) m = inj_module_find(&inj.modules, (uint64_t)(uintptr_t)mod);
    else mod = NULL;
    if (!m && launched != f) {
        CUlibrary lib;
        if (cuKernelGetLibrary(&lib, (CUkernel)launched) == CUDA_SUCCESS)
            m = inj_module_find(&inj.modules, (uint64_t)(uintptr_t)lib);
    }
    if (!m && mod) m = library_of(mod);
    if (!m) {
        /* A module the runtime registered privately: its PTX is in one of
         * the process's files.  Objects loaded since the last scan are
         * scanned now (each file once). */
        uint64_t h = mod ? (uint64_t)(uintptr_t)mod : (uint64_t)(uintptr_t)f;
        m = inj_module_for_kernel(&inj.modules, name, h);
        if (!m && inj_modules_scan_process(&inj.modules, sm) > 0)
            m = inj_module_for_kernel(&inj.modules, name, h);
        if (m) {
            col_module_info mi = {.name = m->origin, .content_hash = m->hash};
            m->col_id = col_module(inj.col, &mi);
        }
    }
    return m;
}

static void kernel_reason(inj_kernel *k, const char *r)
{
    if (!k->reason) k->reason = nt_xstrdup(r);
}

static inj_kernel *kref_find(uint64_t handle, CUcontext ctx)
{
    uint64_t v;
    if (!nt_imap_get(&inj.kernels, handle, &v)) return NULL;
    for (inj_kref *r = (inj_kref *)(uintptr_t)v; r; r = r->next)
        if (r->ctx == ctx) return r->k;
    return NULL;
}

static void kref_add(uint64_t handle, CUcontext ctx, inj_kernel *k)
{
    uint64_t v = 0;
    inj_kref *r = nt_xcalloc(1, sizeof *r);
    r->ctx = ctx;
    r->k = k;
    if (nt_imap_get(&inj.kernels, handle, &v)) r->next = (inj_kref *)(uintptr_t)v;
    nt_imap_put(&inj.kernels, handle, (uint64_t)(uintptr_t)r);
}

/* The record of a kernel launched through handle h in context ctx, made
 * (and its twins built) on its first launch.  Called with the lock held. */
static inj_kernel *kernel_get(CUfunction h, CUcontext ctx, CUstream stream)
{
    inj_kernel *k = kref_find((uint64_t)(uintptr_t)h, ctx);
    if (k) return k;
    /* A CUfunction has a name; a CUkernel is resolved to the CUfunction of
     * this context, which may have been launched (and recorded) itself. */
    const char *name = NULL;
    CUfunction f = h;
    if (cuFuncGetName(&name, h) != CUDA_SUCCESS || !name) {
        name = NULL;
        CUfunction kf;
        if (cuKernelGetFunction(&kf, (CUkernel)h) == CUDA_SUCCESS && kf) {
            f = kf;
            if ((k = kref_find((uint64_t)(uintptr_t)f, ctx))) {
                kref_add((uint64_t)(uintptr_t)h, ctx, k);
                return k;
            }
            if (cuFuncGetName(&name, f) != CUDA_SUCCESS) name = NULL;
        }
        if (!name) cuKernelGetName(&name, (CUkernel)h);
    }
    k = nt_xcalloc(1, sizeof *k);
    k->handle = (uint64_t)(uintptr_t)f;
    k->fn = f;
    k->ctx = ctx;
    inj_device *dev = device_current(&k->device_id);
    k->sm = dev ? dev->sm : 0;
    k->name = nt_xstrdup(name ? name : "?");
    k->demangled = bin_demangle(k->name);
    k->mod = kernel_module(f, h, k->name, k->sm);
    cuFuncGetAttribute(&k->regs, CU_FUNC_ATTRIBUTE_NUM_REGS, f);
    cuFuncGetAttribute(&k->static_smem, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f);
    if (inj.canary < 0) kernel_reason(k, "the launch swap does not work on this driver (canary failed)");
    else if (!inj.nprobes) kernel_reason(k, inj.probe_error ? inj.probe_error : "no probe given");
    else if (!inj_config_matches(&inj.cfg, k->name, k->demangled)) kernel_reason(k, "filtered out by --kernel");
    else if (!k->mod) kernel_reason(k, "its module was loaded without ntrace seeing it");
    else if (!(k->ptx = inj_module_ptx(k->mod, k->sm))->text) kernel_reason(k, k->ptx->no_ptx);
    else if (inj_twins_build(k, stream) == 0) kernel_reason(k, k->twins[0].reason);
    col_kernel_info ki = {.module_id = k->mod ? k->mod->col_id : 0, .mangled = k->name,
                          .demangled = k->demangled, .instrumented = k->reason == NULL,
                          .reason = k->reason};
    k->col_id = col_kernel(inj.col, &ki);
    inj_names_put(k->name, k->col_id);
    kref_add(k->handle, ctx, k);
    if (h != f) kref_add((uint64_t)(uintptr_t)h, ctx, k);
    nt_vec_push(&inj.all_kernels, k);
    if (k->reason) nt_info("%s not instrumented: %s", k->name, k->reason);
    return k;
}

/* ---- launches ---- */
static int64_t launch_record(inj_kernel *k, const inj_launch *l, const CUpti_CallbackData *cb,
                             int64_t probe_id, const char *why)
{
    col_launch_info li = {.kernel_id = k->col_id, .probe_id = probe_id, .not_probed = why,
                          .grid = {l->grid[0], l->grid[1], l->grid[2]},
                          .block = {l->block[0], l->block[1], l->block[2]},
                          .static_shared = (uint32_t)k->static_smem, .dynamic_shared = l->shmem,
                          .registers = (uint32_t)k->regs, .device_id = k->device_id,
                          .context_id = cb->contextUid,
                          .stream_id = (uint64_t)(uintptr_t)l->stream,
                          .correlation_id = cb->correlationId};
    return col_launch(inj.col, &li);
}

static void on_launch_enter(CUpti_CallbackId cbid, const CUpti_CallbackData *cb)
{
    inj_launch l;
    if (!inj_launch_decode(cbid, (void *)cb->functionParams, &l)) return;
    /* Graph launches: their kernels are recorded from the activity
     * records, as launched by a graph and not probed (activity.c). */
    if (l.graph) return;
    CUstream stream = op_stream(&l);
    /* A launch into a stream being captured does not run now: it becomes
     * a node of a graph, which runs (unprobed) when the graph is launched.
     * A probe buffer there would be reused by every replay. */
    CUstreamCaptureStatus cs = CU_STREAM_CAPTURE_STATUS_NONE;
    if (cuStreamIsCapturing(stream, &cs) == CUDA_SUCCESS && cs != CU_STREAM_CAPTURE_STATUS_NONE) return;
    inj_lock();
    CUfunction f = *l.fn;
    inj_kernel *k = kernel_get(f, cb->context, stream);
    uint64_t nth = k->launches++;
    const char *why = k->reason ? "kernel not instrumented" : NULL;
    if (!why && !inj_config_samples(&inj.cfg, nth)) why = "not sampled (--launches)";
    unsigned pi = (unsigned)(k->probed % (inj.nprobes ? inj.nprobes : 1));
    inj_twin *t = why ? NULL : &k->twins[pi];
    if (t && t->reason) why = "this probe's twin could not be built";
    unsigned threads = l.block[0] * l.block[1] * l.block[2];
    if (t && !why && (int)threads > t->max_threads) why = "the probed kernel allows fewer threads per block";
    int64_t launch_id = launch_record(k, &l, cb, why ? 0 : inj.probes[pi].col_id, why);
    if (why) {
        inj_unlock();
        return;
    }
    k->probed++;
    inj_unlock();

    /* The buffer: layout, memory, header, zeroed slots. */
    nt_err e = {0};
    buf_layout lay;
    inj_buf *b = NULL;
    if (buf_layout_compute(&lay, l.grid, l.block, inj.probes[pi].specs, inj.probes[pi].nmaps,
                           inj.cfg.budget, BUF_FIT_REDUCE_CAP, NULL, &e) < 0 ||
        !(b = inj_pool_acquire(inj.pool, lay.hdr.total_size, &e))) {
        col_launch_unprobed(inj.col, launch_id, e.msg);
        return;
    }
    buf_layout_set_launch(&lay, (uint64_t)launch_id);
    if (buf_layout_write(&lay, b->host, b->cap, &e) < 0 ||
        cuMemcpyHtoDAsync(b->dev, b->host, lay.hdr.header_size, stream) != CUDA_SUCCESS ||
        cuMemsetD8Async(b->dev + lay.hdr.header_size, 0, lay.hdr.total_size - lay.hdr.header_size,
                        stream) != CUDA_SUCCESS) {
        col_launch_unprobed(inj.col, launch_id, e.set ? e.msg : "cannot prepare the probe buffer");
        inj_pool_release(inj.pool, b);
        return;
    }
    inj_pend = (inj_pending){.active = true, .cbid = cbid, .buf = b, .launch_id = launch_id,
                             .stream = stream, .orig_fn = f, .l = l,
                             .orig_params = l.kernel_params ? *l.kernel_params : NULL,
                             .orig_extra = l.extra ? *l.extra : NULL};
    if (inj_args_extend(&l, k->nparams, t->param_offset, b->dev, thread_args(), &e) < 0) {
        col_launch_unprobed(inj.col, launch_id, e.msg);
        inj_pend.active = false;
        release_after(stream, b);
        return;
    }
    inj_twin_prepare(t, k->fn, stream);
    *l.fn = t->fn;
}

/* Launches the original kernel with the app's own arguments. */
static CUresult relaunch_original(const inj_pending *p)
{
    const inj_launch *l = &p->l;
    switch (inj_launch_api_of(p->cbid)->kind) {
    case INJ_API_EX: {
        CUlaunchConfig cfg = {l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
                              l->block[2], l->shmem, p->stream, NULL, 0};
        return cuLaunchKernelEx(&cfg, p->orig_fn, p->orig_params, p->orig_extra);
    }
    case INJ_API_COOP: {
        /* Looked up, not linked: a driver without it never calls us here. */
        CUresult (*coop)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                         unsigned, CUstream, void **) = NULL;
        if (cuGetProcAddress("cuLaunchCooperativeKernel", (void **)&coop, CUDA_VERSION, 0, NULL) !=
                CUDA_SUCCESS || !coop)
            return CUDA_ERROR_NOT_SUPPORTED;
        return coop(p->orig_fn, l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
                    l->block[2], l->shmem, p->stream, p->orig_params);
    }
    default:
        return cuLaunchKernel(p->orig_fn, l->grid[0], l->grid[1], l->grid[2], l->block[0], l->block[1],
                              l->block[2], l->shmem, p->stream, p->orig_params, p->orig_extra);
    }
}

static void on_launch_exit(CUpti_CallbackId cbid, const CUpti_CallbackData *cb)
{
    inj_pcs_on_launch(cb->context);     /* reads PC samples now and then; never waits */
    if (!inj_pend.active || inj_pend.cbid != cbid) return;
    inj_pending p = inj_pend;
    inj_pend.active = false;
    CUresult *ret = (CUresult *)cb->functionReturnValue;
    if (*ret != CUDA_SUCCESS) {
        const char *es = NULL;
        cuGetErrorName(*ret, &es);
        CUresult r2 = relaunch_original(&p);
        char why[256];
        if (r2 == CUDA_SUCCESS)
            snprintf(why, sizeof why, "the probed launch failed (%s); the original ran instead", es ? es : "?");
        else   /* the kernel's own fault: the app sees it as it would without ntrace */
            snprintf(why, sizeof why, "the probed launch failed (%s), and so did the original", es ? es : "?");
        col_launch_unprobed(inj.col, p.launch_id, why);
        nt_warn("%s", why);
        *ret = r2;
        release_after(p.stream, p.buf);
        return;
    }
    inj_drain *d = nt_xcalloc(1, sizeof *d);
    d->buf = p.buf;
    d->launch_id = p.launch_id;
    if (cuMemcpyDtoHAsync(p.buf->host, p.buf->dev, p.buf->size, p.stream) != CUDA_SUCCESS ||
        cuLaunchHostFunc(p.stream, drain_host, d) != CUDA_SUCCESS) {
        /* The buffer cannot be released safely: the kernel may still write
         * it.  It stays out of the pool for the rest of the run. */
        col_launch_unprobed(inj.col, p.launch_id, "cannot copy the probe buffer back");
        free(d);
    }
}

/* ---- the canary: does a swap at API_ENTER take effect here? ---- */
static const char canary_ptx[] =
    ".version 6.0\n.target sm_50\n.address_size 64\n"
    ".visible .entry nt_canary_a(.param .u64 p) {\n"
    "  .reg .u64 %rd<2>; .reg .u32 %r<1>;\n"
    "  ld.param.u64 %rd0, [p]; cvta.to.global.u64 %rd1, %rd0; mov.u32 %r0, 1;\n"
    "  st.global.u32 [%rd1], %r0; ret;\n}\n"
    ".visible .entry nt_canary_b(.param .u64 p, .param .u64 q) {\n"
    "  .reg .u64 %rd<4>; .reg .u32 %r<1>;\n"
    "  ld.param.u64 %rd0, [p]; cvta.to.global.u64 %rd1, %rd0; mov.u32 %r0, 2;\n"
    "  st.global.u32 [%rd1], %r0; ld.param.u64 %rd2, [q]; cvta.to.global.u64 %rd3, %rd2;\n"
    "  st.global.u32 [%rd3], %r0; ret;\n}\n";

static __thread struct { bool on; CUfunction to; CUdeviceptr extra; } canary_swap;
uint32_t inj_canary_corr;
static pthread_mutex_t canary_mu = PTHREAD_MUTEX_INITIALIZER;

static void canary_enter(CUpti_CallbackId cbid, const CUpti_CallbackData *cb)
{
    inj_launch l;
    if (!inj_launch_decode(cbid, (void *)cb->functionParams, &l) || l.graph) return;
    canary_swap.on = false;
    inj_canary_corr = cb->correlationId;
    if (inj_args_extend(&l, 1, 8, canary_swap.extra, thread_args(), NULL) == 0) *l.fn = canary_swap.to;
}

/* Runs once, on the first launch: launches A, swapping it to B at
 * API_ENTER, on a private stream, and checks that B ran.  This is the one
 * wait ntrace makes, on its own stream, before the app's first kernel. */
static void canary_run(void)
{
    CUmodule m;
    CUfunction a, b;
    CUstream s;
    CUdeviceptr buf = 0;
    unsigned got[2] = {0, 0};
    int result = -1;
    CUresult lr = cuModuleLoadData(&m, canary_ptx);
    if (lr != CUDA_SUCCESS) {
        const char *es = NULL;
        cuGetErrorName(lr, &es);
        fprintf(stderr, "ntrace: the launch-swap canary cannot load (%s); tracing launches only, "
                        "no probes\n", es ? es : "?");
        __atomic_store_n(&inj.canary, result, __ATOMIC_RELEASE);
        return;
    }
    if (cuModuleGetFunction(&a, m, "nt_canary_a") == CUDA_SUCCESS &&
        cuModuleGetFunction(&b, m, "nt_canary_b") == CUDA_SUCCESS &&
        cuStreamCreate(&s, CU_STREAM_NON_BLOCKING) == CUDA_SUCCESS) {
        if (cuMemAlloc(&buf, 8) == CUDA_SUCCESS && cuMemsetD32Async(buf, 0, 2, s) == CUDA_SUCCESS) {
            void *args[] = {&buf};
            canary_swap.on = true;
            canary_swap.to = b;
            canary_swap.extra = buf + 4;
            inj_busy = 0;   /* let this launch's callback run the swap */
            CUresult r = cuLaunchKernel(a, 1, 1, 1, 1, 1, 1, 0, s, args, NULL);
            inj_busy = 1;
            canary_swap.on = false;
            if (r == CUDA_SUCCESS && cuMemcpyDtoHAsync(got, buf, 8, s) == CUDA_SUCCESS &&
                cuStreamSynchronize(s) == CUDA_SUCCESS && got[0] == 2 && got[1] == 2)
                result = 1;
            cuMemFree(buf);
        }
        cuStreamDestroy(s);
    }
    cuModuleUnload(m);
    /* Published last: other threads wait on canary_mu and read it after. */
    __atomic_store_n(&inj.canary, result, __ATOMIC_RELEASE);
    if (inj.canary < 0)
        fprintf(stderr, "ntrace: the launch swap does not take effect on this driver "
                        "(canary: %u %u); tracing launches only, no probes\n", got[0], got[1]);
    else
        nt_debug("canary: the launch swap works");
}

/* ---- dispatch ---- */
static bool is_launch(CUpti_CallbackId cbid)
{
    return inj_launch_api_of(cbid) != NULL;
}

void CUPTIAPI inj_callback(void *ud, CUpti_CallbackDomain dom, CUpti_CallbackId cbid, const void *data)
{
    if (dom == CUPTI_CB_DOMAIN_DRIVER_API && canary_swap.on) {
        const CUpti_CallbackData *cb = data;
        if (cb->callbackSite == CUPTI_API_ENTER && is_launch(cbid)) canary_enter(cbid, cb);
        return;
    }
    if (inj_busy || !inj.col) return;
    inj_busy = 1;
    if (dom == CUPTI_CB_DOMAIN_DRIVER_API) {
        const CUpti_CallbackData *cb = data;
        if (cb->callbackSite == CUPTI_API_ENTER) {
            if (is_launch(cbid)) {
                if (!__atomic_load_n(&inj.canary, __ATOMIC_ACQUIRE)) {
                    /* One thread runs it; launches of other threads wait
                     * for its answer (once, before the app's first kernel). */
                    pthread_mutex_lock(&canary_mu);
                    if (!inj.canary) canary_run();
                    pthread_mutex_unlock(&canary_mu);
                }
                on_launch_enter(cbid, cb);
            } else if (cbid == CUPTI_DRIVER_TRACE_CBID_cuModuleUnload ||
                       cbid == CUPTI_DRIVER_TRACE_CBID_cuLibraryUnload) {
                on_module_unload(cbid, cb);
            }
        } else {
            if (is_launch(cbid)) on_launch_exit(cbid, cb);
            else on_module_loaded(cbid, cb);
        }
    } else if (dom == CUPTI_CB_DOMAIN_RESOURCE) {
        const CUpti_ResourceData *rd = data;
        if (cbid == CUPTI_CBID_RESOURCE_CONTEXT_CREATED) {
            uint32_t id;
            inj_lock();
            device_current(&id);
            inj_unlock();
            inj_pcs_context_start(rd->context);
        } else if (cbid == CUPTI_CBID_RESOURCE_CONTEXT_DESTROY_STARTING) {
            /* The context's work must land before it goes. */
            cuCtxSynchronize();
            inj_pcs_context_end(rd->context);
            cuptiActivityFlushAll(1);
            if (inj.col) col_flush(inj.col);
        }
    }
    inj_busy = 0;
}

/* Called at exit: everything in flight lands, then the database closes. */
void inj_callbacks_finish(void)
{
    inj_busy = 1;
    CUcontext ctx = NULL;
    if (cuCtxGetCurrent(&ctx) == CUDA_SUCCESS && ctx) cuCtxSynchronize();
    inj_pcs_stop_all();
    cuptiActivityFlushAll(1);
}
