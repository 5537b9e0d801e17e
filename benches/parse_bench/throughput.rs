// Shared body of the parse throughput benchmark, included by benches/parse_throughput.rs
// (cargo bench, through the aiwire crate) and by benches/parse_bench (stand-alone release
// build). The includer imports `ParseContext` and `parse_feed`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};

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
    let (mut raw_entries, mut our_entries) = (0usize, 0usize);
    for _ in 0..rounds {
        let start = Instant::now();
        for doc in &docs {
            if let Ok(feed) = feed_rs::parser::parse(doc.as_slice()) {
                raw_entries += feed.entries.len();
            }
        }
        raw_time += start.elapsed();
        let start = Instant::now();
        for doc in &docs {
            if let Ok(feed) = parse_feed(doc, &ctx) {
                our_entries += feed.entries.len();
            }
        }
        ours_time += start.elapsed();
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
        "overhead of fix-ups: {:+.1}% time",
        (ours_time.as_secs_f64() / raw_time.as_secs_f64() - 1.0) * 100.0
    );
    println!(
        "parse_feed_seconds_per_round {:.6}",
        ours_time.as_secs_f64() / rounds as f64
    );
}
