//! Use case: refresh feeds. Fetch one feed, parse it, tag and store what is new, and write
//! the feed's bookkeeping; a failing feed becomes data on its row, never an abort.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;

use crate::config::{Config, FeedConfig};
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher};
use crate::model::TagInput;
use crate::parse::{ParseContext, parse_feed};
use crate::store::{FeedRow, FeedState, FeedUpdate, FetchLogEntry, Store};
use crate::tag::Tagger;

/// What a refresh needs.
pub struct Deps {
    pub store: Arc<Mutex<Store>>,
    pub fetcher: Fetcher,
    pub tagger: Arc<Tagger>,
    pub config: Arc<Config>,
}

/// How one feed's refresh ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshResult {
    New(usize),
    NotModified,
    Failed(String),
}

/// One feed's refresh, for the summary line.
#[derive(Debug, Clone)]
pub struct RefreshReport {
    pub feed: String,
    pub result: RefreshResult,
}

impl std::fmt::Display for RefreshReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.result {
            RefreshResult::New(n) => write!(f, "{}: {n} new items", self.feed),
            RefreshResult::NotModified => write!(f, "{}: not modified", self.feed),
            RefreshResult::Failed(e) => write!(f, "{}: error: {e}", self.feed),
        }
    }
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Refreshes the given feeds concurrently (bounded by `[fetch] concurrency`).
pub async fn refresh_feeds(
    deps: &Deps,
    feeds: Vec<FeedRow>,
    now: DateTime<Utc>,
) -> Vec<RefreshReport> {
    let limit = deps.config.fetch.concurrency.max(1);
    futures_util::stream::iter(feeds)
        .map(|feed| async move { refresh_feed(deps, &feed, now).await })
        .buffer_unordered(limit)
        .collect()
        .await
}

/// Fetches one feed and records everything new it contains.
pub async fn refresh_feed(deps: &Deps, feed: &FeedRow, now: DateTime<Utc>) -> RefreshReport {
    let name = feed.display_name();
    match refresh_inner(deps, feed, now).await {
        Ok(result) => RefreshReport { feed: name, result },
        Err(e) => {
            tracing::warn!(feed = %name, error = %format!("{e:#}"), "feed refresh failed");
            RefreshReport {
                feed: name,
                result: RefreshResult::Failed(format!("{e:#}")),
            }
        }
    }
}

fn feed_config<'a>(config: &'a Config, feed: &FeedRow) -> Option<&'a FeedConfig> {
    config.feeds.iter().find(|f| f.url == feed.config_url)
}

async fn refresh_inner(
    deps: &Deps,
    feed: &FeedRow,
    now: DateTime<Utc>,
) -> anyhow::Result<RefreshResult> {
    let fc = feed_config(&deps.config, feed);
    let req = FetchRequest {
        url: feed.url.clone(),
        etag: feed.etag.clone(),
        last_modified: feed.last_modified.clone(),
        user_agent: fc.and_then(|f| f.user_agent.clone()),
    };
    let (outcome, took) = deps.fetcher.fetch(&req).await;
    let interval = deps.config.fetch.min_interval.as_chrono();
    let mut update = FeedUpdate::from_row(feed, now);
    let mut log = FetchLogEntry {
        feed_id: feed.id,
        at: now,
        url: feed.url.clone(),
        outcome: String::new(),
        status: None,
        bytes: 0,
        duration_ms: took.as_millis() as u64,
        new_items: 0,
        error: None,
    };
    let result = match outcome {
        FetchOutcome::NotModified => {
            update.next_fetch_at = now + interval;
            log.outcome = "not_modified".into();
            log.status = Some(304);
            RefreshResult::NotModified
        }
        FetchOutcome::Failed { status, error } => {
            update.state = FeedState::Failing;
            update.error_count += 1;
            update.last_error = Some(error.clone());
            update.failing_since = update.failing_since.or(Some(now));
            update.next_fetch_at = now + interval;
            log.outcome = "error".into();
            log.status = status;
            log.error = Some(error.clone());
            RefreshResult::Failed(error)
        }
        FetchOutcome::Fetched(body) => {
            log.status = Some(body.status);
            log.bytes = body.body.len() as u64;
            let base = url::Url::parse(&body.final_url).ok();
            let ctx = ParseContext {
                feed_url: base.as_ref(),
                http_charset: body.charset.as_deref(),
                fetched_at: now,
            };
            match parse_feed(&body.body, &ctx) {
                Err(e) => {
                    let error = format!("{} is not a readable feed: {e}", feed.url);
                    update.state = FeedState::Failing;
                    update.error_count += 1;
                    update.last_error = Some(error.clone());
                    update.failing_since = update.failing_since.or(Some(now));
                    update.next_fetch_at = now + interval;
                    log.outcome = "error".into();
                    log.error = Some(error.clone());
                    RefreshResult::Failed(error)
                }
                Ok(parsed) => {
                    let ai_only = fc.is_some_and(|f| f.ai_only);
                    let entries: Vec<_> = parsed
                        .entries
                        .into_iter()
                        .map(|e| {
                            let tags = deps.tagger.tag(TagInput {
                                title: &e.title,
                                summary: &e.summary,
                                language: e.language.as_deref(),
                            });
                            (e, tags)
                        })
                        .filter(|(_, tags)| !ai_only || tags.ai_topic)
                        .collect();
                    let new = lock(&deps.store).insert_items(feed.id, &entries, now)?;
                    update.state = FeedState::Active;
                    update.title = parsed.title.or(update.title);
                    update.site_link = parsed.site_link.or(update.site_link);
                    update.etag = body.etag;
                    update.last_modified = body.last_modified;
                    update.error_count = 0;
                    update.last_error = None;
                    update.failing_since = None;
                    update.last_success_at = Some(now);
                    update.last_full_fetch_at = Some(now);
                    update.next_fetch_at = now + interval;
                    log.outcome = "fetched".into();
                    log.new_items = new.len() as u64;
                    RefreshResult::New(new.len())
                }
            }
        }
    };
    lock(&deps.store).record_fetch(feed.id, &update, &log)?;
    Ok(result)
}
