//! Feed rows and their fetch bookkeeping: validators, schedule, error state, the fetch log.

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use super::{Store, from_ts, opt_ts, ts};
use crate::config::FeedConfig;
use crate::model::FeedId;

/// Health of a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedState {
    /// Fetching works (or has not been tried yet).
    Active,
    /// The last attempt(s) failed; retried with back-off, never given up.
    Failing,
    /// The server said 410 Gone; polled rarely.
    Gone,
    /// No longer in the config; its items are kept.
    Removed,
}

impl FeedState {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedState::Active => "active",
            FeedState::Failing => "failing",
            FeedState::Gone => "gone",
            FeedState::Removed => "removed",
        }
    }

    fn parse(s: &str) -> FeedState {
        match s {
            "failing" => FeedState::Failing,
            "gone" => FeedState::Gone,
            "removed" => FeedState::Removed,
            _ => FeedState::Active,
        }
    }
}

/// A feed as the store knows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FeedRow {
    pub id: FeedId,
    pub config_url: String,
    pub url: String,
    pub name: Option<String>,
    pub title: Option<String>,
    pub site_link: Option<String>,
    pub state: FeedState,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_full_fetch_at: Option<DateTime<Utc>>,
    pub next_fetch_at: DateTime<Utc>,
    pub interval_secs: Option<i64>,
    pub error_count: u32,
    pub last_error: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub redirect_to: Option<String>,
    pub redirect_count: u32,
    pub item_count: i64,
}

impl FeedRow {
    /// Name for people: configured name, else the feed's title, else the URL's host.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.title.clone())
            .or_else(|| {
                url::Url::parse(&self.url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
            })
            .unwrap_or_else(|| self.url.clone())
    }
}

/// The bookkeeping written after one fetch attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedUpdate {
    pub url: String,
    pub state: FeedState,
    pub title: Option<String>,
    pub site_link: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub last_full_fetch_at: Option<DateTime<Utc>>,
    pub next_fetch_at: DateTime<Utc>,
    pub interval_secs: Option<i64>,
    pub error_count: u32,
    pub last_error: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub last_attempt_at: DateTime<Utc>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub redirect_to: Option<String>,
    pub redirect_count: u32,
}

impl FeedUpdate {
    /// Starts from the row's current values, to change only what the attempt changed.
    pub fn from_row(row: &FeedRow, now: DateTime<Utc>) -> FeedUpdate {
        FeedUpdate {
            url: row.url.clone(),
            state: row.state,
            title: row.title.clone(),
            site_link: row.site_link.clone(),
            etag: row.etag.clone(),
            last_modified: row.last_modified.clone(),
            last_full_fetch_at: row.last_full_fetch_at,
            next_fetch_at: row.next_fetch_at,
            interval_secs: row.interval_secs,
            error_count: row.error_count,
            last_error: row.last_error.clone(),
            failing_since: row.failing_since,
            last_attempt_at: now,
            last_success_at: row.last_success_at,
            redirect_to: row.redirect_to.clone(),
            redirect_count: row.redirect_count,
        }
    }
}

/// One line of the fetch log.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchLogEntry {
    pub feed_id: FeedId,
    pub at: DateTime<Utc>,
    pub url: String,
    /// `fetched`, `not_modified`, `error`, `gone`, `rate_limited`.
    pub outcome: String,
    pub status: Option<u16>,
    pub bytes: u64,
    pub duration_ms: u64,
    pub new_items: u64,
    pub error: Option<String>,
}

/// At most this many fetch-log lines are kept per feed (older ones also expire after
/// `[fetch] log_retention`).
pub const FETCH_LOG_PER_FEED: usize = 500;

const FEED_COLUMNS: &str = "f.id, f.config_url, f.url, f.name, f.title, f.site_link, f.state, f.etag, f.last_modified,
    f.last_full_fetch_at, f.next_fetch_at, f.interval_secs, f.error_count, f.last_error, f.failing_since,
    f.last_attempt_at, f.last_success_at, f.redirect_to, f.redirect_count,
    (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id)";

fn feed_from_row(r: &Row<'_>) -> rusqlite::Result<FeedRow> {
    Ok(FeedRow {
        id: r.get(0)?,
        config_url: r.get(1)?,
        url: r.get(2)?,
        name: r.get(3)?,
        title: r.get(4)?,
        site_link: r.get(5)?,
        state: FeedState::parse(&r.get::<_, String>(6)?),
        etag: r.get(7)?,
        last_modified: r.get(8)?,
        last_full_fetch_at: opt_ts(r.get(9)?),
        next_fetch_at: from_ts(r.get(10)?),
        interval_secs: r.get(11)?,
        error_count: r.get(12)?,
        last_error: r.get(13)?,
        failing_since: opt_ts(r.get(14)?),
        last_attempt_at: opt_ts(r.get(15)?),
        last_success_at: opt_ts(r.get(16)?),
        redirect_to: r.get(17)?,
        redirect_count: r.get(18)?,
        item_count: r.get(19)?,
    })
}

impl Store {
    /// Makes the feeds table match the config: new feeds are added (due now), names updated,
    /// feeds no longer configured are marked removed (their items stay), and re-added ones revived.
    pub fn sync_feeds(
        &mut self,
        feeds: &[FeedConfig],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<FeedRow>> {
        let tx = self.write_tx()?;
        {
            let mut upsert = tx.prepare(
                "INSERT INTO feeds (config_url, url, name, next_fetch_at, created_at) VALUES (?1, ?1, ?2, ?3, ?3)
                 ON CONFLICT(config_url) DO UPDATE SET name = excluded.name,
                     state = CASE WHEN feeds.state = 'removed' THEN 'active' ELSE feeds.state END,
                     next_fetch_at = CASE WHEN feeds.state = 'removed' THEN excluded.next_fetch_at ELSE feeds.next_fetch_at END",
            )?;
            for f in feeds {
                upsert.execute(params![f.url, f.name, ts(now)])?;
            }
            let configured: std::collections::HashSet<&str> =
                feeds.iter().map(|f| f.url.as_str()).collect();
            let mut all =
                tx.prepare("SELECT id, config_url FROM feeds WHERE state != 'removed'")?;
            let rows: Vec<(i64, String)> = all
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (id, url) in rows {
                if !configured.contains(url.as_str()) {
                    tx.execute("UPDATE feeds SET state = 'removed' WHERE id = ?1", [id])?;
                    tracing::info!(feed = %url, "feed no longer in the config; marked removed, items kept");
                }
            }
        }
        tx.commit()?;
        self.feeds()
    }

    /// Every feed the store knows, including removed ones, in id order.
    pub fn feeds(&self) -> anyhow::Result<Vec<FeedRow>> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds f ORDER BY f.id");
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map([], feed_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One feed by id.
    pub fn feed(&self, id: FeedId) -> anyhow::Result<FeedRow> {
        let sql = format!("SELECT {FEED_COLUMNS} FROM feeds f WHERE f.id = ?1");
        Ok(self.conn().query_row(&sql, [id], feed_from_row)?)
    }

    /// Configured feeds whose next fetch time has come.
    pub fn due_feeds(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<FeedRow>> {
        let sql = format!(
            "SELECT {FEED_COLUMNS} FROM feeds f WHERE f.state != 'removed' AND f.next_fetch_at <= ?1 ORDER BY f.next_fetch_at, f.id"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map([ts(now)], feed_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The earliest next-fetch time of any configured feed.
    pub fn next_fetch_at(&self) -> anyhow::Result<Option<DateTime<Utc>>> {
        let t: Option<i64> = self.conn().query_row(
            "SELECT MIN(next_fetch_at) FROM feeds WHERE state != 'removed'",
            [],
            |r| r.get(0),
        )?;
        Ok(opt_ts(t))
    }

    /// Moves a feed's next fetch time without an attempt (its host is paused).
    pub fn postpone(&mut self, id: FeedId, until: DateTime<Utc>) -> anyhow::Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "UPDATE feeds SET next_fetch_at = ?2 WHERE id = ?1",
            params![id, ts(until)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Writes the bookkeeping of one attempt and its fetch-log line, atomically.
    pub fn record_fetch(
        &mut self,
        id: FeedId,
        u: &FeedUpdate,
        log: &FetchLogEntry,
    ) -> anyhow::Result<()> {
        // Cached statements: this runs once per feed per cycle inside the group commit, where
        // parsing the three statements anew was 2% of a cold 1,000-feed cycle's CPU.
        let tx = self.write_tx()?;
        tx.prepare_cached(
            "UPDATE feeds SET url = ?2, state = ?3, title = ?4, site_link = ?5, etag = ?6, last_modified = ?7,
                last_full_fetch_at = ?8, next_fetch_at = ?9, interval_secs = ?10, error_count = ?11, last_error = ?12,
                failing_since = ?13, last_attempt_at = ?14, last_success_at = ?15, redirect_to = ?16, redirect_count = ?17
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            u.url,
            u.state.as_str(),
            u.title,
            u.site_link,
            u.etag,
            u.last_modified,
            u.last_full_fetch_at.map(ts),
            ts(u.next_fetch_at),
            u.interval_secs,
            u.error_count,
            u.last_error,
            u.failing_since.map(ts),
            ts(u.last_attempt_at),
            u.last_success_at.map(ts),
            u.redirect_to,
            u.redirect_count,
        ])?;
        tx.prepare_cached(
            "INSERT INTO fetch_log (feed_id, at, url, outcome, status, bytes, duration_ms, new_items, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            log.feed_id,
            ts(log.at),
            log.url,
            log.outcome,
            log.status,
            log.bytes as i64,
            log.duration_ms as i64,
            log.new_items as i64,
            log.error
        ])?;
        // Retention by count on top of the daemon's retention by age, so a feed polled every
        // few minutes (or a cron-driven `aiwire fetch` without the daemon) stays bounded.
        tx.prepare_cached(
            "DELETE FROM fetch_log WHERE feed_id = ?1 AND at < (
                 SELECT at FROM fetch_log WHERE feed_id = ?1 ORDER BY at DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![id, FETCH_LOG_PER_FEED as i64 - 1])?;
        tx.commit()?;
        Ok(())
    }

    /// Fetch-log lines of one feed, newest first.
    pub fn fetch_log(&self, feed: FeedId, limit: usize) -> anyhow::Result<Vec<FetchLogEntry>> {
        let mut stmt = self.conn().prepare(
            "SELECT feed_id, at, url, outcome, status, bytes, duration_ms, new_items, error FROM fetch_log
             WHERE feed_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![feed, limit as i64], |r| {
                Ok(FetchLogEntry {
                    feed_id: r.get(0)?,
                    at: from_ts(r.get(1)?),
                    url: r.get(2)?,
                    outcome: r.get(3)?,
                    status: r.get(4)?,
                    bytes: r.get::<_, i64>(5)? as u64,
                    duration_ms: r.get::<_, i64>(6)? as u64,
                    new_items: r.get::<_, i64>(7)? as u64,
                    error: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(url: &str) -> FeedConfig {
        FeedConfig::new(url, None)
    }

    #[test]
    fn fetch_log_is_bounded_per_feed() {
        let mut s = Store::open_in_memory().unwrap();
        let t0 = Utc::now();
        let row = s.sync_feeds(&[feed("https://a.example/feed")], t0).unwrap()[0].clone();
        for i in 0..(FETCH_LOG_PER_FEED as i64 + 20) {
            let at = t0 + chrono::Duration::minutes(i);
            let log = FetchLogEntry {
                feed_id: row.id,
                at,
                url: row.url.clone(),
                outcome: "not_modified".into(),
                status: Some(304),
                bytes: 0,
                duration_ms: 1,
                new_items: 0,
                error: None,
            };
            s.record_fetch(row.id, &FeedUpdate::from_row(&row, at), &log)
                .unwrap();
        }
        let lines = s.fetch_log(row.id, 10_000).unwrap();
        assert_eq!(lines.len(), FETCH_LOG_PER_FEED);
        assert_eq!(
            lines[0].at.timestamp(),
            (t0 + chrono::Duration::minutes(FETCH_LOG_PER_FEED as i64 + 19)).timestamp()
        );
    }

    #[test]
    fn sync_adds_marks_removed_and_revives() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let rows = s
            .sync_feeds(
                &[
                    feed("https://a.example/feed"),
                    feed("https://b.example/feed"),
                ],
                now,
            )
            .unwrap();
        assert_eq!(rows.len(), 2);
        let rows = s
            .sync_feeds(&[feed("https://a.example/feed")], now)
            .unwrap();
        assert_eq!(rows[1].state, FeedState::Removed);
        assert_eq!(s.due_feeds(now).unwrap().len(), 1);
        let rows = s
            .sync_feeds(
                &[
                    feed("https://a.example/feed"),
                    feed("https://b.example/feed"),
                ],
                now,
            )
            .unwrap();
        assert_eq!(rows[1].state, FeedState::Active);
    }
}
