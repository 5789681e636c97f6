#!/bin/sh
# End to end on the emulator: shipped probes instrument vadd, the probed
# kernel runs with a probe buffer, and the decoded records are checked
# against what the kernel did (tests/probe/e2e/probe_run.c).
BUILD=${BUILD:-build}
app=$BUILD/probe_e2e/probe_run
ptx=$BUILD/fixtures/probe/basic.sm90.ptx
[ -x "$app" ] || { echo "missing $app"; exit 1; }
[ -f "$BUILD/emu/libcuda.so.1" ] || { echo "no emulator: skipped"; exit 77; }
for probe in block_sched gmem_bytes kernel_time barrier_wait mem_wait; do
    LD_LIBRARY_PATH="$BUILD/emu" NTRACE_EMU_SMS=4 "$app" "$probe" "$ptx" || exit 1
done
exit 0
