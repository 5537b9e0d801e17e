//! Use case: refresh feeds. Fetch one feed, parse it, tag and store what is new, and write
//! the feed's bookkeeping (validators, next fetch time, error state, fetch-log line); a failing
//! feed becomes data on its row, never an abort. The scheduling rules live in
//! [`crate::fetch::policy`]; this file only applies them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;

use crate::config::{Config, FeedConfig, FetchConfig};
use crate::fetch::policy::{self, CacheHints, IntervalBounds, RedirectDecision};
use crate::fetch::{Attempt, FetchOutcome, FetchRequest, Fetcher, looks_like_html};
use crate::model::{ClusterItem, DateSource, FeedId, ItemId, ParsedEntry, TagInput, Tags};
use crate::parse::{ParseContext, parse_feed};
use crate::store::{FeedRow, FeedState, FeedUpdate, FetchLogEntry, Store, new_cluster_items};
use crate::tag::Tagger;
use writer::Writer;

mod writer;

/// What a refresh needs.
pub struct Deps {
    pub store: Arc<Mutex<Store>>,
    pub fetcher: Fetcher,
    pub tagger: Arc<Tagger>,
    pub config: Arc<Config>,
    writer: Writer,
}

impl Deps {
    /// Also starts the refreshes' writer thread, which ends with the `Deps`.
    pub fn new(
        store: Arc<Mutex<Store>>,
        fetcher: Fetcher,
        tagger: Arc<Tagger>,
        config: Arc<Config>,
    ) -> anyhow::Result<Deps> {
        Ok(Deps {
            writer: Writer::start(store.clone())?,
            store,
            fetcher,
            tagger,
            config,
        })
    }

    /// Waits until every refresh write sent so far has run and been committed (the daemon's
    /// shutdown does, before it checkpoints the WAL: refreshes it abandoned may have left
    /// writes queued).
    pub async fn flush_writes(&self) -> anyhow::Result<()> {
        self.writer.flush().await
    }

    /// How many writes refreshes have made so far: one per refresh, whatever its outcome.
    pub fn store_writes(&self) -> u64 {
        self.writer.writes()
    }

    /// How long refreshes' writes have held the store lock so far, in total: the serial part
    /// of a cycle, shown in `aiwire fetch`'s timing line.
    pub fn store_time(&self) -> std::time::Duration {
        self.writer.busy()
    }
}

/// The items a refresh stored, with the group commit they were written in.
type StoredItems = (Vec<ClusterItem>, Option<u64>);

/// How one feed's refresh ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshResult {
    New(usize),
    NotModified,
    /// 410: the feed is polled rarely from now on.
    Gone,
    /// 429 / 503 with Retry-After: tried again at the given time.
    RateLimited(DateTime<Utc>),
    /// Not requested: its host is paused after repeated 429s.
    Deferred(DateTime<Utc>),
    Failed(String),
}

impl RefreshResult {
    /// Whether the operator should look at this feed.
    pub fn is_failure(&self) -> bool {
        matches!(self, RefreshResult::Failed(_) | RefreshResult::Gone)
    }
}

/// One feed's refresh, for the summary line.
#[derive(Debug, Clone)]
pub struct RefreshReport {
    pub feed: String,
    pub result: RefreshResult,
    /// The items this refresh stored, as the clusterer reads them: a [`crate::assign::Pipeline`]
    /// takes them (leaving this empty) to place them without reading them back.
    pub stored: Vec<ClusterItem>,
    /// The group commit `stored` was written in ([`Store::open_batch`]); a consumer checks
    /// [`Store::batch_lost`] after it is committed, before trusting the ids.
    pub stored_in: Option<u64>,
}

impl std::fmt::Display for RefreshReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.result {
            RefreshResult::New(n) => write!(f, "{}: {n} new items", self.feed),
            RefreshResult::NotModified => write!(f, "{}: not modified", self.feed),
            RefreshResult::Gone => write!(f, "{}: gone (410), polled rarely", self.feed),
            RefreshResult::RateLimited(t) => {
                write!(
                    f,
                    "{}: rate limited, next try {}",
                    self.feed,
                    t.to_rfc3339()
                )
            }
            RefreshResult::Deferred(t) => {
                write!(f, "{}: host paused, next try {}", self.feed, t.to_rfc3339())
            }
            RefreshResult::Failed(e) => write!(f, "{}: error: {e}", self.feed),
        }
    }
}

/// Refreshes the given feeds concurrently: at most `[fetch] concurrency` at once (the
/// per-host limit is the fetcher's). Feeds are interleaved by host so that one big host
/// waiting on its per-host slots does not hold every global slot.
pub async fn refresh_feeds(
    deps: &Deps,
    feeds: Vec<FeedRow>,
    now: DateTime<Utc>,
) -> Vec<RefreshReport> {
    refresh_feeds_observed(deps, feeds, now, |r| r.stored.clear()).await
}

/// [`refresh_feeds`], calling `seen` with each feed's report as soon as it is done (e.g. to
/// start clustering what that feed stored while the other feeds are still being fetched).
pub async fn refresh_feeds_observed(
    deps: &Deps,
    feeds: Vec<FeedRow>,
    now: DateTime<Utc>,
    mut seen: impl FnMut(&mut RefreshReport),
) -> Vec<RefreshReport> {
    let limit = deps.config.fetch.concurrency.max(1);
    futures_util::stream::iter(interleave_by_host(feeds))
        .map(|feed| async move { refresh_feed(deps, &feed, now).await })
        .buffer_unordered(limit)
        .map(|mut report| {
            seen(&mut report);
            report
        })
        .collect()
        .await
}

/// Orders feeds round-robin over their hosts, so that a cycle never fills every global slot
/// with feeds of one host waiting for that host's per-host slots.
pub fn interleave_by_host(feeds: Vec<FeedRow>) -> Vec<FeedRow> {
    let mut order: Vec<String> = Vec::new();
    let mut by_host: HashMap<String, std::collections::VecDeque<FeedRow>> = HashMap::new();
    for f in feeds {
        let host = url::Url::parse(&f.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default();
        by_host
            .entry(host.clone())
            .or_insert_with(|| {
                order.push(host);
                Default::default()
            })
            .push_back(f);
    }
    let total: usize = by_host.values().map(|q| q.len()).sum();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for h in &order {
            if let Some(f) = by_host.get_mut(h).and_then(|q| q.pop_front()) {
                out.push(f);
            }
        }
    }
    out
}

/// Fetches one feed and records everything new it contains.
pub async fn refresh_feed(deps: &Deps, feed: &FeedRow, now: DateTime<Utc>) -> RefreshReport {
    let name = feed.display_name();
    let mut stored = (Vec::new(), None);
    match refresh_inner(deps, feed, now, &mut stored).await {
        Ok(result) => RefreshReport {
            feed: name,
            result,
            stored: stored.0,
            stored_in: stored.1,
        },
        Err(e) => {
            tracing::warn!(feed = %name, error = %format!("{e:#}"), "Feed refresh failed.");
            // Nothing of this refresh was written, or its batch was lost with it: the feed's
            // row is unchanged, so the next poll tries it again in full.
            RefreshReport {
                feed: name,
                result: RefreshResult::Failed(format!("{e:#}")),
                stored: Vec::new(),
                stored_in: None,
            }
        }
    }
}

fn feed_config<'a>(config: &'a Config, feed: &FeedRow) -> Option<&'a FeedConfig> {
    config.feeds.iter().find(|f| f.url == feed.config_url)
}

/// The feed's interval bounds: its own overrides, else `[fetch]`.
fn bounds(cfg: &FetchConfig, fc: Option<&FeedConfig>) -> IntervalBounds {
    let min = fc.and_then(|f| f.min_interval).unwrap_or(cfg.min_interval);
    let max = fc.and_then(|f| f.max_interval).unwrap_or(cfg.max_interval);
    IntervalBounds {
        min: min.as_chrono(),
        max: max.as_chrono().max(min.as_chrono()),
    }
}

/// The request for a feed: validators are left out when a full fetch is due, for servers
/// that answer 304 wrongly.
fn request(
    feed: &FeedRow,
    fc: Option<&FeedConfig>,
    cfg: &FetchConfig,
    now: DateTime<Utc>,
) -> FetchRequest {
    let full_due = feed
        .last_full_fetch_at
        .is_none_or(|t| now - t >= cfg.full_fetch_every.as_chrono());
    FetchRequest {
        url: feed.url.clone(),
        etag: feed.etag.clone().filter(|_| !full_due),
        last_modified: feed.last_modified.clone().filter(|_| !full_due),
        user_agent: fc.and_then(|f| f.user_agent.clone()),
        now,
    }
}

/// Refreshes one feed; the items it stored are put in `out`, with the group commit they are in.
async fn refresh_inner(
    deps: &Deps,
    feed: &FeedRow,
    now: DateTime<Utc>,
    out: &mut StoredItems,
) -> anyhow::Result<RefreshResult> {
    let config = &deps.config;
    let fc = feed_config(config, feed);
    let mut attempt: Attempt = deps
        .fetcher
        .fetch(&request(feed, fc, &config.fetch, now))
        .await;
    // Parsing and tagging are CPU work: on the blocking pool, so they never stall the fetches
    // in flight. The writes go to the writer thread, waited for without holding a thread.
    let parsed = match &mut attempt.outcome {
        FetchOutcome::Fetched(fetched) => {
            let doc = Document {
                body: std::mem::take(&mut fetched.body),
                final_url: fetched.final_url.clone(),
                charset: fetched.charset.clone(),
            };
            let (tagger, ai_only) = (deps.tagger.clone(), fc.is_some_and(|f| f.ai_only));
            let url = doc.final_url.clone();
            // A panic while tagging (the feed reader's own are caught where it is called)
            // is this document's failure, counted and backed off like a parse error.
            let parsed = match tokio::task::spawn_blocking(move || {
                parse_and_tag(&tagger, &doc, ai_only, now)
            })
            .await
            {
                Ok(parsed) => parsed,
                Err(e) if e.is_panic() => Err(format!("{url} could not be parsed and tagged: {e}")),
                // Cancelled (the runtime is shutting down): not the feed's failure.
                Err(e) => return Err(e.into()),
            };
            Some(parsed)
        }
        _ => None,
    };
    let (result, write) = settle(config, feed, attempt, parsed, now);
    let feed_id = feed.id;
    let (result, stored) = match write {
        Write::Postpone(until) => {
            deps.writer
                .write(move |s| s.postpone(feed_id, until))
                .await?;
            (result, (Vec::new(), None))
        }
        Write::Record(update, log) => {
            deps.writer
                .write(move |s| s.record_fetch(feed_id, &update, &log))
                .await?;
            (result, (Vec::new(), None))
        }
        Write::Store(entries, update, log) => {
            let failure_log = log.clone();
            // The entries come back from the writer, so that building the items for the
            // clusterer and dropping the rest happen here, outside the serial write path.
            let written = deps
                .writer
                .write(move |s| {
                    let new = store_fetched(s, feed_id, &entries, &update, log, now)?;
                    Ok((new, s.open_batch(), entries))
                })
                .await;
            match written {
                Ok((new, batch, entries)) => {
                    let items = new_cluster_items(&feed.display_name(), entries, &new);
                    (RefreshResult::New(items.len()), (items, batch))
                }
                Err(e) => {
                    // Counted and backed off like any failure: a write that fails every
                    // time (items the schema refuses, a damaged index) would otherwise leave
                    // the feed due at once, and take the other feeds' writes in its group
                    // commit down with it at every poll.
                    let error = format!("its items could not be stored: {e:#}");
                    let (update, log) = unstored(config, feed, failure_log, now, error.clone());
                    deps.writer
                        .write(move |s| s.record_fetch(feed_id, &update, &log))
                        .await
                        .with_context(|| format!("after {error}"))?;
                    (RefreshResult::Failed(error), (Vec::new(), None))
                }
            }
        }
    };
    *out = stored;
    Ok(result)
}

/// What a refresh writes.
enum Write {
    /// A host-paused feed: only its next fetch time moves.
    Postpone(DateTime<Utc>),
    /// The attempt's bookkeeping and fetch-log line.
    Record(FeedUpdate, FetchLogEntry),
    /// A fetched feed's new items, then its bookkeeping, in one turn of the group commit, so
    /// they are committed or lost together (lost items with kept validators would be answered
    /// 304 next time, and never fetched again).
    Store(Vec<(ParsedEntry, Tags)>, FeedUpdate, FetchLogEntry),
}

/// Applies the scheduling policy to a fetch attempt (and what its document parsed into):
/// how the refresh ended and what to write. Pure but for the jitter drawn here.
fn settle(
    config: &Config,
    feed: &FeedRow,
    attempt: Attempt,
    parsed: Option<Result<Parsed, String>>,
    now: DateTime<Utc>,
) -> (RefreshResult, Write) {
    let cfg = &config.fetch;
    let fc = feed_config(config, feed);
    let bounds = bounds(cfg, fc);
    let jitter: f64 = rand::random_range(-1.0..=1.0);
    let mut update = FeedUpdate::from_row(feed, now);
    let mut log = FetchLogEntry {
        feed_id: feed.id,
        at: now,
        url: feed.url.clone(),
        outcome: String::new(),
        status: attempt.status,
        bytes: attempt.bytes,
        duration_ms: attempt.duration.as_millis() as u64,
        new_items: 0,
        error: None,
    };
    let stored_interval = feed.interval_secs.map(Duration::seconds);
    // The entries to store, for a fetched feed.
    let mut entries = None;
    let result = match attempt.outcome {
        FetchOutcome::HostPaused { until } => {
            // Whole seconds: what the store keeps, so the report and the row agree.
            let until = until + policy::jittered(Duration::minutes(1), jitter).abs();
            let until = DateTime::from_timestamp(until.timestamp(), 0).unwrap_or(until);
            return (RefreshResult::Deferred(until), Write::Postpone(until));
        }
        FetchOutcome::NotModified {
            hints,
            etag,
            last_modified,
        } => {
            update.etag = etag.or(update.etag);
            update.last_modified = last_modified.or(update.last_modified);
            let interval = policy::poll_interval(None, stored_interval, &hints, bounds);
            mark_healthy(
                &mut update,
                now,
                interval,
                policy::next_poll(now, interval, bounds, jitter),
            );
            log.outcome = "not_modified".into();
            RefreshResult::NotModified
        }
        FetchOutcome::Fetched(fetched) => match parsed
            .unwrap_or_else(|| Err(format!("{} was fetched but not parsed", fetched.final_url)))
        {
            Err(error) => {
                record_failure(&mut update, &mut log, error.clone(), cfg, jitter);
                RefreshResult::Failed(error)
            }
            Ok(parsed) => {
                let hints = CacheHints {
                    ttl: parsed.ttl,
                    ..fetched.hints
                };
                let interval = policy::poll_interval(parsed.gap, stored_interval, &hints, bounds);
                mark_healthy(
                    &mut update,
                    now,
                    interval,
                    policy::next_poll(now, interval, bounds, jitter),
                );
                update.title = parsed.title.or(update.title);
                update.site_link = parsed.site_link.or(update.site_link);
                update.etag = fetched.etag;
                update.last_modified = fetched.last_modified;
                update.last_full_fetch_at = Some(now);
                log.outcome = "fetched".into();
                entries = Some(parsed.entries);
                // The count of new items is known once they are inserted.
                RefreshResult::New(0)
            }
        },
        FetchOutcome::Gone => {
            let wait = policy::jittered(cfg.gone_interval.as_chrono(), jitter);
            let error = format!(
                "410 Gone: the publisher removed this feed; still tried every {}",
                cfg.gone_interval
            );
            record_failure(&mut update, &mut log, error, cfg, jitter);
            update.state = FeedState::Gone;
            update.next_fetch_at = now + wait;
            log.outcome = "gone".into();
            RefreshResult::Gone
        }
        FetchOutcome::RateLimited {
            status,
            retry_after,
        } => {
            let error = match retry_after {
                Some(d) => format!("rate limited ({status}), Retry-After {}s", d.num_seconds()),
                None => format!("rate limited ({status}) without Retry-After"),
            };
            record_failure(&mut update, &mut log, error, cfg, jitter);
            if let Some(d) = retry_after {
                update.next_fetch_at =
                    now + policy::retry_after_delay(d, cfg.max_backoff.as_chrono());
            }
            log.outcome = "rate_limited".into();
            RefreshResult::RateLimited(update.next_fetch_at)
        }
        FetchOutcome::Failed(error) => {
            let error = error.to_string();
            record_failure(&mut update, &mut log, error.clone(), cfg, jitter);
            RefreshResult::Failed(error)
        }
    };
    if matches!(result, RefreshResult::New(_) | RefreshResult::NotModified) {
        follow_permanent_redirect(&mut update, feed, attempt.moved_to.as_deref(), cfg);
    }
    let write = match entries {
        Some(entries) => Write::Store(entries, update, log),
        None => Write::Record(update, log),
    };
    (result, write)
}

/// Writes a fetched feed's new items, then its bookkeeping with the count of new items;
/// returns the new entries' indexes and ids ([`Store::insert_entries`]).
fn store_fetched(
    s: &mut Store,
    feed: FeedId,
    entries: &[(ParsedEntry, Tags)],
    update: &FeedUpdate,
    mut log: FetchLogEntry,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<(usize, ItemId)>> {
    let new = s.insert_entries(feed, entries, now)?;
    log.new_items = new.len() as u64;
    s.record_fetch(feed, update, &log)?;
    Ok(new)
}

/// The bookkeeping of a fetched feed whose items could not be written: its row as it was
/// (with its old validators, since the items were not stored) and the failure counted and
/// backed off as [`record_failure`] does.
fn unstored(
    config: &Config,
    feed: &FeedRow,
    mut log: FetchLogEntry,
    now: DateTime<Utc>,
    error: String,
) -> (FeedUpdate, FetchLogEntry) {
    let mut update = FeedUpdate::from_row(feed, now);
    log.new_items = 0;
    let jitter: f64 = rand::random_range(-1.0..=1.0);
    record_failure(&mut update, &mut log, error, &config.fetch, jitter);
    (update, log)
}

fn mark_healthy(
    update: &mut FeedUpdate,
    now: DateTime<Utc>,
    interval: Duration,
    next: DateTime<Utc>,
) {
    update.state = FeedState::Active;
    update.error_count = 0;
    update.last_error = None;
    update.failing_since = None;
    update.last_success_at = Some(now);
    update.interval_secs = Some(interval.num_seconds());
    update.next_fetch_at = next;
}

/// A failed attempt: counted, explained, retried after an exponential back-off.
fn record_failure(
    update: &mut FeedUpdate,
    log: &mut FetchLogEntry,
    error: String,
    cfg: &FetchConfig,
    jitter: f64,
) {
    let now = update.last_attempt_at;
    update.state = FeedState::Failing;
    update.error_count = update.error_count.saturating_add(1);
    update.failing_since = update.failing_since.or(Some(now));
    let delay = policy::backoff_delay(
        update.error_count,
        cfg.min_backoff.as_chrono(),
        cfg.max_backoff.as_chrono(),
        jitter,
    );
    update.next_fetch_at = now + delay;
    update.last_error = Some(error.clone());
    log.outcome = "error".into();
    log.error = Some(error);
}

/// Applies [`policy::track_redirect`]: a permanent move that held long enough becomes the URL.
fn follow_permanent_redirect(
    update: &mut FeedUpdate,
    feed: &FeedRow,
    moved_to: Option<&str>,
    cfg: &FetchConfig,
) {
    match policy::track_redirect(
        moved_to,
        feed.redirect_to.as_deref(),
        feed.redirect_count,
        cfg.permanent_redirect_after,
    ) {
        RedirectDecision::Stay => {
            update.redirect_to = None;
            update.redirect_count = 0;
        }
        RedirectDecision::Candidate { candidate, count } => {
            update.redirect_to = Some(candidate);
            update.redirect_count = count;
        }
        RedirectDecision::Move { new_url } => {
            tracing::info!(
                feed_id = feed.id,
                old_url = %feed.url,
                new_url = %new_url,
                fetches = cfg.permanent_redirect_after,
                "Feed moved permanently; fetching the new URL from now on."
            );
            update.url = new_url;
            update.redirect_to = None;
            update.redirect_count = 0;
        }
    }
}

/// A fetched document's bytes, and what its parsing needs to know.
struct Document {
    body: Vec<u8>,
    final_url: String,
    charset: Option<String>,
}

/// A fetched document, parsed and tagged, before anything is written.
struct Parsed {
    entries: Vec<(ParsedEntry, Tags)>,
    title: Option<String>,
    site_link: Option<String>,
    gap: Option<Duration>,
    ttl: Option<Duration>,
}

/// Parses and tags a fetched document (CPU work, outside the store lock). `Err(message)` is
/// a document that is not a feed.
fn parse_and_tag(
    tagger: &Tagger,
    fetched: &Document,
    ai_only: bool,
    now: DateTime<Utc>,
) -> Result<Parsed, String> {
    let base = url::Url::parse(&fetched.final_url).ok();
    let ctx = ParseContext {
        feed_url: base.as_ref(),
        http_charset: fetched.charset.as_deref(),
        fetched_at: now,
    };
    let parsed = match parse_feed(&fetched.body, &ctx) {
        Ok(p) => p,
        Err(e) if looks_like_html(&fetched.body) => {
            return Err(format!(
                "{} is an HTML page, not a feed ({e}); point the config at the feed itself (often linked from that page)",
                fetched.final_url
            ));
        }
        Err(e) => return Err(format!("{} is not a readable feed: {e}", fetched.final_url)),
    };
    let dates: Vec<DateTime<Utc>> = parsed
        .entries
        .iter()
        .filter(|e| e.date_source == DateSource::Feed)
        .map(|e| e.published)
        .collect();
    let entries = parsed
        .entries
        .into_iter()
        .map(|e| {
            let tags = tagger.tag(TagInput {
                title: &e.title,
                summary: &e.summary,
                language: e.language.as_deref(),
            });
            (e, tags)
        })
        .filter(|(_, tags)| !ai_only || tags.ai_topic)
        .collect();
    Ok(Parsed {
        entries,
        title: parsed.title,
        site_link: parsed.site_link,
        gap: policy::publishing_gap(&dates, now),
        ttl: parsed.ttl_minutes.map(|m| Duration::minutes(i64::from(m))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A feed fetched once before (validators "old"), fetched again with validators "new":
    /// its items and bookkeeping go into an open group commit as one turn, and the batch is
    /// then lost (a failed COMMIT) or committed.
    fn fetch_again(lose_batch: bool) -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let config = [FeedConfig::new("https://a.example/f", None)];
        let feed = store.sync_feeds(&config, now).unwrap()[0].clone();
        let (feed_id, url) = (feed.id, feed.url.clone());
        let log = FetchLogEntry {
            feed_id,
            at: now,
            url,
            outcome: "fetched".into(),
            status: Some(200),
            bytes: 1,
            duration_ms: 1,
            new_items: 0,
            error: None,
        };
        let mut first = FeedUpdate::from_row(&feed, now);
        first.etag = Some("old".into());
        first.last_full_fetch_at = Some(now - Duration::hours(1));
        store.record_fetch(feed.id, &first, &log).unwrap();
        let feed = store.feed(feed_id).unwrap();

        let mut update = FeedUpdate::from_row(&feed, now);
        update.etag = Some("new".into());
        update.last_full_fetch_at = Some(now);
        let entry = (crate::store::testing::entry("k"), Tags::default());
        let items = store
            .in_batch(|s| store_fetched(s, feed.id, &[entry], &update, log, now))
            .unwrap();
        assert_eq!(items.len(), 1);
        store.end_turn(true).unwrap();
        if lose_batch {
            crate::store::testing::fail_batch_commit(&mut store);
        }
        store.commit_batch().unwrap();
        store
    }

    /// A feed fetched before (validators "old", healthy) and the config around it.
    fn known_feed(now: DateTime<Utc>) -> (Config, FeedRow) {
        let text = "[fetch]\nmin_backoff = \"10m\"\n\n[mail]\ntransport = \"file\"\ndir = \"/tmp\"\nfrom = \"a@b.c\"\n\n[[feed]]\nurl = \"https://a.example/f\"\n";
        let config = Config::from_str(text, std::path::Path::new("/tmp/settle.toml")).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let mut feed = store.sync_feeds(&config.feeds, now).unwrap().remove(0);
        feed.etag = Some("old".into());
        feed.last_modified = Some("Sun, 01 Mar 2026 11:00:00 GMT".into());
        (config, feed)
    }

    fn attempt(outcome: FetchOutcome) -> Attempt {
        Attempt {
            outcome,
            status: Some(200),
            bytes: 10,
            duration: std::time::Duration::from_millis(5),
            moved_to: None,
        }
    }

    fn fetched(etag: &str) -> Attempt {
        attempt(FetchOutcome::Fetched(crate::fetch::Fetched {
            body: Vec::new(),
            final_url: "https://a.example/f".into(),
            status: 200,
            charset: None,
            etag: Some(etag.into()),
            last_modified: None,
            hints: CacheHints::default(),
        }))
    }

    fn two_entries() -> Parsed {
        let entry = |k| (crate::store::testing::entry(k), Tags::default());
        Parsed {
            entries: vec![entry("a"), entry("b")],
            title: Some("A feed".into()),
            site_link: None,
            gap: None,
            ttl: None,
        }
    }

    #[test]
    fn a_parsed_document_is_stored_with_its_new_validators() {
        let now = Utc::now();
        let (config, feed) = known_feed(now);
        let (result, write) = settle(&config, &feed, fetched("new"), Some(Ok(two_entries())), now);
        assert_eq!(result, RefreshResult::New(0), "counted once inserted");
        let Write::Store(entries, update, log) = write else {
            panic!("a parsed document is stored");
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(update.etag.as_deref(), Some("new"));
        assert_eq!(
            update.last_modified, None,
            "the validators of this response"
        );
        assert_eq!(update.last_full_fetch_at, Some(now));
        assert_eq!((update.state, update.error_count), (FeedState::Active, 0));
        assert_eq!(update.title.as_deref(), Some("A feed"));
        assert!(update.next_fetch_at > now);
        assert_eq!((log.outcome.as_str(), log.error), ("fetched", None));
    }

    #[test]
    fn a_document_that_does_not_parse_keeps_the_old_validators_and_backs_off() {
        let now = Utc::now();
        let (config, feed) = known_feed(now);
        let error = "https://a.example/f is not a readable feed: no root element".to_string();
        let (result, write) = settle(
            &config,
            &feed,
            fetched("new"),
            Some(Err(error.clone())),
            now,
        );
        assert_eq!(result, RefreshResult::Failed(error.clone()));
        let Write::Record(update, log) = write else {
            panic!("nothing is stored for a document that does not parse");
        };
        // New validators with no items would have the next poll answered 304 and the items
        // never read.
        assert_eq!(update.etag.as_deref(), Some("old"));
        assert_eq!(update.last_full_fetch_at, feed.last_full_fetch_at);
        assert_eq!((update.state, update.error_count), (FeedState::Failing, 1));
        let wait = (update.next_fetch_at - now).num_seconds();
        assert!(
            (500..=700).contains(&wait),
            "min_backoff 10m, jittered: {wait}s"
        );
        assert_eq!(log.outcome, "error");
        assert_eq!(log.error, Some(error));

        // A fetched document whose parse result never came is a failure as well.
        let (result, write) = settle(&config, &feed, fetched("new"), None, now);
        assert!(
            failed(&result).contains("fetched but not parsed"),
            "{result:?}"
        );
        assert!(matches!(write, Write::Record(u, _) if u.etag.as_deref() == Some("old")));
    }

    #[test]
    fn not_modified_keeps_the_items_and_takes_validators_the_304_sends() {
        let now = Utc::now();
        let (config, feed) = known_feed(now);
        let not_modified = |etag: Option<&str>| {
            attempt(FetchOutcome::NotModified {
                hints: CacheHints::default(),
                etag: etag.map(str::to_string),
                last_modified: None,
            })
        };
        let (result, write) = settle(&config, &feed, not_modified(None), None, now);
        assert_eq!(result, RefreshResult::NotModified);
        let Write::Record(update, log) = write else {
            panic!("a 304 stores nothing");
        };
        assert_eq!(update.etag.as_deref(), Some("old"));
        assert_eq!(update.last_modified, feed.last_modified);
        assert_eq!(update.last_success_at, Some(now));
        assert_eq!(log.outcome, "not_modified");

        let (_, write) = settle(&config, &feed, not_modified(Some("newer")), None, now);
        assert!(matches!(write, Write::Record(u, _) if u.etag.as_deref() == Some("newer")));
    }

    #[test]
    fn a_paused_host_only_moves_the_next_fetch() {
        let now = Utc::now();
        let (config, feed) = known_feed(now);
        let until = now + Duration::minutes(30);
        let paused = attempt(FetchOutcome::HostPaused { until });
        let (result, write) = settle(&config, &feed, paused, None, now);
        let RefreshResult::Deferred(at) = result else {
            panic!("{result:?}");
        };
        assert!(matches!(write, Write::Postpone(t) if t == at));
        assert!(at >= until - Duration::seconds(1) && at <= until + Duration::minutes(2));
        assert_eq!(at.timestamp_subsec_nanos(), 0, "whole seconds, as stored");
    }

    fn failed(r: &RefreshResult) -> &str {
        match r {
            RefreshResult::Failed(e) => e,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_feed_whose_items_were_lost_keeps_its_old_validators() {
        let store = fetch_again(true);
        let feed = store.feeds().unwrap().remove(0);
        assert_eq!(
            feed.etag.as_deref(),
            Some("old"),
            "a 304 next time would lose the items"
        );
        assert!(store.unclustered_items().unwrap().is_empty());
        assert_eq!(store.fetch_log(feed.id, 5).unwrap().len(), 1);
    }

    #[test]
    fn a_feed_whose_items_were_stored_takes_the_new_validators() {
        let store = fetch_again(false);
        let feed = store.feeds().unwrap().remove(0);
        assert_eq!(feed.etag.as_deref(), Some("new"));
        assert_eq!(store.unclustered_items().unwrap().len(), 1);
        let log = store.fetch_log(feed.id, 1).unwrap();
        assert_eq!(log[0].new_items, 1, "the log counts what was inserted");
    }
}
