/*
 * drv_graph.c — the smallest CUDA graph API a test needs: a graph of
 * kernel nodes (cuGraphAddKernelNode, dependencies kept in insertion
 * order), instantiated and launched (cuGraphLaunch, _ptsz).  A kernel
 * node's arguments are copied when it is added, as the driver does.
 * Kernels of a graph launch run in node order on the launch's stream;
 * their activity records carry the cuGraphLaunch call's correlation id
 * and the graph's id and node ids, as CUPTI's do.  Stream capture
 * (cuStreamBeginCapture_v2 / cuStreamEndCapture) makes the kernels
 * launched into the stream nodes of a new graph, in launch order.  Not
 * emulated: other node kinds (copies, memsets, host functions are refused
 * on a capturing stream), graph updates.
 */
#include <stdlib.h>
#include <string.h>
#include "emu/drv.h"

#define DRV_MAGIC_GRAPH 0x47525031u
#define DRV_MAGIC_GEXEC 0x47455831u
#define DRV_MAGIC_GNODE 0x474e4431u

struct CUgraphNode_st {
    uint32_t    magic;
    uint64_t    id;             /* CUPTI's graphNodeId */
    CUfunction  f;              /* CUfunction, or a CUkernel cast */
    unsigned    grid[3], block[3], smem;
    uint8_t    *args;           /* packed parameters */
    size_t      args_size;
};

struct CUgraph_st {
    uint32_t    magic;
    uint32_t    id;
    NT_VEC(struct CUgraphNode_st *) nodes;
    struct CUgraph_st *next;
};

struct CUgraphExec_st {
    uint32_t    magic;
    uint32_t    graph_id;
    NT_VEC(struct CUgraphNode_st) nodes;   /* copies (args owned) */
    struct CUgraphExec_st *next;
};

static CUgraph graphs;
static CUgraphExec execs;
static uint32_t graph_id_next = 1;
static uint64_t node_id_next = 1;

#define graph_ok(g) DRV_LIVE(graphs, g)
#define exec_ok(x) DRV_LIVE(execs, x)

static CUresult graph_create(CUgraph *pg, unsigned flags)
{
    if (!pg || flags) return CUDA_ERROR_INVALID_VALUE;
    CUgraph g = nt_xcalloc(1, sizeof(*g));
    g->magic = DRV_MAGIC_GRAPH;
    g->id = graph_id_next++;
    g->next = graphs;
    graphs = g;
    *pg = g;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuGraphCreate(CUgraph *phGraph, unsigned int flags)
{
    cuGraphCreate_params p = { phGraph, flags };
    DRV_CALL(cuGraphCreate, p, graph_create(p.phGraph, p.flags));
}

static void node_free(struct CUgraphNode_st *n) { free(n->args); }

static CUresult graph_destroy(CUgraph g)
{
    if (!graph_ok(g)) return CUDA_ERROR_INVALID_HANDLE;
    DRV_UNLINK(graphs, g);
    for (size_t i = 0; i < g->nodes.n; i++) {
        node_free(g->nodes.v[i]);
        g->nodes.v[i]->magic = 0;
        free(g->nodes.v[i]);
    }
    nt_vec_free(&g->nodes);
    g->magic = 0;
    free(g);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuGraphDestroy(CUgraph hGraph)
{
    cuGraphDestroy_params p = { hGraph };
    DRV_CALL(cuGraphDestroy, p, graph_destroy(p.hGraph));
}

static int node_in(CUgraph g, CUgraphNode n)
{
    for (size_t i = 0; i < g->nodes.n; i++)
        if (g->nodes.v[i] == n) return 1;
    return 0;
}

/* A kernel node of g, its arguments packed now (from kernelParams or an
 * extra buffer): the app may reuse its argument storage. */
static CUresult node_add(CUgraph g, CUfunction h, const unsigned grid[3], const unsigned block[3],
                         unsigned smem, void **params, void **extra, CUgraphNode *pn)
{
    CUfunction f = drv_launch_func(h);
    if (!f) return CUDA_ERROR_INVALID_HANDLE;
    if (params && extra) return CUDA_ERROR_INVALID_VALUE;
    uint32_t size = emu_kernel_params_size(f->k);
    uint8_t *args = nt_xcalloc(1, size ? size : 1);
    int np = emu_kernel_nparams(f->k);
    const void *src = NULL;
    size_t src_size = 0;
    for (int i = 0; extra && extra[i] != CU_LAUNCH_PARAM_END && i <= 64; i += 2) {
        if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) src = extra[i + 1];
        else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) src_size = *(size_t *)extra[i + 1];
    }
    for (int i = 0; params && i < np; i++) {
        uint32_t off, sz;
        emu_kernel_param(f->k, i, &off, &sz);
        if (!params[i]) { free(args); return CUDA_ERROR_INVALID_VALUE; }
        memcpy(args + off, params[i], sz);
    }
    if (!params && size) {
        if (!src || src_size < size) { free(args); return CUDA_ERROR_INVALID_VALUE; }
        memcpy(args, src, size);
    }
    struct CUgraphNode_st *n = nt_xcalloc(1, sizeof(*n));
    n->magic = DRV_MAGIC_GNODE;
    n->id = node_id_next++;
    n->f = h;
    n->args = args;
    n->args_size = size;
    memcpy(n->grid, grid, sizeof n->grid);
    memcpy(n->block, block, sizeof n->block);
    n->smem = smem;
    nt_vec_push(&g->nodes, n);
    if (pn) *pn = n;
    return CUDA_SUCCESS;
}

static CUresult add_kernel(CUgraphNode *pn, CUgraph g, const CUgraphNode *deps, size_t ndeps,
                           const CUDA_KERNEL_NODE_PARAMS *kp)
{
    if (!pn || !kp || (ndeps && !deps)) return CUDA_ERROR_INVALID_VALUE;
    if (!graph_ok(g)) return CUDA_ERROR_INVALID_HANDLE;
    for (size_t i = 0; i < ndeps; i++)
        if (!node_in(g, deps[i])) return CUDA_ERROR_INVALID_VALUE;
    unsigned grid[3] = { kp->gridDimX, kp->gridDimY, kp->gridDimZ };
    unsigned block[3] = { kp->blockDimX, kp->blockDimY, kp->blockDimZ };
    return node_add(g, kp->func ? kp->func : (CUfunction)kp->kern, grid, block, kp->sharedMemBytes,
                    kp->kernelParams, kp->extra, pn);
}

CUresult drv_graph_capture_kernel(CUgraph g, CUfunction f, const unsigned grid[3],
                                  const unsigned block[3], unsigned smem, void **params,
                                  void **extra)
{
    return node_add(g, f, grid, block, smem, params, extra, NULL);
}

static CUresult capture_begin(CUstream s, CUstreamCaptureMode mode)
{
    CUresult r = drv_need_ctx();
    if (r) return r;
    /* The legacy stream cannot be captured; a stream is captured once at a time. */
    if (!s || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD || !drv_stream_ok(s))
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    if (s->capture) return CUDA_ERROR_ILLEGAL_STATE;
    return graph_create(&s->capture, 0);
}

NT_EXPORT CUresult CUDAAPI cuStreamBeginCapture(CUstream hStream, CUstreamCaptureMode mode)
{
    cuStreamBeginCapture_v2_params p = { hStream, mode };
    DRV_CALL(cuStreamBeginCapture_v2, p, capture_begin(p.hStream, p.mode));
}

static CUresult capture_end(CUstream s, CUgraph *pg)
{
    if (!pg) return CUDA_ERROR_INVALID_VALUE;
    CUgraph g = drv_stream_capture(s);
    if (!g) return CUDA_ERROR_ILLEGAL_STATE;
    s->capture = NULL;
    *pg = g;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuStreamEndCapture(CUstream hStream, CUgraph *phGraph)
{
    cuStreamEndCapture_params p = { hStream, phGraph };
    DRV_CALL(cuStreamEndCapture, p, capture_end(p.hStream, p.phGraph));
}

NT_EXPORT CUresult CUDAAPI cuGraphAddKernelNode(CUgraphNode *phGraphNode, CUgraph hGraph,
                                                const CUgraphNode *dependencies,
                                                size_t numDependencies,
                                                const CUDA_KERNEL_NODE_PARAMS *nodeParams)
{
    cuGraphAddKernelNode_v2_params p = { phGraphNode, hGraph, dependencies, numDependencies,
                                         nodeParams };
    DRV_CALL(cuGraphAddKernelNode_v2, p,
             add_kernel(p.phGraphNode, p.hGraph, p.dependencies, p.numDependencies, p.nodeParams));
}

static CUresult instantiate(CUgraphExec *pe, CUgraph g, unsigned long long flags)
{
    if (!pe) return CUDA_ERROR_INVALID_VALUE;
    if (!graph_ok(g)) return CUDA_ERROR_INVALID_HANDLE;
    CUgraphExec x = nt_xcalloc(1, sizeof(*x));
    x->magic = DRV_MAGIC_GEXEC;
    x->graph_id = g->id;
    for (size_t i = 0; i < g->nodes.n; i++) {
        struct CUgraphNode_st n = *g->nodes.v[i];
        n.args = nt_xmalloc(n.args_size ? n.args_size : 1);
        memcpy(n.args, g->nodes.v[i]->args, n.args_size);
        nt_vec_push(&x->nodes, n);
    }
    x->next = execs;
    execs = x;
    *pe = x;
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuGraphInstantiate(CUgraphExec *phGraphExec, CUgraph hGraph,
                                              unsigned long long flags)
{
    cuGraphInstantiateWithFlags_params p = { phGraphExec, hGraph, flags };
    DRV_CALL(cuGraphInstantiateWithFlags, p, instantiate(p.phGraphExec, p.hGraph, p.flags));
}

static CUresult exec_destroy(CUgraphExec x)
{
    if (!exec_ok(x)) return CUDA_ERROR_INVALID_HANDLE;
    DRV_UNLINK(execs, x);
    for (size_t i = 0; i < x->nodes.n; i++) node_free(&x->nodes.v[i]);
    nt_vec_free(&x->nodes);
    x->magic = 0;
    free(x);
    return CUDA_SUCCESS;
}

NT_EXPORT CUresult CUDAAPI cuGraphExecDestroy(CUgraphExec hGraphExec)
{
    cuGraphExecDestroy_params p = { hGraphExec };
    DRV_CALL(cuGraphExecDestroy, p, exec_destroy(p.hGraphExec));
}

/* Each node as a launch with packed arguments; the first failure stops. */
static CUresult graph_launch(CUgraphExec x, CUstream s, uint32_t corr)
{
    if (!exec_ok(x)) return CUDA_ERROR_INVALID_HANDLE;
    CUresult r = CUDA_SUCCESS;
    for (size_t i = 0; i < x->nodes.n && r == CUDA_SUCCESS; i++) {
        struct CUgraphNode_st *n = &x->nodes.v[i];
        size_t size = n->args_size;
        void *extra[] = { CU_LAUNCH_PARAM_BUFFER_POINTER, n->args, CU_LAUNCH_PARAM_BUFFER_SIZE,
                          &size, CU_LAUNCH_PARAM_END };
        drv_graph_node = (drv_graph_ref){ x->graph_id, n->id };
        r = drv_launch(n->f, n->grid, n->block, n->smem, s, NULL, extra, corr);
        drv_graph_node = (drv_graph_ref){ 0, 0 };
    }
    return r;
}

#define GRAPH_LAUNCH(id, p) do {                                               \
        drv_call c_;                                                           \
        drv_enter(&c_, CUPTI_DRIVER_TRACE_CBID_##id, #id, &(p), NULL);         \
        if (c_.ret == CUDA_SUCCESS) {                                          \
            pthread_mutex_lock(&drv_mu);                                       \
            c_.ret = graph_launch((p).hGraph, (p).hStream, c_.corr);           \
            pthread_mutex_unlock(&drv_mu);                                     \
        }                                                                      \
        return drv_exit(&c_);                                                  \
    } while (0)

NT_EXPORT CUresult CUDAAPI cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream)
{
    cuGraphLaunch_params p = { hGraphExec, hStream };
    GRAPH_LAUNCH(cuGraphLaunch, p);
}

NT_EXPORT CUresult CUDAAPI cuGraphLaunch_ptsz(CUgraphExec hGraphExec, CUstream hStream)
{
    cuGraphLaunch_params p = { hGraphExec, hStream };  /* the _ptsz block has this layout */
    GRAPH_LAUNCH(cuGraphLaunch_ptsz, p);
}
