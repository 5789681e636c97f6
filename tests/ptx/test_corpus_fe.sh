#!/bin/sh
# corpus_test.sh's front-end check of large modules (ptxas -O0 -e <the
# smallest entry>, or no -e where a module has no entry), on a tiny corpus
# made here: every module counts as large (CORPUS_MAX_BYTES=1).
#   m00000 the nvcc fixture and its printed form: both pass (-e entry)
#   m00001 the same, its printed form broken by an operand type mismatch
#          in switch_local, a kernel other than the one -e names
#          (unused_kernel, the smallest): a printed-form failure
#   m00002 .func only, no entry: checked without -e (whole), passes
#   m00003 an original ptxas rejects: not passed, its printed form not
#          counted
#   m00004 relocatable (an unsized .extern .global array): passes in
#          whole-program mode once the array is defined (+def), not -c
BUILD=${BUILD:-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
N=$BUILD/bin/ntrace
F=$BUILD/fixtures/ptx/basic.ptx
[ -x "$CUDA_HOME/bin/ptxas" ] || { echo "skip: no ptxas"; exit 77; }
T=$(mktemp -d /tmp/nt_corpus_fe.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; cat "$T/results.txt" 2>/dev/null; exit 1; }

# the fixture's smallest entry is unused_kernel
$N ptx index "$F" | grep -q 'entry .* 246  line 534 *unused_kernel$' || fail "fixture changed: smallest entry"
# ret_line FILE: the line of switch_local's first ret
ret_line() { awk '/\.entry switch_local/ { in_k = 1 } in_k && /^[ \t]*ret;/ { print NR; exit }' "$1"; }

for m in m00000 m00001 m00003; do
    cp "$F" "$T/$m.orig.ptx"
    $N ptx print "$F" > "$T/$m.print.ptx" || fail "print exit $?"
    echo "$m sm_90 module | fixture basic.ptx" >> "$T/list.txt"
done
at=$(ret_line "$T/m00000.print.ptx")
awk -v n="$at" 'NR == n { print "\tadd.s32 %rd1, %r1, %r2;" } { print }' "$T/m00000.print.ptx" > "$T/m00001.print.ptx"
awk -v n="$(ret_line "$F")" 'NR == n { print "\tnt_bogus;" } { print }' "$F" > "$T/m00003.orig.ptx"
$N ptx print "$T/m00003.orig.ptx" > "$T/m00003.print.ptx" || fail "print exit $?"
cat > "$T/m00002.orig.ptx" <<'EOF'
.version 9.0
.target sm_90
.address_size 64

.visible .func (.param .b32 r) twice(.param .b32 a)
{
	.reg .b32 %r<3>;
	ld.param.u32 %r1, [a];
	add.s32 %r2, %r1, %r1;
	st.param.b32 [r], %r2;
	ret;
}
EOF
$N ptx print "$T/m00002.orig.ptx" > "$T/m00002.print.ptx" || fail "print exit $?"
echo "m00002 sm_90 module | hand-written" >> "$T/list.txt"
cat > "$T/m00004.orig.ptx" <<'EOF'
.version 9.0
.target sm_90
.address_size 64

.extern .global .align 8 .b8 nt_table[];

.visible .entry k()
{
	.reg .b64 %rd<3>;
	mov.u64 %rd1, nt_table;
	ld.global.u64 %rd2, [%rd1];
	st.global.u64 [%rd1], %rd2;
	ret;
}
EOF
$N ptx print "$T/m00004.orig.ptx" > "$T/m00004.print.ptx" || fail "print exit $?"
echo "m00004 sm_90 module | hand-written" >> "$T/list.txt"

out=$(CORPUS_OUT=$T CORPUS_REUSE=1 CORPUS_MAX_BYTES=1 CORPUS_LARGE_ONLY=1 CORPUS_SLICES=0 JOBS=2 \
      BUILD=$BUILD CUDA_HOME=$CUDA_HOME bash tests/ptx/corpus_test.sh); rc=$?
[ $rc -eq 1 ] || fail "exit $rc (a printed-form failure must fail the run): $out"
r=$T/results.txt
grep -q '^feorigok m00000 entry ' "$r" || fail "m00000 original"
grep -q '^feprintok m00000 entry ' "$r" || fail "m00000 printed form"
grep -q '^feorigok m00001 entry ' "$r" || fail "m00001 original"
grep -q '^feprintfail m00001 entry ' "$r" || fail "m00001: the mismatch in another kernel was not caught"
grep -q "line $at.*Arguments mismatch for instruction .add." "$T/m00001.print.ptx.log" || fail "m00001 log: $(cat "$T/m00001.print.ptx.log")"
grep -q '^feorigok m00002 whole ' "$r" || fail "m00002 (no entry)"
grep -q '^feprintok m00002 whole ' "$r" || fail "m00002 printed form"
grep -q '^feorigfail m00003 entry ' "$r" || fail "m00003 original"
grep -q 'm00003.*print' "$r" && fail "m00003's printed form was counted"
grep -q '^feorigok m00004 entry+def ' "$r" || fail "m00004 (relocatable) original"
grep -q '^feprintok m00004 entry+def ' "$r" || fail "m00004 (relocatable) printed form"
echo "$out" | grep -q 'front-end check (.*): 5 modules; original passes: 4 (fails: 1, not checked: 0)$' || fail "summary: $out"
echo "$out" | grep -q 'front-end check of the printed form: 3 / 4 ' || fail "summary: $out"
echo "$out" | grep -q '^feprintfail m00001 ' || fail "failure not listed: $out"

# CORPUS_FE_FIRST=print: the printed form first, the original only where
# the printed form fails (m00001: a printer bug; m00003: ptxas rejects
# the original too)
rm -f "$T/results.txt"
out=$(CORPUS_OUT=$T CORPUS_REUSE=1 CORPUS_MAX_BYTES=1 CORPUS_LARGE_ONLY=1 CORPUS_SLICES=0 JOBS=2 \
      CORPUS_FE_FIRST=print BUILD=$BUILD CUDA_HOME=$CUDA_HOME bash tests/ptx/corpus_test.sh); rc=$?
[ $rc -eq 1 ] || fail "print first: exit $rc: $out"
for m in m00000 m00002 m00004; do
    grep -q "^feprintfirstok $m " "$r" || fail "print first: $m"
done
grep -q '^feorigok m00001 entry ' "$r" && grep -q '^feprintfail m00001 entry ' "$r" || fail "print first: m00001"
grep -q '^feorigfail m00003 entry ' "$r" || fail "print first: m00003"
[ "$(grep -c '^feorig' "$r")" = 2 ] || fail "print first: originals checked where the printed form passed"
echo "$out" | grep -q 'front-end check (.*): 5 modules; original passes: 1 (fails: 1, not checked: 3)$' || fail "summary: $out"
echo "$out" | grep -q 'front-end check of the printed form: 3 / 4 ' || fail "summary: $out"
echo "ok: front-end check of large modules"
