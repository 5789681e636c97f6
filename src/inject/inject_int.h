/* inject_int.h — internals of the injector, shared by its files only. */
#ifndef NT_INJECT_INT_H
#define NT_INJECT_INT_H

#include <cuda.h>
#include <cupti.h>

#include "inject/inject.h"

/* ---- launch.c: one view of every launch entry point's parameter block --
 * The CUPTI API_ENTER callback hands us the parameter block that the
 * driver then uses (design decision 4): writing the function handle and
 * the argument array there swaps the launch to the twin kernel. */
typedef struct inj_launch {
    CUpti_CallbackId cbid;
    const char *api;            /* "cuLaunchKernel", ... for messages */
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

#endif
