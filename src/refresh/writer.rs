//! The refreshes' store writer: one thread that runs every refresh's writes, in arrival order,
//! as turns of a group commit.
//!
//! Parsing and tagging run on the blocking pool; the writes they produce are serial (one
//! SQLite connection). When each refresh took the store lock itself on a blocking-pool
//! thread, the pool's threads ended up queued on the lock while no thread was left to parse,
//! and the lock holder shared the CPU with the parsers: on the 1,000-feed bench the lock was
//! held 1.8-2.1 s for about 1.1 s of CPU. Here the refreshes wait for their write without a
//! thread (an async receive), the pool keeps parsing, and this one thread writes.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::oneshot;

use crate::store::{Store, lock};

/// One write, run by the writer thread with the store locked; the flag tells whether more
/// writes are queued behind it (so the group commit can stay open for them).
type Job = Box<dyn FnOnce(&mut Store, bool) + Send>;

/// Handle to the writer thread. Dropping it waits for the thread to run what is queued and
/// end: the thread holds a handle to the store, and the store must be closed (its last batch
/// committed, the WAL checkpointed) by whoever drops the last handle before the process
/// exits, not by a detached thread the process does not wait for.
pub struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    /// Writes sent and not yet taken by the thread.
    queued: AtomicUsize,
    /// Time the thread held the store lock, in nanoseconds.
    held_nanos: AtomicU64,
    /// Writes run (turns of the group commit).
    runs: AtomicU64,
}

impl Writer {
    /// Starts the writer thread for `store`.
    pub fn start(store: Arc<Mutex<Store>>) -> anyhow::Result<Writer> {
        let (tx, rx) = mpsc::channel::<Job>();
        let shared = Arc::new(Shared::default());
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("aiwire-writer".into())
            .spawn(move || run(&store, &rx, &thread_shared))
            .context("starting the store writer thread")?;
        Ok(Writer {
            jobs: Some(tx),
            thread: Some(thread),
            shared,
        })
    }

    /// Runs `write` as one turn of the group commit ([`Store::in_batch`], then
    /// [`Store::end_turn`], which commits unless more writes are queued) and returns its
    /// result, or the error of the commit it ended with.
    pub async fn write<R: Send + 'static>(
        &self,
        write: impl FnOnce(&mut Store) -> anyhow::Result<R> + Send + 'static,
    ) -> anyhow::Result<R> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |store, others_waiting| {
            let written = store.in_batch(write);
            let ended = store.end_turn(others_waiting);
            let _ = tx.send(ended.and(written));
        });
        self.shared.queued.fetch_add(1, Ordering::SeqCst);
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job));
        if !matches!(sent, Some(Ok(()))) {
            self.shared.queued.fetch_sub(1, Ordering::SeqCst);
            anyhow::bail!("the store writer thread has stopped");
        }
        rx.await
            .map_err(|_| anyhow::anyhow!("the store writer failed on this write (see the log)"))?
    }

    /// Waits until every write sent before has run and been committed (an empty write, sent
    /// last, finds nothing queued behind it and commits).
    pub async fn flush(&self) -> anyhow::Result<()> {
        self.write(|_| Ok(())).await
    }

    /// How many writes the thread has run so far (one per refresh: a fetched feed's items and
    /// bookkeeping are one write).
    pub fn writes(&self) -> u64 {
        self.shared.runs.load(Ordering::Relaxed)
    }

    /// How long the thread has held the store lock so far, in total: the serial part of a
    /// fetch cycle.
    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.shared.held_nanos.load(Ordering::Relaxed))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has run every write sent before.
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the store writer thread ended with a panic");
        }
    }
}

fn run(store: &Mutex<Store>, jobs: &mpsc::Receiver<Job>, shared: &Shared) {
    while let Ok(job) = jobs.recv() {
        shared.queued.fetch_sub(1, Ordering::SeqCst);
        let mut guard = lock(store);
        let held = Instant::now();
        let others_waiting = shared.queued.load(Ordering::SeqCst) > 0;
        // Counted before the write runs: its caller may read the count as soon as the result
        // is sent, before this thread gets past the job.
        shared.runs.fetch_add(1, Ordering::SeqCst);
        // A panicking write has already lost its batch (`in_batch`); its caller gets an
        // error (the result sender is dropped) and the thread goes on with the next write.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            job(&mut guard, others_waiting)
        }));
        let held = held.elapsed();
        drop(guard);
        shared
            .held_nanos
            .fetch_add(held.as_nanos() as u64, Ordering::Relaxed);
        if run.is_err() {
            tracing::error!("a store write panicked; its batch of writes was rolled back");
        }
    }
    // Nothing is left open: the last write found no other queued and committed. The
    // thread's handle to the store is dropped here, before `Writer::drop` returns.
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::config::FeedConfig;
    use crate::model::Tags;
    use crate::store::testing;

    /// A store in a file with one feed, and a second connection to read what is committed.
    fn store() -> (tempfile::TempDir, Arc<Mutex<Store>>, i64) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.db")).unwrap();
        let feed = FeedConfig::new("https://a.example/f", None);
        let feed = store.sync_feeds(&[feed], Utc::now()).unwrap()[0].id;
        (dir, Arc::new(Mutex::new(store)), feed)
    }

    /// What another connection sees.
    fn committed_items(dir: &tempfile::TempDir) -> usize {
        Store::open(&dir.path().join("a.db"))
            .unwrap()
            .unclustered_items()
            .unwrap()
            .len()
    }

    fn insert(key: String, feed: i64) -> impl FnOnce(&mut Store) -> anyhow::Result<usize> + Send {
        let entry = (testing::entry(&key), Tags::default());
        move |s| Ok(s.insert_entries(feed, &[entry], Utc::now())?.len())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_sent_together_are_all_committed_when_the_last_returns() {
        let (dir, store, feed) = store();
        let writer = Writer::start(store.clone()).unwrap();
        let writes = (0..40).map(|i| writer.write(insert(format!("k{i}"), feed)));
        let written = futures_util::future::join_all(writes).await;
        assert!(written.iter().all(|w| matches!(w, Ok(1))), "{written:?}");
        assert_eq!(committed_items(&dir), 40, "no batch may be left open");
        assert_eq!(lock(&store).open_batch(), None);
        assert!(writer.busy() > Duration::ZERO);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_fails_its_caller_and_the_writer_goes_on() {
        let (dir, store, feed) = store();
        let writer = Writer::start(store).unwrap();
        let failed = writer
            .write(|_: &mut Store| -> anyhow::Result<()> { panic!("a bug in a write") })
            .await;
        assert!(failed.is_err());
        assert_eq!(writer.write(insert("after".into(), feed)).await.unwrap(), 1);
        assert_eq!(committed_items(&dir), 1, "the writer goes on after a panic");
    }

    /// A one-shot command drops its `Deps` and then the store: the store must be closed by
    /// then (the writer thread's handle to it released), or the process exits with the
    /// database still open.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_the_writer_releases_the_store() {
        let (_dir, store, feed) = store();
        let writer = Writer::start(store.clone()).unwrap();
        writer.write(insert("k".into(), feed)).await.unwrap();
        drop(writer);
        assert_eq!(
            Arc::strong_count(&store),
            1,
            "the writer thread still holds the store"
        );
    }
}
