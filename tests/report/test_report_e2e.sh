#!/bin/sh
# The report on databases made by the whole pipeline on the emulator:
# `ntrace run --emulate` of the reduce test app under the shipped probes,
# then `ntrace report` of each (summary numbers that the app's launch shape
# fixes, the timeline, the page).  Skips (77) when the apps are not built.
. tests/lib.sh
APP=$ROOT/$BUILD/apps/reduce
# The apps, the emulator and the shipped probes come with main's tree: in a
# tree without them (or with a stale build/apps) there is nothing to run.
if [ ! -f "$ROOT/probes/block_sched.lua" ] || [ ! -d "$ROOT/tests/apps" ] || [ ! -d "$ROOT/src/emu" ] \
   || [ ! -x "$APP" ] || [ ! -d "$KDIR" ]; then
    echo "skip: needs the emulator, probes/ and the test apps (main's tree, built)"
    exit 77
fi
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
# User regions: tests/kernels/regions.cu marks load, step (3 visits) and
# store; 4 blocks of 128 threads = 16 warps, so 16 + 48 + 16 records.
RAPP=$ROOT/$BUILD/apps/regions
if [ -x "$RAPP" ] && [ -f "$ROOT/probes/regions.lua" ]; then
    "$NT" run --emulate -f -p regions -o "$tmp/regions.db" -- "$RAPP" "$KDIR" >"$tmp/run.out" 2>&1 \
        || { cat "$tmp/run.out"; fail "ntrace run under regions"; }
    out=$("$NT" report "$tmp/regions.db" --format csv) || fail "report regions"
    # names by the injector (StringIds from the markers), not hashes
    rows=$(echo "$out" | sed -n '/^# regions$/,/^$/p' | grep -E '^(load|step|store),')
    [ "$(echo "$rows" | sort | cut -d, -f1,2 | tr '\n' ' ')" = "load,16 step,48 store,16 " ] \
        || fail "region names and records per region: $out"
    echo "$rows" | awk -F, '$3 <= 0 || $4 != $3 / $2 || $5 < $4 { bad = 1 } END { exit bad }' \
        || fail "region cycles (total, mean = total / records, max >= mean): $rows"
    echo "$out" | grep -Eq '^1,regions_stencil,16,4,' || fail "warp lifetimes from regions.warp: $out"
    "$NT" report "$tmp/regions.db" --timeline "$tmp/r.json" --html "$tmp/r.html" || fail "regions timeline"
    [ "$(grep -c 'class="h rg"' "$tmp/r.html")" -eq 80 ] || fail "80 region rects in the page"
    if command -v python3 >/dev/null; then
        python3 - "$tmp/r.json" <<'PY' || fail "region slices nested in warp slices"
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
warps = [e for e in ev if e.get("cat") == "warp"]
regs = [e for e in ev if e.get("cat") == "region"]
assert len(warps) == 16 and len(regs) == 80, (len(warps), len(regs))
for r in regs:
    a = r["args"]
    w = [x for x in warps if x["pid"] == r["pid"] and x["tid"] == r["tid"]
         and x["args"]["warp"] == a["warp"] and x["name"] == "block %d" % a["block"]]
    assert len(w) == 1, r
    w = w[0]
    assert w["ts"] <= r["ts"] and r["ts"] + r["dur"] <= w["ts"] + w["dur"] + 0.0015, (w, r)
PY
    fi
fi
echo "report e2e: ok"
