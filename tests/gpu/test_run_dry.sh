#!/bin/sh
# The GPU suite (tests/gpu/run.sh) without a GPU: a dry run lists every
# step in order with its time limit, within the section budgets, and ends
# with the summary table and the count line; a plain run here skips
# cleanly (exit 0) when no GPU is found.
. tests/lib.sh
FAIL_LOG=$tmp/gpu-check.log
export GPU_CHECK_APPS="vecadd cupti_swap" GPU_CHECK_PROBES="block_sched gmem_bytes"

GPU_CHECK_DRY_RUN=1 OUT=$tmp sh tests/gpu/run.sh > "$tmp/stdout" 2>&1 || fail "dry run: exit $?"
L=$tmp/gpu-check.log
grep "^== " "$L" | sed 's/^== //' > "$tmp/steps"
cat > "$tmp/want" <<'W'
ntrace doctor
native vecadd
native cupti_swap
probed vecadd -p block_sched
records vecadd -p block_sched
probed vecadd -p gmem_bytes
records vecadd -p gmem_bytes
report matmul -p block_sched
pytorch native
pytorch probed (block_sched)
pytorch report
triton probed (block_sched)
triton report
pc sampling matmul
pc sampling report
pc sampling matmul (-lineinfo cubin)
pc sampling source lines
launchloop native
launchloop probed
launchloop probed, 4 threads
make demo on the GPU
bench gpu
summary (result, seconds, step)
W
diff "$tmp/want" "$tmp/steps" || fail "the steps"
# Commands: the app dumps its outputs, ntrace runs the probe file, bench_gpu
# requires a GPU and gets a time limit that leaves room for its summary.
grep -q "(dry run, limit 30s) env NT_APP_DUMP=.*/vecadd.native .*/apps/vecadd .*/fixtures/kernels" "$L" || fail "native command"
grep -q "(dry run, limit 60s) env NT_APP_DUMP=.*/dump .*/bin/ntrace run -f -p .*/probes/gmem_bytes.lua -o .*/vecadd-gmem_bytes.db -- .*/apps/vecadd" "$L" || fail "probed command"
grep -q "(dry run, limit [0-9]*s) env BUILD=.* .*/bench/bench_gpu --gpu -t [0-9]* --kernels .*/fixtures/kernels --probes .*/probes" "$L" || fail "bench command"
grep -q "ntrace run -f --pc-sampling -o .*/pcs_lines.db -- .*/apps/matmul .*/lineinfo" "$L" || fail "pc sampling with line info"
grep -q "^skipped      0s  bench gpu (dry run)$" "$L" || fail "summary table"
grep -q "^0 passed, 0 failed, 22 skipped$" "$L" || fail "count line"
grep -q "^log: $L$" "$L" || fail "log line"

# A small budget: each step's limit is capped by what is left of its
# section, and a section without 5 seconds left skips its steps.
GPU_CHECK_BUDGET=40 GPU_CHECK_DRY_RUN=1 OUT=$tmp sh tests/gpu/run.sh > "$tmp/stdout" 2>&1 || fail "budget 40: exit $?"
grep -A1 "^== ntrace doctor" "$L" | grep -q "skipped: out of time (section budget spent)" || fail "doctor not skipped for time"
lim=$(grep -A1 "^== probed vecadd -p block_sched" "$L" | sed -n 's/.*limit \([0-9]*\)s.*/\1/p')
[ -n "$lim" ] && [ "$lim" -le 20 ] || fail "probed step limit $lim over the apps section"

# No GPU here: the plain run says so and skips.
if ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    OUT=$tmp sh tests/gpu/run.sh > "$tmp/stdout" 2>&1 || fail "no-GPU run: exit $?"
    grep -q "^no GPU here (nvidia-smi -L lists none): every GPU step is skipped$" "$L" || fail "no-GPU line"
    grep -q "^0 passed, 0 failed, 1 skipped (no GPU)$" "$L" || fail "no-GPU count"
fi
echo "gpu suite dry run ok"
