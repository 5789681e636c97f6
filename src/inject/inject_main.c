/* inject_main.c — InitializeInjection: the driver's entry into ntrace.
 *
 * Invariant: nothing here may take the app down.  Every failure turns into
 * "run unprobed" with one message on stderr, and InitializeInjection
 * always returns 1 (success) so the driver carries on. */
#include "inject/inject.h"

#include <cupti.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inj_config inj_cfg;
static CUpti_SubscriberHandle inj_sub;
static int inj_active;

static void CUPTIAPI inj_callback(void *ud, CUpti_CallbackDomain dom, CUpti_CallbackId cbid,
                                  const void *data)
{
    /* The launch swap, module ingestion and buffer handling land with
     * issue 7; until then only count what the driver reports. */
    (void)ud; (void)dom; (void)cbid; (void)data;
}

NT_EXPORT int InitializeInjection(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    static int result = 1;
    void init_once(void);
    pthread_once(&once, init_once);
    return result;
}

void init_once(void)
{
    nt_err e = {0};
    if (inj_config_from_env(&inj_cfg, &e) < 0) {
        fprintf(stderr, "ntrace: %s; the program runs unprobed\n", e.msg);
        return;
    }
    CUptiResult r = cuptiSubscribe(&inj_sub, inj_callback, NULL);
    if (r != CUPTI_SUCCESS) {
        const char *s = NULL;
        cuptiGetResultString(r, &s);
        fprintf(stderr, "ntrace: cannot subscribe to CUPTI (%s): another profiler or tool "
                        "(Nsight, compute-sanitizer, a framework profiler) may hold it; "
                        "the program runs unprobed\n", s ? s : "unknown error");
        return;
    }
    cuptiEnableDomain(1, inj_sub, CUPTI_CB_DOMAIN_RESOURCE);
    inj_active = 1;
    nt_debug("injector initialized: %zu probe(s), output %s", inj_cfg.nprobes, inj_cfg.output);
}
