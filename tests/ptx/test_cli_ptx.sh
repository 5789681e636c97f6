#!/bin/sh
# ntrace ptx check|print|slice|index on the nvcc fixture, and its errors.
. tests/lib.sh
N=$NT
F=$BUILD/fixtures/ptx/basic.ptx
T=$tmp

out=$($N ptx check "$F") || fail "check exit $?"
echo "$out" | grep -q "ok: PTX 9.0, target sm_90, 12 functions (5 entries), 6 variables" || fail "check said: $out"

$N ptx print "$F" > "$T/p.ptx" || fail "print exit $?"
$N ptx print "$T/p.ptx" > "$T/p2.ptx" || fail "reprint exit $?"
cmp -s "$T/p.ptx" "$T/p2.ptx" || fail "print is not a fixpoint"

$N ptx slice "$F" --kernel vec_add > "$T/s.ptx" || fail "slice exit $?"
grep -q '^.visible .entry vec_add' "$T/s.ptx" || fail "slice lacks the kernel"
grep -q 'reduce_shared' "$T/s.ptx" && fail "slice holds another kernel"

$N ptx index "$F" | grep -q '^func  entry .* vec_add$' || fail "index lacks vec_add"

# errors: one line with file:line:col, exit 1; usage errors exit 2
printf '.version 9.0\n.target sm_90\n.entry k()\n{\n\tbogus %%r1;\n}\n' > "$T/bad.ptx"
err=$($N ptx check "$T/bad.ptx" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "bad input exit $rc"
echo "$err" | grep -q "bad.ptx:5:8: undeclared register, found '%r1'" || fail "error said: $err"
# check's strict pass: every error, with file:line:col, exit 1
printf '.version 9.0\n.target sm_90\n.entry k()\n{\n\t.reg .b32 %%r<2>;\n\tbogus.u32 %%r1, %%r0;\n\tld.global.u32 %%r1, [nowhere+4];\n\tret;\n}\n' > "$T/strict.ptx"
err=$($N ptx check "$T/strict.ptx" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "strict check exit $rc"
echo "$err" | grep -q "strict.ptx:6:2: unknown instruction 'bogus.u32' (opcode 'bogus'); expected an opcode of the PTX ISA" || fail "check said: $err"
echo "$err" | grep -q "strict.ptx:7:22: undeclared name 'nowhere' in address" || fail "check said: $err"
$N ptx print "$T/strict.ptx" >/dev/null || fail "print must stay lenient"
$N ptx slice "$F" --kernel nope >/dev/null 2>&1; [ $? -eq 1 ] || fail "unknown kernel should exit 1"
$N ptx slice "$F" >/dev/null 2>&1; [ $? -eq 2 ] || fail "slice without --kernel should exit 2"
$N ptx frob "$F" >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown action should exit 2"
$N ptx check /nonexistent.ptx >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing file should exit 1"
echo ok
