#!/bin/sh
# Runs every test app on the emulator (LD_LIBRARY_PATH=$BUILD/emu); each
# checks its own results.  Fails on the first app that fails.
. tests/lib.sh
[ -d "$BUILD/apps" ] || fail "no apps in $BUILD/apps"
failed=0
for app in "$BUILD"/apps/*; do
    [ -x "$app" ] || continue
    if ! out=$(LD_LIBRARY_PATH="$BUILD/emu" NTRACE_EMU_SMS=4 NTRACE_EMU_DEVICES=90,80 "$app" "$BUILD/fixtures/kernels" 2>&1); then
        echo "FAIL $(basename "$app"):"; echo "$out" | tail -n 20
        failed=1
    else
        echo "$out" | tail -n 1
    fi
done
exit $failed
