#!/bin/sh
# Check ntrace's build dependencies.  When one is missing and we are root,
# install it with apt-get (after apt-get update); otherwise stop with one
# line naming the package.  CUDA is never installed here: it names CUDA_HOME.
# With FUZZ=1 in the environment (make fuzz) it also needs clang and its
# libFuzzer runtime.
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
missing=""
# "file package" pairs: the file proves the package is installed.
check() {
    [ -e "$1" ] || missing="$missing $2"
}
inc=/usr/include
lib=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
check $inc/lua5.4/lua.h         liblua5.4-dev
check $lib/liblua5.4.a          liblua5.4-dev
check $inc/sqlite3.h            libsqlite3-dev
check $lib/libsqlite3.a         libsqlite3-dev
check $inc/gelf.h               libelf-dev
check $lib/libelf.a             libelf-dev
check $lib/libz.a               zlib1g-dev
check $inc/zstd.h               libzstd-dev
check $lib/libzstd.a            libzstd-dev
check $inc/lz4.h                liblz4-dev
check $lib/liblz4.a             liblz4-dev
check $inc/cmocka.h             libcmocka-dev
command -v zstd >/dev/null 2>&1 || missing="$missing zstd"
command -v sqlite3 >/dev/null 2>&1 || missing="$missing sqlite3"

# install_pkgs PKG...: apt-get as root, else one line and stop.
install_pkgs() {
    # de-duplicate, keep order
    pkgs=$(echo "$@" | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "deps: installing $pkgs"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null && apt-get install -y -qq $pkgs >/dev/null \
            || { echo "deps: apt-get install $pkgs failed" >&2; exit 1; }
    else
        echo "deps: missing packages: $pkgs(install them: sudo apt-get install $pkgs)" >&2
        exit 1
    fi
}
[ -n "$missing" ] && install_pkgs $missing

if [ "${FUZZ:-0}" = 1 ]; then
    command -v clang >/dev/null 2>&1 || install_pkgs clang
    # libFuzzer's runtime is only recommended by Debian's clang
    rt=$(clang -print-file-name=libclang_rt.fuzzer-$(uname -m).a 2>/dev/null)
    [ -e "$rt" ] || install_pkgs "libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev"
    rt=$(clang -print-file-name=libclang_rt.fuzzer-$(uname -m).a 2>/dev/null)
    [ -e "$rt" ] || { echo "deps: clang has no libFuzzer runtime ($rt)" >&2; exit 1; }
fi

for f in include/cuda.h include/cupti.h include/generated_cuda_meta.h bin/ptxas bin/nvcc; do
    if [ ! -e "$CUDA_HOME/$f" ]; then
        echo "deps: CUDA toolkit incomplete: $CUDA_HOME/$f not found (set CUDA_HOME to a CUDA 12/13 toolkit)" >&2
        exit 1
    fi
done
if [ ! -e "$CUDA_HOME/lib64/libcupti.so" ] && [ ! -e "$CUDA_HOME/extras/CUPTI/lib64/libcupti.so" ]; then
    echo "deps: CUPTI not found under $CUDA_HOME (lib64/libcupti.so or extras/CUPTI/lib64/libcupti.so)" >&2
    exit 1
fi
exit 0
