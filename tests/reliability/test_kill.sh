#!/bin/sh
# The app is killed with SIGKILL in the middle of a probed run (emulator,
# block_sched, a launch loop that would run for minutes): the database
# opens, passes SQLite's integrity check, and holds what was committed
# before the kill (launches and their probe records, consistent with each
# other); `ntrace run` reports the signal and exits 128+9.
. tests/lib.sh
APP=$ROOT/$BUILD/bench/launchloop_app
emu_env
db=$tmp/k.db
q() { sqlite3 "$db" "$1"; }

# The program records its own pid, then becomes the launch loop.
"$NT" run --emulate -p block_sched -o "$db" -- \
    sh -c 'echo $$ > "$0"; exec "$1" 100000000' "$tmp/pid" "$APP" > "$tmp/out" 2>&1 &
nt=$!
# Wait (at most 30 s) until some launches and records are committed.
i=0
while :; do
    # (Only once the injector made the file: sqlite3 would create it.)
    n=0; [ -s "$db" ] && n=$(sqlite3 -readonly "$db" "select count(*) from PROBE_BLOCK_SCHED_REC" 2>/dev/null)
    [ "${n:-0}" -gt 0 ] && break
    kill -0 $nt 2>/dev/null || { cat "$tmp/out"; fail "the run ended before the kill"; }
    i=$((i + 1))
    [ $i -gt 300 ] && { kill -KILL "$(cat "$tmp/pid")" 2>/dev/null; wait $nt; cat "$tmp/out"; fail "no record committed within 30 s"; }
    sleep 0.1
done
sleep 1
before_l=$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL")
before_r=$(q "select count(*) from PROBE_BLOCK_SCHED_REC")
kill -KILL "$(cat "$tmp/pid")" || fail "could not kill the app"
wait $nt; rc=$?
[ $rc -eq 137 ] || { cat "$tmp/out"; fail "ntrace run exit $rc, want 137"; }
grep -q "killed by signal 9" "$tmp/out" || { cat "$tmp/out"; fail "the signal is not reported"; }
# ntrace run's summary read the killed run's database.
grep -q "^ntrace: 1 kernels seen, 1 instrumented; [0-9]* launches, [0-9]* probed" "$tmp/out" \
    || { cat "$tmp/out"; fail "no summary of the killed run"; }

# The database: sound, and everything seen committed before the kill is there.
[ "$(q "pragma integrity_check")" = ok ] || fail "integrity_check: $(q "pragma integrity_check")"
[ "$(q "pragma application_id")" = $((0x4e545243)) ] || fail "not an ntrace database"
after_l=$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL")
after_r=$(q "select count(*) from PROBE_BLOCK_SCHED_REC")
[ "$after_l" -ge "$before_l" ] && [ "$after_l" -gt 0 ] || fail "launches: $before_l before the kill, $after_l after"
[ "$after_r" -ge "$before_r" ] && [ "$after_r" -gt 0 ] || fail "records: $before_r before the kill, $after_r after"
# Every record belongs to a stored launch, and each probed launch stored
# holds its one record (one warp) — no half-written launch.
# (No index yet: the run never finished, so the queries avoid
# correlated subqueries.)
orphans=$(q "select count(*) from PROBE_BLOCK_SCHED_REC
             where launchId not in (select launchId from CUPTI_ACTIVITY_KIND_KERNEL)")
[ "$orphans" -eq 0 ] || fail "$orphans records without their launch"
bad=$(q "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL k left join
           (select launchId, count(*) as c from PROBE_BLOCK_SCHED_REC group by launchId) r
           using (launchId) where k.recordsSaved > 0 and coalesce(r.c, 0) != k.recordsSaved")
[ "$bad" -eq 0 ] || fail "$bad launches whose records are not all stored"
[ "$(q "select count(*) from NTRACE_RUN")" = 1 ] || fail "no run row"
echo "kill: ok ($after_l launches, $after_r records kept)"
