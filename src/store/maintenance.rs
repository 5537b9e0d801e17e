//! Upkeep: retention with tombstones, fetch-log trimming, `PRAGMA optimize`, incremental vacuum,
//! and the WAL checkpoint that closes the database cleanly at shutdown.

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
        let tx = self.write_tx()?;
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
        // The highest story row stays, emptied or not: new ids are MAX(id) + 1, and story ids
        // are never reused (`urn:aiwire:story:N` in /stories.atom, the digest ledger).
        let stories = tx.execute(
            "DELETE FROM stories WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.story_id = stories.id)
                 AND NOT EXISTS (SELECT 1 FROM stories s2 WHERE s2.merged_into = stories.id)
                 AND id < (SELECT MAX(id) FROM stories)",
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
    pub fn optimize(&mut self) -> anyhow::Result<()> {
        self.conn_mut()?
            .execute_batch("PRAGMA optimize; PRAGMA incremental_vacuum;")?;
        Ok(())
    }

    /// Makes incremental vacuum possible on a database created without it: `auto_vacuum` only
    /// changes with a full `VACUUM`, done once. Returns whether that full vacuum ran.
    pub fn ensure_incremental_vacuum(&mut self) -> anyhow::Result<VacuumMode> {
        let mode: i64 = self
            .conn()
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        if mode == 2 {
            return Ok(VacuumMode::AlreadyIncremental);
        }
        self.conn_mut()?
            .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
        Ok(VacuumMode::ConvertedNow)
    }

    /// Pages on the free list (reclaimable by the incremental vacuum).
    pub fn free_pages(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?)
    }

    /// Folds the WAL back into the database file and truncates it, so the file on disk is
    /// complete on its own; called once at shutdown, before the connection is dropped.
    pub fn checkpoint(&mut self) -> anyhow::Result<()> {
        self.conn_mut()?
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// What [`Store::ensure_incremental_vacuum`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VacuumMode {
    AlreadyIncremental,
    ConvertedNow,
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::config::FeedConfig;
    use crate::model::{ParsedEntry, Tags};

    fn entry(key: &str) -> (ParsedEntry, Tags) {
        (crate::store::testing::entry(key), Tags::default())
    }

    #[test]
    fn pruned_items_leave_tombstones_and_never_return() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let feed = FeedConfig::new("https://a.test/f", None);
        let id = s.sync_feeds(&[feed], now).unwrap()[0].id;
        let old = now - Duration::days(100);
        assert_eq!(s.insert_items(id, &[entry("old")], old).unwrap().len(), 1);
        assert_eq!(s.insert_items(id, &[entry("new")], now).unwrap().len(), 1);
        let report = s
            .prune(now - Duration::days(90), now - Duration::days(30), now)
            .unwrap();
        assert_eq!(report.items, 1);
        assert_eq!(s.item_total().unwrap(), 1);
        // The feed still lists the pruned item: it is not ingested again.
        let again = s
            .insert_items(id, &[entry("old"), entry("new"), entry("newer")], now)
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(s.item_total().unwrap(), 2);
        s.optimize().unwrap();
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn pruning_never_lets_a_story_id_be_used_again() {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let feed = FeedConfig::new("https://a.test/f", None);
        let feed = s.sync_feeds(&[feed], now).unwrap()[0].id;
        let old = now - Duration::days(100);
        let ids = s
            .insert_items(feed, &[entry("a"), entry("b")], old)
            .unwrap();
        let keep = s.insert_items(feed, &[entry("c")], now).unwrap()[0];
        let place = |item, story| crate::store::testing::placement(item, story);
        s.assign_stories(&[place(keep, 1), place(ids[0], 2), place(ids[1], 3)], now)
            .unwrap();
        assert_eq!(s.max_story_id().unwrap(), 3);

        // Stories 2 and 3 lose their items; the highest row stays, so 3 is never handed out
        // again.
        let report = s
            .prune(now - Duration::days(90), now - Duration::days(30), now)
            .unwrap();
        assert_eq!((report.items, report.stories), (2, 1));
        assert_eq!(s.max_story_id().unwrap(), 3);
        assert_eq!(s.split_item(keep, now).unwrap(), 4);
    }

    #[test]
    fn databases_are_converted_to_incremental_vacuum_once() {
        // `Store::configure` switches to WAL before setting auto_vacuum, so even a fresh
        // database starts without it; the first upkeep pass converts it, later ones do not.
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("a.db")).unwrap();
        s.ensure_incremental_vacuum().unwrap();
        assert_eq!(
            s.ensure_incremental_vacuum().unwrap(),
            VacuumMode::AlreadyIncremental
        );
        s.checkpoint().unwrap();
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }
}
