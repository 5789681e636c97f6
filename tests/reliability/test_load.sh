#!/bin/sh
# Load on the emulator, under block_sched: 20,000 launches of a tiny kernel
# from one thread; 16,000 launches from 16 host threads at once (two
# streams each, three kernels of different shapes); 2,000 distinct kernels
# (two modules, each kernel launched once).  Every launch is accounted for
# in the database: probed with its records (one per warp), or its buffer
# dropped (queue full) with the reason in its row and the drop counted in
# the run row; nothing else.  Then a leak check of the injector inside the
# same programs (smaller runs): valgrind on the plain build, LeakSanitizer
# on SAN=1.  The long versions (1 M launches, 100 k kernels) are
# `make load-test` (tests/reliability/load.sh).
. tests/lib.sh
APP=$ROOT/$BUILD/bench/launchloop_app
LOADAPP=$ROOT/$BUILD/reliability/loadapp
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
    # block_sched saves one record per warp
    probed=$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'
                and recordsSaved = gridX * gridY * gridZ * ((blockX * blockY * blockZ + 31) / 32)")
    records=$(q "select coalesce(sum(recordsSaved), 0) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'")
    dropped=$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'buffer dropped: collector queue full'")
    [ $((probed + dropped)) -eq "$n" ] \
        || fail "$3: $probed probed + $dropped dropped != $n: $(q "select probeStatus, count(*) from CUPTI_ACTIVITY_KIND_KERNEL group by 1"); kernels: $(q "select reason from NTRACE_KERNELS")"
    [ "$(q "select queueDroppedBuffers from NTRACE_RUN")" = "$dropped" ] || fail "$3: drops not counted in the run row"
    [ "$(q "select count(*) from PROBE_BLOCK_SCHED_REC")" = "$records" ] || fail "$3: records stored != recordsSaved"
    [ "$(q "select count(distinct launchId) from PROBE_BLOCK_SCHED_REC")" = "$probed" ] || fail "$3: launches with records != probed"
    [ "$(q "select count(distinct launchId) from CUPTI_ACTIVITY_KIND_KERNEL")" = "$n" ] || fail "$3: launch ids not distinct"
    echo "$3: $probed probed, $dropped dropped (counted)"
}

"$NT" run --emulate -p block_sched -o "$tmp/one.db" -- "$APP" 20000 > "$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "20,000 launches: exit $?"; }
grep -q "launches 20000" "$tmp/out" || { cat "$tmp/out"; fail "the app's results"; }
account "$tmp/one.db" 20000 "one thread"
"$NT" run --emulate -p block_sched -o "$tmp/mt.db" -- "$LOADAPP" threads 16 16000 > "$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "16 threads: exit $?"; }
grep -q "16000 launches from 16 threads: ok" "$tmp/out" || { cat "$tmp/out"; fail "threads: the app's results"; }
account "$tmp/mt.db" 16000 "16 threads"
[ "$(sqlite3 "$tmp/mt.db" "select count(distinct streamId) from CUPTI_ACTIVITY_KIND_KERNEL")" = 32 ] \
    || fail "16 threads: $(sqlite3 "$tmp/mt.db" "select count(distinct streamId) from CUPTI_ACTIVITY_KIND_KERNEL") streams, want 32"
"$NT" run --emulate -p block_sched -o "$tmp/kern.db" -- "$LOADAPP" kernels 2000 > "$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "2,000 kernels: exit $?"; }
grep -q "2000 kernels, 2000 launches: ok" "$tmp/out" || { cat "$tmp/out"; fail "kernels: the app's results"; }
account "$tmp/kern.db" 2000 "2000 kernels"
[ "$(sqlite3 "$tmp/kern.db" "select count(*) from NTRACE_KERNELS where instrumented = 1")" = 2000 ] \
    || fail "2000 kernels: $(sqlite3 "$tmp/kern.db" "select count(*) from NTRACE_KERNELS where instrumented = 1") instrumented"

# Leak check: the injector inside the apps: 300 probed launches, 4 threads
# of mixed launches, 1,020 distinct kernels in two modules (loaded, unloaded).
leak_runs() { # prefix...: runs the three programs under "$@"
    inject_emu "$tmp/leak.db" "$@" "$APP" 300 > "$tmp/out" 2>&1 || return 1
    inject_emu "$tmp/leak2.db" "$@" "$LOADAPP" threads 4 400 > "$tmp/out" 2>&1 || return 1
    inject_emu "$tmp/leak3.db" "$@" "$LOADAPP" kernels 1020 > "$tmp/out" 2>&1 || return 1
}
if nm -D "$ROOT/$BUILD/lib/libntrace_inject.so" 2>/dev/null | grep -q __asan_init; then
    # SAN=1: LeakSanitizer at exit (the apps free what they allocated).
    ASAN_OPTIONS=${asan0:+$asan0:}detect_leaks=1 leak_runs env \
        || { tail -40 "$tmp/out"; fail "LeakSanitizer: leaks (or a failure) in a probed run"; }
    echo "leak check: LeakSanitizer clean"
elif command -v valgrind > /dev/null 2>&1; then
    leak_runs valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
        || { tail -40 "$tmp/out"; fail "valgrind: errors or leaks in a probed run"; }
    echo "leak check: valgrind clean"
else
    echo "leak check: neither SAN build nor valgrind; not run"
fi
for x in leak:300 leak2:400 leak3:1020; do
    [ -s "$tmp/${x%:*}.db" ] && [ "$(sqlite3 "$tmp/${x%:*}.db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'")" = "${x#*:}" ] \
        || fail "leak-check run ${x%:*} did not store its ${x#*:} probed launches"
done
echo "load: ok"
