/*
 * cupti_int.h — private to the emulated CUPTI (cupti_*.c): the link to the
 * driver and the activity side's hook.  Built into libcupti.so.13 only
 * (libcuda.so.1 hides these objects with its version script).
 */
#ifndef EMU_CUPTI_INT_H
#define EMU_CUPTI_INT_H

#include <cupti.h>
#include "common/common.h"
#include "emu/emu_trace.h"

/* The driver's table, found on first use (NULL: no emulated driver). */
const emu_trace_table *cupti_drv(void);
/* Installs the tracer once something needs it. */
void cupti_attach(void);
/* Activity side: a kernel finished. */
void cupti_act_kernel(const emu_kernel_rec *r);
int  cupti_act_wants_kernels(void);

#endif
