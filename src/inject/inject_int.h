/* inject_int.h — internals of the injector, shared by its files only. */
#ifndef NT_INJECT_INT_H
#define NT_INJECT_INT_H

#include <cuda.h>
#include <cupti.h>

#include "inject/inject.h"
#include "binary/binary.h"
#include "buffer/buffer.h"

/* ---- launch.c: one view of every launch entry point's parameter block --
 * The CUPTI API_ENTER callback hands us the parameter block that the
 * driver then uses (design decision 4): writing the function handle and
 * the argument array there swaps the launch to the twin kernel. */
/* Every launch entry point ntrace handles: the one list (the callbacks
 * enabled, the decoding, the per-thread-stream rule all come from it). */
typedef enum inj_api_kind { INJ_API_KERNEL, INJ_API_EX, INJ_API_COOP, INJ_API_GRAPH } inj_api_kind;
typedef struct inj_launch_api {
    CUpti_CallbackId cbid;
    const char  *name;          /* "cuLaunchKernel_ptsz", ... for messages */
    inj_api_kind kind;
    bool         ptsz;          /* stream 0 means the thread's default stream */
} inj_launch_api;
/* The entry for cbid, or NULL when cbid is no launch. */
const inj_launch_api *inj_launch_api_of(CUpti_CallbackId cbid);
/* All of them (n set to the count). */
const inj_launch_api *inj_launch_apis(size_t *n);

typedef struct inj_launch {
    CUpti_CallbackId cbid;
    const char *api;            /* "cuLaunchKernel", ... for messages */
    bool        ptsz;           /* a per-thread-stream variant */
    CUfunction *fn;             /* where the function handle lives */
    unsigned grid[3], block[3];
    unsigned shmem;
    CUstream stream;
    void ***kernel_params;      /* where kernelParams lives, or NULL */
    void ***extra;              /* where extra lives, or NULL */
    bool graph;                 /* graph launch: recorded, never probed */
} inj_launch;

/* Fills l from a driver-API callback's parameter block.  Returns 1 for a
 * kernel launch (or a graph launch, with l->graph), 0 for other calls. */
int inj_launch_decode(CUpti_CallbackId cbid, void *params, inj_launch *l);

/* Scratch that holds a rewritten argument array until the launch call
 * returns (the driver copies kernel arguments during the call).  One per
 * thread; reused from launch to launch. */
typedef struct inj_args {
    void   **params;            /* kernelParams + the buffer pointer */
    size_t   params_cap;
    unsigned char *buf;         /* extra-style packed arguments */
    size_t   buf_cap, buf_size;
    void    *extra[5];
    CUdeviceptr bufptr;         /* the probe buffer, pointed to by params */
} inj_args;

/* Rewrites l's arguments for the twin: the original nparams arguments
 * followed by the probe buffer's device address, which the twin takes as
 * its last parameter at byte offset param_offset (from the PTX layout).
 * Handles kernelParams and extra-style (CU_LAUNCH_PARAM_BUFFER_*)
 * arguments.  On error nothing in l's parameter block is changed. */
int  inj_args_extend(inj_launch *l, size_t nparams, size_t param_offset,
                     CUdeviceptr buffer, inj_args *a, nt_err *e);
void inj_args_free(inj_args *a);

/* ---- pool.c: probe buffers in flight, within a memory budget ---------
 * A buffer pairs device memory (the probe writes it) with pinned host
 * memory (the async copy lands there).  Buffers are kept by power-of-two
 * size class and reused; the pool never holds more than `budget` bytes of
 * device memory in flight or idle.  When a launch's buffer does not fit,
 * acquire fails and that launch runs unprobed (we never wait on the GPU
 * for the app's sake).  Thread-safe. */
typedef struct inj_pool_ops {
    /* Each returns 0 on success; the pool passes ctx through. */
    int  (*dev_alloc)(void *ctx, size_t n, CUdeviceptr *p);
    void (*dev_free)(void *ctx, CUdeviceptr p);
    int  (*host_alloc)(void *ctx, size_t n, void **p);
    void (*host_free)(void *ctx, void *p);
    void *ctx;
} inj_pool_ops;

typedef struct inj_buf {
    struct inj_buf *next;       /* free list link */
    CUdeviceptr dev;
    void       *host;
    size_t      cap;            /* bytes, a power of two */
    size_t      size;           /* bytes used by the current launch */
} inj_buf;

typedef struct inj_pool inj_pool;

inj_pool *inj_pool_new(uint64_t budget, const inj_pool_ops *ops);
/* A buffer of at least n bytes, or NULL with e saying why (over budget,
 * allocation failed). */
inj_buf  *inj_pool_acquire(inj_pool *p, size_t n, nt_err *e);
void      inj_pool_release(inj_pool *p, inj_buf *b);
/* Bytes of device memory held (in flight + idle), and the high-water mark. */
uint64_t  inj_pool_held(inj_pool *p);
uint64_t  inj_pool_peak(inj_pool *p);
/* Frees every idle buffer and the pool; every acquired buffer must have
 * been released (call at exit, after the collector has drained). */
void      inj_pool_free(inj_pool *p);

/* ---- modules.c: every module and library the app loads ----------------
 * The image is copied at load time (the app may free it right after the
 * load call); its PTX is extracted and indexed on the first launch of one
 * of its kernels, so modules that are never launched cost one memcpy. */
/* The PTX of a module chosen for one compute capability (bin_ptx_pick). */
typedef struct inj_ptx {
    unsigned    sm;             /* the device's compute capability * 10 */
    char       *text;           /* NUL-terminated; NULL: none, see no_ptx */
    size_t      len;
    unsigned    arch;           /* its target */
    char       *no_ptx;         /* why there is none for this device */
    struct ptx_index *ix;       /* index of text, built on first use */
} inj_ptx;

typedef struct inj_module {
    uint64_t    handle;         /* CUmodule or CUlibrary, as an integer */
    bool        is_library;
    const char *origin;         /* "cuModuleLoadData", a file name, ... */
    uint8_t    *image;          /* our copy; NULL when it could not be read */
    size_t      size;
    uint64_t    hash;           /* nt_hash64 of the image */
    int64_t     col_id;         /* the collector's module id, 0 if none */
    char       *no_ptx;         /* the image could not be read: why */
    NT_VEC(inj_ptx *) ptxs;     /* one per compute capability asked for */
} inj_module;

typedef struct inj_modules {
    nt_imap      by_handle;     /* handle -> inj_module* */
    NT_VEC(inj_module *) all;
    /* The PTX of files scanned for kernels whose module load was not seen
     * (modules the CUDA runtime registers through private entry points):
     * kernel name -> index in ptx_texts. */
    nt_map       by_kernel;
    NT_VEC(char *) ptx_texts;   /* owned, NUL-terminated */
    nt_map       scanned;       /* file paths already scanned (keys owned) */
} inj_modules;

/* Records a module from the image the app passed (size unknown: derived
 * from the image) or from a file.  Returns the record (never NULL); a
 * record whose image could not be read has image == NULL and no_ptx set. */
inj_module *inj_module_add(inj_modules *ms, uint64_t handle, bool is_library,
                           const void *image, const char *file, const char *origin);
inj_module *inj_module_find(inj_modules *ms, uint64_t handle);
void        inj_module_remove(inj_modules *ms, uint64_t handle);
/* The PTX to instrument for a device of compute capability sm: the
 * newest whose target is not newer than sm (bin_ptx_pick), chosen once
 * per sm.  Never NULL; ->text is NULL with ->no_ptx saying why. */
inj_ptx    *inj_module_ptx(inj_module *m, unsigned sm);
void        inj_modules_free(inj_modules *ms);
/* Frees one record (not linked anywhere any more). */
void        inj_module_destroy(inj_module *m);
/* unload.c: the app unloaded the module or library `handle`: its record,
 * its kernels and their twins go.  With inj_lock held. */
void        inj_module_forget(uint64_t handle);

/* Scans files (host executables and shared libraries) for PTX usable on
 * sm and remembers which kernels each PTX text defines; a file is scanned
 * once.  Returns the number of kernels found. */
size_t      inj_modules_scan_files(inj_modules *ms, const char *const *files, size_t n, unsigned sm);
/* Scans the process's loaded objects the same way (dl_iterate_phdr). */
size_t      inj_modules_scan_process(inj_modules *ms, unsigned sm);
/* A module record for a kernel found by a scan, registered under handle
 * (the kernel's CUmodule, or any unique value): its image is the PTX text
 * that defines the kernel.  NULL when no scanned file defines it. */
inj_module *inj_module_for_kernel(inj_modules *ms, const char *kernel, uint64_t handle);

/* ---- state.c: the one injector of the process ------------------------ */
struct col;
struct prb_probe;

/* A module-scope variable of the original kernel's module that the twin
 * must share (design decision 3). */
typedef struct inj_shared_var {
    char       *name;
    bool        is_const;       /* .const: copied to the twin before each launch */
    CUdeviceptr orig, twin;     /* .global: orig is what the twin reads via
                                   its address variable */
    size_t      size;
} inj_shared_var;

/* One probed twin of a kernel, for one probe. */
typedef struct inj_twin {
    CUmodule    mod;
    CUfunction  fn;
    size_t      param_offset;   /* byte offset of the buffer parameter */
    int         max_threads;    /* CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK */
    int         dyn_smem;       /* max dynamic shared memory set on it */
    NT_VEC(inj_shared_var) vars;
    char       *reason;         /* non-NULL: this twin could not be built */
    bool        from_cache;     /* the instrumented PTX came from the disk cache */
} inj_twin;

/* A kernel as it runs in one context.  The runtime launches library
 * kernels as CUkernel handles cast to CUfunction; such a handle is
 * resolved to its CUfunction in the launch's context (cuKernelGetFunction),
 * so a kernel launched through both kinds of handle is one record with
 * one set of twins, and every cuFunc* query goes to a real CUfunction.
 * A CUkernel used in two contexts (devices) gives two records. */
typedef struct inj_kernel {
    uint64_t    handle;         /* the CUfunction in ctx, as an integer */
    CUfunction  fn;             /* the same, as a handle */
    CUcontext   ctx;            /* where it runs (its twins live there too) */
    unsigned    sm;             /* compute capability * 10 of ctx's device */
    uint32_t    device_id;
    char       *name, *demangled;
    inj_module *mod;
    inj_ptx    *ptx;            /* mod's PTX for sm, when it has some */
    int64_t     col_id;
    uint64_t    launches;       /* launches seen */
    uint64_t    probed;         /* launches probed */
    unsigned    nparams;        /* of the original */
    int         regs, static_smem;  /* of the original (fixed once loaded) */
    char       *reason;         /* non-NULL: not instrumentable, why */
    inj_twin   *twins;          /* [nprobes] */
} inj_kernel;

typedef struct inj_probe {
    struct prb_probe *prb;
    int64_t  col_id;
    char    *path;
    char    *src;               /* its text (cache key) */
    unsigned nmaps;
    buf_map_spec specs[BUF_MAX_MAPS];
} inj_probe;

/* Launched handle (CUfunction or CUkernel) in one context -> its kernel:
 * the chain of a handle holds one entry per context it was launched in. */
typedef struct inj_kref {
    CUcontext        ctx;
    inj_kernel      *k;
    struct inj_kref *next;
} inj_kref;

#define INJ_MAX_DEVICES 64
typedef struct inj_device {
    bool     known;             /* registered with the collector */
    unsigned sm;                /* compute capability * 10 */
} inj_device;

typedef struct inj_state {
    inj_config   cfg;
    struct col  *col;
    inj_pool    *pool;
    inj_modules  modules;
    nt_imap      kernels;       /* launched handle -> inj_kref chain */
    NT_VEC(inj_kernel *) all_kernels;
    inj_probe   *probes;
    unsigned     nprobes;
    char        *probe_error;   /* all probes failed to compile: why */
    inj_device   devices[INJ_MAX_DEVICES];   /* by CUdevice ordinal */
    int          canary;        /* 0 not run, 1 swap works, -1 it does not */
    uint64_t     twins_built, cache_hits, rewrites;
    /* The text of the twin being built (with inj_lock held), kept from
     * twin to twin: its pages, once touched, serve the next one. */
    nt_sb        twin_out;
    /* NTRACE_TEST_FAULT (tests only): "jit" makes every twin's JIT fail,
     * "devmem" every probe-buffer allocation. */
    bool         fault_jit, fault_devmem;
} inj_state;

/* The process's injector state, and the lock over its tables (kernels,
 * modules, twins).  Callbacks take it; the collector and the pool have
 * their own locks and are called without it where possible. */
extern inj_state inj;
void inj_lock(void);
void inj_unlock(void);

/* ---- activity.c ---- */
/* Kernel name -> the collector's kernel id, for the kernels of graph
 * launches (known only from their activity records).  The first id given
 * for a name is kept.  Takes its own lock, never the injector's: activity
 * buffers may be completed inside a driver call. */
void inj_names_put(const char *name, int64_t col_id);
/* Why launches made by a CUDA graph are not probed (the launch rows say it). */
#define INJ_GRAPH_REASON "launched by a CUDA graph (cuGraphLaunch): graph launches are not instrumented"

/* ---- callbacks.c ---- */
/* The canary launch's correlation id: its activity record is left out of
 * the timeline (the kernel is ntrace's own). */
extern uint32_t inj_canary_corr;

/* ---- twin.c: building the probed twin of a kernel --------------------- */
/* Builds k->twins[i] for every probe (k->mod has PTX).  Failures are
 * recorded in each twin's reason; returns the number of twins built.
 * With inj_lock held (it prints into inj.twin_out). */
unsigned inj_twins_build(inj_kernel *k, CUstream stream);
/* Before a launch of twin t: refreshes .const data, and the dynamic shared
 * memory limit the app set on the original (orig: a CUfunction). */
void     inj_twin_prepare(inj_twin *t, CUfunction orig, CUstream stream);
void     inj_twin_free(inj_twin *t);

#endif
