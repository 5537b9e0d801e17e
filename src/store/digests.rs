//! The digest ledger: runs recorded before sending, deliveries marked sent only after the
//! transport accepted them, and which stories each digest already carried.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, from_ts, optional};

impl Store {
    /// End of the period covered by this digest's latest recorded run (its content is fixed then;
    /// delivery retries take it from there). A run that failed for every recipient does not
    /// count: the next run covers its period again.
    pub fn last_digest_period_end(&self, digest: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let t: Option<Option<i64>> = optional(self.conn().query_row(
            "SELECT MAX(period_to) FROM digest_runs r WHERE digest = ?1 AND NOT (r.state = 'failed'
                 AND NOT EXISTS (SELECT 1 FROM digest_deliveries d WHERE d.run_id = r.id AND d.state = 'sent'))",
            params![digest],
            |r| r.get(0),
        ))?;
        Ok(t.flatten().map(from_ts))
    }

    /// The latest fire time the digest has passed: the scheduled time of its latest run (sent
    /// or not) or of a later fire that found nothing new ([`Store::record_digest_fire`]).
    pub fn last_scheduled_run(&self, digest: &str) -> anyhow::Result<Option<DateTime<Utc>>> {
        let t: Option<i64> = self.conn().query_row(
            "SELECT MAX(t) FROM (
                 SELECT MAX(scheduled_for) AS t FROM digest_runs WHERE digest = ?1
                 UNION ALL SELECT scheduled_for FROM digest_fires WHERE digest = ?1)",
            params![digest],
            |r| r.get(0),
        )?;
        Ok(t.map(from_ts))
    }

    /// Records that the digest's fire time `scheduled_for` has passed with nothing to send, so
    /// that planning after a reload or restart does not take it for a missed one.
    pub fn record_digest_fire(
        &mut self,
        digest: &str,
        scheduled_for: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "INSERT INTO digest_fires (digest, scheduled_for) VALUES (?1, ?2)
             ON CONFLICT (digest) DO UPDATE SET scheduled_for = MAX(scheduled_for, excluded.scheduled_for)",
            params![digest, super::ts(scheduled_for)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every recorded run of a digest, oldest scheduled time first.
    pub fn digest_runs(&self, digest: &str) -> anyhow::Result<Vec<DigestRunRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, scheduled_for, created_at, period_from, period_to, story_count, state
             FROM digest_runs WHERE digest = ?1 ORDER BY scheduled_for, id",
        )?;
        let rows = stmt.query_map([digest], |r| {
            Ok(DigestRunRow {
                id: r.get(0)?,
                scheduled_for: from_ts(r.get(1)?),
                created_at: from_ts(r.get(2)?),
                period_from: from_ts(r.get(3)?),
                period_to: from_ts(r.get(4)?),
                story_count: r.get(5)?,
                state: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The JSON form of a recorded run's digest, as it was when recorded.
    pub fn digest_run_json(&self, run: i64) -> anyhow::Result<String> {
        Ok(self.conn().query_row(
            "SELECT body_json FROM digest_runs WHERE id = ?1",
            [run],
            |r| r.get(0),
        )?)
    }

    /// Digests sent and failed, for metrics.
    pub fn digest_counts(&self) -> anyhow::Result<(i64, i64)> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(SUM(state = 'sent'), 0), COALESCE(SUM(state = 'failed'), 0) FROM digest_deliveries",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}

/// A recorded run, as listed by [`Store::digest_runs`].
#[derive(Debug, Clone, PartialEq)]
pub struct DigestRunRow {
    pub id: i64,
    pub scheduled_for: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
    pub story_count: i64,
    /// `pending`, `sent` or `failed`.
    pub state: String,
}

/// A run to record before anything is sent.
#[derive(Debug, Clone)]
pub struct NewDigestRun {
    pub digest: String,
    pub scheduled_for: DateTime<Utc>,
    pub period_from: DateTime<Utc>,
    pub period_to: DateTime<Utc>,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub json: String,
    /// Stories carried, with their item and source counts.
    pub stories: Vec<(i64, i64, i64)>,
    /// (recipient, message id)
    pub recipients: Vec<(String, String)>,
}

/// A delivery still to make.
#[derive(Debug, Clone)]
pub struct PendingDelivery {
    pub run_id: i64,
    pub digest: String,
    pub recipient: String,
    pub message_id: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub attempts: u32,
}

impl Store {
    /// Records a run and its deliveries (pending) in one transaction. Returns `None` when a run
    /// for this digest and scheduled time already exists: it is never built twice.
    pub fn record_digest_run(
        &mut self,
        run: &NewDigestRun,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Option<i64>> {
        let tx = self.write_tx()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO digest_runs (digest, scheduled_for, created_at, period_from, period_to, subject,
                 body_html, body_text, body_json, story_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                run.digest,
                super::ts(run.scheduled_for),
                super::ts(now),
                super::ts(run.period_from),
                super::ts(run.period_to),
                run.subject,
                run.html,
                run.text,
                run.json,
                run.stories.len() as i64
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        let id = tx.last_insert_rowid();
        for (to, mid) in &run.recipients {
            tx.execute(
                "INSERT INTO digest_deliveries (run_id, recipient, message_id) VALUES (?1, ?2, ?3)",
                params![id, to, mid],
            )?;
        }
        for (story, items, sources) in &run.stories {
            tx.execute(
                "INSERT INTO digest_run_stories (run_id, story_id, item_count, source_count) VALUES (?1, ?2, ?3, ?4)",
                params![id, story, items, sources],
            )?;
            tx.execute(
                "INSERT INTO digest_story_sent (digest, story_id, run_id, item_count, source_count) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(digest, story_id) DO UPDATE SET run_id = excluded.run_id, item_count = excluded.item_count,
                     source_count = excluded.source_count",
                params![run.digest, story, id, items, sources],
            )?;
        }
        if run.recipients.is_empty() {
            tx.execute("UPDATE digest_runs SET state = 'sent' WHERE id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(Some(id))
    }

    /// Sources already reported per story in an earlier run of this digest.
    pub fn sent_story_sources(
        &self,
        digest: &str,
    ) -> anyhow::Result<std::collections::HashMap<i64, i64>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT story_id, source_count FROM digest_story_sent WHERE digest = ?1")?;
        let rows = stmt.query_map([digest], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Deliveries not yet accepted whose next attempt is due.
    pub fn pending_deliveries(&self, now: DateTime<Utc>) -> anyhow::Result<Vec<PendingDelivery>> {
        let mut stmt = self.conn().prepare(
            "SELECT d.run_id, r.digest, d.recipient, d.message_id, r.subject, r.body_html, r.body_text, d.attempts
             FROM digest_deliveries d JOIN digest_runs r ON r.id = d.run_id
             WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 ORDER BY d.run_id, d.recipient",
        )?;
        let rows = stmt.query_map([super::ts(now)], |r| {
            Ok(PendingDelivery {
                run_id: r.get(0)?,
                digest: r.get(1)?,
                recipient: r.get(2)?,
                message_id: r.get(3)?,
                subject: r.get(4)?,
                html: r.get(5)?,
                text: r.get(6)?,
                attempts: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks one delivery accepted by the transport; the run is sent when all its deliveries are.
    pub fn mark_delivery_sent(
        &mut self,
        run: i64,
        recipient: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "UPDATE digest_deliveries SET state = 'sent', sent_at = ?3, attempts = attempts + 1, last_error = NULL
             WHERE run_id = ?1 AND recipient = ?2",
            params![run, recipient, super::ts(now)],
        )?;
        Self::settle_run(&tx, run)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at`, or given up when `None`.
    pub fn mark_delivery_failed(
        &mut self,
        run: i64,
        recipient: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> anyhow::Result<()> {
        let tx = self.write_tx()?;
        match retry_at {
            Some(t) => tx.execute(
                "UPDATE digest_deliveries SET attempts = attempts + 1, last_error = ?3, next_attempt_at = ?4
                 WHERE run_id = ?1 AND recipient = ?2",
                params![run, recipient, error, super::ts(t)],
            )?,
            None => tx.execute(
                "UPDATE digest_deliveries SET state = 'failed', attempts = attempts + 1, last_error = ?3
                 WHERE run_id = ?1 AND recipient = ?2",
                params![run, recipient, error],
            )?,
        };
        Self::settle_run(&tx, run)?;
        tx.commit()?;
        Ok(())
    }

    fn settle_run(tx: &rusqlite::Connection, run: i64) -> anyhow::Result<()> {
        tx.execute(
            "UPDATE digest_runs SET state = CASE
                 WHEN NOT EXISTS (SELECT 1 FROM digest_deliveries WHERE run_id = ?1 AND state != 'sent') THEN 'sent'
                 WHEN NOT EXISTS (SELECT 1 FROM digest_deliveries WHERE run_id = ?1 AND state = 'pending') THEN 'failed'
                 ELSE 'pending' END
             WHERE id = ?1",
            [run],
        )?;
        // A run that reached nobody (every delivery failed for good: a wrong password, a
        // refused sender) sent no story: its stories go into the next run again, whose period
        // starts where the last run that reached someone ended (`last_digest_period_end`).
        // Each story's sent mark goes back to the last earlier run that reached someone with
        // it, or goes away if there is none.
        let reached_nobody: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM digest_runs WHERE id = ?1 AND state = 'failed')
                 AND NOT EXISTS (SELECT 1 FROM digest_deliveries WHERE run_id = ?1 AND state = 'sent')",
            [run],
            |r| r.get(0),
        )?;
        if reached_nobody {
            tx.execute(
                "UPDATE digest_story_sent SET (run_id, item_count, source_count) = (
                     SELECT rs.run_id, rs.item_count, rs.source_count
                     FROM digest_run_stories rs JOIN digest_runs r ON r.id = rs.run_id
                     WHERE rs.story_id = digest_story_sent.story_id
                       AND r.digest = digest_story_sent.digest AND r.id < ?1
                       AND NOT (r.state = 'failed' AND NOT EXISTS (
                           SELECT 1 FROM digest_deliveries d WHERE d.run_id = r.id AND d.state = 'sent'))
                     ORDER BY r.scheduled_for DESC, r.id DESC LIMIT 1)
                 WHERE run_id = ?1 AND EXISTS (
                     SELECT 1 FROM digest_run_stories rs JOIN digest_runs r ON r.id = rs.run_id
                     WHERE rs.story_id = digest_story_sent.story_id
                       AND r.digest = digest_story_sent.digest AND r.id < ?1
                       AND NOT (r.state = 'failed' AND NOT EXISTS (
                           SELECT 1 FROM digest_deliveries d WHERE d.run_id = r.id AND d.state = 'sent')))",
                [run],
            )?;
            tx.execute("DELETE FROM digest_story_sent WHERE run_id = ?1", [run])?;
        }
        Ok(())
    }
}
