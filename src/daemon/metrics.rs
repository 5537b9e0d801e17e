//! In-memory counters of the running daemon (fetches by outcome, the fetch-duration
//! histogram, the last cycle) and the Prometheus text exposition of them plus the store's
//! gauges. Counters are fed from the fetch-log lines each cycle wrote, so they count exactly
//! what the store recorded; they start at zero with the process, as Prometheus counters do.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use crate::store::FetchSample;

/// Upper bounds of the fetch-duration histogram, in seconds.
pub const DURATION_BUCKETS: [f64; 11] =
    [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// Outcomes always exposed, so a dashboard sees zeros instead of missing series.
const KNOWN_OUTCOMES: [&str; 5] = ["error", "fetched", "gone", "not_modified", "rate_limited"];

/// What one fetch cycle did, for the status line and `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleSummary {
    pub finished_at: DateTime<Utc>,
    pub feeds: usize,
    pub failed: usize,
    pub new_items: usize,
}

#[derive(Debug, Default)]
struct Counters {
    fetches: BTreeMap<String, u64>,
    buckets: [u64; DURATION_BUCKETS.len()],
    duration_count: u64,
    duration_sum_secs: f64,
    last_fetch_log_id: i64,
    cycles: u64,
    last_cycle: Option<CycleSummary>,
    reloads_ok: u64,
    reloads_rejected: u64,
}

/// The daemon's counters; cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Counters>,
}

/// Store-derived gauges, read at scrape time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreGauges {
    pub feeds_by_state: Vec<(String, i64)>,
    pub items: i64,
    pub stories: i64,
    pub digests_sent: i64,
    pub digests_failed: i64,
    pub database_bytes: u64,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counting starts after this fetch-log id (the newest one at start-up).
    pub fn start_after(&self, fetch_log_id: i64) {
        self.lock().last_fetch_log_id = fetch_log_id;
    }

    /// Where the next fetch-log read should start.
    pub fn last_fetch_log_id(&self) -> i64 {
        self.lock().last_fetch_log_id
    }

    /// Counts fetch-log lines not seen before.
    pub fn observe_fetches(&self, samples: &[FetchSample]) {
        let mut c = self.lock();
        for s in samples {
            if s.id <= c.last_fetch_log_id {
                continue;
            }
            c.last_fetch_log_id = s.id;
            *c.fetches.entry(s.outcome.clone()).or_default() += 1;
            let secs = s.duration_ms as f64 / 1000.0;
            if let Some(i) = DURATION_BUCKETS.iter().position(|le| secs <= *le) {
                c.buckets[i] += 1;
            }
            c.duration_count += 1;
            c.duration_sum_secs += secs;
        }
    }

    pub fn observe_cycle(&self, cycle: CycleSummary) {
        let mut c = self.lock();
        c.cycles += 1;
        c.last_cycle = Some(cycle);
    }

    pub fn last_cycle(&self) -> Option<CycleSummary> {
        self.lock().last_cycle
    }

    pub fn observe_reload(&self, accepted: ReloadOutcome) {
        let mut c = self.lock();
        match accepted {
            ReloadOutcome::Accepted => c.reloads_ok += 1,
            ReloadOutcome::Rejected => c.reloads_rejected += 1,
        }
    }

    /// Prometheus text exposition format 0.0.4 of the counters and the given gauges.
    pub fn render(&self, gauges: &StoreGauges, scheduler_alive: bool) -> String {
        let c = self.lock();
        let mut out = String::with_capacity(4096);
        let _ = writeln!(
            out,
            "# HELP aiwire_feeds Feeds in the store by state.\n# TYPE aiwire_feeds gauge"
        );
        for state in ["active", "failing", "gone", "removed"] {
            let v = gauges
                .feeds_by_state
                .iter()
                .find(|(s, _)| s == state)
                .map_or(0, |(_, v)| *v);
            let _ = writeln!(out, "aiwire_feeds{{state=\"{state}\"}} {v}");
        }

        let mut fetches: BTreeMap<&str, u64> = KNOWN_OUTCOMES.iter().map(|o| (*o, 0)).collect();
        for (k, v) in &c.fetches {
            fetches.insert(k.as_str(), *v);
        }
        let _ = writeln!(
            out,
            "# HELP aiwire_fetches_total Feed fetch attempts since start, by outcome.\n# TYPE aiwire_fetches_total counter"
        );
        for (outcome, v) in fetches {
            let _ = writeln!(
                out,
                "aiwire_fetches_total{{outcome=\"{}\"}} {v}",
                escape_label(outcome)
            );
        }

        let _ = writeln!(
            out,
            "# HELP aiwire_fetch_duration_seconds Time to fetch one feed document.\n# TYPE aiwire_fetch_duration_seconds histogram"
        );
        let mut cumulative = 0;
        for (le, count) in DURATION_BUCKETS.iter().zip(c.buckets) {
            cumulative += count;
            let _ = writeln!(
                out,
                "aiwire_fetch_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "aiwire_fetch_duration_seconds_bucket{{le=\"+Inf\"}} {}\naiwire_fetch_duration_seconds_sum {}\naiwire_fetch_duration_seconds_count {}",
            c.duration_count, c.duration_sum_secs, c.duration_count
        );

        let gauge = |out: &mut String, name: &str, kind: &str, help: &str, v: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        };
        gauge(
            &mut out,
            "aiwire_items",
            "gauge",
            "Items in the store.",
            gauges.items.to_string(),
        );
        gauge(
            &mut out,
            "aiwire_stories",
            "gauge",
            "Stories holding at least one item.",
            gauges.stories.to_string(),
        );
        gauge(
            &mut out,
            "aiwire_digests_sent_total",
            "counter",
            "Digest deliveries accepted by the transport (all time, from the ledger).",
            gauges.digests_sent.to_string(),
        );
        gauge(
            &mut out,
            "aiwire_digests_failed_total",
            "counter",
            "Digest deliveries given up (all time, from the ledger).",
            gauges.digests_failed.to_string(),
        );
        gauge(
            &mut out,
            "aiwire_database_bytes",
            "gauge",
            "Size of the SQLite database file (pages times page size).",
            gauges.database_bytes.to_string(),
        );
        gauge(
            &mut out,
            "aiwire_fetch_cycles_total",
            "counter",
            "Fetch cycles completed since start.",
            c.cycles.to_string(),
        );
        gauge(
            &mut out,
            "aiwire_last_cycle_timestamp_seconds",
            "gauge",
            "Unix time the last fetch cycle ended (0 before the first).",
            c.last_cycle
                .map_or(0, |l| l.finished_at.timestamp())
                .to_string(),
        );
        let _ = writeln!(
            out,
            "# HELP aiwire_config_reloads_total SIGHUP reloads by result.\n# TYPE aiwire_config_reloads_total counter\naiwire_config_reloads_total{{result=\"accepted\"}} {}\naiwire_config_reloads_total{{result=\"rejected\"}} {}",
            c.reloads_ok, c.reloads_rejected
        );
        gauge(
            &mut out,
            "aiwire_scheduler_alive",
            "gauge",
            "1 when the fetch and digest loops made progress recently.",
            u8::from(scheduler_alive).to_string(),
        );
        out
    }
}

/// Whether a SIGHUP reload took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadOutcome {
    Accepted,
    Rejected,
}

/// Escapes a label value (backslash, double quote, newline), per the exposition format.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(id: i64, outcome: &str, ms: u64) -> FetchSample {
        FetchSample {
            id,
            outcome: outcome.into(),
            duration_ms: ms,
        }
    }

    #[test]
    fn counts_each_fetch_log_line_once() {
        let m = Metrics::default();
        m.start_after(10);
        m.observe_fetches(&[sample(9, "fetched", 1), sample(11, "fetched", 40)]);
        m.observe_fetches(&[sample(11, "fetched", 40), sample(12, "error", 3000)]);
        let text = m.render(&StoreGauges::default(), true);
        assert!(
            text.contains("aiwire_fetches_total{outcome=\"fetched\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwire_fetches_total{outcome=\"error\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwire_fetch_duration_seconds_bucket{le=\"0.05\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwire_fetch_duration_seconds_bucket{le=\"5\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("aiwire_fetch_duration_seconds_count 2\n"),
            "{text}"
        );
    }

    #[test]
    fn exposition_parses() {
        let m = Metrics::default();
        m.observe_fetches(&[sample(1, "not_modified", 120)]);
        let gauges = StoreGauges {
            feeds_by_state: vec![("active".into(), 3), ("failing".into(), 1)],
            items: 7,
            ..StoreGauges::default()
        };
        let text = m.render(&gauges, false);
        let lines = text.lines().map(|l| Ok(l.to_string()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
        let active = scrape
            .samples
            .iter()
            .find(|s| s.metric == "aiwire_feeds" && s.labels.get("state") == Some("active"))
            .unwrap();
        assert!(matches!(active.value, prometheus_parse::Value::Gauge(v) if v == 3.0));
    }
}
