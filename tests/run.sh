#!/bin/sh
# Run test binaries (cmocka) and test scripts in parallel, then print one
# summary line: "N passed, N failed[, N skipped]".  A cmocka binary counts
# its test cases; a script counts as one test (exit 0 pass, 77 skip).  A
# binary that dies without a cmocka summary counts as one failure.
# Environment: BUILD (build dir), JOBS (parallelism), VALGRIND=1 (run the
# test binaries under valgrind; any error or leak fails the test).
BUILD=${BUILD:-build}
JOBS=${JOBS:-2}
export BUILD
WRAP=""
[ "${VALGRIND:-0}" = 1 ] && WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect"
export WRAP
logdir=$BUILD/test-logs
rm -rf "$logdir" && mkdir -p "$logdir"

if [ $# -gt 0 ]; then
    # Each test runs in a fresh sh; its log and exit code land in $logdir.
    fn=$(cat <<'FN'
t=$1
name=$(echo "$t" | sed 's|^'"$BUILD"'/tests/||; s|^tests/||; s|/|_|g')
log=$BUILD/test-logs/$name.log
case "$t" in
    *.sh) sh "$t" >"$log" 2>&1 ;;
    *)    $WRAP "$t" >"$log" 2>&1 ;;
esac
echo $? >"$log.rc"
FN
)
    printf '%s\n' "$@" | xargs -P "$JOBS" -I{} sh -c "$fn" sh {}
fi

pass=0; fail=0; skip=0; failed_names=""
for t in "$@"; do
    name=$(echo "$t" | sed 's|^'"$BUILD"'/tests/||; s|^tests/||; s|/|_|g')
    log=$logdir/$name.log
    rc=$(cat "$log.rc" 2>/dev/null || echo 99)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    case "$t" in *.sh) p=""; f=""; s="";; esac
    if [ -n "$p$f" ]; then
        pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
        if [ "${f:-0}" -gt 0 ] || [ "$rc" != 0 ]; then
            [ "${f:-0}" -gt 0 ] || fail=$((fail + 1))
            failed_names="$failed_names $name"
        fi
    elif [ "$rc" = 0 ]; then pass=$((pass + 1))
    elif [ "$rc" = 77 ]; then skip=$((skip + 1))
    else fail=$((fail + 1)); failed_names="$failed_names $name"
    fi
    printf '%-48s %s\n' "$name" "$( [ "$rc" = 0 ] && echo ok || { [ "$rc" = 77 ] && echo skipped || echo "FAILED (rc=$rc)"; } )"
done
for n in $failed_names; do
    echo "---- $n (log: $logdir/$n.log)"
    tail -n 30 "$logdir/$n.log"
done
if [ "$skip" -gt 0 ]; then
    echo "$pass passed, $fail failed, $skip skipped"
else
    echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
