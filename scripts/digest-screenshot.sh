#!/usr/bin/env bash
# Renders the demo digest as the HTML part of the mail and screenshots it with headless
# Chromium (Debian: apt-get install -y chromium), so a person can look at what readers get.
#
#   scripts/digest-screenshot.sh [OUTDIR]      # default target/digest-screenshot
#
# Pictures: digest.png is the demo digest; mai1.png / mai1-dark.png are the digest built by
# tests/digest_render.rs (MAI-1 as one story with tags, the company chart, a failing feed, and
# a story of hostile feed content), in light and in dark mode; mai1-phone.png at 390 px wide.
#
# Steps: a throwaway copy of config/demo.toml (absolute paths, own database) runs one cycle
# over the offline fixture feeds; the MAI-1 reports are merged into one story with
# `aiwire story merge` (so the picture does not depend on clustering quality); the preview
# is written with `aiwire digest --preview`; Chromium renders it at 900x1400.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/target/digest-screenshot}
mkdir -p "$out"
work=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT

cargo build --quiet --manifest-path "$repo/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$repo/target}/debug/aiwire

sed -e "s#\.\./tests/#$repo/tests/#" \
    -e "s#\.\./state/demo.db#$work/demo.db#" \
    -e "s#\.\./state/outbox#$work/outbox#" \
    "$repo/config/demo.toml" > "$work/demo.toml"

"$bin" --config "$work/demo.toml" --log-level warn run --once > /dev/null
"$bin" --config "$work/demo.toml" --log-level warn digest --format json --since 1000d > "$work/digest.json"

# Merge every story whose lead mentions MAI-1 into the first one.
python3 - "$work/digest.json" > "$work/merges" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = sorted({s["story_id"] for s in d["stories"] if "MAI-1" in s["title"] or "new AI model" in s["title"]})
for other in ids[1:]:
    print(ids[0], other)
PY
while read -r into from; do
    "$bin" --config "$work/demo.toml" --log-level warn story merge "$into" "$from" > /dev/null
done < "$work/merges"

"$bin" --config "$work/demo.toml" --log-level warn digest --since 1000d --format html --preview "$out/digest.html" > /dev/null
"$bin" --config "$work/demo.toml" --log-level warn digest --since 1000d --format text --preview "$out/digest.txt" > /dev/null

chromium_bin=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium_bin" ]; then
    echo "chromium not found: apt-get update && apt-get install -y chromium" >&2
    exit 1
fi
shot() { # shot PNG HTML [extra chromium flags]
    local png=$1 html=$2
    shift 2
    "$chromium_bin" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --screenshot="$png" --window-size="${size:-900,1400}" "$@" \
        "file://$html" 2>> "$out/chromium.log" || { cat "$out/chromium.log" >&2; exit 1; }
    echo "$png (from $html)"
}
: > "$out/chromium.log"
shot "$out/digest.png" "$out/digest.html"

cargo test --quiet --manifest-path "$repo/Cargo.toml" --test digest_render > /dev/null
cp "$repo/target/digest-fixtures/mai1.html" "$repo/target/digest-fixtures/mai1.txt" "$out/"
shot "$out/mai1.png" "$out/mai1.html"
shot "$out/mai1-dark.png" "$out/mai1.html" --force-dark-mode --blink-settings=preferredColorScheme=0
size=390,900 shot "$out/mai1-phone.png" "$out/mai1.html"
