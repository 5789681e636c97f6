#!/bin/sh
# make load-test: the long load runs of issue 12, too slow for make test.
#  1. LOAD_LAUNCHES (1 M) launches of a tiny kernel under block_sched;
#  2. LOAD_KERNELS (100 k) distinct kernels, each launched once (modules of
#     1,000 entries, loaded and unloaded in turn).
# The injector is loaded by hand (inject_emu, tests/lib.sh) so /usr/bin/time
# measures the app itself.  Every launch is accounted for in the database
# (probed with its record, or a reason in its row); prints wall time, peak
# RSS and database size.
. tests/lib.sh
N=${LOAD_LAUNCHES:-1000000}
K=${LOAD_KERNELS:-100000}
q() { sqlite3 "$1" "$2"; }
measure() { # label db launches program...
    label=$1; db=$2; n=$3; shift 3
    inject_emu "$db" /usr/bin/time -v "$@" > "$tmp/out" 2> "$tmp/err" \
        || { tail -30 "$tmp/out" "$tmp/err"; fail "$label: exit status"; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$tmp/err")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/err")
    [ "$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL")" = "$n" ] \
        || fail "$label: $(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL") launch rows, want $n"
    [ "$(q "$db" "select launches from NTRACE_RUN")" = "$n" ] || fail "$label: run row launches"
    probed=$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed' and recordsSaved = 1")
    other=$(q "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus like 'not probed: %'
                      or probeStatus like 'buffer %: %'")
    [ $((probed + other)) -eq "$n" ] \
        || fail "$label: $probed probed + $other with a reason != $n: $(q "$db" "select probeStatus, count(*) from CUPTI_ACTIVITY_KIND_KERNEL group by 1")"
    [ "$(q "$db" "select count(*) from PROBE_BLOCK_SCHED_REC")" = "$probed" ] || fail "$label: records != probed"
    [ "$(q "$db" "pragma integrity_check")" = ok ] || fail "$label: integrity_check"
    echo "load $label: $n launches ($probed probed, $other with a reason), wall $wall, peak RSS $rss KB, database $(stat -c %s "$db") bytes"
}
measure "launches" "$tmp/launches.db" "$N" "$ROOT/$BUILD/bench/launchloop_app" "$N"
grep -q "launches $N" "$tmp/out" || fail "launches: the app's results: $(cat "$tmp/out")"
measure "kernels" "$tmp/kernels.db" "$K" "$ROOT/$BUILD/reliability/loadapp" kernels "$K"
grep -q "$K kernels, $K launches: ok" "$tmp/out" || fail "kernels: the app's results: $(cat "$tmp/out")"
[ "$(q "$tmp/kernels.db" "select count(*) from NTRACE_KERNELS")" = "$K" ] || fail "kernels: NTRACE_KERNELS rows"
echo "load-test: ok"
