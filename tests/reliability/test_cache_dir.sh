#!/bin/sh
# The disk cache directory through the injector inside an app (the unit
# cases are test_cache_dir.c): a directory everyone may write is refused
# with one line and the run goes on without the disk cache; a missing one
# is created 0700 and gets 0600 files, no temporaries; a symlink planted
# under a cache file's name is neither read nor written through.
. tests/lib.sh
APP=$ROOT/$BUILD/apps/vecadd
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
probed() { sqlite3 "$1" "select count(*) from CUPTI_ACTIVITY_KIND_KERNEL where probeStatus = 'probed'"; }
run() { # cache-dir db
    inject_emu "$2" env NTRACE_CACHE_DIR="$1" "$APP" "$KDIR" > "$tmp/out" 2> "$tmp/err" \
        || { cat "$tmp/out" "$tmp/err"; fail "vecadd failed with the cache in $1"; }
    grep -q "^vecadd: ok" "$tmp/out" || fail "vecadd's results: $(cat "$tmp/out")"
    [ "$(probed "$2")" -ge 1 ] || fail "nothing probed with the cache in $1"
}

# 1. writable by everyone: refused in one line, nothing written there
mkdir "$tmp/ww" && chmod 1777 "$tmp/ww"
run "$tmp/ww" "$tmp/a.db"
[ "$(cat "$tmp/err")" = "ntrace: warn: cache directory $tmp/ww is writable by every user (mode 1777): running without the disk cache" ] \
    || { cat "$tmp/err"; fail "stderr is not the one refusal line"; }
[ -z "$(ls -A "$tmp/ww")" ] || fail "files written to a refused cache: $(ls -A "$tmp/ww")"

# 2. missing: created 0700; files 0600, no temporary left
run "$tmp/new/cache" "$tmp/b.db"
[ -s "$tmp/err" ] && { cat "$tmp/err"; fail "stderr with a good cache directory"; }
[ "$(stat -c %a "$tmp/new/cache")" = 700 ] || fail "cache directory mode $(stat -c %a "$tmp/new/cache")"
n=$(ls "$tmp/new/cache" | grep -c '\.ptx$')
[ "$n" -ge 1 ] || fail "nothing cached"
[ -z "$(ls -A "$tmp/new/cache" | grep -v '\.ptx$')" ] || fail "temporaries left: $(ls -A "$tmp/new/cache")"
for f in "$tmp/new/cache"/*.ptx; do
    [ "$(stat -c %a "$f")" = 600 ] || fail "$f mode $(stat -c %a "$f")"
done

# 3. a symlink planted under a cache file's name: not read (the run is
#    probed as before, not with the link's garbage), not written through
f=$(ls "$tmp/new/cache"/*.ptx | head -1)
printf 'not PTX' > "$tmp/secret"
rm "$f" && ln -s "$tmp/secret" "$f"
run "$tmp/new/cache" "$tmp/c.db"
[ -s "$tmp/err" ] && { cat "$tmp/err"; fail "stderr with a planted symlink"; }
[ "$(cat "$tmp/secret")" = "not PTX" ] || fail "the symlink's target was written"
[ -f "$f" ] && [ ! -L "$f" ] || fail "the planted symlink is still there"
[ "$(probed "$tmp/c.db")" = "$(probed "$tmp/b.db")" ] || fail "probed launches differ with a planted symlink"
echo "cache dir: ok"
