#!/bin/sh
# Bad input through the CLI: truncated and random binaries for `inspect`,
# malformed PTX for `ptx check`, probes with mistakes for `probe check`.
# Each gives a one-line error saying where (file:line[:col] or offset),
# and a non-zero exit below 128 (no crash).
. tests/lib.sh
FIX=$BUILD/fixtures/binary

# expect RC 'pattern (grep -E)' cmd...: exit RC, exactly one stderr line
# matching the pattern.
expect() {
    want=$1; pat=$2; shift 2
    "$@" > "$tmp/stdout" 2> "$tmp/err"; rc=$?
    [ $rc -eq "$want" ] || { cat "$tmp/err"; fail "'$*': exit $rc, want $want"; }
    [ "$(wc -l < "$tmp/err")" -eq 1 ] || { cat "$tmp/err"; fail "'$*': not a one-line error"; }
    grep -Eq "$pat" "$tmp/err" || { cat "$tmp/err"; fail "'$*': message lacks '$pat'"; }
}

# --- inspect --------------------------------------------------------------
fb=$FIX/kernels.fatbin
size=$(wc -c < "$fb")
# Cut the fatbin at 40 points across its length (headers, entries, payload).
step=$((size / 40 + 1)); cut=1
while [ $cut -lt "$size" ]; do
    head -c $cut "$fb" > "$tmp/cut.fatbin"
    "$NT" inspect "$tmp/cut.fatbin" > /dev/null 2> "$tmp/err"; rc=$?
    [ $rc -eq 1 ] || { cat "$tmp/err"; fail "fatbin cut at $cut: exit $rc, want 1"; }
    [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q "^ntrace inspect: $tmp/cut.fatbin: " "$tmp/err" \
        || { cat "$tmp/err"; fail "fatbin cut at $cut: message"; }
    cut=$((cut + step))
done
# A cubin cut short, and an ELF header alone.
head -c 300 "$FIX/kernels.cubin" > "$tmp/cut.cubin"
expect 1 "^ntrace inspect: $tmp/cut.cubin: " "$NT" inspect "$tmp/cut.cubin"
head -c 64 "$FIX/kernels.cubin" > "$tmp/hdr.cubin"
expect 1 "^ntrace inspect: $tmp/hdr.cubin: " "$NT" inspect "$tmp/hdr.cubin"
# Random bytes (fixed seed: the same bytes every run), with and without
# the fatbin magic in front.
awk 'BEGIN { srand(12); for (i = 0; i < 4096; i++) printf "%c", int(rand() * 256) }' > "$tmp/rand.bin"
"$NT" inspect "$tmp/rand.bin" > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || { cat "$tmp/err"; fail "random bytes: exit $rc"; }
printf '\120\355\125\272\001\000\020\000\377\377\377\377\000\000\000\000' > "$tmp/magic.fatbin"
cat "$tmp/rand.bin" >> "$tmp/magic.fatbin"
expect 1 "^ntrace inspect: $tmp/magic.fatbin: " "$NT" inspect "$tmp/magic.fatbin"
expect 1 "^ntrace inspect: /nonexistent/x.fatbin: No such file" "$NT" inspect /nonexistent/x.fatbin

# --- ptx check ------------------------------------------------------------
good='.version 7.0
.target sm_50
.address_size 64
.visible .entry k(.param .u64 p) {
  .reg .u64 %rd<2>;
  ld.param.u64 %rd0, [p];
  ret;
}'
printf '%s\n' "$good" > "$tmp/good.ptx"
"$NT" ptx check "$tmp/good.ptx" > /dev/null 2>&1 || fail "good PTX rejected"
# bad NAME SED-EXPR 'pattern': the good module edited, then checked.
bad() {
    printf '%s\n' "$good" | sed "$2" > "$tmp/$1.ptx"
    expect 1 "$tmp/$1.ptx:$3" "$NT" ptx check "$tmp/$1.ptx"
}
bad operand  's/%rd0, \[p\]/%rd0 [p]/'         "6:21: expected ',' or ';' after operand"
bad brace    '/^}/d'                            "8:1: expected '}' closing the function body"
bad undecl   's/%rd0, \[p\]/%rd9, [p]/'        "6:16: undeclared register, found '%rd9'"
bad version  's/^.version 7.0/.version x/'      "1:10: expected version number after .version"
bad semi     's/ret;/ret/'                      "8:1: expected an operand, found '}'"
# (ptx check is the parser's check, not ptxas: an unknown opcode parses as
# "other" by design, see src/ptx/ptx.h, and is not an error here.)
printf '\000\001\002garbage' > "$tmp/bin.ptx"
expect 1 "$tmp/bin.ptx:1:1: not a PTX module: no .version directive" "$NT" ptx check "$tmp/bin.ptx"
: > "$tmp/empty.ptx"
expect 1 "$tmp/empty.ptx:1:1: not a PTX module: no .version directive" "$NT" ptx check "$tmp/empty.ptx"
printf 'garbage here\n' > "$tmp/text.ptx"
expect 1 "$tmp/text.ptx:1:1: expected a directive" "$NT" ptx check "$tmp/text.ptx"

# --- probe check ----------------------------------------------------------
probe() { # NAME 'pattern' LUA
    printf '%s\n' "$3" > "$tmp/$1.lua"
    expect 1 "$tmp/$1.lua:$2" "$NT" probe check "$tmp/$1.lua"
}
probe syntax '3: ' 'local nt = require "ntrace"
return nt.probe "x" { level = "warp",
  map = nt.map { v = "u32" cap = 1 } }'
probe typo_type '2: .*u3' 'local nt = require "ntrace"
return nt.probe "x" { level = "warp", map = nt.map { v = "u3", cap = 1 } }'
probe typo_fn '3: ' 'local nt = require "ntrace"
return nt.probe "x" { level = "warp", map = nt.map { v = "u32", cap = 1 },
  nt.att "kernel.exit" (function(p) p:save() end) }'
probe typo_site '3: .*kernel.exti' 'local nt = require "ntrace"
return nt.probe "x" { level = "warp", map = nt.map { v = "u32", cap = 1 },
  nt.at "kernel.exti" (function(p) p:save() end) }'
expect 1 "^ntrace probe: $tmp/no-such-probe.lua: No such file or directory" \
    "$NT" probe check "$tmp/no-such-probe.lua"
expect 1 "^ntrace probe: .*/probes/no_such_probe.lua: No such file or directory" \
    "$NT" probe check no_such_probe

# --- usage ----------------------------------------------------------------
expect 2 "^ntrace ptx: unknown action 'frob' \(check, print, slice, index\)" "$NT" ptx frob x
expect 2 "^ntrace ptx: slice needs --kernel NAME" "$NT" ptx slice "$tmp/good.ptx"
expect 2 "^ntrace probe: check needs a probe script" "$NT" probe check
"$NT" frob > /dev/null 2> "$tmp/err"; rc=$?
[ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "^ntrace: 'frob' is not a command; 'ntrace --help' lists them" "$tmp/err" \
    || { cat "$tmp/err"; fail "unknown command: exit $rc"; }
echo "bad input: ok"
