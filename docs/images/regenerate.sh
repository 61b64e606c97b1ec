#!/usr/bin/env bash
# Regenerates docs/images/demo-report.png, the README's screenshot of the
# demo's NSCLC report: the demo lake and its assessment are written to a
# temporary folder, and headless Chromium (Debian's `chromium`) takes the
# screenshot of the report's first screen.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --quiet -- -q demo --dir "$work/lake" --assessment "$work/assessment" >/dev/null
chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --user-data-dir="$work/profile" \
  --virtual-time-budget=30000 --hide-scrollbars --window-size=1200,1500 \
  --screenshot="$PWD/docs/images/demo-report.png" \
  "file://$work/assessment/report.html" 2>/dev/null
echo "wrote docs/images/demo-report.png"
