#!/bin/sh
# ntrace report from the command line: usage and input errors (exit codes,
# one-line messages), the summary formats, the timeline (parsed as JSON and
# checked against the trace-event format when python3 is there), filters,
# --max-events and --script.
. tests/lib.sh

# expect CODE MESSAGE-FRAGMENT args...: exit code and a one-line message.
expect() {
    code=$1; msg=$2; shift 2
    out=$("$NT" report "$@" 2>&1 >/dev/null); rc=$?
    [ "$rc" -eq "$code" ] || fail "report $*: exit $rc, want $code ($out)"
    echo "$out" | grep -qF -- "$msg" || fail "report $*: message '$out' lacks '$msg'"
    [ "$(echo "$out" | wc -l)" -eq 1 ] || fail "report $*: message is not one line: $out"
}

"$NT" --help | grep -q '^  report ' || fail "ntrace --help lists report"
"$NT" report --help | grep -q 'usage: ntrace report DB' || fail "report --help"
expect 2 "no database given" 
expect 2 "unknown option '--bogus'" x.db --bogus
expect 2 "--format 'xml': use text, csv or json" x.db --format xml
expect 2 "--max-events: 'lots' is not a non-negative integer" x.db --max-events lots
expect 2 "--max-events must be at least 1" x.db --max-events 0
expect 2 "--launch: '-3' is not a non-negative integer" x.db --launch -3
expect 2 "--timeline needs a value" x.db --timeline
expect 2 "one database only" a.db b.db
expect 1 "ntrace report: $tmp/none.db: No such file or directory" "$tmp/none.db"
echo "hello" >"$tmp/text.db"
expect 1 "not an ntrace database" "$tmp/text.db"
if command -v sqlite3 >/dev/null; then
    sqlite3 "$tmp/other.db" "CREATE TABLE t(a);"
    expect 1 "other.db: not an ntrace database (application_id 0x0" "$tmp/other.db"
    sqlite3 "$tmp/newer.db" "PRAGMA application_id = 1314148931; PRAGMA user_version = 7; CREATE TABLE t(a);"
    expect 1 "newer.db: written by a newer ntrace (schema version 7)" "$tmp/newer.db"
fi

db=$tmp/run.db
"$NT" report "$db" --synthetic | grep -q "wrote a synthetic database" || fail "--synthetic"
expect 1 "exists; not overwritten" "$db" --synthetic
out=$("$NT" report "$db") || fail "summary"
for s in "== run" "== devices" "== kernels by total time" "== block_sched: scheduling per launch" \
         "== gmem_bytes: global memory traffic per launch" "== barrier_wait / mem_wait" \
         "== warp stall breakdown: PC sampling and probes" "== mem_trace.access"; do
    echo "$out" | grep -qF "$s" || fail "summary lacks '$s'"
done
echo "$out" | grep -q "softmax(float\*, int, int) .* no: no PTX (SASS only)" || fail "SASS-only kernel reason"
"$NT" report "$db" --format csv | grep -q '^# kernels$' || fail "csv"
expect 1 "--kernel 'nomatch' matches none of the 3 kernels" "$db" --kernel nomatch
expect 1 "--launch 77: no such launch" "$db" --launch 77
n=$("$NT" report "$db" --kernel '^matmul' --format csv | sed -n '/^# kernels$/,/^$/p' | wc -l)
[ "$n" -eq 4 ] || fail "--kernel keeps one kernel (csv block of $n lines)"

# --script prints what the script returns.
printf 'return nt.query("SELECT count(*) AS n FROM CUPTI_ACTIVITY_KIND_KERNEL")[1].n\n' >"$tmp/a.lua"
[ "$("$NT" report "$db" --script "$tmp/a.lua")" = 6 ] || fail "--script"
printf 'nt.query("DROP TABLE NTRACE_RUN")\n' >"$tmp/bad.lua"
expect 1 "nt.query: not authorized" "$db" --script "$tmp/bad.lua"

# --max-events cuts and says so, on stderr and in the file.
err=$("$NT" report "$db" --timeline "$tmp/cut.json" --max-events 10 2>&1) || fail "cut timeline"
echo "$err" | grep -q "timeline cut at 10 events (--max-events): [0-9]* events left out" \
    || fail "cut note: $err"
"$NT" report "$db" --timeline "$tmp/t.json" || fail "timeline"
if command -v python3 >/dev/null; then
    python3 - "$tmp/t.json" "$tmp/cut.json" <<'PY' || fail "timeline is not valid trace-event JSON"
import json, sys
for path in sys.argv[1:]:
    doc = json.load(open(path))
    evs = doc["traceEvents"]
    assert evs, "no events"
    last = {}
    for e in evs:
        assert e["ph"] in ("X", "M", "i"), e
        assert isinstance(e["pid"], int) and isinstance(e["name"], str), e
        if e["ph"] != "X":
            continue
        for k in ("tid", "ts", "dur", "cat"):
            assert k in e, (k, e)
        assert e["dur"] >= 0 and e["ts"] >= 0, e
        key = (e["pid"], e["tid"])
        if key in last:   # monotonic, and no overlap on a track
            assert e["ts"] >= last[key] - 0.0015, (key, e, last[key])
        last[key] = e["ts"] + e["dur"]
    x = sum(1 for e in evs if e["ph"] == "X")
    assert x == doc["otherData"]["events"], (x, doc["otherData"])
    if "cut" in path:
        assert doc["otherData"]["cut"] > 0 and x == 10
    else:
        assert x == 6 + 4 + 4 * 640, x      # launches, copies, warps
PY
    "$NT" report "$db" --format json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert [t["key"] for t in d["tables"]][:3] == ["run","devices","kernels"]' \
        || fail "--format json is not valid JSON"
fi
echo "report cli: ok"
