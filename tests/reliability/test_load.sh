#!/bin/sh
# Load on the emulator: 20,000 launches of a tiny kernel under block_sched,
# from one thread and from 4 threads at once.  Every launch is accounted
# for in the database: probed with its one record, or its buffer dropped
# (queue full) with the reason in its row and the drop counted in the run
# row; nothing else.  Then a leak check of the injector inside an app (a
# smaller run): valgrind on the plain build, LeakSanitizer on SAN=1.
BUILD=${BUILD:-build}
ROOT=$(pwd)
NT=$ROOT/$BUILD/bin/ntrace
APP=$ROOT/$BUILD/bench/launchloop_app
. tests/reliability/lib.sh
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export NTRACE_CACHE_DIR=$tmp/cache
asan0=${ASAN_OPTIONS:-}
export ASAN_OPTIONS=${asan0:+$asan0:}detect_leaks=0

account() { # db launches label
    db=$1; n=$2
    q() { sqlite3 "$db" "$1"; }
    [ "$(q "pragma integrity_check")" = ok ] || fail "$3: integrity_check"
    [ "$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL")" = "$n" ] \
        || fail "$3: $(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL") launch rows, want $n"
    [ "$(q "select launches from NTRACE_RUN")" = "$n" ] || fail "$3: run row launches"
    probed=$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed' and recordsSaved = 1")
    dropped=$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'buffer dropped: collector queue full'")
    [ $((probed + dropped)) -eq "$n" ] \
        || fail "$3: $probed probed + $dropped dropped != $n: $(q "select probeStatus, count(*) from CUPTI_ACTIVITY_KIND_KERNEL group by 1"); kernels: $(q "select reason from NTRACE_KERNELS")"
    [ "$(q "select queueDroppedBuffers from NTRACE_RUN")" = "$dropped" ] || fail "$3: drops not counted in the run row"
    [ "$(q "select count(*) from PROBE_BLOCK_SCHED_REC")" = "$probed" ] || fail "$3: records != probed launches"
    [ "$(q "select count(distinct launchId) from CUPTI_ACTIVITY_KIND_KERNEL")" = "$n" ] || fail "$3: launch ids not distinct"
    echo "$3: $probed probed, $dropped dropped (counted)"
}

"$NT" run --emulate -p block_sched -o "$tmp/one.db" -- "$APP" 20000 > "$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "20,000 launches: exit $?"; }
grep -q "launches 20000" "$tmp/out" || { cat "$tmp/out"; fail "the app's results"; }
account "$tmp/one.db" 20000 "one thread"
"$NT" run --emulate -p block_sched -o "$tmp/four.db" -- "$APP" 20000 threads > "$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "4 threads: exit $?"; }
grep -q "20000 launches from 4 threads: ok" "$tmp/out" || { cat "$tmp/out"; fail "threads: the app's results"; }
account "$tmp/four.db" 20000 "four threads"

# Leak check: the injector inside the app, 300 probed launches.
if nm -D "$ROOT/$BUILD/lib/libntrace_inject.so" 2>/dev/null | grep -q __asan_init; then
    # SAN=1: LeakSanitizer at exit (the app frees what it allocated).
    ASAN_OPTIONS=${asan0:+$asan0:}detect_leaks=1 inject_emu "$tmp/leak.db" "$APP" 300 > "$tmp/out" 2>&1 \
        || { tail -40 "$tmp/out"; fail "LeakSanitizer: leaks (or a failure) in a probed run"; }
    echo "leak check: LeakSanitizer clean"
elif command -v valgrind > /dev/null 2>&1; then
    inject_emu "$tmp/leak.db" valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        "$APP" 300 > "$tmp/out" 2>&1 || { tail -40 "$tmp/out"; fail "valgrind: errors or leaks in a probed run"; }
    echo "leak check: valgrind clean"
else
    echo "leak check: neither SAN build nor valgrind; not run"
fi
[ -s "$tmp/leak.db" ] && [ "$(sqlite3 "$tmp/leak.db" "select count(*) from PROBE_BLOCK_SCHED_REC")" = 300 ] \
    || fail "leak-check run did not store its 300 records"
echo "load: ok"
