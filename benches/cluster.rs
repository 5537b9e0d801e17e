//! Clustering throughput and peak memory at 10,000 and 100,000 items: the shared dev sets
//! replayed in ten-day epochs with shifted dates, links and sources, fed in time order through
//! the daemon's clusterer (tagging done beforehand), with `forget_before(now - window)` every
//! 500 items as the daemon would.
//!
//! Run: `cargo bench --bench cluster` (optionally `-- 10000` for one size). Each size runs in
//! its own child process so that peak memory (VmHWM) is per size; peak memory includes the
//! pre-built input items (about 1 KB each), not only the clusterer.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use aiwire::cluster::{ClusterConfig, Clusterer};
use aiwire::eval_input::{InputItem, read_items};
use aiwire::model::{ClusterItem, TagInput};
use aiwire::tag::Tagger;
use chrono::Duration;

const SIZES: [usize; 2] = [10_000, 100_000];
const EPOCH_DAYS: i64 = 10;
const FORGET_EVERY: usize = 500;

fn main() -> anyhow::Result<()> {
    let size: Option<usize> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    match size {
        Some(n) => run(n),
        None => {
            let exe = std::env::current_exe()?;
            let mut per_item = Vec::new();
            for n in SIZES {
                let out = Command::new(&exe).arg(n.to_string()).output()?;
                let text = String::from_utf8_lossy(&out.stdout).to_string();
                print!("{text}");
                if let Some(us) = text
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("us_per_item="))
                {
                    per_item.push(us.parse::<f64>()?);
                }
            }
            if let [small, large] = per_item[..] {
                println!("per-item cost ratio 100k/10k: {:.2}", large / small);
            }
            Ok(())
        }
    }
}

fn eval_dir() -> PathBuf {
    std::env::var_os("AIWIRE_EVAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval"))
}

/// The dev sets, each shifted to start at the same instant, in time order.
fn base_items() -> anyhow::Result<Vec<InputItem>> {
    let mut all = Vec::new();
    for name in ["ai-news-dev.jsonl", "uci-dev.jsonl", "ecb-dev.jsonl"] {
        let mut items = read_items(&eval_dir().join(name))?;
        let start = items.iter().map(|i| i.published).min().unwrap_or_default();
        let origin = "2025-01-01T00:00:00Z".parse::<chrono::DateTime<chrono::Utc>>()?;
        for item in &mut items {
            // Fold long-running sets (ai-news spans months) into one epoch.
            let offset = (item.published - start).num_seconds() % (EPOCH_DAYS * 86_400);
            item.published = origin + Duration::seconds(offset);
        }
        all.extend(items);
    }
    all.sort_by_key(|i| i.published);
    Ok(all)
}

fn run(n: usize) -> anyhow::Result<()> {
    let tagger = Tagger::builtin()?;
    let base = base_items()?;
    let mut items: Vec<ClusterItem> = Vec::with_capacity(n);
    for k in 0.. {
        for item in &base {
            if items.len() == n {
                break;
            }
            let shift = Duration::days(EPOCH_DAYS * k);
            items.push(ClusterItem {
                id: items.len() as i64,
                source: format!("{} #{k}", item.source),
                title: item.title.clone(),
                summary: item.summary.clone(),
                language: item.lang.clone(),
                published: item.published + shift,
                canonical_link: item.link.as_ref().map(|l| format!("{l}?epoch={k}")),
                guid: None,
                tags: tagger.tag(TagInput {
                    title: &item.title,
                    summary: &item.summary,
                    language: item.lang.as_deref(),
                }),
            });
        }
        if items.len() == n {
            break;
        }
    }
    let config = ClusterConfig::default();
    let window = Duration::hours(i64::from(config.window_hours));
    let mut clusterer = Clusterer::new(config, 1);
    let rss_before_kib = peak_rss_kib();
    let started = Instant::now();
    let cpu_started = cpu_seconds();
    let mut max_remembered = 0;
    for (i, item) in items.iter().enumerate() {
        if i % FORGET_EVERY == 0 {
            clusterer.forget_before(item.published - window);
        }
        std::hint::black_box(clusterer.assign(item));
        max_remembered = max_remembered.max(clusterer.len().0);
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_started;
    // On a shared machine wall time includes waiting for a core; CPU time does not.
    println!(
        "items={n} wall_s={secs:.2} items_per_wall_s={:.0} cpu_s={cpu:.2} items_per_cpu_s={:.0} us_per_item={:.1} max_items_in_window={max_remembered} peak_rss_mib={:.1} peak_before_clustering_mib={:.1}",
        n as f64 / secs,
        n as f64 / cpu,
        cpu * 1e6 / n as f64,
        peak_rss_kib() as f64 / 1024.0,
        rss_before_kib as f64 / 1024.0
    );
    Ok(())
}

/// User + system CPU time of this process (Linux `/proc/self/stat`, 100 ticks per second).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0)
}

/// Peak resident set size of this process (Linux `VmHWM`), 0 if unknown.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}
