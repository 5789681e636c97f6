#!/bin/sh
# The progress line of `ntrace report` and `ntrace merge` (issue 10): on a terminal it is
# drawn on stderr and erased before the summary; never off a terminal, never
# with --format csv|json.  A terminal comes from script(1) (util-linux);
# NTRACE_PROGRESS=1 drops the half-second delay so a small database shows
# it.  Skips (77) without script.
. tests/lib.sh
need script
unset NTRACE_PROGRESS
"$NT" report --synthetic "$tmp/s.db" >/dev/null || fail "synthetic database"
ESC=$(printf '\033')
CR=$(printf '\r')

# On a terminal: the line names the phase and a count, and is erased.
script -qc "NTRACE_PROGRESS=1 '$NT' report '$tmp/s.db' --timeline '$tmp/t.json'" /dev/null \
    >"$tmp/tty.out" 2>&1 || fail "report on a terminal: $(cat "$tmp/tty.out")"
grep -q "ntrace report: timeline [0-9]*/6 ([0-9]*%)${ESC}\[K" "$tmp/tty.out" \
    || fail "no progress line on the terminal: $(od -c "$tmp/tty.out" | head)"
grep -q "${CR}${ESC}\[K" "$tmp/tty.out" || fail "progress line not erased"

# The text summary comes after the erased line, on a line of its own.
script -qc "NTRACE_PROGRESS=1 '$NT' report '$tmp/s.db'" /dev/null >"$tmp/tty2.out" 2>&1 \
    || fail "summary on a terminal"
grep -q "ntrace report: block_sched" "$tmp/tty2.out" || fail "no progress before the summary"
tr -d '\r' <"$tmp/tty2.out" | sed "s/${ESC}\[K/\n/g" | grep -q '^== kernels by total time' \
    || fail "summary mixed with the progress line: $(od -c "$tmp/tty2.out" | head)"

# csv/json: no progress line, even on a terminal with NTRACE_PROGRESS=1.
for f in csv json; do
    script -qc "NTRACE_PROGRESS=1 '$NT' report '$tmp/s.db' --format $f" /dev/null >"$tmp/$f.out" 2>&1 \
        || fail "--format $f on a terminal"
    ! grep -q "${ESC}" "$tmp/$f.out" || fail "--format $f: progress in the output"
    ! grep -q "ntrace report:" "$tmp/$f.out" || fail "--format $f: progress in the output"
done

# Not a terminal: stderr stays empty.
"$NT" report "$tmp/s.db" --timeline "$tmp/t2.json" >"$tmp/out" 2>"$tmp/err" || fail "report to files"
[ ! -s "$tmp/err" ] || fail "stderr not empty off a terminal: $(cat "$tmp/err")"
cmp -s "$tmp/t.json" "$tmp/t2.json" || fail "the timeline differs with progress on"
# ntrace merge (and run's merge phase, the same code): the table being
# copied and the input count, erased before the result line; nothing off a
# terminal.
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
echo "report and merge progress: ok"
