#!/bin/sh
# Hostile probe scripts (Lua): each tries to escape the sandbox or exhaust
# it — files, processes, system modules, bytecode, memory bombs, endless
# loops (also inside pcall).  Each is refused by `ntrace probe check` with
# a one-line message naming the probe file and what was refused, and
# under `ntrace run --emulate` the app runs unprobed with correct results,
# the reason on stderr and in the database.
. tests/lib.sh
emu_env

# hostile [--run] NAME 'expected message (grep -E)' LUA-PRELUDE: the
# prelude runs first, then the script returns a valid probe (were the
# prelude allowed, the probe would work).  With --run, also under `ntrace
# run` (one of each kind: the refusal takes the same path for all).
hostile() {
    e2e=false; [ "$1" = --run ] && { e2e=true; shift; }
    name=$1; want=$2; prelude=$3
    f=$tmp/$name.lua
    printf '%s\nlocal nt = require "ntrace"\nreturn nt.probe "%s" { level = "warp",\n  map = nt.map { v = "u32", cap = 1 },\n  nt.at "kernel.exit" (function(p) p.rec.v = 1; p:save() end) }\n' \
        "$prelude" "$name" > "$f"
    # probe check: one line, non-zero exit, the file and the reason.
    "$NT" probe check "$f" > "$tmp/out" 2>&1; rc=$?
    [ $rc -ne 0 ] && [ $rc -lt 128 ] || { cat "$tmp/out"; fail "$name: probe check exit $rc"; }
    [ "$(wc -l < "$tmp/out")" -eq 1 ] || { cat "$tmp/out"; fail "$name: not a one-line error"; }
    grep -q "$f" "$tmp/out" || { cat "$tmp/out"; fail "$name: message does not name the probe file"; }
    grep -Eq "$want" "$tmp/out" || { cat "$tmp/out"; fail "$name: message lacks '$want'"; }
    # The same probe under ntrace run: the app runs unprobed and correct.
    $e2e || return 0
    db=$tmp/$name.db
    "$NT" run --emulate -p "$f" -o "$db" -- "$ROOT/$BUILD/apps/vecadd" "$KDIR" > "$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "$name: the app failed"; }
    grep -q "^vecadd: ok" "$tmp/out" || { cat "$tmp/out"; fail "$name: wrong results"; }
    grep -q "ntrace: probe .*$f" "$tmp/out" || { cat "$tmp/out"; fail "$name: refusal not on stderr"; }
    grep -Eq "$want" "$tmp/out" || { cat "$tmp/out"; fail "$name: stderr lacks '$want'"; }
    sqlite3 "$db" "select reason from NTRACE_KERNELS" | grep -q "$f" || fail "$name: reason not recorded"
    [ "$(sqlite3 "$db" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'")" = 0 ] \
        || fail "$name: a launch was probed"
}

hostile --run io_open "attempt to index a nil value \(global 'io'\)" \
    'local f = io.open("/etc/passwd")'
hostile os_execute "attempt to index a nil value \(global 'os'\)" \
    'os.execute("touch '"$tmp"'/pwned")'
hostile --run require_os "require 'os': no such ntrace module" 'local os = require "os"'
hostile require_io "require 'io': no such ntrace module" 'local io = require "io"'
hostile require_path "require '../../etc/passwd': not a module name" 'require "../../etc/passwd"'
hostile --run load_bytecode "attempt to call a nil value \(global 'load'\)" \
    'local f = load("\27Lua\84\0", "x", "b")'
hostile string_dump "attempt to call a nil value \(field 'dump'\)" \
    'local b = string.dump(function() end)'
hostile dofile "attempt to call a nil value \(global 'dofile'\)" 'dofile("/etc/passwd")'
hostile --run rep_bomb "exceeded its memory limit" 'local s = string.rep("x", 1 << 28)'
hostile rep_huge "resulting string too large" 'local s = string.rep("x", 1 << 40)'
hostile concat_bomb "exceeded its memory limit" \
    'local s = "x"; for i = 1, 40 do s = s .. s end'
hostile table_bomb "exceeded its memory limit" \
    'local t = {}; for i = 1, 1e9 do t[i] = tostring(i) end'
hostile pcall_bomb "exceeded its memory limit" \
    'for i = 1, 100 do pcall(string.rep, "x", 1 << 28) end; local s = "pcall let it go"'
hostile endless "ran past its limit of .* Lua instructions" 'while true do end'
hostile --run pcall_endless "ran past its limit of .* Lua instructions" \
    'while true do pcall(function() while true do end end) end'
[ -e "$tmp/pwned" ] && fail "os.execute ran"
echo "hostile probes: ok"
