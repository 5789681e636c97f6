/* inject_main.c — InitializeInjection: the driver's entry into ntrace.
 *
 * Invariant: nothing here may take the app down.  Every failure turns into
 * "run unprobed" with one message on stderr, and InitializeInjection
 * always returns 1 (success) so the driver carries on. */
#include "inject/inject_int.h"
#include "inject/pcsamp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void CUPTIAPI inj_callback(void *ud, CUpti_CallbackDomain dom, CUpti_CallbackId cbid, const void *data);
int  inj_start(nt_err *e);
void inj_finish(void);
void inj_callbacks_finish(void);
int  inj_activity_start(nt_err *e);

static CUpti_SubscriberHandle inj_sub;

/* The driver-API calls ntrace listens to, besides every launch entry
 * point (inj_launch_apis); everything else costs nothing. */
static const CUpti_CallbackId inj_cbids[] = {
    CUPTI_DRIVER_TRACE_CBID_cuModuleLoad, CUPTI_DRIVER_TRACE_CBID_cuModuleLoadData,
    CUPTI_DRIVER_TRACE_CBID_cuModuleLoadDataEx, CUPTI_DRIVER_TRACE_CBID_cuModuleLoadFatBinary,
    CUPTI_DRIVER_TRACE_CBID_cuModuleUnload, CUPTI_DRIVER_TRACE_CBID_cuLibraryLoadData,
    CUPTI_DRIVER_TRACE_CBID_cuLibraryLoadFromFile, CUPTI_DRIVER_TRACE_CBID_cuLibraryUnload,
};

static void inj_atexit(void)
{
    inj_callbacks_finish();
    inj_finish();
}

static void inj_init(void)
{
    nt_err e = {0};
    if (inj_start(&e) < 0) {
        fprintf(stderr, "ntrace: %s; the program runs unprobed\n", e.msg);
        return;
    }
    CUptiResult r = cuptiSubscribe(&inj_sub, inj_callback, NULL);
    if (r != CUPTI_SUCCESS) {
        const char *s = NULL;
        cuptiGetResultString(r, &s);
        fprintf(stderr, "ntrace: cannot subscribe to CUPTI (%s): another tool holds it "
                        "(Nsight Systems/Compute, compute-sanitizer, or a framework's profiler "
                        "such as torch.profiler); the program runs unprobed\n",
                s ? s : "unknown error");
        inj_finish();
        return;
    }
    for (size_t i = 0; i < NT_ARRAY_LEN(inj_cbids); i++)
        cuptiEnableCallback(1, inj_sub, CUPTI_CB_DOMAIN_DRIVER_API, inj_cbids[i]);
    size_t nl;
    const inj_launch_api *la = inj_launch_apis(&nl);
    for (size_t i = 0; i < nl; i++)
        cuptiEnableCallback(1, inj_sub, CUPTI_CB_DOMAIN_DRIVER_API, la[i].cbid);
    cuptiEnableDomain(1, inj_sub, CUPTI_CB_DOMAIN_RESOURCE);
    if (inj_activity_start(&e) < 0) nt_warn("%s: no launch timeline", e.msg);
    if (inj.cfg.pc_sampling) {
        nt_err pe = {0};
        inj_pcs_init(inj.col, NULL, &pe);   /* says itself why when it cannot */
    }
    atexit(inj_atexit);
    nt_debug("injector ready: %u probe(s), output %s", inj.nprobes, inj.cfg.output);
}

/* For `ntrace doctor`, which loads the injector into itself: the canary's
 * result (1 the launch swap works, -1 it does not, 0 not run yet). */
NT_EXPORT int ntrace_canary(void)
{
    return inj.canary;
}

NT_EXPORT int InitializeInjection(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, inj_init);
    return 1;
}
