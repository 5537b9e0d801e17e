//! Stories: operator corrections (split an item out, merge two stories) that clustering respects.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, ts};
use crate::model::{ItemId, StoryId};

impl Store {
    /// Moves an item into a new story of its own and pins it there. Returns the new story id.
    pub fn split_item(&mut self, item: ItemId, now: DateTime<Utc>) -> anyhow::Result<StoryId> {
        let tx = self.write_tx()?;
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM items WHERE id = ?1)",
            [item],
            |r| r.get(0),
        )?;
        if !exists {
            anyhow::bail!("no item with id {item}");
        }
        let next: StoryId =
            tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM stories", [], |r| {
                r.get(0)
            })?;
        tx.execute(
            "INSERT INTO stories (id, created_at) VALUES (?1, ?2)",
            params![next, ts(now)],
        )?;
        tx.execute(
            "UPDATE items SET story_id = ?2, pinned = 1, cluster_signal = 'operator_split', cluster_score = NULL,
                 cluster_matched = '[]' WHERE id = ?1",
            params![item, next],
        )?;
        tx.commit()?;
        Ok(next)
    }

    /// Moves every item of story `from` into story `into`, pins them, and records the merge.
    pub fn merge_stories(&mut self, into: StoryId, from: StoryId) -> anyhow::Result<usize> {
        if into == from {
            anyhow::bail!("cannot merge story {into} into itself");
        }
        let tx = self.write_tx()?;
        for s in [into, from] {
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM stories WHERE id = ?1)",
                [s],
                |r| r.get(0),
            )?;
            if !exists {
                anyhow::bail!("no story with id {s}");
            }
        }
        let moved = tx.execute(
            "UPDATE items SET story_id = ?1, pinned = 1, cluster_signal = 'operator_merge' WHERE story_id = ?2",
            params![into, from],
        )?;
        tx.execute("UPDATE items SET pinned = 1 WHERE story_id = ?1", [into])?;
        tx.execute(
            "UPDATE stories SET merged_into = ?1 WHERE id = ?2",
            params![into, from],
        )?;
        carry_sent(&tx, into, from)?;
        tx.commit()?;
        Ok(moved)
    }

    /// Number of stories that hold at least one item.
    pub fn story_total(&self) -> anyhow::Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(DISTINCT story_id) FROM items WHERE story_id IS NOT NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// Stories with at least one item first seen in `[from, to)`.
    pub fn stories_touched_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<Vec<StoryId>> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT story_id FROM items WHERE story_id IS NOT NULL AND first_seen_at >= ?1 AND first_seen_at < ?2",
        )?;
        let rows = stmt.query_map(params![ts(from), ts(to)], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// After story `from` was merged into `into`: what digests already sent of `from` counts as
/// sent of `into`, so the merged story is not mailed again as new. Where a digest sent both,
/// the counts add up (sources counted twice at worst), so the merge alone never looks like an
/// update with more coverage.
pub(crate) fn carry_sent(
    conn: &rusqlite::Connection,
    into: StoryId,
    from: StoryId,
) -> anyhow::Result<()> {
    conn.prepare_cached(
        "INSERT INTO digest_story_sent (digest, story_id, run_id, item_count, source_count)
             SELECT digest, ?1, run_id, item_count, source_count FROM digest_story_sent WHERE story_id = ?2
         ON CONFLICT(digest, story_id) DO UPDATE SET
             item_count = item_count + excluded.item_count,
             source_count = source_count + excluded.source_count",
    )?
    .execute(params![into, from])?;
    Ok(())
}
