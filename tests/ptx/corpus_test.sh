#!/bin/bash
# make corpus-test: the whole library corpus through the PTX front end.
# 1. test_corpus (full mode) parses, prints, re-parses every module and
#    slices three kernels of each, writing the texts under $OUT;
# 2. ptxas assembles, in parallel (JOBS), every original module, its
#    printed form, and each slice; a printed form or slice counts as a
#    failure only where the original module assembles.
# Environment: BUILD, CUDA_HOME, JOBS, CORPUS_MAX_BYTES (skip ptxas on
# modules larger than this; default: no limit), CORPUS_OUT (kept).
set -u
BUILD=${BUILD:-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
JOBS=${JOBS:-2}
MAX=${CORPUS_MAX_BYTES:-0}
OUT=${CORPUS_OUT:-$(mktemp -d /tmp/nt_ptx_corpus.XXXXXX)}
mkdir -p "$OUT"
echo "corpus-test: writing under $OUT"
NTRACE_PTX_CORPUS_OUT=$OUT CUDA_HOME=$CUDA_HOME "$BUILD/tests/ptx/test_corpus" || { echo "corpus-test: parse/print/slice checks failed"; exit 1; }

# one job per module: original, then printed form and slices
job() {
    base=$1; arch=$2; o=$OUT
    size=$(wc -c < "$o/$base.orig.ptx")
    if [ "$MAX" -gt 0 ] && [ "$size" -gt "$MAX" ]; then echo "skip $base"; return; fi
    if ! "$CUDA_HOME/bin/ptxas" -arch="$arch" "$o/$base.orig.ptx" -o /dev/null >/dev/null 2>&1; then
        echo "origfail $base"; return; fi
    if "$CUDA_HOME/bin/ptxas" -arch="$arch" "$o/$base.print.ptx" -o /dev/null > "$o/$base.print.log" 2>&1
    then echo "printok $base"; else echo "printfail $base"; fi
    for s in "$o/$base".slice*.ptx; do
        [ -f "$s" ] || continue
        if "$CUDA_HOME/bin/ptxas" -arch="$arch" "$s" -o /dev/null > "$s.log" 2>&1
        then echo "sliceok $s"; else echo "slicefail $s"; fi
    done
}
export OUT CUDA_HOME MAX
export -f job
grep ' module ' "$OUT/list.txt" | awk '{print $1, $2}' |
    xargs -P "$JOBS" -L 1 bash -c 'job "$0" "$1"' > "$OUT/results.txt"
r=$OUT/results.txt
printf 'corpus-test: %s modules; original assembles: %s (fails: %s, skipped: %s)\n' \
    "$(grep -c ' module ' "$OUT/list.txt")" \
    "$(grep -c '^print' "$r")" "$(grep -c '^origfail' "$r")" "$(grep -c '^skip' "$r")"
printf 'corpus-test: printed form assembles: %s / %s\n' "$(grep -c '^printok' "$r")" "$(grep -c '^print' "$r")"
printf 'corpus-test: slices assemble: %s / %s\n' "$(grep -c '^sliceok' "$r")" "$(grep -c '^slice' "$r")"
grep -E '^(printfail|slicefail)' "$r" | head -20
if grep -qE '^(printfail|slicefail)' "$r"; then exit 1; fi
exit 0
