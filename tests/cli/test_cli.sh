#!/bin/sh
# The ntrace command: dispatch, usage errors, exit codes, doctor, install.
. tests/lib.sh

"$NT" --version | grep -q '^ntrace [0-9]' || fail "--version"
"$NT" --help | grep -q 'doctor' || fail "--help lists doctor"
"$NT" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no command must exit 2"
out=$("$NT" frobnicate 2>&1); [ $? -eq 2 ] || fail "unknown command must exit 2"
echo "$out" | grep -q "'frobnicate' is not a command" || fail "unknown command message: $out"
out=$("$NT" doctor --bogus 2>&1); [ $? -eq 2 ] || fail "doctor bad flag must exit 2"
echo "$out" | grep -q "unknown option '--bogus'" || fail "doctor bad flag message: $out"
"$NT" doctor --help | grep -q 'usage: ntrace doctor' || fail "doctor --help"

# doctor reports each part on its own line, and finds CUPTI from CUDA_HOME.
out=$(CUDA_HOME=${CUDA_HOME:-/usr/local/cuda} "$NT" doctor)
for part in driver cupti injector emulator "jit cache"; do
    echo "$out" | grep -q "^  $part " || fail "doctor lacks '$part': $out"
done
echo "$out" | grep -q "cupti .*API version [0-9]" || fail "doctor cupti version: $out"
# On the emulator everything is there, and the injector's canary says the
# launch swap works; the scratch database is removed.
dtmp=$(mktemp -d)
out=$(TMPDIR=$dtmp "$NT" doctor --emulate) || fail "doctor --emulate must pass: $out"
echo "$out" | grep -q "^  launch swap *works" || fail "doctor --emulate canary: $out"
echo "$out" | grep -q "^  cupti subscriber *none" || fail "doctor --emulate subscriber: $out"
[ -z "$(ls -A "$dtmp")" ] || fail "doctor left its scratch database: $(ls -A "$dtmp")"
rmdir "$dtmp"
# The cache location follows NTRACE_CACHE_DIR, and its size is counted.
printf 'abcd' > "$tmp/x.ptx"
NTRACE_CACHE_DIR=$tmp "$NT" doctor | grep -q "jit cache .*$tmp (1 files" || fail "doctor cache dir"

# make install puts a working command under PREFIX (no paths into build/).
make -s install PREFIX=/opt/ntrace DESTDIR="$tmp/root" BUILD="$BUILD" >/dev/null || fail "make install"
inst=$tmp/root/opt/ntrace/bin/ntrace
[ -x "$inst" ] || fail "installed ntrace missing"
"$inst" --version | grep -q '^ntrace' || fail "installed ntrace runs"
"$inst" doctor | grep -q "injector .*$tmp/root/opt/ntrace/lib/ntrace" || fail "installed doctor looks under PREFIX/lib/ntrace"
# The installed tree runs a probed program by itself: shipped probe by
# name, Lua modules, injector and emulator all from PREFIX.
[ -f "$tmp/root/opt/ntrace/share/man/man1/ntrace.1" ] || fail "man page not installed"
if [ -x "$BUILD/apps/vecadd" ]; then
    (cd "$tmp" && "$inst" run --emulate -p block_sched -o "$tmp/inst.db" -- \
        "$OLDPWD/$BUILD/apps/vecadd" "$OLDPWD/$BUILD/fixtures/kernels") > "$tmp/inst.out" 2>&1 \
        || { cat "$tmp/inst.out"; fail "installed ntrace run"; }
    grep -q "1 launches, 1 probed; 320 records saved" "$tmp/inst.out" || { cat "$tmp/inst.out"; fail "installed run probed nothing"; }
fi
rm -rf "$tmp"
echo "cli: ok"
