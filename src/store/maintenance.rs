//! Upkeep: retention with tombstones, fetch-log trimming, `PRAGMA optimize`, incremental vacuum.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, ts};

/// What one maintenance pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub items: usize,
    pub fetch_log: usize,
    pub stories: usize,
}

impl Store {
    /// Deletes items first seen before `items_before` (keeping a tombstone of each key so the
    /// item is never ingested again), fetch-log lines before `log_before`, and emptied stories.
    pub fn prune(
        &mut self,
        items_before: DateTime<Utc>,
        log_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<PruneReport> {
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO item_tombstones (feed_id, key, pruned_at)
             SELECT feed_id, key, ?2 FROM items WHERE first_seen_at < ?1",
            params![ts(items_before), ts(now)],
        )?;
        // Digest bookkeeping of stories about to disappear goes with them.
        tx.execute(
            "DELETE FROM digest_story_sent WHERE story_id IN (
                 SELECT s.id FROM stories s WHERE NOT EXISTS (
                     SELECT 1 FROM items i WHERE i.story_id = s.id AND i.first_seen_at >= ?1))",
            [ts(items_before)],
        )?;
        let items = tx.execute(
            "DELETE FROM items WHERE first_seen_at < ?1",
            [ts(items_before)],
        )?;
        let stories = tx.execute(
            "DELETE FROM stories WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.story_id = stories.id)
                 AND NOT EXISTS (SELECT 1 FROM stories s2 WHERE s2.merged_into = stories.id)",
            [],
        )?;
        let fetch_log = tx.execute("DELETE FROM fetch_log WHERE at < ?1", [ts(log_before)])?;
        tx.commit()?;
        Ok(PruneReport {
            items,
            fetch_log,
            stories,
        })
    }

    /// `PRAGMA optimize` and an incremental vacuum of free pages.
    pub fn optimize(&self) -> anyhow::Result<()> {
        self.conn()
            .execute_batch("PRAGMA optimize; PRAGMA incremental_vacuum;")?;
        Ok(())
    }
}
