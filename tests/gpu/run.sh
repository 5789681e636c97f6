#!/bin/sh
# make gpu-check: the GPU suite, run on a GPU machine over a build/ made by
# `make gpu-build` elsewhere (nothing is built here: GPU time is scarce).
#
# Everything goes to one log ($OUT/gpu-check.log when $OUT is set, else
# $BUILD/gpu-check.log), which ends with a table of every step (result,
# seconds), the overhead summary of bench gpu and the line
# "N passed, N failed[, N skipped]".  The databases worth keeping go to
# $OUT/gpu-dbs/ (when $OUT is set).
#
# Time: the whole suite gets GPU_CHECK_BUDGET seconds (default 540, under
# the 10 minutes a device command may run), split into sections that end at
# fixed fractions of it (doctor 5%, apps 50%, PyTorch/Triton 68%, PC
# sampling 78%, launch loop 83%, bench 100%); time a section leaves unused
# goes to the next ones.  Each step runs under `timeout` capped by what is
# left of its section; a step with under 5 seconds left is skipped and
# said so.
#
# Without a GPU (no `nvidia-smi -L` device) every GPU step is skipped and the
# suite exits 0; GPU_CHECK_DRY_RUN=1 logs each step's command without
# running it (used by tests/gpu/test_run_dry.sh).  GPU_CHECK_APPS and
# GPU_CHECK_PROBES (names, space-separated) narrow step 2.
BUILD=${BUILD:-build}
ROOT=$(pwd)
B=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "gpu-check: no build directory $BUILD (run make gpu-build)"; exit 1; }
NT=$B/bin/ntrace
OUTDIR=${OUT:-$B}
LOG=$OUTDIR/gpu-check.log
BUDGET=${GPU_CHECK_BUDGET:-540}
DRY=${GPU_CHECK_DRY_RUN:-0}
WORK=$(mktemp -d)
SUMMARY=$WORK/summary
KDIR=$B/fixtures/kernels
pass=0; fail=0; skip=0
: > "$LOG"
: > "$SUMMARY"
t0=$(date +%s)
section_end=$((t0 + BUDGET))

log() { echo "$*" | tee -a "$LOG"; }
now() { date +%s; }
# section FRACTION%: the current section ends at that share of the budget.
section() { section_end=$((t0 + BUDGET * $1 / 100)); }
record() { # result seconds name
    printf '%-8s %5ss  %s\n' "$1" "$2" "$3" >> "$SUMMARY"
    case $1 in ok) pass=$((pass + 1));; skipped) skip=$((skip + 1));; *) fail=$((fail + 1));; esac
}
skip_step() { log "== $1"; log "   skipped: $2"; record skipped 0 "$1 ($2)"; }

# step NAME LIMIT CMD...: runs CMD with its output in the log; exit 77 means
# skipped.  LIMIT is capped by what is left of the section.
step() {
    name=$1; limit=$2; shift 2
    left=$((section_end - $(now)))
    [ $left -lt $limit ] && limit=$left
    if [ $limit -lt 5 ]; then skip_step "$name" "out of time (section budget spent)"; return; fi
    log "== $name"
    if [ "$DRY" = 1 ]; then
        log "   (dry run, limit ${limit}s) $*"
        record skipped 0 "$name (dry run)"
        return
    fi
    s=$(now)
    timeout -k 5 "$limit" "$@" >> "$LOG" 2>&1
    rc=$?
    d=$(($(now) - s))
    case $rc in
        0) log "   ok (${d}s)"; record ok "$d" "$name" ;;
        77) log "   skipped (${d}s)"; record skipped "$d" "$name" ;;
        124|137) log "   FAILED: timed out after ${limit}s"; record TIMEOUT "$d" "$name" ;;
        *) log "   FAILED (exit $rc, ${d}s)"; record FAILED "$d" "$name" ;;
    esac
}

# keep FILE: copies a database worth looking at into $OUT/gpu-dbs (< 32 MB).
keep() {
    [ -n "$OUT" ] && [ -f "$1" ] || return 0
    [ "$(wc -c < "$1")" -lt 33554432 ] || { log "   (not kept: $1 is over 32 MB)"; return 0; }
    mkdir -p "$OUT/gpu-dbs" && cp "$1" "$OUT/gpu-dbs/"
}

log "ntrace gpu-check on $(hostname) at $(date -u +%FT%TZ), budget ${BUDGET}s"
gpu=0
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L > "$WORK/smi" 2>&1 && grep -q '^GPU ' "$WORK/smi"; then
    gpu=1
    cat "$WORK/smi" >> "$LOG"
else
    log "no GPU here (nvidia-smi -L lists none): every GPU step is skipped"
fi
[ "$DRY" = 1 ] && [ "$gpu" = 0 ] && gpu=1 && log "(dry run: steps are listed as if a GPU were there)"
if [ "$gpu" = 0 ]; then
    log "0 passed, 0 failed, 1 skipped (no GPU)"
    log "log: $LOG"
    rm -rf "$WORK"
    exit 0
fi
# What the suite needs from build/ (the paths to carry to the GPU machine:
# bin lib apps fixtures bench/bench_gpu bench/launchloop_app).  A missing
# command or injector ends the suite now; anything else is said once and
# its steps fail or are skipped.
[ -x "$NT" ] && [ -f "$B/lib/libntrace_inject.so" ] ||
    { log "gpu-check: $NT or $B/lib/libntrace_inject.so missing (make gpu-build, and carry $BUILD/bin and $BUILD/lib)"; exit 1; }
for f in apps/vecadd fixtures/kernels/vecadd.ptx fixtures/binary/lines/matmul.cubin bench/bench_gpu bench/launchloop_app; do
    [ -e "$B/$f" ] || log "   (missing: $BUILD/$f)"
done

# 1. what the machine offers
section 5
step "ntrace doctor" 30 "$NT" doctor

# 2. every test app natively, then under ntrace run with each shipped probe:
# the app checks its results; its device-to-host bytes must equal the
# native run's (NT_APP_DUMP; streams times itself, so not there); the
# records must be what the launches imply (check_db.py, when Python has
# sqlite3).
section 50
apps=$(ls "$B"/apps/* 2>/dev/null | grep -v '\.d$')
[ -n "$GPU_CHECK_APPS" ] && apps=$(for a in $GPU_CHECK_APPS; do echo "$B/apps/$a"; done)
# The probes the issue sets goals for first: if time runs out, the others go.
probes=""
for pn in block_sched kernel_time gmem_bytes barrier_wait; do
    [ -f "$ROOT/probes/$pn.lua" ] && probes="$probes $pn"
done
for f in "$ROOT"/probes/*.lua; do
    pn=$(basename "$f" .lua)
    case " $probes " in *" $pn "*) ;; *) probes="$probes $pn" ;; esac
done
[ -n "$GPU_CHECK_PROBES" ] && probes=$GPU_CHECK_PROBES
[ -n "$apps" ] || log "   (no test apps in $B/apps)"
have_py=0
python3 -c 'import sqlite3' >/dev/null 2>&1 && have_py=1
[ $have_py = 1 ] || log "   (no python3 with sqlite3: records are not checked, outputs are)"
for app in $apps; do
    step "native $(basename "$app")" 30 env NT_APP_DUMP="$WORK/$(basename "$app").native" "$app" "$KDIR"
done
for pn in $probes; do
    for app in $apps; do
        a=$(basename "$app")
        # cupti_swap subscribes to CUPTI itself: it runs natively only.
        [ "$a" = cupti_swap ] && continue
        db=$WORK/$a-$pn.db
        rm -f "$WORK/dump"
        step "probed $a -p $pn" 60 env NT_APP_DUMP="$WORK/dump" "$NT" run -f -p "$ROOT/probes/$pn.lua" -o "$db" -- "$app" "$KDIR"
        [ -f "$db" ] || [ "$DRY" = 1 ] || continue
        step "records $a -p $pn" 20 sh -c '
            if [ "$1" = 1 ]; then python3 "$2" "$3" "$4" "$5" || exit 1; fi
            [ "$5" = streams ] || cmp "$6" "$7" || { echo "outputs differ from the native run"; exit 1; }' \
            sh $have_py "$ROOT/tests/gpu/check_db.py" "$db" "$pn" "$a" "$WORK/$a.native" "$WORK/dump"
    done
done
[ -f "$WORK/matmul-block_sched.db" ] || [ "$DRY" = 1 ] && step "report matmul -p block_sched" 20 "$NT" report "$WORK/matmul-block_sched.db"
keep "$WORK/matmul-block_sched.db"

# 3. PyTorch and Triton under ntrace run: which kernels were probed, which not and why
section 68
# (a dry run lists these steps without importing anything)
if [ "$DRY" = 1 ] || timeout 60 python3 -c 'import torch; assert torch.cuda.is_available()' >/dev/null 2>&1; then
    step "pytorch native" 60 python3 tests/gpu/torch_ops.py
    step "pytorch probed (block_sched)" 120 "$NT" run -f -p block_sched -o "$WORK/torch.db" -- python3 tests/gpu/torch_ops.py
    [ -f "$WORK/torch.db" ] || [ "$DRY" = 1 ] && step "pytorch report" 30 "$NT" report "$WORK/torch.db"
    keep "$WORK/torch.db"
else
    skip_step "pytorch" "no torch with CUDA"
fi
if [ "$DRY" = 1 ] || timeout 60 python3 -c 'import triton' >/dev/null 2>&1; then
    step "triton probed (block_sched)" 120 "$NT" run -f -p block_sched -o "$WORK/triton.db" -- python3 tests/gpu/triton_add.py
    [ -f "$WORK/triton.db" ] || [ "$DRY" = 1 ] && step "triton report" 30 "$NT" report "$WORK/triton.db"
else
    skip_step "triton" "no triton"
fi

# 4. PC sampling on matmul: from its PTX (JIT-ed), then from a cubin built
# with -lineinfo (the app loads whatever file it is given), whose samples
# get source lines; the report shows the hottest ones.
section 78
mm=$B/apps/matmul
if [ -x "$mm" ]; then
    step "pc sampling matmul" 60 "$NT" run -f --pc-sampling -o "$WORK/pcs.db" -- "$mm" "$KDIR"
    [ -f "$WORK/pcs.db" ] || [ "$DRY" = 1 ] && step "pc sampling report" 20 "$NT" report "$WORK/pcs.db"
    keep "$WORK/pcs.db"
    li=$B/fixtures/binary/lines/matmul.cubin
    if [ -f "$li" ]; then
        mkdir -p "$WORK/lineinfo" && cp "$li" "$WORK/lineinfo/matmul.ptx"
        step "pc sampling matmul (-lineinfo cubin)" 60 "$NT" run -f --pc-sampling -o "$WORK/pcs_lines.db" -- "$mm" "$WORK/lineinfo"
        if [ -f "$WORK/pcs_lines.db" ] || [ "$DRY" = 1 ]; then
            step "pc sampling source lines" 20 sh -c '"$1" report "$2" | tee "$3"; grep -q "hottest source lines" "$3"' \
                sh "$NT" "$WORK/pcs_lines.db" "$WORK/pcs_lines.txt"
            keep "$WORK/pcs_lines.db"
        fi
    fi
fi

# The injector's own cost on the GPU (host side per launch, first launch).
section 82
if [ -x "$B/bench/launchloop_app" ]; then
    step "launchloop native" 20 "$B/bench/launchloop_app" 3000
    step "launchloop probed" 30 "$NT" run -f -p block_sched -o "$WORK/ll.db" -- "$B/bench/launchloop_app" 3000
    step "launchloop probed, 4 threads" 30 "$NT" run -f -p block_sched -o "$WORK/llt.db" -- "$B/bench/launchloop_app" 400 threads
fi

# make demo's script on the GPU (issue 10: the same target uses the GPU
# when ntrace doctor passes); its HTML report comes back in $OUT/gpu-demo.
section 87
step "make demo on the GPU" 40 sh -c 'cd "$1" && BUILD="$2" sh mk/demo.sh > "$3" 2>&1; rc=$?; cat "$3";
    [ $rc = 0 ] && grep -q "this machine has a GPU" "$3" && [ -s demo/report.html ]' \
    sh "$ROOT" "$BUILD" "$WORK/demo.out"
if [ -n "$OUT" ] && [ -s "$ROOT/demo/report.html" ]; then
    mkdir -p "$OUT/gpu-demo" && cp "$ROOT/demo/report.html" "$ROOT/demo/trace.json" "$OUT/gpu-demo/" 2>/dev/null
fi

# 5. probe overhead: every shipped probe on the test kernels (bench_gpu).
# Its own time limit (-t) leaves room to print the summary.
section 100
if [ -x "$B/bench/bench_gpu" ]; then
    left=$((section_end - $(now) - 15))
    [ $left -lt 10 ] && left=10
    step "bench gpu" $((left + 15)) env BUILD="$B" "$B/bench/bench_gpu" --gpu -t "$left" \
        --kernels "$KDIR" --probes "$ROOT/probes"
else
    skip_step "bench gpu" "not built (make gpu-build)"
fi

log ""
log "== summary (result, seconds, step)"
tee -a "$LOG" < "$SUMMARY"
grep '^bench gpu_overhead_\|^bench gpu_first_launch\|^bench gpu_cache_hit\|^bench gpu device' "$LOG" > "$WORK/bench" 2>/dev/null
if [ -s "$WORK/bench" ]; then log ""; log "== probe overhead (bench gpu)"; tee -a "$LOG" < "$WORK/bench"; fi
log ""
log "suite time: $(($(now) - t0))s of ${BUDGET}s"
if [ $skip -gt 0 ]; then log "$pass passed, $fail failed, $skip skipped"; else log "$pass passed, $fail failed"; fi
log "log: $LOG"
rm -rf "$WORK"
[ $fail -eq 0 ]
