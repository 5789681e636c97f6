# tests/lib.sh — the preamble of the test scripts, sourced from the
# repository root (where tests/run.sh runs them): `. tests/lib.sh`.
# Sets:
#   BUILD  the build directory (default build; SAN=1 runs with build-san)
#   ROOT   the repository, absolute
#   NT     the ntrace command, absolute (scripts may cd elsewhere)
#   KDIR   the test apps' kernel fixtures, absolute
#   tmp    a scratch directory, removed at exit
# and the functions:
#   fail MSG...     print "FAIL: MSG", then $FAIL_LOG when it names a file
#                   (what the failing command wrote), and exit 1
#   skip MSG...     print "skip: MSG" and exit 77
#   need CMD...     skip unless every CMD is on PATH
#   emu_env         for runs on the emulator: the JIT cache in $tmp, and no
#                   LeakSanitizer report at the apps' exit (under SAN=1 the
#                   apps, the emulated driver and the injector keep what
#                   they hold at exit, by design: docs/injector.md)
#   inject_emu OUTPUT PROGRAM [ARGS...]
#                   PROGRAM on the emulator with the injector loaded by
#                   hand (the environment `ntrace run --emulate` sets, under
#                   block_sched), so an output `ntrace run` would refuse
#                   reaches the collector inside the program
BUILD=${BUILD:-build}
ROOT=$(pwd)
NT=$ROOT/$BUILD/bin/ntrace
KDIR=$ROOT/$BUILD/fixtures/kernels
fail() {
    echo "FAIL: $*"
    [ -n "${FAIL_LOG:-}" ] && [ -f "$FAIL_LOG" ] && cat "$FAIL_LOG"
    exit 1
}
skip() { echo "skip: $*"; exit 77; }
need() {
    for _c; do command -v "$_c" >/dev/null 2>&1 || skip "no $_c command"; done
}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
emu_env() {
    export NTRACE_CACHE_DIR="$tmp/cache"
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
}
inject_emu() {
    _out=$1; shift
    env CUDA_INJECTION64_PATH="$ROOT/$BUILD/lib/libntrace_inject.so" \
        LD_LIBRARY_PATH="$ROOT/$BUILD/emu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        NTRACE_EMULATE=1 NTRACE_LUA_DIR="$ROOT/lua" NTRACE_CACHE_DIR=off \
        NTRACE_PROBES="$ROOT/probes/block_sched.lua" NTRACE_OUTPUT="$_out" "$@"
}
