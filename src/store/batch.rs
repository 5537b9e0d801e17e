//! Group commit: writes of several callers (a fetch cycle's refreshes) share one open
//! transaction, committed by the last writer of a burst; every other write commits it first.
//! Batches are numbered so that consumers of ids handed out inside one can tell whether it
//! was lost (see ARCHITECTURE.md, "Refreshes share commits").

use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::Connection;

use super::Store;

/// A transaction left open across the writes of several callers, so that a burst of small
/// writes (a fetch cycle writes each feed's items and bookkeeping as one turn) shares one
/// commit.
pub(super) struct Batch {
    seq: u64,
    began: Instant,
    writes: usize,
}

/// A write: a transaction of its own, or a part of the current turn of a group commit.
pub(crate) enum Write<'a> {
    Own(rusqlite::Transaction<'a>),
    InTurn(&'a Connection),
}

impl Write<'_> {
    /// Commits a write of its own; a turn's part is committed with its batch.
    pub(crate) fn commit(self) -> anyhow::Result<()> {
        if let Write::Own(tx) = self {
            tx.commit()?;
        }
        Ok(())
    }
}

impl std::ops::Deref for Write<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Write::Own(tx) => tx,
            Write::InTurn(conn) => conn,
        }
    }
}

/// A group commit is committed at the latest after this many writes or this long, so the WAL
/// stays small and other processes see new items within a second.
const BATCH_MAX_WRITES: usize = 256;
const BATCH_MAX_AGE: Duration = Duration::from_millis(500);

impl Store {
    /// The connection for a write of its own: an open group commit is committed first.
    pub(crate) fn conn_mut(&mut self) -> anyhow::Result<&mut Connection> {
        debug_assert!(
            !self.in_turn,
            "a write of its own inside a group-commit turn"
        );
        self.commit_batch()?;
        Ok(&mut self.conn)
    }

    /// Opens a write. Inside [`Store::in_batch`] it joins the turn (which is atomic as a whole).
    /// Anywhere else an open group commit is committed first and the write gets a transaction
    /// of its own, so writes that must be durable when they return (a digest run recorded
    /// before it is sent, a delivery marked sent, an operator's correction) are, and nothing
    /// is ever committed before what was written ahead of it.
    pub(crate) fn write_tx(&mut self) -> anyhow::Result<Write<'_>> {
        if self.in_turn {
            return Ok(Write::InTurn(&self.conn));
        }
        self.commit_batch()?;
        Ok(Write::Own(self.conn.transaction()?))
    }

    /// Runs `write` as one turn of a group commit: its writes join a transaction shared with
    /// the turns before it, committed by [`Store::end_turn`]. A fetch cycle over a thousand
    /// feeds made two commits per feed, each writing the same index pages to the WAL again
    /// (commits were 18% of a cold cycle's CPU). A turn that fails or panics gives up the whole
    /// batch, as a failed commit would ([`Store::batch_lost`]): the turns before it lose
    /// their items together with the validators written after them, so their feeds are
    /// fetched in full again. A savepoint per turn would undo only the failed one, but its
    /// statement journal cost 4-11% of a cold cycle's CPU, for a case (a full disk, an I/O
    /// error) where the commit would most likely fail anyway.
    pub fn in_batch<R>(
        &mut self,
        write: impl FnOnce(&mut Store) -> anyhow::Result<R>,
    ) -> anyhow::Result<R> {
        match &mut self.batch {
            Some(b) => b.writes += 1,
            None => {
                // IMMEDIATE: the write lock is taken now (waiting up to the busy timeout), so a
                // commit by another process between a turn's first read and its first write
                // cannot fail the whole batch with SQLITE_BUSY_SNAPSHOT.
                self.conn.execute_batch("BEGIN IMMEDIATE")?;
                self.batch_seq += 1;
                self.batch = Some(Batch {
                    seq: self.batch_seq,
                    began: Instant::now(),
                    writes: 1,
                });
            }
        }
        self.in_turn = true;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(self)));
        self.in_turn = false;
        if !matches!(result, Ok(Ok(_))) {
            self.lose_open_batch();
        }
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }

    /// Ends a turn of the group commit: commits it unless `others_waiting` (more turns are
    /// about to follow, and the last of them commits) and it is still small and young.
    pub fn end_turn(&mut self, others_waiting: bool) -> anyhow::Result<()> {
        match &self.batch {
            Some(b)
                if others_waiting
                    && b.writes < BATCH_MAX_WRITES
                    && b.began.elapsed() < BATCH_MAX_AGE =>
            {
                Ok(())
            }
            _ => self.commit_batch(),
        }
    }

    /// Commits the open group commit, if any. If the commit fails, the batch is rolled back:
    /// its writes are lost together (each feed's items with the validators saved beside
    /// them, so the next poll fetches them again).
    pub fn commit_batch(&mut self) -> anyhow::Result<()> {
        if self.batch.is_none() {
            return Ok(());
        }
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            self.lose_open_batch();
            return Err(e).context("committing a batch of writes");
        }
        self.batch = None;
        Ok(())
    }

    /// Rolls the open group commit back and remembers its number as lost. Said in the log:
    /// the feeds whose writes were in it reported success and left no fetch-log line (it was
    /// rolled back with their items), so this is the trace of why they are fetched in full
    /// again at their next poll.
    pub(super) fn lose_open_batch(&mut self) {
        if let Some(b) = self.batch.take() {
            if !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            tracing::error!(
                path = %self.path.display(),
                batch = b.seq,
                writes = b.writes,
                "a group commit was rolled back: the feeds written in it are fetched again in full at their next poll"
            );
            self.lost.push(b.seq);
        }
    }

    /// The number of the open group commit: after a turn, the batch its writes joined.
    pub fn open_batch(&self) -> Option<u64> {
        self.batch.as_ref().map(|b| b.seq)
    }

    /// Whether group commit `seq` failed and was rolled back. Item ids handed out inside a
    /// lost batch do not exist (and may be given to other items): whoever holds ids from a
    /// batch (the clustering pipeline) checks this once the batch is committed.
    pub fn batch_lost(&self, seq: u64) -> bool {
        self.lost.contains(&seq)
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.commit_batch() {
            tracing::error!(path = %self.path.display(), error = %format!("{e:#}"), "database writes lost at close");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::Utc;
    use rusqlite::Connection;

    use super::*;
    use crate::store::testing;

    /// Items stored by one feed's turn, as a fetch cycle does.
    fn turn(store: &mut Store, feed: i64, key: &str, others_waiting: bool) -> anyhow::Result<()> {
        let entry = (testing::entry(key), crate::model::Tags::default());
        let written = store.in_batch(|s| s.insert_new_items(feed, "A", &[entry], Utc::now()));
        store.end_turn(others_waiting)?;
        written.map(|_| ())
    }

    fn count_from_another_connection(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_group_commit_is_committed_by_the_last_turn_or_any_other_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut store = Store::open(&path).unwrap();
        let feeds = [crate::config::FeedConfig::new("https://a.example/f", None)];
        let feed = store.sync_feeds(&feeds, Utc::now()).unwrap()[0].id;

        // Others waiting: the transaction stays open, invisible to other connections, but
        // this connection reads its own writes.
        turn(&mut store, feed, "a", true).unwrap();
        turn(&mut store, feed, "b", true).unwrap();
        assert_eq!(count_from_another_connection(&path), 0);
        assert_eq!(store.unclustered_items().unwrap().len(), 2);
        // The last turn commits for all.
        turn(&mut store, feed, "c", false).unwrap();
        assert_eq!(count_from_another_connection(&path), 3);

        // A write of its own (here: bookkeeping outside a turn) commits an open batch first,
        // so it is never durable before what was written ahead of it.
        turn(&mut store, feed, "d", true).unwrap();
        store.postpone(feed, Utc::now()).unwrap();
        assert_eq!(count_from_another_connection(&path), 4);

        // A failed turn gives up the whole open batch, as a failed commit would, and says so.
        turn(&mut store, feed, "e", true).unwrap();
        let batch = store.open_batch().unwrap();
        assert!(!store.batch_lost(batch));
        let failed: anyhow::Result<()> = store.in_batch(|s| {
            s.insert_new_items(
                feed,
                "A",
                &[(testing::entry("f"), crate::model::Tags::default())],
                Utc::now(),
            )?;
            anyhow::bail!("the disk is full")
        });
        assert!(failed.is_err());
        assert!(store.batch_lost(batch));
        store.end_turn(false).unwrap();
        let keys: Vec<String> = store
            .unclustered_items()
            .unwrap()
            .into_iter()
            .map(|i| i.key)
            .collect();
        assert_eq!(keys, ["a", "b", "c", "d"]);
        assert_eq!(count_from_another_connection(&path), 4);

        // So does a turn that panics (a bug in a write): the turns before it in the batch
        // are lost with it, the panic goes on to its caller, and the store is usable after.
        turn(&mut store, feed, "h", true).unwrap();
        let batch = store.open_batch().unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.in_batch(|_| -> anyhow::Result<()> { panic!("a bug in a write") })
        }));
        assert!(panicked.is_err());
        assert!(store.batch_lost(batch));
        assert_eq!((store.open_batch(), store.in_turn), (None, false));
        assert_eq!(store.unclustered_items().unwrap().len(), 4);

        // The next turn starts a new batch; closing commits whatever is still open.
        turn(&mut store, feed, "g", true).unwrap();
        drop(store);
        assert_eq!(count_from_another_connection(&path), 5);
    }

    #[test]
    fn a_group_commit_is_committed_once_it_is_large() {
        let mut store = Store::open_in_memory().unwrap();
        let feeds = [crate::config::FeedConfig::new("https://a.example/f", None)];
        let feed = store.sync_feeds(&feeds, Utc::now()).unwrap()[0].id;
        for n in 0..BATCH_MAX_WRITES {
            turn(&mut store, feed, &format!("k{n}"), true).unwrap();
        }
        assert!(
            store.batch.is_none(),
            "committed at {BATCH_MAX_WRITES} writes"
        );
    }
}
