#!/usr/bin/env bash
# Scores story clustering on the shared dev sets and on two halves of each (gold clusters split
# by a hash of their id), so a tuning change can be checked for generalising: a gain that shows
# on one half only, or on one set only, is likely fitted to the file rather than the problem.
#
# Usage: scripts/cluster-eval.sh [path/to/aiwire]   (default: target/debug/aiwire; build first)
# Prints one line: full-set BCubed F1 and the two halves (A/B) for each set.
set -euo pipefail
cd "$(dirname "$0")/.."
aiwire=${1:-target/debug/aiwire}
eval_dir=${AIWIRE_EVAL_DIR:-../shared/eval}
score=${SCORE_CLUSTERS:-../shared/bin/score-clusters}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

line=""
for set in ai-news-dev uci-dev ecb-dev; do
  python3 - "$eval_dir/$set.jsonl" "$work/$set" <<'PY'
import hashlib, json, sys
src, dst = sys.argv[1], sys.argv[2]
halves = [open(f"{dst}-A.jsonl", "w"), open(f"{dst}-B.jsonl", "w")]
for row in open(src, encoding="utf-8"):
    if row.strip():
        cluster = json.loads(row)["cluster_id"]
        halves[int(hashlib.md5(cluster.encode()).hexdigest(), 16) % 2].write(row)
PY
  for part in "" -A -B; do
    if [ -z "$part" ]; then gold="$eval_dir/$set.jsonl"; else gold="$work/$set$part.jsonl"; fi
    "$aiwire" cluster --input "$gold" > "$work/pred.jsonl"
    line+=" $set$part=$("$score" "$gold" "$work/pred.jsonl" | tail -1)"
  done
  line+=" |"
done
echo "${line# }"
