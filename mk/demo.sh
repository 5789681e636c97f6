#!/bin/sh
# make demo: the first thing a newcomer runs.  Two realistic programs (a
# tiled matrix multiply and a reduction) run under ntrace with three
# probes; the result is one database, a text report, an HTML report and a
# Perfetto timeline under demo/.  On a machine with a working GPU the
# programs run on it; elsewhere on ntrace's PTX emulator.
BUILD=${BUILD:-build}
ROOT=$(pwd)
NT=$ROOT/$BUILD/bin/ntrace
KDIR=$ROOT/$BUILD/fixtures/kernels
APPS="'$ROOT/$BUILD/apps/matmul' '$KDIR' && '$ROOT/$BUILD/apps/reduce' '$KDIR'"
OUT=$ROOT/demo
step() { printf '\n== %s\n' "$*"; }
set -e
mkdir -p "$OUT"

if "$NT" doctor >/dev/null 2>&1; then
    where="the GPU"; emulate=""
    step "ntrace doctor: this machine has a GPU"
    "$NT" doctor
else
    where="ntrace's PTX emulator (no usable GPU here)"; emulate="--emulate"
    step "ntrace doctor --emulate: no GPU here, so the demo runs on the emulator"
    "$NT" doctor --emulate
fi

for p in block_sched gmem_bytes barrier_wait; do
    step "ntrace run $emulate -p $p -- matmul && reduce   (on $where)"
    "$NT" run $emulate -f -p "$p" -o "$OUT/$p.db" -- sh -c "$APPS"
done

step "ntrace merge: one database for the three runs"
"$NT" merge -f "$OUT/demo.db" "$OUT/block_sched.db" "$OUT/gmem_bytes.db" "$OUT/barrier_wait.db"

step "ntrace report demo/demo.db"
"$NT" report "$OUT/demo.db"

step "ntrace report --html demo/report.html --timeline demo/trace.json"
"$NT" report "$OUT/demo.db" --html "$OUT/report.html" --timeline "$OUT/trace.json"

cat <<MSG

Open these:
  demo/report.html   in any browser (self-contained: overview, kernels, SM x warp
                     timelines, stall breakdown)
  demo/trace.json    in https://ui.perfetto.dev or chrome://tracing
  demo/demo.db       with sqlite3 (docs/schema.md has example queries)
MSG
