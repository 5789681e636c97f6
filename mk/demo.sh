#!/bin/sh
# make demo: the first thing a newcomer runs.  It shows what this build of
# ntrace does today, step by step, on real inputs; each step says what it
# does.  Steps whose parts have not landed yet say so instead of pretending.
BUILD=${BUILD:-build}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
NT=$BUILD/bin/ntrace
step() { printf '\n== %s\n' "$*"; }
has_cmd() { "$NT" "$1" --help >/dev/null 2>&1; }

step "ntrace doctor: what this machine offers (driver, GPUs, CUPTI, emulator)"
"$NT" doctor
if "$NT" doctor --emulate >/dev/null 2>&1; then
    step "ntrace doctor --emulate: the emulator's driver"
    "$NT" doctor --emulate
fi

if has_cmd inspect; then
    lib=$CUDA_HOME/lib64/libcublas.so
    [ -e "$lib" ] || lib=$(ls "$CUDA_HOME"/lib64/*.so 2>/dev/null | head -1)
    step "ntrace inspect $lib: fatbins, entries and kernels in a real CUDA library"
    "$NT" inspect "$lib" | head -n 40
    echo "   (first 40 lines; 'ntrace inspect --json' for scripts)"
else
    step "ntrace inspect: not built yet (issue 3)"
fi

if has_cmd ptx && [ -d "$BUILD/fixtures" ]; then
    ptx=$(find "$BUILD/fixtures" -name '*.ptx' | head -1)
    if [ -n "$ptx" ]; then
        step "ntrace ptx check $ptx: parse a PTX module"
        "$NT" ptx check "$ptx"
    fi
else
    step "ntrace ptx: not built yet (issue 4)"
fi

if has_cmd run && [ -x "$BUILD/tests/apps/vecadd" ]; then
    step "ntrace run --emulate -p block_sched: probe a real program on the emulator"
    "$NT" run --emulate -p block_sched -o "$BUILD/demo.db" -- "$BUILD/tests/apps/vecadd" \
        && "$NT" report "$BUILD/demo.db"
else
    step "ntrace run: probing programs needs the emulator, probes, injector and collector (issues 5-8)"
fi
echo
