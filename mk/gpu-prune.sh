#!/bin/sh
# gpu-prune.sh BUILD: leaves in BUILD only what the GPU suite
# (tests/gpu/run.sh) uses, without debug sections, so `run` can carry the
# whole BUILD folder to the GPU machine (its limit is 64 MiB).  The next
# `make` here rebuilds what was removed.
set -e
B=${1:-build}
keep="bin lib apps fixtures bench"
for d in "$B"/*; do
    n=$(basename "$d")
    case " $keep " in *" $n "*) ;; *) rm -rf "$d" ;; esac
done
for f in "$B"/bench/*; do
    case $(basename "$f") in bench_gpu|launchloop_app) ;; *) rm -rf "$f" ;; esac
done
# Executables and shared objects only: fixtures keep their line tables.
for f in "$B"/bin/* "$B"/lib/*.so* "$B"/apps/* "$B"/bench/*; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    head -c 4 "$f" | grep -q 'ELF' && strip --strip-debug "$f" 2>/dev/null || true
done
size=$(du -sk "$B" | cut -f1)
echo "gpu-build: $B holds what make gpu-check needs: $((size / 1024)) MiB (carry [\"$B\"])"
[ "$size" -lt 65536 ] || { echo "gpu-build: $B is over 64 MiB: run cannot carry it" >&2; exit 1; }
