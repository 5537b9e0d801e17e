#!/usr/bin/env bash
# Parse throughput: aiwire parse_feed vs raw feed-rs (same process) vs Python feedparser.
# usage: benches/parse_vs_feedparser.sh [CORPUS_DIR] [ROUNDS]
# Needs `pip install feedparser`. Both sides time parsing only (files preloaded in memory).
# The Rust side is the stand-alone release build in benches/parse_bench (the parse module
# without the daemon's other dependencies); `cargo bench --bench parse_throughput` runs the
# same body through the aiwire crate.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus/feeds}
rounds=${2:-5}
cargo build --quiet --release --manifest-path benches/parse_bench/Cargo.toml
rust_out=$(benches/parse_bench/target/release/parse_bench "$corpus" "$rounds")
echo "$rust_out" | grep -v '^parse_feed_seconds_per_round'
rust_s=$(echo "$rust_out" | awk '/^parse_feed_seconds_per_round/ {print $2}')
py_s=$(python3 - "$corpus" "$rounds" <<'PY'
import os, sys, time, feedparser
corpus, rounds = sys.argv[1], int(sys.argv[2])
docs = [open(os.path.join(corpus, n), 'rb').read() for n in sorted(os.listdir(corpus))]
n = 0
start, cpu_start = time.perf_counter(), time.thread_time()
for _ in range(rounds):
    for d in docs:
        n += len(feedparser.parse(d).entries)
elapsed = (time.perf_counter() - start) / rounds
cpu = (time.thread_time() - cpu_start) / rounds
print(f"{cpu:.6f}")
print(f"feedparser  : {elapsed*1e3:8.2f} ms/round wall, {cpu*1e3:8.2f} ms/round CPU  {n // rounds} entries/round", file=sys.stderr)
PY
)
awk -v r="$rust_s" -v p="$py_s" 'BEGIN { printf "parse_feed is %.1fx faster than feedparser (CPU time)\n", p / r }'
