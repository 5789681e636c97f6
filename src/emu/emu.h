/*
 * emu.h — the PTX emulator: device memory, modules, kernels, launches.
 *
 * The one public header of src/emu.  The emulated libcuda.so.1 and
 * libcupti.so.13 are built on it; tests and benchmarks use it directly.
 *
 * Device memory is a private address space: device addresses start at
 * EMU_GLOBAL_BASE, which is not a canonical x86-64 user address, so a device
 * pointer is never a host pointer by accident.  Every access a kernel makes
 * is checked against the allocation it falls in; a bad one fails the launch
 * (EMU_E_ILLEGAL_ADDRESS), never the host.
 *
 * Not thread-safe by itself: the driver layer serializes calls.
 */
#ifndef EMU_EMU_H
#define EMU_EMU_H

#include <stddef.h>
#include <stdint.h>
#include "common/common.h"

#define EMU_GLOBAL_BASE 0x0001000000000000ull  /* device allocations */
#define EMU_SHARED_WIN  0x0002000000000000ull  /* generic window: shared */
#define EMU_LOCAL_WIN   0x0003000000000000ull  /* generic window: local */
#define EMU_WIN_SIZE    0x0001000000000000ull

/* ---- device memory ------------------------------------------------------ */
/* Allocates size bytes (zeroed); 0 on failure.  Addresses are never reused,
 * and allocations are separated by an unmapped gap, so an access just past
 * the end of one faults instead of hitting the next. */
uint64_t emu_mem_alloc(size_t size);
/* -1 when addr is not the base of a live allocation. */
int      emu_mem_free(uint64_t addr);
/* Host view of [addr, addr+len) when it lies inside one allocation, else
 * NULL. */
void    *emu_mem_ptr(uint64_t addr, size_t len);
/* Base and size of the allocation holding addr; -1 when none. */
int      emu_mem_range(uint64_t addr, uint64_t *base, size_t *size);
size_t   emu_mem_used(void);
void     emu_mem_reset(void);              /* frees everything (tests) */

/* ---- configuration ------------------------------------------------------ */
typedef struct emu_config {
    uint32_t num_sms;          /* virtual SMs (NTRACE_EMU_SMS, default 4) */
    uint32_t max_warps_per_sm; /* resident warps per SM (default 64) */
    uint32_t smem_per_sm;      /* bytes (default 228 KiB) */
    uint64_t clock_hz;         /* %clock rate for %globaltimer (1.5 GHz) */
} emu_config;
/* The process-wide configuration (read from the environment once). */
emu_config *emu_cfg(void);

/* ---- modules and kernels ------------------------------------------------ */
typedef struct emu_module emu_module;
typedef struct emu_kernel emu_kernel;

/* Loads a module from an image: PTX text (NUL-terminated or sized).
 * Module-scope .global and .const variables get device storage,
 * initialized from their initializers.  NULL with e on error. */
emu_module *emu_module_load(const void *image, size_t size, nt_err *e);
void        emu_module_free(emu_module *m);
emu_kernel *emu_module_kernel(emu_module *m, const char *name);
int         emu_module_kernel_count(const emu_module *m);
emu_kernel *emu_module_kernel_at(emu_module *m, int i);
/* Device address and size of a module variable; -1 when not found. */
int         emu_module_global(emu_module *m, const char *name,
                              uint64_t *addr, size_t *size);

const char *emu_kernel_name(const emu_kernel *k);
int         emu_kernel_nparams(const emu_kernel *k);
/* Offset and size of parameter i in the packed parameter buffer. */
void        emu_kernel_param(const emu_kernel *k, int i, uint32_t *off,
                             uint32_t *size);
uint32_t    emu_kernel_params_size(const emu_kernel *k);
uint32_t    emu_kernel_static_smem(const emu_kernel *k);
uint32_t    emu_kernel_local_size(const emu_kernel *k);
uint32_t    emu_kernel_nregs(const emu_kernel *k);
uint32_t    emu_kernel_max_threads(const emu_kernel *k);

/* ---- launches ------------------------------------------------------------ */
enum emu_status {
    EMU_OK = 0,
    EMU_E_ILLEGAL_ADDRESS,     /* out-of-bounds or unmapped access */
    EMU_E_MISALIGNED,          /* misaligned address */
    EMU_E_TRAP,                /* trap / brkpt */
    EMU_E_UNSUPPORTED,         /* instruction the emulator lacks */
    EMU_E_INVALID,             /* bad launch configuration */
    EMU_E_HANG,                /* barrier deadlock */
};

typedef struct emu_launch {
    emu_kernel *k;
    uint32_t    grid[3], block[3];
    uint32_t    dyn_smem;
    const void *params;         /* packed, emu_kernel_params_size bytes */
    uint64_t    grid_id;
} emu_launch;

typedef struct emu_stats {
    uint64_t warp_instrs;       /* issued warp instructions */
    uint64_t thread_instrs;     /* sum of active lanes over issues */
    uint64_t cycles;            /* max over SMs of the SM clock at the end */
} emu_stats;

/* Runs a whole grid to completion.  Returns EMU_OK or an emu_status; on
 * failure e says what and where (instruction and PTX line). */
int emu_launch_run(const emu_launch *l, emu_stats *st, nt_err *e);

/* The SM clocks persist across launches, as on hardware; %globaltimer is
 * derived from them.  Read for tests. */
uint64_t emu_sm_clock(uint32_t sm);

#endif
