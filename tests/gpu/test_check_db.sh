#!/bin/sh
# tests/gpu/check_db.py (the GPU suite's record checks) on databases of the
# emulator: the true invariants pass, and each broken one is caught.  (One
# Python run for everything: its start-up is the slow part here.)
. tests/lib.sh
python3 -c 'import sqlite3' 2>/dev/null || skip "no python3 with sqlite3"
need sqlite3
emu_env
FAIL_LOG=$tmp/out
run() { # app probe
    "$NT" run --emulate -f -p "$2" -o "$tmp/$1-$2.db" -- "$ROOT/$BUILD/apps/$1" "$KDIR" > "$tmp/out" 2>&1 \
        || fail "$1 under $2"
}
for p in block_sched gmem_bytes barrier_wait kernel_time; do run vecadd $p; done
run reduce barrier_wait

# Broken copies: NAME FROM SQL (the map table is $T).
n=0
broken() {
    n=$((n + 1))
    cp "$tmp/$2" "$tmp/$1.db"
    t=$(sqlite3 "$tmp/$1.db" "select tableName from NTRACE_PROBE_MAPS limit 1")
    sqlite3 "$tmp/$1.db" "$(echo "$3" | sed "s/\\\$T/\"$t\"/g")" || fail "sql for $1"
}
broken nowarp vecadd-block_sched.db 'DELETE FROM $T WHERE rowid = 7'
broken stopstart vecadd-block_sched.db 'UPDATE $T SET stop = start WHERE rowid = 3'
broken twosm vecadd-block_sched.db 'UPDATE $T SET sm = sm + 1 WHERE rowid = 2'
broken unprobed vecadd-block_sched.db "UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET probeStatus = 'not probed: x'"
broken noend vecadd-block_sched.db 'UPDATE CUPTI_ACTIVITY_KIND_KERNEL SET end = start'
broken bytes vecadd-gmem_bytes.db 'UPDATE $T SET load_bytes = load_bytes + 4 WHERE rowid = 1'
broken kt vecadd-kernel_time.db 'UPDATE $T SET stop = start - 1 WHERE rowid = 1'

python3 "$ROOT/tests/gpu/check_db.py" \
    "$tmp/vecadd-block_sched.db" block_sched vecadd "$tmp/vecadd-gmem_bytes.db" gmem_bytes vecadd \
    "$tmp/vecadd-barrier_wait.db" barrier_wait vecadd "$tmp/vecadd-kernel_time.db" kernel_time vecadd \
    "$tmp/reduce-barrier_wait.db" barrier_wait reduce \
    "$tmp/nowarp.db" block_sched vecadd "$tmp/stopstart.db" block_sched vecadd \
    "$tmp/twosm.db" block_sched vecadd "$tmp/unprobed.db" block_sched vecadd \
    "$tmp/noend.db" block_sched vecadd "$tmp/bytes.db" gmem_bytes vecadd \
    "$tmp/kt.db" kernel_time vecadd > "$tmp/out" 2>&1
[ $? -eq 1 ] || fail "check_db.py should exit 1 (some databases are broken)"
# The good ones: no FAIL, and the probe-specific checks ran.
for d in vecadd-block_sched vecadd-gmem_bytes vecadd-barrier_wait vecadd-kernel_time reduce-barrier_wait; do
    grep -q "^$d.db: FAIL" "$tmp/out" && fail "$d: a FAIL line"
done
for want in "vecadd-block_sched.db: ok: block_sched: one record per warp" \
            "vecadd-block_sched.db: ok: block_sched: SM ids below" \
            "vecadd-gmem_bytes.db: ok: gmem_bytes: vecadd loads 80056 and stores 40028 bytes" \
            "vecadd-barrier_wait.db: ok: barrier_wait: nothing counted on vecadd" \
            "vecadd-kernel_time.db: ok: kernel_time: start < stop" \
            "reduce-barrier_wait.db: ok: barrier_wait: barriers counted on reduce" \
            "nowarp.db: FAIL: block_sched: one record per warp" \
            "stopstart.db: FAIL: block_sched: start < stop" \
            "twosm.db: FAIL: block_sched: each block on one SM" \
            "unprobed.db: FAIL: every launch probed (1 not: not probed: x)" \
            "noend.db: FAIL: CUPTI start < end" \
            "bytes.db: FAIL: gmem_bytes: vecadd loads" \
            "kt.db: FAIL: kernel_time: start < stop"; do
    grep -qF "$want" "$tmp/out" || fail "missing: $want"
done
[ "$(grep -c ': FAIL: ' "$tmp/out")" -eq "$n" ] || fail "$n broken databases, $(grep -c ': FAIL: ' "$tmp/out") FAIL lines"
python3 "$ROOT/tests/gpu/check_db.py" > "$tmp/out" 2>&1; [ $? -eq 2 ] || fail "usage"
echo "check_db ok"
