/* launch.c — decode launch parameter blocks and extend their arguments. */
#include "inject/inject_int.h"

#include <stdlib.h>
#include <string.h>

/* The plain and per-thread-stream variants share one layout each. */
#define INJ_GRID(p)                                                          \
    do {                                                                     \
        l->grid[0] = (p)->gridDimX; l->grid[1] = (p)->gridDimY;              \
        l->grid[2] = (p)->gridDimZ; l->block[0] = (p)->blockDimX;            \
        l->block[1] = (p)->blockDimY; l->block[2] = (p)->blockDimZ;          \
        l->shmem = (p)->sharedMemBytes; l->stream = (p)->hStream;            \
    } while (0)

#define API(id, kind, ptsz) {CUPTI_DRIVER_TRACE_CBID_##id, #id, kind, ptsz}
static const inj_launch_api apis[] = {
    API(cuLaunchKernel, INJ_API_KERNEL, false),
    API(cuLaunchKernel_ptsz, INJ_API_KERNEL, true),
    API(cuLaunchKernelEx, INJ_API_EX, false),
    API(cuLaunchKernelEx_ptsz, INJ_API_EX, true),
    API(cuLaunchCooperativeKernel, INJ_API_COOP, false),
    API(cuLaunchCooperativeKernel_ptsz, INJ_API_COOP, true),
    API(cuGraphLaunch, INJ_API_GRAPH, false),
    API(cuGraphLaunch_ptsz, INJ_API_GRAPH, true),
};
#undef API

const inj_launch_api *inj_launch_apis(size_t *n)
{
    *n = NT_ARRAY_LEN(apis);
    return apis;
}

const inj_launch_api *inj_launch_api_of(CUpti_CallbackId cbid)
{
    for (size_t i = 0; i < NT_ARRAY_LEN(apis); i++)
        if (apis[i].cbid == cbid) return &apis[i];
    return NULL;
}

int inj_launch_decode(CUpti_CallbackId cbid, void *params, inj_launch *l)
{
    memset(l, 0, sizeof *l);
    l->cbid = cbid;
    const inj_launch_api *a = inj_launch_api_of(cbid);
    if (!a) return 0;
    l->api = a->name;
    l->ptsz = a->ptsz;
    switch (a->kind) {
    case INJ_API_KERNEL: {
        /* cuLaunchKernel_ptsz_params has the same layout. */
        cuLaunchKernel_params *p = params;
        l->fn = &p->f;
        INJ_GRID(p);
        l->kernel_params = &p->kernelParams;
        l->extra = &p->extra;
        return 1;
    }
    case INJ_API_COOP: {
        cuLaunchCooperativeKernel_params *p = params;
        l->fn = &p->f;
        INJ_GRID(p);
        l->kernel_params = &p->kernelParams;
        return 1;
    }
    case INJ_API_EX: {
        cuLaunchKernelEx_params *p = params;
        l->fn = &p->f;
        if (p->config) INJ_GRID(p->config);
        l->kernel_params = &p->kernelParams;
        l->extra = &p->extra;
        return 1;
    }
    case INJ_API_GRAPH: {
        cuGraphLaunch_params *p = params;
        l->stream = p->hStream;
        l->graph = true;
        return 1;
    }
    }
    return 0;
}

_Static_assert(sizeof(cuLaunchKernel_params) == sizeof(cuLaunchKernel_ptsz_params),
               "the _ptsz launch block has the plain layout");
_Static_assert(sizeof(cuLaunchKernelEx_params) == sizeof(cuLaunchKernelEx_ptsz_params),
               "the _ptsz Ex launch block has the plain layout");
_Static_assert(sizeof(cuLaunchCooperativeKernel_params) == sizeof(cuLaunchCooperativeKernel_ptsz_params),
               "the _ptsz cooperative launch block has the plain layout");
_Static_assert(sizeof(cuGraphLaunch_params) == sizeof(cuGraphLaunch_ptsz_params),
               "the _ptsz graph launch block has the plain layout");

/* Finds BUFFER_POINTER and BUFFER_SIZE in an extra array.  Any other key
 * is refused: we would not know how to pass it on. */
static int inj_extra_parse(void **extra, void **buf, size_t *size, nt_err *e)
{
    void *b = NULL;
    size_t *sz = NULL;
    for (size_t i = 0; extra[i] != CU_LAUNCH_PARAM_END; i += 2) {
        if (i > 64) return nt_err_set(e, "extra argument list is not terminated");
        if (extra[i] == CU_LAUNCH_PARAM_BUFFER_POINTER) b = extra[i + 1];
        else if (extra[i] == CU_LAUNCH_PARAM_BUFFER_SIZE) sz = extra[i + 1];
        else return nt_err_set(e, "unknown key %p in the extra argument list", extra[i]);
    }
    if (!b || !sz) return nt_err_set(e, "extra argument list lacks the buffer pointer or size");
    *buf = b;
    *size = *sz;
    return 0;
}

int inj_args_extend(inj_launch *l, size_t nparams, size_t param_offset,
                    CUdeviceptr buffer, inj_args *a, nt_err *e)
{
    if (param_offset % 8) return nt_err_set(e, "probe buffer parameter offset %zu is not 8-aligned", param_offset);
    a->bufptr = buffer;
    void **kp = l->kernel_params ? *l->kernel_params : NULL;
    void **ex = l->extra ? *l->extra : NULL;
    if (kp) {
        if (nparams + 1 > a->params_cap) {
            a->params_cap = nparams + 16;
            a->params = nt_xrealloc(a->params, a->params_cap * sizeof *a->params);
        }
        if (nparams) memcpy(a->params, kp, nparams * sizeof *kp);
        a->params[nparams] = &a->bufptr;
        *l->kernel_params = a->params;
        return 0;
    }
    if (ex) {
        void *ob = NULL;
        size_t osize = 0;
        if (inj_extra_parse(ex, &ob, &osize, e) < 0) return -1;
        if (osize > param_offset)
            return nt_err_set(e, "packed arguments (%zu bytes) overlap the probe parameter at %zu",
                              osize, param_offset);
        size_t need = param_offset + sizeof(CUdeviceptr);
        if (need > a->buf_cap) {
            a->buf_cap = need + 256;
            a->buf = nt_xrealloc(a->buf, a->buf_cap);
        }
        memcpy(a->buf, ob, osize);
        memset(a->buf + osize, 0, param_offset - osize);
        memcpy(a->buf + param_offset, &a->bufptr, sizeof a->bufptr);
        a->buf_size = need;
        a->extra[0] = CU_LAUNCH_PARAM_BUFFER_POINTER;
        a->extra[1] = a->buf;
        a->extra[2] = CU_LAUNCH_PARAM_BUFFER_SIZE;
        a->extra[3] = &a->buf_size;
        a->extra[4] = CU_LAUNCH_PARAM_END;
        *l->extra = a->extra;
        return 0;
    }
    if (nparams == 0 && l->kernel_params) {
        /* A kernel without parameters may be launched with NULL args. */
        if (!a->params_cap) {
            a->params_cap = 16;
            a->params = nt_xmalloc(a->params_cap * sizeof *a->params);
        }
        a->params[0] = &a->bufptr;
        *l->kernel_params = a->params;
        return 0;
    }
    return nt_err_set(e, "%s passed neither kernelParams nor extra", l->api ? l->api : "launch");
}

void inj_args_free(inj_args *a)
{
    free(a->params);
    free(a->buf);
    memset(a, 0, sizeof *a);
}
