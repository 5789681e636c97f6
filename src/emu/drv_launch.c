/*
 * drv_launch.c — kernel launches: cuLaunchKernel(_ptsz), cuLaunchKernelEx
 * (_ptsz).  The parameter block is handed to CUPTI at API_ENTER and the
 * launch is then made from the block, so a callback may swap the function
 * or the argument array (the injector's launch swap).
 */
#include <stdlib.h>
#include <string.h>
#include "emu/drv.h"

static uint64_t grid_id_next = 1;
drv_graph_ref drv_graph_node;

/* Packs the arguments into the kernel's parameter buffer. */
static CUresult pack(emu_kernel *k, void **params, void **extra, uint8_t *buf, uint32_t size)
{
    int n = emu_kernel_nparams(k);
    if (params) {
        for (int i = 0; i < n; i++) {
            uint32_t off, sz;
            emu_kernel_param(k, i, &off, &sz);
            if (!params[i]) return CUDA_ERROR_INVALID_VALUE;
            memcpy(buf + off, params[i], sz);
        }
        return CUDA_SUCCESS;
    }
    if (!extra) return n == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
    const void *src = NULL;
    size_t src_size = 0;
    for (int i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
        if (i > 64) return CUDA_ERROR_INVALID_VALUE;
        if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) src = extra[i + 1];
        else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) src_size = *(size_t *)extra[i + 1];
        else return CUDA_ERROR_INVALID_VALUE;
    }
    if (size && (!src || src_size < size)) return CUDA_ERROR_INVALID_VALUE;
    if (size) memcpy(buf, src, size);
    return CUDA_SUCCESS;
}

CUresult drv_launch(CUfunction f, const unsigned grid[3], const unsigned block[3],
                    unsigned smem, CUstream s, void **params, void **extra, uint32_t corr)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    f = drv_launch_func(f);      /* a CUkernel runs as the current context's function */
    /* A function runs only in the context its module was loaded into. */
    if (!f || f->mod->ctx != drv_ctx()) return CUDA_ERROR_INVALID_HANDLE;
    if (!drv_stream_ok(s)) return CUDA_ERROR_INVALID_HANDLE;
    if (params && extra) return CUDA_ERROR_INVALID_VALUE;
    uint64_t threads = (uint64_t)block[0] * block[1] * block[2];
    if (!grid[0] || !grid[1] || !grid[2] || !threads || grid[1] > 65535 || grid[2] > 65535 ||
        block[0] > 1024 || block[1] > 1024 || block[2] > 64 || (int)grid[0] < 0)
        return CUDA_ERROR_INVALID_VALUE;
    if (threads > emu_kernel_max_threads(f->k)) return CUDA_ERROR_INVALID_VALUE;
    if ((int)smem > f->max_dyn_smem) return CUDA_ERROR_INVALID_VALUE;
    struct CUgraph_st *cg = drv_stream_capture(s);
    if (cg) return drv_graph_capture_kernel(cg, f, grid, block, smem, params, extra);

    uint32_t psize = emu_kernel_params_size(f->k);
    uint8_t *buf = nt_xcalloc(1, psize ? psize : 1);
    r = pack(f->k, params, extra, buf, psize);
    if (r) { free(buf); return r; }

    emu_launch l = { .k = f->k, .dyn_smem = smem, .params = buf,
                     .grid_id = grid_id_next++ };
    memcpy(l.grid, grid, sizeof(l.grid));
    memcpy(l.block, block, sizeof(l.block));
    emu_stats st;
    nt_err e = { 0 };
    uint64_t t0 = drv_now();
    int rs = emu_launch_run(&l, &st, &e);
    uint64_t t1 = drv_now();
    free(buf);
    if (t1 <= t0) t1 = t0 + 1;

    const emu_tracer *t = drv_tracer;
    if (t && t->kernel) {
        emu_kernel_rec rec = {
            .start = t0, .end = t1, .grid_id = l.grid_id, .correlation_id = corr,
            .context_id = drv_ctx()->uid, .device_id = (uint32_t)drv_ctx()->dev, .stream_id = drv_stream_id(s),
            .grid = { grid[0], grid[1], grid[2] }, .block = { block[0], block[1], block[2] },
            .static_smem = emu_kernel_static_smem(f->k), .dyn_smem = smem,
            .local_per_thread = emu_kernel_local_size(f->k),
            .regs_per_thread = (uint16_t)emu_kernel_nregs(f->k),
            .name = emu_kernel_name(f->k),
            .graph_id = drv_graph_node.graph_id, .graph_node_id = drv_graph_node.node_id,
        };
        t->kernel(&rec);
    }
    if (rs != EMU_OK) {
        nt_error("emu: kernel %s failed: %s", emu_kernel_name(f->k), e.msg);
        drv_ctx()->sticky = drv_status(rs);
        return drv_ctx()->sticky;
    }
    return CUDA_SUCCESS;
}

#define sym drv_handle_name

#define LAUNCH_CALL(id, p, ...) do {                                            \
        drv_call c_;                                                            \
        drv_enter(&c_, CUPTI_DRIVER_TRACE_CBID_##id, #id, &(p), sym(p.f));     \
        if (c_.ret == CUDA_SUCCESS) {                                           \
            pthread_mutex_lock(&drv_mu);                                        \
            c_.ret = __VA_ARGS__;                                               \
            pthread_mutex_unlock(&drv_mu);                                      \
        }                                                                       \
        return drv_exit(&c_);                                                   \
    } while (0)

static CUresult launch_params(const cuLaunchKernel_params *p, uint32_t corr)
{
    unsigned g[3] = { p->gridDimX, p->gridDimY, p->gridDimZ };
    unsigned b[3] = { p->blockDimX, p->blockDimY, p->blockDimZ };
    return drv_launch(p->f, g, b, p->sharedMemBytes, p->hStream, p->kernelParams, p->extra, corr);
}

NT_EXPORT CUresult CUDAAPI cuLaunchKernel(CUfunction f, unsigned int gridDimX, unsigned int gridDimY,
                                          unsigned int gridDimZ, unsigned int blockDimX,
                                          unsigned int blockDimY, unsigned int blockDimZ,
                                          unsigned int sharedMemBytes, CUstream hStream,
                                          void **kernelParams, void **extra)
{
    cuLaunchKernel_params p = { f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ,
                                sharedMemBytes, hStream, kernelParams, extra };
    LAUNCH_CALL(cuLaunchKernel, p, launch_params(&p, c_.corr));
}

NT_EXPORT CUresult CUDAAPI cuLaunchKernel_ptsz(CUfunction f, unsigned int gridDimX,
                                               unsigned int gridDimY, unsigned int gridDimZ,
                                               unsigned int blockDimX, unsigned int blockDimY,
                                               unsigned int blockDimZ, unsigned int sharedMemBytes,
                                               CUstream hStream, void **kernelParams, void **extra)
{
    cuLaunchKernel_ptsz_params p = { f, gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY,
                                     blockDimZ, sharedMemBytes, hStream, kernelParams, extra };
    LAUNCH_CALL(cuLaunchKernel_ptsz, p, launch_params((cuLaunchKernel_params *)&p, c_.corr));
}

static CUresult launch_ex(const CUlaunchConfig *c, CUfunction f, void **params, void **extra,
                          uint32_t corr)
{
    if (!c) return CUDA_ERROR_INVALID_VALUE;
    for (unsigned i = 0; i < c->numAttrs; i++) {
        if (!c->attrs) return CUDA_ERROR_INVALID_VALUE;
        CUlaunchAttributeID id = c->attrs[i].id;
        if (id == CU_LAUNCH_ATTRIBUTE_COOPERATIVE && c->attrs[i].value.cooperative)
            return CUDA_ERROR_NOT_SUPPORTED;
        if (id == CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION) {
            const unsigned *d = &c->attrs[i].value.clusterDim.x;
            if (d[0] * d[1] * d[2] > 1) return CUDA_ERROR_NOT_SUPPORTED;
        }
    }
    unsigned g[3] = { c->gridDimX, c->gridDimY, c->gridDimZ };
    unsigned b[3] = { c->blockDimX, c->blockDimY, c->blockDimZ };
    return drv_launch(f, g, b, c->sharedMemBytes, c->hStream, params, extra, corr);
}

NT_EXPORT CUresult CUDAAPI cuLaunchKernelEx(const CUlaunchConfig *config, CUfunction f,
                                            void **kernelParams, void **extra)
{
    cuLaunchKernelEx_params p = { config, f, kernelParams, extra };
    LAUNCH_CALL(cuLaunchKernelEx, p, launch_ex(p.config, p.f, p.kernelParams, p.extra, c_.corr));
}

NT_EXPORT CUresult CUDAAPI cuLaunchKernelEx_ptsz(const CUlaunchConfig *config, CUfunction f,
                                                 void **kernelParams, void **extra)
{
    cuLaunchKernelEx_ptsz_params p = { config, f, kernelParams, extra };
    LAUNCH_CALL(cuLaunchKernelEx_ptsz, p,
                launch_ex(p.config, p.f, p.kernelParams, p.extra, c_.corr));
}
