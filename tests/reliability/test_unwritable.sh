#!/bin/sh
# The database cannot be written.  The injector is loaded by hand (the
# environment `ntrace run` would set, but with an output `ntrace run` would
# refuse), so the collector meets the failure inside the app:
#  - the output's directory is missing, or the output lies under a
#    regular file: the database cannot be created;
#  - a file size limit (prlimit --fsize, SIGXFSZ ignored) stops the database
#    growing mid-run: writes fail as on a full disk (the run writes more
#    than the limit lets both files hold, so this is mid-run whatever the
#    timing: see 3.).
# Each time the app runs to the end with correct results (it checks them
# itself), and stderr says the data is lost and how much.
. tests/lib.sh
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0


# 1. The output's directory does not exist.  (An output that is a
#    directory is a name clash to the per-process claim: the data goes to
#    OUT.<pid> next to it, nothing is lost.)
inject_emu "$tmp/nodir/x.db" "$ROOT/$BUILD/apps/vecadd" "$KDIR" > "$tmp/out" 2> "$tmp/err" \
    || { cat "$tmp/out" "$tmp/err"; fail "vecadd failed when the output directory is missing"; }
grep -q "^vecadd: ok" "$tmp/out" || fail "vecadd's results: $(cat "$tmp/out")"
grep -q "collector: .*$tmp/nodir/x.db.*everything it records is counted as lost" "$tmp/err" \
    || { cat "$tmp/err"; fail "no 'counted as lost' message naming the path"; }
grep -q "lost [1-9][0-9]* probe records" "$tmp/err" \
    || { cat "$tmp/err"; fail "the records lost are not counted"; }
[ -e "$tmp/nodir" ] && fail "the missing directory was created"

# 2. The output lies under a regular file.
: > "$tmp/afile"
inject_emu "$tmp/afile/x.db" "$ROOT/$BUILD/apps/matmul" "$KDIR" > "$tmp/out" 2> "$tmp/err" \
    || { cat "$tmp/out" "$tmp/err"; fail "matmul failed when the output is under a file"; }
grep -q "^matmul: ok" "$tmp/out" || fail "matmul's results: $(cat "$tmp/out")"
grep -q "counted as lost" "$tmp/err" || { cat "$tmp/err"; fail "no 'counted as lost' message"; }
[ -s "$tmp/afile" ] && fail "the regular file was written"

# 3. The database stops growing mid-run: what was committed stays
#    readable, the rest is counted as lost.  Mid-run whatever the timing:
#    the limit (3 MiB) holds for the database and its WAL each, so at most
#    2 x 3 MiB of committed pages exist at any time, and N launches commit
#    at least ~100 bytes of rows each (a kernel row of ~77 bytes and a
#    block_sched record of ~27: 4.06 MB of those two tables for 40000
#    launches, without indexes).  80000 launches need >= 8.1 MB, 29 % more
#    than both files can hold even if the schema took no room, so the limit
#    always falls before the end of the run.  (With 12000 launches, 1.2 MB,
#    it fell mid-run only when many small commits filled the WAL with
#    copies of the same pages; on a loaded machine the commits were fewer
#    and larger, the rows fitted, and the limit fell at the indexes at the
#    end of the run.  That case has its own test: test_collector_robust's
#    full_at_the_end_one_true_line.)
N=80000
db=$tmp/full.db
command -v prlimit > /dev/null || { echo "unwritable: ok (no prlimit: the full-disk case skipped)"; exit 0; }
( trap '' XFSZ; inject_emu "$db" prlimit --fsize=3145728 "$ROOT/$BUILD/bench/launchloop_app" $N ) \
    > "$tmp/out" 2> "$tmp/err" || { cat "$tmp/out" "$tmp/err"; fail "launchloop failed on a full database"; }
grep -q "^launchloop: first_launch_us" "$tmp/out" || fail "launchloop's results: $(cat "$tmp/out")"
# stderr is exactly two lines: the failure, said once with its true cause
# (not a second "cannot rollback" or a bare "disk I/O error" from the end
# of the run), then the run's summary naming the same cause and the loss.
why="disk I/O error while [a-zA-Z_' ]*"
n='[0-9][0-9]*'
[ "$(wc -l < "$tmp/err")" -eq 2 ] || { cat "$tmp/err"; fail "stderr is not exactly 2 lines"; }
sed -n 1p "$tmp/err" | grep -qx "ntrace: error: collector: database $db: $why; the run goes on, everything from here on is counted as lost ($n rows committed before)" \
    || { cat "$tmp/err"; fail "line 1 is not the mid-run failure (if the limit fell at the end of the run, N is too small for the limit: see 3.)"; }
sed -n 2p "$tmp/err" | grep -qx "ntrace: $db: $n launches, $n probe buffers, $n records saved, 0 dropped on the device (cap); database $db: $why: lost $n probe records and $n other rows" \
    || { cat "$tmp/err"; fail "line 2 is not the run's summary"; }
c1=$(sed -n '1s/.*: \(disk I\/O error while [^;]*\);.*/\1/p' "$tmp/err")
c2=$(sed -n '2s/.*: \(disk I\/O error while [^:]*\): lost.*/\1/p' "$tmp/err")
[ -n "$c1" ] && [ "$c1" = "$c2" ] || { cat "$tmp/err"; fail "the summary names another cause ($c2) than the failure ($c1)"; }
# The run row gets the cause too when the disk takes the end-of-run update
# (it may not: the file is still at its limit).
dberr=$(sqlite3 "$db" "select dbError from NTRACE_RUN")
[ -z "$dberr" ] || [ "$dberr" = "database $db: $c1" ] || fail "NTRACE_RUN.dbError: $dberr"
lost=$(sed -n 's/.*lost \([0-9]*\) probe records.*/\1/p' "$tmp/err" | tail -1)
[ "${lost:-0}" -gt 0 ] || { cat "$tmp/err"; fail "records lost not counted"; }
# What was committed before the failure is sound and adds up with what was lost.
[ "$(sqlite3 "$db" "pragma integrity_check")" = ok ] || fail "integrity_check after a full disk"
kept=$(sqlite3 "$db" "select count(*) from PROBE_BLOCK_SCHED_REC")
[ -n "$kept" ] && [ $((kept + lost)) -eq $N ] || fail "records: $kept kept + $lost lost != $N launches"
echo "unwritable: ok ($kept records kept, $lost counted as lost)"
