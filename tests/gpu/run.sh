#!/bin/sh
# make gpu-check: the GPU suite, run on a GPU machine over a build/ made by
# `make gpu-build` elsewhere.  Everything goes to one log file
# ($OUT/gpu-check.log when $OUT is set, else $BUILD/gpu-check.log) and a
# summary line "N passed, N failed[, N skipped]" ends it.  Each step is
# bounded in time so the whole suite stays under 10 minutes.
BUILD=${BUILD:-build}
NT=$(cd "$BUILD/bin" && pwd)/ntrace
LOG=${OUT:-$BUILD}/gpu-check.log
WORK=$(mktemp -d)
pass=0; fail=0; skip=0
: > "$LOG"

log() { echo "$*" | tee -a "$LOG"; }
# step NAME TIMEOUT CMD...: runs CMD, logs its output, counts the result
# (exit 77 = skipped).
step() {
    name=$1; limit=$2; shift 2
    log "== $name"
    timeout "$limit" "$@" >> "$LOG" 2>&1
    rc=$?
    case $rc in
        0) pass=$((pass + 1)); log "   ok" ;;
        77) skip=$((skip + 1)); log "   skipped" ;;
        124) fail=$((fail + 1)); log "   FAILED: timed out after ${limit}s" ;;
        *) fail=$((fail + 1)); log "   FAILED (exit $rc)" ;;
    esac
}

log "ntrace gpu-check on $(hostname) at $(date -u +%FT%TZ)"
command -v nvidia-smi >/dev/null && nvidia-smi -L >> "$LOG" 2>&1

# 1. what the machine offers
step "ntrace doctor" 60 "$NT" doctor

# 2. every test app natively, then under ntrace run with each shipped probe
KDIR=$(cd "$BUILD/fixtures/kernels" 2>/dev/null && pwd)
# cupti_swap subscribes to CUPTI itself: it runs natively only.
apps=$(ls "$BUILD"/apps/* 2>/dev/null | grep -v '\.d$')
probes=$(ls "$(dirname "$NT")"/../../probes/*.lua 2>/dev/null)
[ -n "$apps" ] || log "   (no test apps in $BUILD/apps)"
for app in $apps; do
    a=$(basename "$app")
    step "native $a" 60 "$app" "$KDIR"
    [ "$a" = cupti_swap ] && continue
    for p in $probes; do
        pn=$(basename "$p" .lua)
        db=$WORK/$a-$pn.db
        step "probed $a -p $pn" 120 "$NT" run -f -p "$p" -o "$db" -- "$app" "$KDIR"
        if [ -f "$db" ] && "$NT" report --help >/dev/null 2>&1; then
            step "report $a -p $pn" 60 "$NT" report "$db"
        fi
    done
done

# 3. PyTorch and Triton under ntrace run: which kernels were probed, which not and why
if python3 -c 'import torch; assert torch.cuda.is_available()' >/dev/null 2>&1; then
    step "pytorch native" 180 python3 tests/gpu/torch_ops.py
    step "pytorch probed (block_sched)" 240 "$NT" run -f -p block_sched -o "$WORK/torch.db" -- python3 tests/gpu/torch_ops.py
    [ -f "$WORK/torch.db" ] && step "pytorch report" 60 "$NT" report "$WORK/torch.db"
else
    log "== pytorch: skipped (no torch with CUDA)"; skip=$((skip + 1))
fi
if python3 -c 'import triton' >/dev/null 2>&1; then
    step "triton probed (block_sched)" 240 "$NT" run -f -p block_sched -o "$WORK/triton.db" -- python3 tests/gpu/triton_add.py
else
    log "== triton: skipped (no triton)"; skip=$((skip + 1))
fi

# 4. PC sampling on one app
first=$(echo "$apps" | grep matmul | head -1)
if [ -n "$first" ]; then
    step "pc sampling $(basename "$first")" 120 "$NT" run -f --pc-sampling -o "$WORK/pcs.db" -- "$first" "$KDIR"
fi
# The injector's own cost on the GPU (host side per launch, first launch).
if [ -x "$BUILD/bench/launchloop_app" ]; then
    step "launchloop native" 60 "$BUILD/bench/launchloop_app" 3000
    step "launchloop probed" 120 "$NT" run -f -p block_sched -o "$WORK/ll.db" -- "$BUILD/bench/launchloop_app" 3000
    step "launchloop probed, 4 threads" 120 "$NT" run -f -p block_sched -o "$WORK/llt.db" -- "$BUILD/bench/launchloop_app" 400 threads
fi

# 5. overhead benchmark
if [ -x "$BUILD/bench/bench_gpu" ]; then
    step "bench gpu" 240 "$BUILD/bench/bench_gpu"
else
    log "== bench gpu: not built yet (issue 11)"; skip=$((skip + 1))
fi

rm -rf "$WORK"
if [ $skip -gt 0 ]; then log "$pass passed, $fail failed, $skip skipped"; else log "$pass passed, $fail failed"; fi
log "log: $LOG"
[ $fail -eq 0 ]
