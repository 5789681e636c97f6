#!/bin/sh
# bench_gpu on the emulator, few launches: the code path of the GPU
# overhead benchmark (slice, instrument, JIT, probe buffer, events, the
# probed-vs-unprobed output check) and its output lines.  The numbers are
# meaningless here and not checked.
. tests/lib.sh
B=$BUILD/bench/bench_gpu
FAIL_LOG=$tmp/out
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# Every shipped probe on vecadd and matmul (barriers, 2-D blocks).
nprobes=$(ls probes/*.lua | wc -l)
for k in vecadd matmul; do
    "$B" --emulate -n 2 -w 1 -k $k > "$tmp/out" 2>&1 || fail "bench_gpu -k $k: exit $?"
    grep -q "^bench gpu device: .*emulator.*2 launches after 1 warm-up, small sizes" "$tmp/out" || fail "device line ($k)"
    grep -Eq "^bench gpu_base $k: [0-9.]+ us \(regs [0-9]+, grid " "$tmp/out" || fail "base line ($k)"
    n=$(grep -Ec "^bench gpu_overhead $k/[a-z_]+: -?[0-9.]+ % \(base [0-9.]+ us, probed [0-9.]+ us, regs [0-9]+[+-][0-9]+, first [0-9.]+ ms, cached [0-9.]+ ms, [0-9]+ records(, caps lowered to fit)?, outputs identical\)$" "$tmp/out")
    s=$(grep -c "^bench gpu_overhead $k/.*: skipped (" "$tmp/out")
    [ $((n + s)) -eq "$nprobes" ] || fail "$k: $n measured + $s skipped lines, $nprobes probes"
    [ "$n" -ge 8 ] || fail "$k: only $n probes measured"
    for p in block_sched kernel_time gmem_bytes barrier_wait; do
        grep -Eq "^bench gpu_overhead_$p: -?[0-9.]+ % \(median of 1 kernels, worst -?[0-9.]+ %, extra regs <= -?[0-9]+, goal <= (3|15) %: not judged on the emulator\)$" "$tmp/out" || fail "summary of $p ($k)"
    done
    grep -Eq "^bench gpu_first_launch: [0-9.]+ ms \(median of $n," "$tmp/out" || fail "first launch line ($k)"
    grep -Eq "^bench gpu_cache_hit: [0-9.]+ ms \(median of $n," "$tmp/out" || fail "cache hit line ($k)"
    grep -q "FAILED" "$tmp/out" && fail "a FAILED line ($k)"
done
# block_sched keeps one record per warp: vecadd small is 1024 threads, 32 warps;
# matmul small is 2x2 blocks of 16x16 threads, 8 warps each.
"$B" --emulate -n 1 -w 0 -k vecadd -p block_sched > "$tmp/out" 2>&1 || fail "vecadd block_sched"
grep -q "^bench gpu_overhead vecadd/block_sched: .* 32 records, outputs identical)$" "$tmp/out" || fail "vecadd block_sched: 32 records"
"$B" --emulate -n 1 -w 0 -k matmul -p block_sched > "$tmp/out" 2>&1 || fail "matmul block_sched"
grep -q "^bench gpu_overhead matmul/block_sched: .* 32 records, outputs identical)$" "$tmp/out" || fail "matmul block_sched: 32 records"

# A time budget stops new measurements, and what was measured is summed up.
"$B" --emulate -n 1 -w 0 -t 0.001 > "$tmp/out" 2>&1 || fail "-t: exit $?"
grep -q "^bench gpu: the time budget (-t 0.001) is spent; stopping before " "$tmp/out" || fail "-t: no stop line"
grep -q "^bench gpu_first_launch: " "$tmp/out" || fail "-t: no summary"
[ "$(grep -c '^bench gpu_base ' "$tmp/out")" -lt 11 ] || fail "-t: every kernel ran"
"$B" -t 0 > "$tmp/out" 2>&1; [ $? -eq 2 ] || fail "-t 0 should be a usage error"

# Usage errors and a missing kernel are reported, not run.
"$B" -n 0 > "$tmp/out" 2>&1; [ $? -eq 2 ] || fail "-n 0 should be a usage error"
grep -q "^usage: bench_gpu" "$tmp/out" || fail "usage line"
"$B" --emulate --gpu > "$tmp/out" 2>&1; [ $? -eq 2 ] || fail "--emulate --gpu should be a usage error"
"$B" --emulate -n 1 -w 0 -k no_such -p block_sched > "$tmp/out" 2>&1 && fail "unknown kernel accepted"
grep -q "no kernel named no_such" "$tmp/out" || fail "unknown kernel message"
"$B" --emulate -n 1 -w 0 -k vecadd -p no_such > "$tmp/out" 2>&1 && fail "unknown probe accepted"
grep -q "no probe to run" "$tmp/out" || fail "unknown probe message"
# --gpu on a machine without a driver says so (where a driver exists, skip).
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda.so.1 '; then
    "$B" --gpu -k vecadd > "$tmp/out" 2>&1 && fail "--gpu ran without a driver"
    grep -q "no CUDA driver (libcuda.so.1)" "$tmp/out" || fail "--gpu message"
fi
echo "bench_gpu smoke test ok"
