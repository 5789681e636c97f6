#!/bin/sh
# ntrace run without CUDA: configuration, exit status and signal forwarding,
# error paths.  (Probed runs through the emulator are tested with the injector.)
. tests/lib.sh
cd "$tmp" || exit 1

# The program's exit status comes back.
"$NT" run -- sh -c 'exit 3' 2>/dev/null; [ $? -eq 3 ] || fail "exit status not forwarded"
"$NT" run -- true 2>/dev/null || fail "true must succeed"

# The configuration reaches the program, validated and absolute.
printf 'return 1\n' > my.lua
"$NT" run -p my.lua -o out.db -k 'gemm' -n every:4 -b 64M --no-cache -- env > env.txt 2>/dev/null \
    || fail "run env"
grep -q "^CUDA_INJECTION64_PATH=.*/libntrace_inject.so$" env.txt || fail "CUDA_INJECTION64_PATH: $(cat env.txt)"
grep -q "^NTRACE_PROBES=$tmp/my.lua$" env.txt || fail "NTRACE_PROBES not absolute"
grep -q "^NTRACE_OUTPUT=$tmp/out.db$" env.txt || fail "NTRACE_OUTPUT not absolute"
grep -q "^NTRACE_KERNEL=gemm$" env.txt || fail "NTRACE_KERNEL"
grep -q "^NTRACE_LAUNCHES=every:4$" env.txt || fail "NTRACE_LAUNCHES"
grep -q "^NTRACE_BUDGET=64M$" env.txt || fail "NTRACE_BUDGET"
grep -q "^NTRACE_CACHE_DIR=off$" env.txt || fail "NTRACE_CACHE_DIR"
grep -q "^CUDA_MODULE_LOADING=EAGER$" env.txt || fail "eager module loading by default"
CUDA_MODULE_LOADING=LAZY "$NT" run -- env 2>/dev/null | grep -q "^CUDA_MODULE_LOADING=LAZY$" \
    || fail "the app's own CUDA_MODULE_LOADING must be kept"

# Default output never overwrites an earlier run.
touch ntrace.db
"$NT" run -- env 2>/dev/null | grep -q "^NTRACE_OUTPUT=$tmp/ntrace-1.db$" || fail "default output must skip ntrace.db"
touch exists.db
out=$("$NT" run -o exists.db -- true 2>&1); [ $? -eq 2 ] || fail "existing -o must be refused"
echo "$out" | grep -q "'exists.db' exists; use --force" || fail "message for existing output: $out"
"$NT" run -f -o exists.db -- true 2>/dev/null || fail "--force"
[ -e exists.db ] && fail "--force must remove the old database"

# Errors: one line, exit 2 (usage/config) or 127 (cannot run).
check() { # expected-rc expected-text args...
    want=$1; text=$2; shift 2
    out=$("$NT" run "$@" 2>&1); rc=$?
    [ $rc -eq "$want" ] || fail "'$*' exit $rc, want $want: $out"
    echo "$out" | grep -q "$text" || fail "'$*' message: $out"
}
check 2 "no probe named 'nope'" -p nope -- true
check 2 "probe file 'missing.lua' not found" -p missing.lua -- true
check 2 "unknown option '--frob'" --frob -- true
check 2 "no program given" -p my.lua
check 2 "option '-o' needs a value" -o
check 2 "NTRACE_LAUNCHES: 'every:0' is not a launch selection" -n every:0 -- true
check 2 "NTRACE_KERNEL: bad regular expression" -k '(' -- true
check 2 "NTRACE_BUDGET: '5Q' has an unknown unit" -b 5Q -- true
check 2 "directory '/nonexistent' does not exist" -o /nonexistent/x.db -- true
check 127 "cannot run './no-such-program'" -- ./no-such-program
"$NT" run --help | grep -q "usage: ntrace run" || fail "--help"

# A program killed by a signal: 128+N and a message.
check 143 "killed by signal 15" -- sh -c 'kill -TERM $$'

# SIGTERM sent to ntrace is forwarded to the program.
"$NT" run -- sleep 30 2>/dev/null &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 143 ] || fail "SIGTERM forwarding: rc=$rc"
echo "run: ok"
