#!/usr/bin/env bash
# fetch_cycle.sh — project-owned fetch-cycle benchmark of `aiwire fetch` (reproducible from this
# repository alone; the peer comparison with newsboat / rss2email is ../shared/bench/bench_fetch.sh,
# whose feed generator and server are copied here as fetch_gen.py / fetch_server.py).
#
# For each N in NS: generate N RSS feeds x ITEMS items, serve them from 127.0.0.1 (ETag,
# Last-Modified, gzip, keep-alive), run CYCLES `aiwire fetch` cycles (cycle 1 cold, later cycles
# should be all 304) under /usr/bin/time -v, and print wall time, CPU, peak RSS, what the server
# saw and what the store holds. The baseline is the smallest N: per-feed cost at each N is given
# as a ratio to it, so "flat" means a ratio near 1.
#
# `aiwire fetch` stores without clustering (the next `aiwire digest` or the daemon places the
# items); FETCH_ARGS=--cluster measures the cycle with clustering beside it, and the
# "placed" column then counts the items placed into stories.
#
# usage: AIWIRE_BIN=target/release/aiwire benches/fetch_cycle.sh
# env:   NS="200 1000" ITEMS=30 SEED=42 CYCLES=3 KEEP=0 AIWIRE_CONFIG_EXTRA=  (TOML appended)
#        FETCH_ARGS=  (extra arguments of `aiwire fetch`, e.g. --cluster)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NS=${NS:-200 1000}
ITEMS=${ITEMS:-30}
SEED=${SEED:-42}
CYCLES=${CYCLES:-3}
KEEP=${KEEP:-0}
AIWIRE_BIN=${AIWIRE_BIN:-$HERE/../target/release/aiwire}
AIWIRE_CONFIG_EXTRA=${AIWIRE_CONFIG_EXTRA:-}
FETCH_ARGS=${FETCH_ARGS:-}
[ -x "$AIWIRE_BIN" ] || { echo "build first: cargo build --release (or set AIWIRE_BIN)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

T=$(mktemp -d /tmp/aiwire_fetch_cycle.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null || true; [ "$KEEP" = 1 ] || rm -rf "$T"; }
trap cleanup EXIT

get() { python3 -c 'import sys,urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=60).read().decode())' "$1"; }
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d[sys.argv[2]])' "$1" "$2"; }

printf '%-6s %-5s %8s %8s %9s %6s %6s %6s %8s %8s %10s\n' N cycle wall_s cpu_s rss_MiB req 200 304 items placed ms/feed
declare -A PERFEED
for N in $NS; do
    d=$T/n$N
    mkdir -p "$d"
    meta=$(python3 "$HERE/fetch_gen.py" "$d/feeds" "$N" "$ITEMS" "$SEED")
    width=$(field "$meta" width)
    python3 "$HERE/fetch_server.py" "$d/feeds" "$d/port" "$d/server.log" &
    SRV=$!
    for _ in $(seq 300); do [ -s "$d/port" ] && break; sleep 0.1; done
    base="http://127.0.0.1:$(cat "$d/port")"
    {
        printf '[store]\npath = "%s"\n\n[fetch]\nallow_private_addresses = true\n' "$d/aiwire.db"
        printf '\n[mail]\ntransport = "file"\ndir = "%s/mail"\nfrom = "aiwire@localhost"\n' "$d"
        for ((i = 1; i <= N; i++)); do printf '\n[[feed]]\nurl = "%s/feed-%0*d.xml"\n' "$base" "$width" "$i"; done
        [ -z "$AIWIRE_CONFIG_EXTRA" ] || printf '\n%s\n' "$AIWIRE_CONFIG_EXTRA"
    } > "$d/aiwire.toml"
    for ((c = 1; c <= CYCLES; c++)); do
        get "$base/_phase?name=c$c" > /dev/null
        /usr/bin/time -v -o "$d/c$c.time" "$AIWIRE_BIN" --config "$d/aiwire.toml" fetch $FETCH_ARGS > "$d/c$c.out" 2> "$d/c$c.err" || true
        st=$(get "$base/_stats")
        wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$d/c$c.time")
        cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$d/c$c.time")
        rss=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$d/c$c.time")
        items=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from items").fetchone()[0])' "$d/aiwire.db")
        placed=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from items where story_id is not null").fetchone()[0])' "$d/aiwire.db")
        perfeed=$(python3 -c "print(round(1000*$wall/$N, 3))")
        [ "$c" = 1 ] && PERFEED[$N]=$perfeed
        printf '%-6s %-5s %8s %8s %9s %6s %6s %6s %8s %8s %10s\n' "$N" "$c" "$wall" "$cpu" "$rss" \
            "$(field "$st" requests)" "$(field "$st" n200)" "$(field "$st" n304)" "$items" "$placed" "$perfeed"
        grep -h "cycle timing" "$d/c$c.err" | sed 's/^/    /' || true
    done
    kill "$SRV"; wait "$SRV" 2>/dev/null || true; SRV=
done
first=${NS%% *}
for N in $NS; do
    python3 -c "print('cold per-feed cost N=$N vs N=$first: %.2fx' % (${PERFEED[$N]} / ${PERFEED[$first]}))"
done
