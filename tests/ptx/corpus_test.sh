#!/bin/bash
# make corpus-test: the whole library corpus through the PTX front end.
# 1. test_corpus (full mode) parses, checks (ptx_check), prints, re-parses
#    every module and slices three kernels of each, writing the texts
#    under $OUT (skipped with CORPUS_REUSE=1 when $OUT/list.txt exists);
# 2. ptxas assembles, in parallel (JOBS), every original module, its
#    printed form, and each slice; a printed form or slice counts as a
#    failure only where the original module assembles.  Modules larger
#    than CORPUS_MAX_BYTES are not assembled whole, but their slices
#    (each at most that size) are.
# The corpus needs two allowances, the same for originals, printed forms
# and slices: PTX 9.1 texts are retried as .version 9.0 (CUDA 13.0's
# ptxas knows 9.0; the libraries carry 9.1), and modules built
# relocatable (.extern symbols defined in another module, e.g. NCCL's
# ncclDevFuncTable) are retried with ptxas -c.
# Environment: BUILD, CUDA_HOME, JOBS, CORPUS_MAX_BYTES (default: no
# limit), CORPUS_OUT (kept), CORPUS_REUSE.
set -u
BUILD=${BUILD:-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
JOBS=${JOBS:-2}
MAX=${CORPUS_MAX_BYTES:-0}
OUT=${CORPUS_OUT:-$(mktemp -d /tmp/nt_ptx_corpus.XXXXXX)}
mkdir -p "$OUT"
echo "corpus-test: writing under $OUT"
if [ "${CORPUS_REUSE:-0}" = 1 ] && [ -f "$OUT/list.txt" ]; then
    echo "corpus-test: reusing $OUT/list.txt"
else
    NTRACE_PTX_CORPUS_OUT=$OUT CUDA_HOME=$CUDA_HOME "$BUILD/tests/ptx/test_corpus" ||
        { echo "corpus-test: parse/check/print/slice failed"; exit 1; }
fi

# asm FILE ARCH: 0 when ptxas takes FILE (with the allowances above);
# the log is FILE.log
asm() {
    f=$1; a=$2; in=$1
    "$CUDA_HOME/bin/ptxas" -arch="$a" "$in" -o /dev/null > "$f.log" 2>&1 && return 0
    if grep -q "Unsupported .version" "$f.log"; then
        sed '0,/^\.version 9\.1/s//.version 9.0/' "$f" > "$f.v90"; in=$f.v90
        "$CUDA_HOME/bin/ptxas" -arch="$a" "$in" -o /dev/null > "$f.log" 2>&1 && return 0
    fi
    grep -q "Unresolved extern" "$f.log" &&
        "$CUDA_HOME/bin/ptxas" -c -arch="$a" "$in" -o /dev/null > "$f.log" 2>&1
}

# one job per module: original, then printed form and slices
job() {
    base=$1; arch=$2; o=$OUT
    size=$(wc -c < "$o/$base.orig.ptx")
    if [ "$MAX" -gt 0 ] && [ "$size" -gt "$MAX" ]; then
        echo "skip $base"
        for s in "$o/$base".slice*.ptx; do
            [ -f "$s" ] || continue
            [ "$(wc -c < "$s")" -gt "$MAX" ] && { echo "bigsliceskip $s"; continue; }
            if asm "$s" "$arch"; then echo "bigsliceok $s"; else echo "bigslicefail $s"; fi
        done
        return
    fi
    asm "$o/$base.orig.ptx" "$arch" || { echo "origfail $base"; return; }
    if asm "$o/$base.print.ptx" "$arch"; then echo "printok $base"; else echo "printfail $base"; fi
    for s in "$o/$base".slice*.ptx; do
        [ -f "$s" ] || continue
        if asm "$s" "$arch"; then echo "sliceok $s"; else echo "slicefail $s"; fi
    done
}
export OUT CUDA_HOME MAX
export -f job asm
grep ' module ' "$OUT/list.txt" | awk '{print $1, $2}' |
    xargs -P "$JOBS" -L 1 bash -c 'job "$0" "$1"' > "$OUT/results.txt"
r=$OUT/results.txt
printf 'corpus-test: %s modules; original assembles: %s (fails: %s, larger than %s bytes: %s)\n' \
    "$(grep -c ' module ' "$OUT/list.txt")" \
    "$(grep -c '^print' "$r")" "$(grep -c '^origfail' "$r")" "$MAX" "$(grep -c '^skip' "$r")"
printf 'corpus-test: printed form assembles: %s / %s\n' "$(grep -c '^printok' "$r")" "$(grep -c '^print' "$r")"
printf 'corpus-test: slices assemble: %s / %s\n' "$(grep -c '^sliceok' "$r")" "$(grep -c '^slice' "$r")"
printf 'corpus-test: slices of the larger modules assemble: %s / %s (%s slices larger than the limit)\n' \
    "$(grep -c '^bigsliceok' "$r")" "$(grep -cE '^bigslice(ok|fail)' "$r")" "$(grep -c '^bigsliceskip' "$r")"
grep -E '^(printfail|slicefail|bigslicefail)' "$r" | head -20
if grep -qE '^(printfail|slicefail|bigslicefail)' "$r"; then exit 1; fi
exit 0
