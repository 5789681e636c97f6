#!/bin/sh
# ntrace probe list|check|compile: output, errors with file:line, exit codes.
. tests/lib.sh

out=$("$NT" probe list) || fail "list"
for p in block_sched gmem_bytes barrier_wait mem_wait kernel_time dmat regions; do
    echo "$out" | grep -q "^$p " || fail "list lacks $p: $out"
done
echo "$out" | grep -q "^block_sched  *when each warp starts and stops" || fail "list summary: $out"

out=$("$NT" probe check block_sched) || fail "check by name"
echo "$out" | grep -q "probe block_sched: level warp, 2 handler(s)" || fail "check: $out"
echo "$out" | grep -q "map rec .*start:u64 stop:u64 sm:u32" || fail "check map: $out"
"$NT" probe check probes/gmem_bytes.lua -v | grep -q "warp.sum" || fail "check -v dumps the IR"

cat > "$tmp/bad.lua" <<'LUA'
local nt = require "ntrace"
return nt.probe "bad" {
  map = nt.map { start = "u64" },
  nt.at "kernel.entry" (function(p) p.rec.strat = nt.clock64() end),
}
LUA
out=$("$NT" probe check "$tmp/bad.lua" 2>&1); [ $? -eq 1 ] || fail "a bad probe must exit 1"
echo "$out" | grep -q "bad.lua:4: map 'rec' has no field 'strat' (fields: start)" || fail "error: $out"
echo 'os.execute("touch '"$tmp"'/owned")' > "$tmp/evil.lua"
"$NT" probe check "$tmp/evil.lua" >/dev/null 2>&1 && fail "os must not exist"
[ -e "$tmp/owned" ] && fail "the sandbox let a probe run a command"

ptx=$BUILD/fixtures/probe/basic.sm90.ptx
[ -f "$ptx" ] || fail "missing fixture $ptx"
"$NT" probe compile block_sched "$ptx" --kernel _Z4vaddPKfS0_Pfi -o "$tmp/out.ptx" 2>"$tmp/err" \
    || fail "compile: $(cat "$tmp/err")"
grep -q "1 kernel(s)" "$tmp/err" || fail "compile stats: $(cat "$tmp/err")"
grep -q ".param .u64 __ntrace_buf" "$tmp/out.ptx" || fail "no buffer parameter"
grep -q "_Z13reduce_shared" "$tmp/out.ptx" && fail "--kernel must slice one kernel"
"$NT" probe compile gmem_bytes --ptx "$ptx" | grep -c "__ntrace_buf" | grep -q "^[4-9]" \
    || fail "compile of every kernel to stdout"
out=$("$NT" probe compile block_sched "$ptx" --kernel nope 2>&1); [ $? -eq 1 ] || fail "bad kernel exit"
echo "$out" | grep -q "nope" || fail "bad kernel message: $out"
"$NT" probe compile block_sched "$ptx" --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad option exit 2"
"$NT" probe >/dev/null 2>&1; [ $? -eq 2 ] || fail "no verb exit 2"
"$NT" probe --help | grep -q "usage: ntrace probe" || fail "--help"
exit 0
