#!/bin/bash
# make corpus-test: the whole library corpus through the PTX front end.
# 1. test_corpus (full mode) parses, checks (ptx_check), prints, re-parses
#    every module and slices three kernels of each, writing the texts
#    under $OUT (skipped with CORPUS_REUSE=1 when $OUT/list.txt exists);
# 2. ptxas assembles, in parallel (JOBS), every original module, its
#    printed form, and each slice; a printed form or slice counts as a
#    failure only where the original module assembles.  Modules larger
#    than CORPUS_MAX_BYTES are not assembled whole, but their slices
#    (each at most that size) are, and both the original and the printed
#    form get the front-end check (3. below).
# 3. Front-end check of a large module: `ptxas -O0 -e ENTRY` parses and
#    type-checks the WHOLE module (syntax, operand types, undeclared
#    names, labels, state spaces, call signatures, target support, in
#    every function) but generates code for one entry only: the smallest
#    one (by text size, from `ntrace ptx index`), so codegen costs least.
#    A module without an entry is checked without -e: in whole-program
#    mode ptxas then type-checks every function and generates nothing.
#    What it does NOT catch: errors found only in code generation or
#    linking of the other entries (e.g. an entry over the shared-memory
#    limit).  A relocatable module is first tried with its unsized
#    .extern .global arrays defined (DEFEXT in asm), then with -c, which
#    compiles every function whatever -e says (a full -O0 run's cost).
# The corpus needs two allowances, the same for originals, printed forms
# and slices: PTX 9.1 texts are retried as .version 9.0 (CUDA 13.0's
# ptxas knows 9.0; the libraries carry 9.1), and modules built
# relocatable (.extern symbols defined in another module, e.g. NCCL's
# ncclDevFuncTable) are retried with ptxas -c.
# Environment: BUILD, CUDA_HOME, JOBS, CORPUS_MAX_BYTES (default: no
# limit), CORPUS_OUT (kept), CORPUS_REUSE, CORPUS_LARGE_ONLY=1 (only the
# modules over CORPUS_MAX_BYTES), CORPUS_SLICES=0 (no slice assembled),
# CORPUS_ORDER=size (smallest module first: a run stopped early has
# covered the most modules; default: list order), CORPUS_FE_FIRST=print
# (front-end check: the printed form first, the original only where the
# printed form fails, to tell a printer bug from a module ptxas rejects
# anyway: half the ptxas time, but originals are not counted).
set -u
BUILD=${BUILD:-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
JOBS=${JOBS:-2}
MAX=${CORPUS_MAX_BYTES:-0}
LARGE_ONLY=${CORPUS_LARGE_ONLY:-0}
SLICES=${CORPUS_SLICES:-1}
FE_FIRST=${CORPUS_FE_FIRST:-orig}
NTRACE=$BUILD/bin/ntrace
OUT=${CORPUS_OUT:-$(mktemp -d /tmp/nt_ptx_corpus.XXXXXX)}
mkdir -p "$OUT"
echo "corpus-test: writing under $OUT"
if [ "${CORPUS_REUSE:-0}" = 1 ] && [ -f "$OUT/list.txt" ]; then
    echo "corpus-test: reusing $OUT/list.txt"
else
    NTRACE_PTX_CORPUS_OUT=$OUT CUDA_HOME=$CUDA_HOME "$BUILD/tests/ptx/test_corpus" ||
        { echo "corpus-test: parse/check/print/slice failed"; exit 1; }
fi

# asm FILE ARCH [PTXAS ARGS...]: 0 when ptxas takes FILE (with the
# allowances above); the log is FILE.log; RELOC=1 where it took -c.
# DEFEXT=1 (front-end check only): before -c, try with each unsized
# `.extern .global NAME[];` made a definition `.global NAME[1];` (RELOC=2):
# ptxas -c compiles every function whatever -e says (NCCL: 6x the time),
# while the whole-program run with -e generates code for one entry.
asm() {
    f=$1; a=$2; in=$1; shift 2; RELOC=0
    "$CUDA_HOME/bin/ptxas" "$@" -arch="$a" "$in" -o /dev/null > "$f.log" 2>&1 && return 0
    if grep -q "Unsupported .version" "$f.log"; then
        sed '0,/^\.version 9\.1/s//.version 9.0/' "$f" > "$f.v90"; in=$f.v90
        "$CUDA_HOME/bin/ptxas" "$@" -arch="$a" "$in" -o /dev/null > "$f.log" 2>&1 && return 0
    fi
    grep -q "Unresolved extern" "$f.log" || return 1
    RELOC=1
    if [ "${DEFEXT:-0}" = 1 ]; then
        sed 's/^\.extern \(\.global .*\)\[\];$/\1[1];/' "$in" > "$f.def"
        "$CUDA_HOME/bin/ptxas" "$@" -arch="$a" "$f.def" -o /dev/null > "$f.log" 2>&1 && { RELOC=2; return 0; }
    fi
    "$CUDA_HOME/bin/ptxas" -c "$@" -arch="$a" "$in" -o /dev/null > "$f.log" 2>&1
}

# fe FILE ARCH ENTRY: the front-end check (3. above); ENTRY empty: none.
# Prints "MODE SECONDS" for the result line: MODE entry (-e ENTRY),
# whole (no entry, no -e), either with "+c" where ptxas needed -c, or
# "+def" where the extern definitions above did;
# SECONDS is wall time.
fe() {
    t0=$(date +%s.%N)
    if [ -n "$3" ]; then DEFEXT=1 asm "$1" "$2" -O0 -e "$3"; else DEFEXT=1 asm "$1" "$2" -O0; fi
    r=$?
    printf '%s%s %.2f' "$([ -n "$3" ] && echo entry || echo whole)" "$(case $RELOC in 1) echo +c;; 2) echo +def;; esac)" \
        "$(echo "$(date +%s.%N) - $t0" | bc)"
    return $r
}

# slices FILE...: assemble each slice (PREFIX: the result word's prefix)
slices() {
    p=$1; shift
    [ "$SLICES" = 1 ] || return 0
    for s in "$@"; do
        [ -f "$s" ] || continue
        [ -n "$p" ] && [ "$MAX" -gt 0 ] && [ "$(wc -c < "$s")" -gt "$MAX" ] && { echo "${p}sliceskip $s"; continue; }
        if asm "$s" "$arch"; then echo "${p}sliceok $s"; else echo "${p}slicefail $s"; fi
    done
}

# one job per module: original, then printed form and slices
job() {
    base=$1; arch=$2; o=$OUT
    size=$(wc -c < "$o/$base.orig.ptx")
    if [ "$MAX" -gt 0 ] && [ "$size" -gt "$MAX" ]; then
        echo "skip $base"
        # the smallest entry (index lines: func entry BEGIN SIZE line N NAME)
        ent=$("$NTRACE" ptx index "$o/$base.orig.ptx" |
              awk '$1 == "func" && $2 == "entry" && (min == "" || $4 < min) { min = $4; n = $NF } END { print n }')
        if [ "$FE_FIRST" = print ] && r=$(fe "$o/$base.print.ptx" "$arch" "$ent"); then
            echo "feprintfirstok $base $r"
        elif r=$(fe "$o/$base.orig.ptx" "$arch" "$ent"); then
            echo "feorigok $base $r"
            r=$(fe "$o/$base.print.ptx" "$arch" "$ent") && echo "feprintok $base $r" || echo "feprintfail $base $r"
        else
            echo "feorigfail $base $r"
        fi
        slices big "$o/$base".slice*.ptx
        return
    fi
    [ "$LARGE_ONLY" = 1 ] && return
    asm "$o/$base.orig.ptx" "$arch" || { echo "origfail $base"; return; }
    if asm "$o/$base.print.ptx" "$arch"; then echo "printok $base"; else echo "printfail $base"; fi
    slices "" "$o/$base".slice*.ptx
}
export OUT CUDA_HOME MAX LARGE_ONLY SLICES NTRACE FE_FIRST
export -f job asm fe slices
modules() {
    if [ "${CORPUS_ORDER:-list}" = size ]; then
        grep ' module ' "$OUT/list.txt" | while read -r b a _; do
            echo "$(wc -c < "$OUT/$b.orig.ptx") $b $a"
        done | sort -n -k1,1 | cut -d' ' -f2-
    else
        grep ' module ' "$OUT/list.txt" | awk '{print $1, $2}'
    fi
}
modules | xargs -P "$JOBS" -L 1 bash -c 'job "$0" "$1"' > "$OUT/results.txt"
r=$OUT/results.txt
printf 'corpus-test: %s modules; original assembles: %s (fails: %s, larger than %s bytes: %s)\n' \
    "$(grep -c ' module ' "$OUT/list.txt")" \
    "$(grep -c '^print' "$r")" "$(grep -c '^origfail' "$r")" "$MAX" "$(grep -c '^skip' "$r")"
printf 'corpus-test: printed form assembles: %s / %s\n' "$(grep -c '^printok' "$r")" "$(grep -c '^print' "$r")"
printf 'corpus-test: slices assemble: %s / %s\n' "$(grep -c '^sliceok' "$r")" "$(grep -c '^slice' "$r")"
printf 'corpus-test: slices of the larger modules assemble: %s / %s (%s slices larger than the limit)\n' \
    "$(grep -c '^bigsliceok' "$r")" "$(grep -cE '^bigslice(ok|fail)' "$r")" "$(grep -c '^bigsliceskip' "$r")"
n_fe=$(grep -cE '^fe(orig(ok|fail)|printfirstok)' "$r"); n_feok=$(grep -c '^feorigok' "$r")
n_first=$(grep -c '^feprintfirstok' "$r")
printf 'corpus-test: larger modules, front-end check (ptxas -O0 -e <smallest entry>): %s modules; original passes: %s (fails: %s, not checked: %s)\n' \
    "$n_fe" "$n_feok" "$(grep -c '^feorigfail' "$r")" "$n_first"
printf 'corpus-test: larger modules, front-end check of the printed form: %s / %s (by mode: %s)\n' \
    "$(grep -cE '^feprint(first)?ok' "$r")" "$((n_feok + n_first))" \
    "$(awk '/^fe(origok|printfirstok)/ { m[$3]++ } END { for (k in m) printf "%s %d ", k, m[k] }' "$r")"
grep -E '^(printfail|slicefail|bigslicefail|feprintfail)' "$r" | head -20
if grep -qE '^(printfail|slicefail|bigslicefail|feprintfail)' "$r"; then exit 1; fi
exit 0
