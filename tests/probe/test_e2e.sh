#!/bin/sh
# End to end on the emulator: shipped probes instrument vadd, the probed
# kernel runs with a probe buffer, and the decoded records are checked
# against what the kernel did (tests/probe/e2e/probe_run.c).  Then the
# control-flow cases: exits inside called functions (quit_odd: every
# thread's exit counted, the block's last warp found) and loads first used
# across branches and loops (use_flow: each load counted once).
. tests/lib.sh
app=$BUILD/probe_e2e/probe_run
ptx=$BUILD/fixtures/probe/basic.sm90.ptx
flow=$BUILD/fixtures/probe/flow.sm90.ptx
[ -x "$app" ] || fail "missing $app"
[ -f "$BUILD/emu/libcuda.so.1" ] || skip "no emulator"
run() { LD_LIBRARY_PATH="$BUILD/emu" NTRACE_EMU_SMS=4 "$app" "$@" || exit 1; }
for probe in block_sched gmem_bytes kernel_time barrier_wait mem_wait; do
    run "$probe" "$ptx"
done
run tests/probe/e2e/pair_save.lua "$ptx"
run tests/probe/e2e/exit_count.lua "$flow" quit_odd
run kernel_time "$flow" quit_odd
run tests/probe/e2e/use_count.lua tests/probe/e2e/use_flow.ptx use_flow
exit 0
