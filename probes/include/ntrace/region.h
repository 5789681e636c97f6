/*
 * ntrace/region.h — mark user regions in CUDA C for ntrace probes.
 *
 *   #include <ntrace/region.h>
 *   NTRACE_REGION_BEGIN("load_tile");
 *   ...
 *   NTRACE_REGION_END("load_tile");
 *
 * Each marker is an empty inline-PTX scope declaring a register named
 * %ntrace_rb_<name> (begin) or %ntrace_re_<name> (end).  It costs nothing
 * when not probed (ptxas drops it); the probe rewriter finds it and runs
 * the probe's nt.at "region.begin:<name>" / "region.end:<name>" handlers
 * there.  Names are identifiers ([A-Za-z_][A-Za-z0-9_]*).  The markers are
 * volatile with a memory clobber, so the compiler keeps them in program
 * order with the memory accesses around them.
 */
#ifndef NTRACE_REGION_H
#define NTRACE_REGION_H

#define NTRACE_REGION_BEGIN(name) \
    asm volatile("{ .reg .pred %ntrace_rb_" name "; }" ::: "memory")
#define NTRACE_REGION_END(name) \
    asm volatile("{ .reg .pred %ntrace_re_" name "; }" ::: "memory")

#endif
