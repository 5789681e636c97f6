#!/bin/sh
# The HTML report in headless Chromium: the page's script runs to its end
# without console messages, every section and plot is there after it ran,
# nothing is fetched from the network, and a screenshot is kept as an
# artifact ($BUILD/artifacts/report.png).  Skips (77) without Chromium:
# install Debian's `chromium` package to run it.
. tests/lib.sh
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "$CHROMIUM not found (apt-get install chromium to run the HTML test)"
"$NT" report "$tmp/run.db" --synthetic >/dev/null || fail "synthetic database"
"$NT" report "$tmp/run.db" --html "$tmp/report.html" || fail "ntrace report --html"

# Self-contained: no external scripts, styles, images or links.
if grep -Eq '(src|href)="(https?:)?//' "$tmp/report.html"; then fail "external reference in the page"; fi
grep -q '<script src' "$tmp/report.html" && fail "external script"

# One start of Chromium (the slow part): the DOM after the script ran, and
# the screenshot.
mkdir -p "$BUILD/artifacts"
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 \
    --window-size=1280,4200 --hide-scrollbars --screenshot="$BUILD/artifacts/report.png" \
    --dump-dom "file://$tmp/report.html" >"$tmp/dom.html" 2>"$tmp/console.log" \
    || fail "chromium failed: $(tail -3 "$tmp/console.log")"
if grep -q 'CONSOLE' "$tmp/console.log"; then
    fail "console messages: $(grep CONSOLE "$tmp/console.log" | head -3)"
fi
grep -q 'data-ntrace-ok="1"' "$tmp/dom.html" || fail "the page's script did not run to its end"
for id in overview kernels timeline warps probes stalls memory divergence; do
    grep -q "<section id=\"$id\">" "$tmp/dom.html" || fail "section $id missing"
done
count() { grep -o "$1" "$tmp/dom.html" | wc -l; }
[ "$(count '<svg class="zoom"')" -ge 5 ] || fail "zoomable timelines missing"
[ "$(count 'class="h launch"')" -eq 6 ] || fail "launch bars: $(count 'class="h launch"') (want 6)"
[ "$(count 'class="h seg"')" -ge 8 ] || fail "stall bar segments missing"
[ "$(count 'class="h bar"')" -ge 2 ] || fail "divergence histogram bars missing"
grep -q '<svg xmlns="http://www.w3.org/2000/svg" class="heat"' "$tmp/dom.html" || fail "heat map missing"
# The script drew axis ticks into every timeline.
[ "$(count '<g class="axis"><line')" -ge 5 ] || fail "axis ticks not drawn by the script"
grep -q '<title>SM [0-9]*, block [0-9]*, warp' "$tmp/dom.html" || fail "warp hover values missing"

[ -f "$BUILD/artifacts/report.png" ] || fail "no screenshot"
size=$(wc -c <"$BUILD/artifacts/report.png")
[ "$size" -gt 50000 ] || fail "screenshot too small ($size bytes)"
cp "$tmp/report.html" "$BUILD/artifacts/report.html"
echo "html: ok (screenshot: $BUILD/artifacts/report.png)"
