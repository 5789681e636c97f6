/*
 * drv.h — private to src/emu: the emulated CUDA driver's objects and the
 * wrapper every traced driver API entry point goes through.
 *
 * Every entry point builds its CUPTI parameter block (generated_cuda_meta.h)
 * first, gives it to the tracer at API_ENTER, and then runs the call on the
 * block, so a callback that rewrites the block (the injector's launch swap)
 * changes what the call does.
 *
 * Execution model: the emulator runs stream work synchronously, in issue
 * order, on the calling thread; every stream is therefore always idle once
 * a call returns.  Driver state is guarded by one recursive lock.
 */
#ifndef EMU_DRV_H
#define EMU_DRV_H

#include <pthread.h>
#include <stdio.h>
#include <cuda.h>
/* generated_cuda_meta.h names the 32-bit "v1" types that cuda.h declares
 * only for NVIDIA's own driver build; only pointers to the structs occur. */
typedef unsigned int CUdeviceptr_v1;
typedef struct CUDA_MEMCPY2D_v1_st CUDA_MEMCPY2D_v1;
typedef struct CUDA_MEMCPY3D_v1_st CUDA_MEMCPY3D_v1;
typedef struct CUDA_ARRAY_DESCRIPTOR_v1_st CUDA_ARRAY_DESCRIPTOR_v1;
typedef struct CUDA_ARRAY3D_DESCRIPTOR_v1_st CUDA_ARRAY3D_DESCRIPTOR_v1;
#include <generated_cuda_meta.h>
#include <cupti_callbacks.h>
#include <cupti_driver_cbid.h>
#include "emu/emu.h"
#include "emu/emu_trace.h"

#define DRV_MAGIC_CTX  0x43545831u
#define DRV_MAGIC_MOD  0x4d4f4431u
#define DRV_MAGIC_FUNC 0x46554e31u
#define DRV_MAGIC_STRM 0x53545231u
#define DRV_MAGIC_EVT  0x45565431u
#define DRV_MAGIC_LIB  0x4c494231u
#define DRV_MAGIC_KERN 0x4b524e31u

struct CUctx_st {
    uint32_t magic;
    uint32_t uid;
    int      primary;
    unsigned flags;
    CUresult sticky;           /* a failed launch corrupts the context */
    CUdevice dev;
};

struct CUfunc_st {
    uint32_t          magic;
    struct CUmod_st  *mod;
    emu_kernel       *k;
    int               max_dyn_smem;  /* CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_... */
    int               carveout;
    int               cache_cfg;
};

struct CUmod_st {
    uint32_t          magic;
    uint32_t          id;
    CUcontext         ctx;
    emu_module       *em;
    struct CUfunc_st *funcs;       /* one per kernel, same order */
    int               nfuncs;
    char             *image;       /* copy, for the MODULE_LOADED callback */
    size_t            image_size;
    struct CUlib_st  *lib;         /* owning library, or NULL */
    struct CUmod_st  *next;        /* all live modules (drv_module.c) */
};

/* A library is context-less, as in the driver: it keeps its image and
 * loads a module into each context that uses it (CUmod_st.lib points
 * back).  A CUkernel is an object of its own, not a CUfunction: the
 * cuFunc* calls refuse it (CUDA_ERROR_INVALID_HANDLE); launches and
 * cuKernel* calls resolve it to the CUfunction of the current context. */
struct CUkern_st {
    uint32_t         magic;
    struct CUlib_st *lib;
    char            *name;
    int              max_dyn_smem;   /* -1: not set by cuKernelSetAttribute */
    int              carveout;       /* -1: not set */
};

struct CUlib_st {
    uint32_t          magic;
    char             *image;        /* what each context's module loads */
    size_t            image_size;
    struct CUkern_st *kerns;
    int               nkerns;
    struct CUlib_st  *next;         /* all live libraries */
};

struct CUstream_st {
    uint32_t  magic;
    uint32_t  id;
    CUcontext ctx;
    unsigned  flags;
    int       prio;
    struct CUgraph_st *capture;    /* being captured into this graph, or NULL */
};

struct CUevent_st {
    uint32_t magic;
    unsigned flags;
    int      recorded;
    uint64_t t_ns;
};

/* Live-object lists (modules, libraries, graphs): singly linked by ->next.
 * DRV_LIVE says whether h is on the list head starts (a handle is checked
 * there, never by reading through it); DRV_UNLINK takes it off. */
#define DRV_LIVE(head, h) __extension__({                                  \
        int in_ = 0;                                                       \
        for (__typeof__(head) x_ = (head); x_ && !in_; x_ = x_->next)      \
            in_ = (h) && x_ == (h);                                        \
        in_; })
#define DRV_UNLINK(head, h) do {                                           \
        for (__typeof__(head) *pp_ = &(head); *pp_; pp_ = &(*pp_)->next)   \
            if (*pp_ == (h)) { *pp_ = (h)->next; break; }                  \
    } while (0)

/* ---- devices (drv_ctx.c) ----------------------------------------------------- */
#define DRV_MAX_DEVICES 8
void      drv_devices_init(void);         /* NTRACE_EMU_DEVICES, at cuInit */
unsigned  drv_ctx_sm(CUcontext c);        /* compute capability * 10 of c's device */

/* ---- global state (drv_core.c) ------------------------------------------- */
extern pthread_mutex_t drv_mu;
extern int             drv_inited;
extern const emu_tracer *drv_tracer;

CUcontext drv_ctx(void);                  /* current context, or NULL */
void      drv_set_ctx(CUcontext c);
uint64_t  drv_now(void);                  /* ns, CUPTI's clock */
uint32_t  drv_next_corr(void);
void      drv_resource(uint32_t cbid, CUcontext ctx, CUstream s, void *desc);
/* Stream id as CUPTI reports it (the NULL stream is 7, like the driver). */
uint32_t  drv_stream_id(CUstream s);
/* Checks a handle; NULL stream means the legacy default stream. */
int       drv_stream_ok(CUstream s);
/* Returns the current context's sticky error, or CUDA_SUCCESS. */
CUresult  drv_need_ctx(void);

/* ---- the call wrapper ------------------------------------------------------- */
typedef struct drv_call {
    uint32_t    cbid;
    const char *name;
    void       *params;
    const char *symbol;
    CUcontext   ctx;
    uint32_t    corr;
    uint64_t    corr_data;
    CUresult    ret;
    int         traced;
} drv_call;

void     drv_enter(drv_call *c, uint32_t cbid, const char *name, void *params,
                   const char *symbol);
CUresult drv_exit(drv_call *c);

/* Runs `expr` (which reads the parameter block p) between API_ENTER and
 * API_EXIT, under the driver lock; returns its CUresult. */
#define DRV_CALL(id, p, expr) do {                                         \
        drv_call c_;                                                       \
        drv_enter(&c_, CUPTI_DRIVER_TRACE_CBID_##id, #id, &(p), NULL);     \
        if (c_.ret == CUDA_SUCCESS) {                                      \
            pthread_mutex_lock(&drv_mu);                                   \
            c_.ret = (expr);                                               \
            pthread_mutex_unlock(&drv_mu);                                 \
        }                                                                  \
        return drv_exit(&c_);                                              \
    } while (0)

/* Launch helpers (drv_launch.c). */
/* The graph and node a launch belongs to (set by cuGraphLaunch around each
 * node's launch, under the driver lock; zeros for direct launches). */
typedef struct drv_graph_ref { uint32_t graph_id; uint64_t node_id; } drv_graph_ref;
extern drv_graph_ref drv_graph_node;
CUresult drv_launch(CUfunction f, const unsigned grid[3], const unsigned block[3],
                    unsigned smem, CUstream s, void **params, void **extra,
                    uint32_t corr);

/* Stream capture (drv_graph.c): the graph a created stream is being
 * captured into, or NULL.  A kernel launched into such a stream becomes a
 * node of that graph (drv_graph_capture_kernel) instead of running; other
 * work on it is refused (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED). */
struct CUgraph_st *drv_stream_capture(CUstream s);
CUresult drv_graph_capture_kernel(struct CUgraph_st *g, CUfunction f, const unsigned grid[3],
                                  const unsigned block[3], unsigned smem, void **params,
                                  void **extra);

/* Whether f is a function of a live module (no stale dereference). */
int drv_func_ok(CUfunction f);
/* What a launch runs for handle f: f itself when it is a CUfunction, the
 * current context's function when it is a CUkernel cast to CUfunction
 * (its library's module is loaded into the context on first use); NULL
 * for a bad handle.  Call with the driver lock held. */
CUfunction drv_launch_func(CUfunction f);
/* The kernel name of a CUfunction or CUkernel handle, NULL if bad. */
const char *drv_handle_name(CUfunction f);
/* The PTX to run from a module image (PTX, fatbin, wrapper, cubin) and a
 * copy of the image for CUPTI (both malloc'd, caller frees). */
CUresult drv_image_ptx(const void *image, unsigned sm, char **ptx, size_t *ptx_len, char **copy,
                       size_t *copy_size);
/* Unloads every module of ctx (the context is going away). */
void drv_unload_ctx_modules(CUcontext ctx);

/* emu_status -> CUresult */
CUresult drv_status(int st);

#endif
