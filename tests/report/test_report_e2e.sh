#!/bin/sh
# The report on databases made by the whole pipeline on the emulator:
# `ntrace run --emulate` of the reduce test app under the shipped probes,
# then `ntrace report` of each (summary numbers that the app's launch shape
# fixes, the timeline, the page).  Skips (77) when the apps are not built.
BUILD=${BUILD:-build}
ROOT=$(pwd)
NT=$ROOT/$BUILD/bin/ntrace
APP=$ROOT/$BUILD/apps/reduce
KDIR=$ROOT/$BUILD/fixtures/kernels
fail() { echo "FAIL: $*"; exit 1; }
# The apps, the emulator and the shipped probes come with main's tree: in a
# tree without them (or with a stale build/apps) there is nothing to run.
if [ ! -f "$ROOT/probes/block_sched.lua" ] || [ ! -d "$ROOT/tests/apps" ] || [ ! -d "$ROOT/src/emu" ] \
   || [ ! -x "$APP" ] || [ ! -d "$KDIR" ]; then
    echo "skip: needs the emulator, probes/ and the test apps (main's tree, built)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NTRACE_CACHE_DIR=$tmp/cache
for p in block_sched barrier_wait gmem_bytes dmat; do
    "$NT" run --emulate -f -p "$p" -o "$tmp/$p.db" -- "$APP" "$KDIR" >"$tmp/run.out" 2>&1 \
        || { cat "$tmp/run.out"; fail "ntrace run under $p"; }
done
out=$("$NT" report "$tmp/block_sched.db") || fail "report block_sched"
# reduce_sum: 40 blocks of 256 threads = 320 warps, all probed.
echo "$out" | grep -Eq '^ +1  reduce_sum +320 +40 ' || fail "block_sched row: $out"
echo "$out" | grep -q 'launches    2 of 2 (2 instrumented)' || fail "run table: $out"
out=$("$NT" report "$tmp/barrier_wait.db") || fail "report barrier_wait"
echo "$out" | grep -Eq '^  reduce_sum +320 ' || fail "barrier_wait row: $out"
out=$("$NT" report "$tmp/gmem_bytes.db" --format csv) || fail "report gmem_bytes"
echo "$out" | grep -Eq '^1,reduce_sum,[1-9][0-9]*,' || fail "gmem_bytes row: $out"
"$NT" report "$tmp/block_sched.db" --timeline "$tmp/t.json" || fail "timeline"
grep -q '"name":"process_name","pid":1000,"args":{"name":"SM 0"}' "$tmp/t.json" || fail "SM tracks"
"$NT" report "$tmp/dmat.db" --html "$tmp/r.html" || fail "html"
grep -q 'dmat.rec: [0-9]* accesses' "$tmp/r.html" || fail "heat map from dmat"
echo "report e2e: ok"
