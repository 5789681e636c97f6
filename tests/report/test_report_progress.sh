#!/bin/sh
# The progress line of `ntrace report` and `ntrace merge` (issue 10): on a terminal it is
# drawn on stderr and erased before the summary; never off a terminal, never
# with --format csv|json.  A terminal comes from script(1) (util-linux);
# NTRACE_PROGRESS=1 drops the half-second delay so a small database shows
# it.  Skips (77) without script.
. tests/lib.sh
need script
unset NTRACE_PROGRESS
ESC=$(printf '\033')
CR=$(printf '\r')

# on_tty OUT WHAT ARGS...: `ntrace ARGS` on a terminal with NTRACE_PROGRESS=1,
# everything it shows in $tmp/OUT.
on_tty() {
    _o=$1 _w=$2; shift 2
    _c="NTRACE_PROGRESS=1 '$NT'"
    for _a; do _c="$_c '$_a'"; done
    script -qc "$_c" /dev/null >"$tmp/$_o" 2>&1 || fail "$_w on a terminal: $(cat "$tmp/$_o")"
}
# drawn_and_erased OUT LINE: $tmp/OUT shows the progress line LINE (an
# extended regex), then erases it.
drawn_and_erased() {
    grep -Eq "$2${ESC}\[K" "$tmp/$1" || fail "no progress line on the terminal: $(od -c "$tmp/$1" | head -20)"
    grep -q "${CR}${ESC}\[K" "$tmp/$1" || fail "progress line not erased"
}
# own_line OUT LINE: in $tmp/OUT the line starting with LINE comes after the
# erased progress line, on a line of its own.
own_line() {
    tr -d '\r' <"$tmp/$1" | sed "s/${ESC}\[K/\n/g" | grep -q "^$2" \
        || fail "'$2' mixed with the progress line: $(od -c "$tmp/$1" | tail -5)"
}
# quiet_off_tty WHAT ARGS...: `ntrace ARGS` to files: it succeeds and stderr
# stays empty.
quiet_off_tty() {
    _w=$1; shift
    "$NT" "$@" >"$tmp/out" 2>"$tmp/err" || fail "$_w to files"
    [ ! -s "$tmp/err" ] || fail "stderr not empty off a terminal: $(cat "$tmp/err")"
}

"$NT" report --synthetic "$tmp/s.db" >/dev/null || fail "synthetic database"

# On a terminal: the line names the phase and a count, and is erased.
on_tty tty.out report report "$tmp/s.db" --timeline "$tmp/t.json"
drawn_and_erased tty.out "ntrace report: timeline [0-9]+/6 \([0-9]+%\)"

# The text summary comes after the erased line, on a line of its own.
on_tty tty2.out summary report "$tmp/s.db"
grep -q "ntrace report: block_sched" "$tmp/tty2.out" || fail "no progress before the summary"
own_line tty2.out '== kernels by total time'

# csv/json: no progress line, even on a terminal with NTRACE_PROGRESS=1.
for f in csv json; do
    on_tty "$f.out" "--format $f" report "$tmp/s.db" --format $f
    ! grep -q "${ESC}" "$tmp/$f.out" || fail "--format $f: progress in the output"
    ! grep -q "ntrace report:" "$tmp/$f.out" || fail "--format $f: progress in the output"
done

# Not a terminal: stderr stays empty.
quiet_off_tty report report "$tmp/s.db" --timeline "$tmp/t2.json"
cmp -s "$tmp/t.json" "$tmp/t2.json" || fail "the timeline differs with progress on"

# ntrace merge (and run's merge phase, the same code): the table being
# copied and the input count, erased before the result line; nothing off a
# terminal.
for d in a b; do
    "$NT" run --emulate -p block_sched -o "$tmp/$d.db" -- "$ROOT/$BUILD/apps/vecadd" "$KDIR" \
        >/dev/null 2>&1 || fail "ntrace run for $d.db"
done
on_tty mtty.out merge merge "$tmp/m.db" "$tmp/a.db" "$tmp/b.db"
# (redrawn at most every 0.1 s: which tables show depends on speed)
drawn_and_erased mtty.out "ntrace merge: [A-Za-z_ ]+ [012]/2 \([0-9]+%\)"
own_line mtty.out 'merged 2 databases into '
quiet_off_tty merge merge "$tmp/m2.db" "$tmp/a.db" "$tmp/b.db"
grep -q '^merged 2 databases' "$tmp/out" || fail "result line: $(cat "$tmp/out")"
echo "report and merge progress: ok"
