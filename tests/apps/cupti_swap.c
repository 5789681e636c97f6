/* cupti_swap: the CUPTI features the injector relies on.
 *  - resource callbacks: context created, module loaded (with its image);
 *  - driver-API callbacks for cuLaunchKernel with the parameter block of
 *    generated_cuda_meta.h, where a change at API_ENTER (function and
 *    argument array) is what the launch then does: the launch swap;
 *  - activity records for kernels, with correlation ids that match the
 *    callbacks'.
 * Links libcupti.so.13; on the emulator both libraries come from build/emu. */
#include <cupti.h>
#include "app.h"

static CUfunction saxpy_fn;
static void *saxpy_args[4];
static int swap_next, modules_loaded, ctx_created, enters, exits;
static uint32_t corr_seen[4];
static const char *sym_seen;
static int module_has_vecadd;

static void CUPTIAPI cb(void *ud, CUpti_CallbackDomain dom, CUpti_CallbackId id, const void *data)
{
    if (dom == CUPTI_CB_DOMAIN_RESOURCE) {
        const CUpti_ResourceData *r = data;
        if (id == CUPTI_CBID_RESOURCE_CONTEXT_CREATED) ctx_created++;
        if (id == CUPTI_CBID_RESOURCE_MODULE_LOADED) {
            const CUpti_ModuleResourceData *m = r->resourceDescriptor;
            modules_loaded++;
            if (m && m->pCubin && m->cubinSize > 0 && strstr(m->pCubin, ".entry vecadd"))
                module_has_vecadd = 1;
        }
        return;
    }
    if (dom != CUPTI_CB_DOMAIN_DRIVER_API || id != CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel) return;
    const CUpti_CallbackData *d = data;
    if (d->callbackSite == CUPTI_API_ENTER) {
        if (enters < 4) corr_seen[enters] = d->correlationId;
        enters++;
        sym_seen = d->symbolName;
        *d->correlationData = 42;
        if (swap_next) {
            cuLaunchKernel_params *p = (cuLaunchKernel_params *)d->functionParams;
            p->f = saxpy_fn;
            p->kernelParams = saxpy_args;
            swap_next = 0;
        }
    } else {
        EXPECT(*d->correlationData == 42, "correlation data not kept from enter to exit");
        EXPECT(*(CUresult *)d->functionReturnValue == CUDA_SUCCESS, "launch result");
        exits++;
    }
}

static uint8_t *bufs[8];
static size_t buf_valid[8];
static int nbufs;

static void CUPTIAPI buf_req(uint8_t **b, size_t *size, size_t *max)
{
    *size = 64 * 1024;
    *b = aligned_alloc(8, *size);
    *max = 0;
}

static void CUPTIAPI buf_done(CUcontext ctx, uint32_t stream, uint8_t *b, size_t size, size_t valid)
{
    if (nbufs < 8) { bufs[nbufs] = b; buf_valid[nbufs++] = valid; }
    else free(b);
}

#define CKP(x) do { CUptiResult r_ = (x); if (r_ != CUPTI_SUCCESS) {            \
        const char *s_; cuptiGetResultString(r_, &s_);                          \
        fprintf(stderr, "%s failed: %s\n", #x, s_); exit(1); } } while (0)

int main(int argc, char **argv)
{
    CUpti_SubscriberHandle sub;
    CK(cuInit(0));
    CKP(cuptiSubscribe(&sub, cb, NULL));
    CKP(cuptiEnableCallback(1, sub, CUPTI_CB_DOMAIN_DRIVER_API, CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel));
    CKP(cuptiEnableDomain(1, sub, CUPTI_CB_DOMAIN_RESOURCE));
    CKP(cuptiActivityRegisterCallbacks(buf_req, buf_done));
    CKP(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
    app_init();
    EXPECT(ctx_created == 1, "context-created callbacks: %d", ctx_created);
    CUmodule m = app_module(argc, argv, "vecadd");
    EXPECT(modules_loaded == 1 && module_has_vecadd, "module-loaded callback (%d)", modules_loaded);
    CUfunction fv;
    CK(cuModuleGetFunction(&fv, m, "vecadd"));
    CK(cuModuleGetFunction(&saxpy_fn, m, "saxpy"));
    int n = 1000;
    float alpha = 3.0f, *h = malloc((size_t)n * 4), *y = malloc((size_t)n * 4);
    for (int i = 0; i < n; i++) { h[i] = (float)i; y[i] = 1.0f; }
    CUdeviceptr da, db, dc;
    CK(cuMemAlloc(&da, (size_t)n * 4)); CK(cuMemAlloc(&db, (size_t)n * 4)); CK(cuMemAlloc(&dc, (size_t)n * 4));
    CK(cuMemcpyHtoD(da, h, (size_t)n * 4)); CK(cuMemcpyHtoD(db, h, (size_t)n * 4));
    CK(cuMemcpyHtoD(dc, y, (size_t)n * 4));
    void *vargs[] = { &da, &db, &dc, &n };
    /* 1: plain vecadd, c = a + b */
    CK(cuLaunchKernel(fv, (unsigned)(n + 127) / 128, 1, 1, 128, 1, 1, 0, NULL, vargs, NULL));
    CK(cuMemcpyDtoH(y, dc, (size_t)n * 4));
    for (int i = 0; i < n; i++) EXPECT(y[i] == 2.0f * (float)i, "vecadd c[%d] = %g", i, y[i]);
    EXPECT(sym_seen && strcmp(sym_seen, "vecadd") == 0, "symbol name %s", sym_seen ? sym_seen : "(null)");
    /* 2: the same launch, swapped at API_ENTER to saxpy: c = 3*a + c */
    saxpy_args[0] = &n; saxpy_args[1] = &alpha; saxpy_args[2] = &da; saxpy_args[3] = &dc;
    swap_next = 1;
    CK(cuLaunchKernel(fv, (unsigned)(n + 127) / 128, 1, 1, 128, 1, 1, 0, NULL, vargs, NULL));
    CK(cuMemcpyDtoH(y, dc, (size_t)n * 4));
    for (int i = 0; i < n; i++)
        EXPECT(y[i] == 3.0f * (float)i + 2.0f * (float)i, "swapped launch: c[%d] = %g", i, y[i]);
    EXPECT(enters == 2 && exits == 2, "enter/exit callbacks %d/%d", enters, exits);

    CK(cuCtxSynchronize());
    CKP(cuptiActivityFlushAll(0));
    int nk = 0;
    for (int b = 0; b < nbufs; b++) {
        CUpti_Activity *rec = NULL;
        while (cuptiActivityGetNextRecord(bufs[b], buf_valid[b], &rec) == CUPTI_SUCCESS) {
            EXPECT(rec->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL, "record kind %d", rec->kind);
            CUpti_ActivityKernel10 *k = (CUpti_ActivityKernel10 *)rec;
            EXPECT(nk < 2, "too many kernel records");
            EXPECT(k->correlationId == corr_seen[nk], "record %d correlation %u, callback saw %u",
                   nk, k->correlationId, corr_seen[nk]);
            EXPECT(k->start > 0 && k->end > k->start, "timestamps %llu..%llu",
                   (unsigned long long)k->start, (unsigned long long)k->end);
            EXPECT(strcmp(k->name, nk == 0 ? "vecadd" : "saxpy") == 0, "record %d name %s", nk, k->name);
            EXPECT(k->blockX == 128 && k->gridX == (n + 127) / 128, "dims");
            nk++;
        }
        free(bufs[b]);
    }
    EXPECT(nk == 2, "%d kernel records, want 2", nk);
    CKP(cuptiUnsubscribe(sub));
    app_fini();
    free(h); free(y);
    printf("cupti_swap: ok (swap took, %d activity records)\n", nk);
    return 0;
}
