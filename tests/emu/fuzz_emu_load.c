/* libFuzzer target: arbitrary text as a PTX module — load it, lower every
 * kernel, and run each on one block of 64 threads with zeroed parameters
 * under an instruction budget.  Nothing may crash or read out of bounds;
 * failures must be reported as errors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "emu/emu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_cfg()->max_warp_instrs = 20000;
    nt_err e = { 0 };
    emu_module *m = emu_module_load(data, size, &e);
    if (!m) return 0;
    uint8_t params[4096] = { 0 };
    for (int i = 0; i < emu_module_kernel_count(m); i++) {
        emu_kernel *k = emu_module_kernel_at(m, i);
        if (emu_kernel_params_size(k) > sizeof params) continue;
        emu_launch l = { .k = k, .grid = { 2, 1, 1 }, .block = { 64, 1, 1 }, .params = params,
                         .dyn_smem = 256, .grid_id = 1 };
        nt_err le = { 0 };
        emu_launch_run(&l, NULL, &le);
    }
    emu_module_free(m);
    return 0;
}
