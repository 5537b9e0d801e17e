#!/usr/bin/env bash
# scripts/measure_daemon.sh: measures the daemon's idle RSS with 500 configured feeds and
# its start-to-READY time on an existing database, with the release binary. Prints figures;
# asserts nothing (tests never assert on wall time).
#
#   scripts/measure_daemon.sh [path/to/aiwire]     # default: target/release/aiwire (built if missing)
#   HTTP_PORT=9187 scripts/measure_daemon.sh       # the same with the HTTP listener on
#
# The 500 feeds are generated RSS files (10 items each) read through file:// paths, so no
# network is touched. READY is observed on a fake NOTIFY_SOCKET, as systemd would see it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin=${1:-$repo/target/release/aiwire}
[ -x "$bin" ] || (cd "$repo" && cargo build --release)
feeds=${FEEDS:-500}
runs=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

now=$(date -u -R)
mkdir -p "$work/feeds"
for i in $(seq 1 "$feeds"); do
    {
        echo "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>outlet $i</title><link>https://o$i.test/</link><description>d</description>"
        for j in $(seq 1 10); do
            echo "<item><title>Story $j from outlet $i about AI models</title><link>https://o$i.test/$j</link><guid>o$i-$j</guid><pubDate>$now</pubDate><description>Summary of story $j, outlet $i.</description></item>"
        done
        echo "</channel></rss>"
    } >"$work/feeds/$i.xml"
done
{
    printf '[store]\npath = "%s/aiwire.db"\n\n[fetch]\nallow_private_addresses = true\n\n' "$work"
    if [ -n "${HTTP_PORT:-}" ]; then printf '[http]\nlisten = "127.0.0.1:%s"\n\n' "$HTTP_PORT"; fi
    printf '[[digest]]\nname = "daily"\nschedule = "0 7 * * *"\ntimezone = "UTC"\nto = ["r@example.org"]\n\n'
    printf '[mail]\ntransport = "file"\ndir = "%s/outbox"\nfrom = "aiwire <aiwire@localhost>"\n' "$work"
    for i in $(seq 1 "$feeds"); do printf '\n[[feed]]\nurl = "%s/feeds/%s.xml"\n' "$work" "$i"; done
} >"$work/aiwire.toml"

python3 - "$bin" "$work" "$runs" <<'PY'
import os, socket, subprocess, sys, time, statistics
bin_, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock_path = os.path.join(work, "notify.sock")

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def start():
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock_path)
    s.settimeout(30)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, RUST_LOG="info")
    env.pop("WATCHDOG_USEC", None)
    log = open(os.path.join(work, "log"), "a")
    t0 = time.perf_counter()
    p = subprocess.Popen([bin_, "--config", os.path.join(work, "aiwire.toml"), "run"],
                         env=env, stdout=subprocess.DEVNULL, stderr=log)
    while True:
        msg = s.recv(4096).decode()
        if "READY=1" in msg.splitlines():
            return p, (time.perf_counter() - t0) * 1000, s

def wait_cycle(p, s, timeout=120):
    # The STATUS line says "last cycle" once the first fetch cycle is done.
    s.settimeout(1)
    end = time.time() + timeout
    while time.time() < end:
        with open(os.path.join(work, "log")) as f:
            if f.read().count("Fetch cycle done") >= wait_cycle.n:
                wait_cycle.n += 1
                return True
        time.sleep(0.2)
    return False
wait_cycle.n = 1

def stop(p):
    p.terminate()
    p.wait(timeout=30)

# First start: empty database, 500 feeds fetched, then idle.
p, ms, s = start()
print(f"first start (empty database, {len(open(os.path.join(work,'aiwire.toml')).read().split('[[feed]]'))-1} feeds): READY after {ms:.1f} ms")
assert wait_cycle(p, s), "no fetch cycle"
print(f"RSS right after the first cycle (5000 items stored): {rss_kib(p.pid)/1024:.1f} MiB")
time.sleep(15)
print(f"idle RSS 15 s after the first cycle: {rss_kib(p.pid)/1024:.1f} MiB")
stop(p)

# Restarts on the existing database: start-to-READY, and idle RSS (nothing due).
times = []
for i in range(runs):
    p, ms, s = start()
    times.append(ms)
    if i == 0:
        time.sleep(15)
        print(f"idle RSS 15 s after a restart (nothing due): {rss_kib(p.pid)/1024:.1f} MiB; threads: {len(os.listdir(f'/proc/{p.pid}/task'))}")
    stop(p)
print(f"start-to-READY on an existing database over {runs} runs: median {statistics.median(times):.1f} ms, min {min(times):.1f}, max {max(times):.1f}")
import re
inner = [int(m) for m in re.findall(r"start_ms=(\d+)", open(os.path.join(work, "log")).read())]
print(f"daemon-side start (run() entry to READY, from the log): {inner}")
print(f"database size: {os.path.getsize(os.path.join(work, 'aiwire.db'))/1024/1024:.1f} MiB")
PY
