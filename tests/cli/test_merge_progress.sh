#!/bin/sh
# The progress line of `ntrace merge` (issue 10): on a terminal, stderr shows
# the table being copied and the input count, erased before the result
# line; off a terminal nothing.  NTRACE_PROGRESS=1 drops the half-second
# delay.  Skips (77) without script(1).
BUILD=${BUILD:-build}
NT=$(pwd)/$BUILD/bin/ntrace
fail() { echo "FAIL: $*"; exit 1; }
command -v script >/dev/null || { echo "skip: no script(1)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset NTRACE_PROGRESS
APP=$(pwd)/$BUILD/apps/vecadd
KDIR=$(pwd)/$BUILD/fixtures/kernels
for d in a b; do
    "$NT" run --emulate -p block_sched -o "$tmp/$d.db" -- "$APP" "$KDIR" >/dev/null 2>&1 \
        || fail "ntrace run for $d.db"
done
ESC=$(printf '\033')
CR=$(printf '\r')
script -qc "NTRACE_PROGRESS=1 '$NT' merge '$tmp/m.db' '$tmp/a.db' '$tmp/b.db'" /dev/null \
    >"$tmp/tty.out" 2>&1 || fail "merge on a terminal: $(cat "$tmp/tty.out")"
# (redrawn at most every 0.1 s: which tables show depends on speed)
grep -Eq "ntrace merge: [A-Za-z_ ]+ [012]/2 \([0-9]+%\)${ESC}\[K" "$tmp/tty.out" \
    || fail "no progress line: $(od -c "$tmp/tty.out" | head -20)"
grep -q "${CR}${ESC}\[K" "$tmp/tty.out" || fail "progress line not erased"
tr -d '\r' <"$tmp/tty.out" | sed "s/${ESC}\[K/\n/g" | grep -q '^merged 2 databases into ' \
    || fail "result line mixed with the progress line: $(od -c "$tmp/tty.out" | tail -5)"
"$NT" merge "$tmp/m2.db" "$tmp/a.db" "$tmp/b.db" >"$tmp/out" 2>"$tmp/err" || fail "merge to a file"
[ ! -s "$tmp/err" ] || fail "stderr not empty off a terminal: $(cat "$tmp/err")"
grep -q '^merged 2 databases' "$tmp/out" || fail "result line: $(cat "$tmp/out")"
echo "merge progress: ok"
