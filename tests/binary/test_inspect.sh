#!/bin/sh
# ntrace inspect on the nvcc fixtures: text, JSON, --extract-ptx, errors.
. tests/lib.sh
FIX=$BUILD/fixtures/binary

out=$("$NT" inspect "$FIX/kernels.exe") || fail "inspect exe: $out"
echo "$out" | grep -q "kernels.exe: host ELF" || fail "kind line: $out"
echo "$out" | grep -q "entry 2: PTX sm_90 ISA [0-9]*\.[0-9], zstd" || fail "PTX entry line: $out"
echo "$out" | grep -q "kernel void ns::axpy<double>(double, double const\*, double\*, int)" \
    || fail "demangled kernel: $out"
echo "$out" | grep -q "regs [0-9]*, params 3 (24 bytes: 8@0 4@8 8@16)" || fail "scale params: $out"
echo "$out" | grep -q "cluster 2,1,1" || fail "cluster dims: $out"
echo "$out" | grep -q "total: 2 fatbins, 5 entries (1 PTX, 4 ELF), 0.0 MB PTX, 10 kernels, 10 with PTX" \
    || fail "totals (cudart's own fatbin has no kernels): $out"

# A cubin with no PTX in reach: its kernels are flagged.
"$NT" inspect "$FIX/kernels.cubin" | grep -q "PTX NOT available" || fail "cubin without PTX"

# JSON parses and carries the same numbers.
"$NT" inspect --json "$FIX/kernels_lz4.fatbin" "$FIX/kernels.cubin" >"$tmp/out.json" || fail "json run"
if command -v python3 >/dev/null 2>&1; then
    python3 - "$tmp/out.json" <<'PY' || fail "json content"
import json, sys
d = json.load(open(sys.argv[1]))
a, b = d["files"]
assert a["kind"] == "fatbin" and a["totals"]["entries"] == 3, a["totals"]
e = a["fatbins"][0]["entries"]
assert [x["compression"] for x in e] == ["lz4"] * 3
assert e[2]["kind"] == "PTX" and e[2]["ptx_version"].count(".") == 1
ks = {k["name"]: k for k in e[1]["kernels"]}
assert ks["scale"]["max_threads"] == [256, 1, 1] and ks["scale"]["ptx"] is True
assert [p["size"] for p in ks["_Z8bigparam3BigPi"]["params"]] == [84, 8]
assert b["kind"] == "cubin" and len(b["kernels"]) == 5 and not b["kernels"][0]["ptx"]
PY
fi

# --extract-ptx writes every PTX text: the fatbin entry and the -lineinfo copy.
"$NT" inspect --summary --extract-ptx "$tmp/ptx" "$FIX/kernels_all.fatbin" "$FIX/kernels_lineinfo.cubin" \
    >/dev/null || fail "extract run"
f1="$tmp/ptx/kernels_all.fatbin.fatbin0.entry2.sm_90.ptx"
f2="$tmp/ptx/kernels_lineinfo.cubin.lineinfo.ptx"
[ -s "$f1" ] && [ -s "$f2" ] || fail "extracted files: $(ls "$tmp/ptx")"
head -c 200 "$f1" | grep -q "^.version [0-9]*\.[0-9]" || fail "extracted PTX text"
grep -q ".entry scale(" "$f2" || fail "extracted lineinfo PTX"
if [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/ptxas" ]; then
    "${CUDA_HOME:-/usr/local/cuda}/bin/ptxas" -arch=sm_90 -o "$tmp/x.cubin" "$f1" || fail "ptxas rejects extracted PTX"
fi

# A directory stands for its shared libraries.
mkdir "$tmp/libs" && cp "$FIX/kernels.exe" "$tmp/libs/libk.so.1" && ln -s libk.so.1 "$tmp/libs/libk.so"
out=$("$NT" inspect --summary "$tmp/libs") || fail "inspect dir: $out"
[ "$(echo "$out" | grep -c 'host ELF')" -eq 1 ] || fail "dir: one library (the link skipped): $out"

# Errors: one line naming the offset, exit 1; usage errors exit 2.
head -c 100 "$FIX/kernels.fatbin" >"$tmp/cut.fatbin"
out=$("$NT" inspect "$tmp/cut.fatbin" 2>&1 >/dev/null); [ $? -eq 1 ] || fail "truncated must exit 1"
echo "$out" | grep -q "cut.fatbin: fatbin at offset 0x8: size 25712 runs past the end of the image (100 bytes)" \
    || fail "truncated message: $out"
# A corrupt payload in JSON mode: still one valid document, the error in its file.
cp "$FIX/kernels_all.fatbin" "$tmp/bad.fatbin"
printf '\377\377\377\377' | dd of="$tmp/bad.fatbin" bs=1 seek=90 conv=notrunc 2>/dev/null
"$NT" inspect --json "$tmp/bad.fatbin" "$FIX/kernels.cubin" >"$tmp/bad.json" 2>/dev/null
[ $? -eq 1 ] || fail "corrupt payload must exit 1"
if command -v python3 >/dev/null 2>&1; then
    python3 - "$tmp/bad.json" <<'PY' || fail "json with an error"
import json, sys
a, b = json.load(open(sys.argv[1]))["files"]
assert "entry at offset 0x10: zstd payload (" in a["error"], a
assert "error" not in b and len(b["kernels"]) == 5
PY
fi
"$NT" inspect >/dev/null 2>&1; [ $? -eq 2 ] || fail "no file must exit 2"
"$NT" inspect --bogus x >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad flag must exit 2"
out=$("$NT" inspect /nonexistent 2>&1); [ $? -eq 1 ] || fail "missing file must exit 1"
echo "$out" | grep -q "/nonexistent: No such file" || fail "missing file message: $out"
exit 0
