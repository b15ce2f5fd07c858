#!/bin/sh
# Renders a backtest HTML report to a PNG with headless Chromium (Debian: apt-get install -y chromium).
# Usage: scripts/screenshot-report.sh report.html out.png [width] [height]
set -eu
html=${1:?usage: screenshot-report.sh report.html out.png [width] [height]}
png=${2:?usage: screenshot-report.sh report.html out.png [width] [height]}
w=${3:-1280}
h=${4:-2400}
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "chromium not found (apt-get install -y chromium)" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
# The virtual-time budget lets the inlined price chart draw before the shot is taken.
"$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$profile" --screenshot="$png" --window-size="$w,$h" \
  --virtual-time-budget=5000 \
  "file://$abs" >/dev/null 2>&1
[ -s "$png" ] || { echo "no screenshot written to $png" >&2; exit 1; }
echo "$png"
