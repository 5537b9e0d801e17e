// Shared body of the parse throughput benchmark, included by benches/parse_throughput.rs
// (cargo bench, through the aiwire crate) and by benches/parse_bench (stand-alone release
// build). The includer imports `ParseContext` and `parse_feed`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

/// CPU time of this thread (Linux `/proc/thread-self/schedstat`, nanoseconds on CPU), so
/// that a loaded machine does not count other processes' time; zero elsewhere.
fn thread_cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    // Relative to the repository root, where cargo bench and the script run.
    let dir = args
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/corpus/feeds"));
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let docs: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let n_bytes: usize = docs.iter().map(Vec::len).sum();
    let fetched_at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let feed_url = url::Url::parse("https://example.test/feed").unwrap();
    let ctx = ParseContext {
        feed_url: Some(&feed_url),
        http_charset: None,
        fetched_at,
    };

    let mut raw_time = Duration::ZERO;
    let mut ours_time = Duration::ZERO;
    let mut raw_cpu = Duration::ZERO;
    let mut ours_cpu = Duration::ZERO;
    let (mut raw_entries, mut our_entries) = (0usize, 0usize);
    for _ in 0..rounds {
        let (start, cpu_start) = (Instant::now(), thread_cpu_time());
        for doc in &docs {
            if let Ok(feed) = feed_rs::parser::parse(doc.as_slice()) {
                raw_entries += feed.entries.len();
            }
        }
        raw_time += start.elapsed();
        raw_cpu += thread_cpu_time() - cpu_start;
        let (start, cpu_start) = (Instant::now(), thread_cpu_time());
        for doc in &docs {
            if let Ok(feed) = parse_feed(doc, &ctx) {
                our_entries += feed.entries.len();
            }
        }
        ours_time += start.elapsed();
        ours_cpu += thread_cpu_time() - cpu_start;
    }
    let mb = (n_bytes * rounds) as f64 / 1e6;
    let raw_mbs = mb / raw_time.as_secs_f64();
    let ours_mbs = mb / ours_time.as_secs_f64();
    println!(
        "corpus: {} files, {:.2} MB, {rounds} rounds",
        docs.len(),
        n_bytes as f64 / 1e6
    );
    println!(
        "feed-rs raw : {:8.2} ms/round  {:7.2} MB/s  {} entries/round",
        raw_time.as_secs_f64() * 1e3 / rounds as f64,
        raw_mbs,
        raw_entries / rounds
    );
    println!(
        "parse_feed  : {:8.2} ms/round  {:7.2} MB/s  {} entries/round",
        ours_time.as_secs_f64() * 1e3 / rounds as f64,
        ours_mbs,
        our_entries / rounds
    );
    println!(
        "overhead of parse_feed over raw feed-rs: {:+.1}% wall time, {:+.1}% CPU time",
        (ours_time.as_secs_f64() / raw_time.as_secs_f64() - 1.0) * 100.0,
        (ours_cpu.as_secs_f64() / raw_cpu.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "parse_feed CPU: {:.2} ms/round, raw feed-rs CPU: {:.2} ms/round",
        ours_cpu.as_secs_f64() * 1e3 / rounds as f64,
        raw_cpu.as_secs_f64() * 1e3 / rounds as f64
    );
    println!(
        "parse_feed_seconds_per_round {:.6}",
        ours_cpu.as_secs_f64() / rounds as f64
    );
}
