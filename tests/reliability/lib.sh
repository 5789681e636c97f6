# lib.sh — shared by the reliability scripts (sourced from the repository
# root, where tests run): the injector loaded by hand into a program on the
# emulator, with the environment `ntrace run --emulate` would set, so an
# output `ntrace run` would refuse reaches the collector inside the program.
# Sets BUILD (default build), ROOT (the repository), fail(), and $tmp: a
# scratch directory removed at exit.  inject_emu OUTPUT PROGRAM [ARGS...]
BUILD=${BUILD:-build}
ROOT=$(pwd)
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
inject_emu() {
    _out=$1; shift
    env CUDA_INJECTION64_PATH="$ROOT/$BUILD/lib/libntrace_inject.so" \
        LD_LIBRARY_PATH="$ROOT/$BUILD/emu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        NTRACE_EMULATE=1 NTRACE_LUA_DIR="$ROOT/lua" NTRACE_CACHE_DIR=off \
        NTRACE_PROBES="$ROOT/probes/block_sched.lua" NTRACE_OUTPUT="$_out" "$@"
}
