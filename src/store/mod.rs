//! The SQLite store: the only rusqlite user. Opens the database (WAL, foreign keys, busy
//! timeout), applies the embedded `migrations/NNNN_name.sql` files in order, each in its own
//! transaction, and refuses a database written by a newer aiwire. All SQL lives in this
//! folder and in `migrations/`.

mod batch;
mod digests;
mod feeds;
mod items;
mod maintenance;
mod stats;
mod stories;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, TimeZone, Utc};
use include_dir::{Dir, include_dir};
use rusqlite::{Connection, OptionalExtension};

pub use digests::*;
pub use feeds::*;
pub use items::*;
pub use maintenance::*;
pub use stats::*;

/// Every file of `migrations/`, embedded at build time.
static MIGRATIONS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/migrations");

/// One embedded migration.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: u32,
    pub name: String,
    pub sql: &'static str,
}

/// The embedded migrations, ordered by number. Panics at start-up on a misnamed file, which a
/// unit test catches first.
pub fn migrations() -> Vec<Migration> {
    let mut out: Vec<Migration> = MIGRATIONS
        .files()
        .filter(|f| f.path().extension().is_some_and(|e| e == "sql"))
        .map(|f| {
            let name = f
                .path()
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let version = name
                .split('_')
                .next()
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or_else(|| {
                    panic!("migration file {name} must start with a number: NNNN_name.sql")
                });
            Migration {
                version,
                name,
                sql: f.contents_utf8().expect("migration files are UTF-8"),
            }
        })
        .collect();
    out.sort_by_key(|m| m.version);
    out
}

/// The newest schema version this binary knows.
pub fn latest_version() -> u32 {
    migrations().last().map_or(0, |m| m.version)
}

/// An open, migrated database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// The open group commit, if any (see [`Store::in_batch`]).
    batch: Option<batch::Batch>,
    /// Set while [`Store::in_batch`] runs: writes join the group commit.
    in_turn: bool,
    /// The number of the last group commit begun (see [`Store::open_batch`]).
    batch_seq: u64,
    /// Numbers of the group commits that failed and were rolled back (rare: a full disk, an
    /// I/O error), see [`Store::batch_lost`].
    lost: Vec<u64>,
}

/// Held by the process that runs the daemon (or a one-shot cycle) on a database; a second
/// such process refuses to start. Released when dropped or when the process dies.
#[derive(Debug)]
pub struct DaemonLock {
    _file: File,
    pub path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open database {}", path.display()))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            batch: None,
            in_turn: false,
            batch_seq: 0,
            lost: Vec::new(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> anyhow::Result<Store> {
        let mut store = Store {
            conn: Connection::open_in_memory()?,
            path: PathBuf::from(":memory:"),
            batch: None,
            in_turn: false,
            batch_seq: 0,
            lost: Vec::new(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn configure(&self) -> anyhow::Result<()> {
        self.conn.busy_timeout(Duration::from_secs(10))?;
        // Room for every statement the store caches (rusqlite's default of 16 is about what
        // it uses; an evicted statement is parsed again on every use).
        self.conn.set_prepared_statement_cache_capacity(64);
        // Must come before the first table exists (and so before WAL) to take effect on a new
        // database; on an existing one it is a no-op until the next VACUUM.
        self.conn
            .execute_batch("PRAGMA auto_vacuum = INCREMENTAL;")?;
        // WAL keeps readers (CLI) and the daemon's writer out of each other's way.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if mode != "wal" && self.path != Path::new(":memory:") {
            tracing::warn!(path = %self.path.display(), mode, "database is not in WAL mode");
        }
        // Checkpoints every 10,000 WAL pages (40 MB) instead of SQLite's 1,000: a fetch cycle
        // rewrites the same index and item pages many times, and each checkpoint copies them
        // and fsyncs. With 1,000, checkpoints were 8.5% of a cold 1,000-feed cycle's CPU (5.8%
        // in fsync). The daemon truncates the WAL at shutdown (`Store::checkpoint`).
        // `temp_store = MEMORY` keeps statement journals and temporary sort b-trees in memory
        // instead of temporary files (a savepoint's journal, when a savepoint per group-commit
        // turn was tried, cost 11% of a cold cycle's CPU in file writes).
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;
             PRAGMA wal_autocheckpoint = 10000;
             PRAGMA temp_store = MEMORY;",
        )?;
        Ok(())
    }

    /// Schema version recorded in the database.
    pub fn schema_version(&self) -> anyhow::Result<u32> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))?)
    }

    fn migrate(&mut self) -> anyhow::Result<()> {
        let current = self.schema_version()?;
        let latest = latest_version();
        if current > latest {
            bail!(
                "database {} has schema version {current}, written by a newer aiwire (this binary knows up to {latest}); \
                 upgrade aiwire, or point [store] path at another file",
                self.path.display()
            );
        }
        for m in migrations().into_iter().filter(|m| m.version > current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(m.sql).with_context(|| {
                format!("migration {} failed on {}", m.name, self.path.display())
            })?;
            tx.pragma_update(None, "user_version", m.version)?;
            tx.commit()?;
            tracing::info!(migration = %m.name, "applied database migration");
        }
        Ok(())
    }

    /// Takes the daemon lock beside the database (`<db>.lock`); fails when another aiwire
    /// process already runs on this database.
    pub fn lock_for_daemon(&self) -> anyhow::Result<DaemonLock> {
        let mut os = self.path.clone().into_os_string();
        os.push(".lock");
        let path = PathBuf::from(os);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot create lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(DaemonLock { _file: file, path }),
            Err(std::fs::TryLockError::WouldBlock) => bail!(
                "another aiwire process is already running on {} (lock {} is held); stop it first",
                self.path.display(),
                path.display()
            ),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }

    /// `PRAGMA integrity_check` result (`ok` when healthy).
    pub fn integrity_check(&self) -> anyhow::Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// A value from the `meta`-like pragmas or counts, for `aiwire check`.
    pub fn size_bytes(&self) -> anyhow::Result<u64> {
        let pages: i64 = self.conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = self.conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok((pages * size) as u64)
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// Locks a store shared between tasks. A panic while the lock was held leaves SQLite
/// consistent (every write is a transaction), so a poisoned lock is simply taken over.
pub fn lock(store: &std::sync::Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Helpers for tests that need to put a database into odd states.
pub mod testing {
    /// Rolls the open group commit back as a failed commit would (disk full, I/O error).
    pub fn fail_batch_commit(store: &mut super::Store) {
        store.lose_open_batch();
    }

    /// Makes every insert of an item of `feed` fail, as items that the schema refuses or a
    /// damaged index would, until [`accept_items`].
    pub fn refuse_items(store: &mut super::Store, feed: crate::model::FeedId) {
        refuse(
            store,
            "refuse_items",
            &format!("BEFORE INSERT ON items WHEN NEW.feed_id = {feed}"),
            "items refused by a test",
        );
    }

    /// Undoes [`refuse_items`].
    pub fn accept_items(store: &mut super::Store) {
        accept(store, "refuse_items");
    }

    /// Makes recording a digest delivery as sent fail, as a full disk would, until
    /// [`accept_sent_marks`].
    pub fn refuse_sent_marks(store: &mut super::Store) {
        refuse(
            store,
            "refuse_sent_marks",
            "BEFORE UPDATE ON digest_deliveries WHEN NEW.state = 'sent'",
            "database or disk is full",
        );
    }

    /// Undoes [`refuse_sent_marks`].
    pub fn accept_sent_marks(store: &mut super::Store) {
        accept(store, "refuse_sent_marks");
    }

    /// A trigger on this connection only that fails the statements `when` describes.
    fn refuse(store: &mut super::Store, name: &str, when: &str, message: &str) {
        store
            .conn
            .execute_batch(&format!(
                "CREATE TEMP TRIGGER {name} {when} BEGIN SELECT RAISE(ABORT, '{message}'); END"
            ))
            .expect("creating a temporary trigger");
    }

    fn accept(store: &mut super::Store, name: &str) {
        store
            .conn
            .execute_batch(&format!("DROP TRIGGER IF EXISTS temp.{name}"))
            .expect("dropping a temporary trigger");
    }

    use std::path::Path;

    /// An operator-style placement of `item` into `story` (signal "test", score 1), for tests
    /// that need items in stories without running the clusterer.
    pub fn placement(
        item: crate::model::ItemId,
        story: crate::model::StoryId,
    ) -> super::StoryAssignment {
        super::StoryAssignment {
            item,
            story,
            signal: "test".into(),
            score: 1.0,
            matched: vec![],
            note: String::new(),
            absorbed: vec![],
        }
    }

    /// A stored item `id` in story `story`, as the store would read it back: English, AI
    /// topic, no tags, published at unix second 1,700,000,000 + `id`. Tests change the fields
    /// they care about with struct-update syntax.
    pub fn stored_item(
        id: crate::model::ItemId,
        story: crate::model::StoryId,
    ) -> super::StoredItem {
        let published =
            chrono::DateTime::from_timestamp(1_700_000_000 + id, 0).expect("a valid timestamp");
        super::StoredItem {
            id,
            feed_id: id,
            source: format!("source {id}"),
            feed_url: format!("https://example.org/{id}/feed"),
            key: format!("k{id}"),
            guid: None,
            title: format!("title {id}"),
            link: None,
            canonical_link: None,
            summary: String::new(),
            language: Some("en".into()),
            published,
            first_seen: published,
            ai_topic: true,
            story_id: Some(story),
            cluster_signal: None,
            cluster_score: None,
            cluster_matched: vec![],
            pinned: false,
            cluster_note: None,
            tags: crate::model::Tags::default(),
        }
    }

    /// A dated entry with key `key`, title `title {key}` and link `https://example.org/{key}`;
    /// tests change the fields they care about with struct-update syntax.
    pub fn entry(key: &str) -> crate::model::ParsedEntry {
        crate::model::ParsedEntry {
            key: key.into(),
            title: format!("title {key}"),
            link: Some(format!("https://example.org/{key}")),
            canonical_link: Some(format!("https://example.org/{key}")),
            published: chrono::Utc::now(),
            date_source: crate::model::DateSource::Feed,
            summary: String::new(),
            language: Some("en".into()),
            authors: vec![],
            content_html: None,
            guid: Some(key.into()),
        }
    }

    /// Sets `PRAGMA user_version` directly, e.g. to simulate a database from a newer aiwire.
    pub fn set_user_version(path: &Path, version: u32) -> anyhow::Result<()> {
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "user_version", version)?;
        Ok(())
    }
}

/// Unix seconds of a time.
pub(crate) fn ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// A time from unix seconds (clamped to the representable range).
pub(crate) fn from_ts(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub(crate) fn opt_ts(s: Option<i64>) -> Option<DateTime<Utc>> {
    s.map(from_ts)
}

/// Reads an optional single value.
pub(crate) fn optional<T>(r: rusqlite::Result<T>) -> anyhow::Result<Option<T>> {
    Ok(r.optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_without_gaps() {
        let ms = migrations();
        assert!(!ms.is_empty());
        for (i, m) in ms.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
        }
    }

    #[test]
    fn every_migration_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        let embedded: Vec<String> = migrations().into_iter().map(|m| m.name).collect();
        for f in &on_disk {
            assert!(embedded.contains(f), "{f} is not embedded");
        }
        assert_eq!(on_disk.len(), embedded.len());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        drop(Store::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", latest_version() + 1)
            .unwrap();
        drop(conn);
        let err = Store::open(&path).unwrap_err().to_string();
        assert!(err.contains("newer aiwire"), "{err}");
    }

    #[test]
    fn second_daemon_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let a = Store::open(&path).unwrap();
        let b = Store::open(&path).unwrap();
        let _lock = a.lock_for_daemon().unwrap();
        let err = b.lock_for_daemon().unwrap_err().to_string();
        assert!(err.contains("already running"), "{err}");
    }

    /// A database written by version 4 (tags checked with an IN list) keeps its tags through
    /// migration 5, and the rebuilt check still refuses an unknown kind.
    #[test]
    fn item_tags_survive_the_rebuild_of_their_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        for m in migrations().into_iter().filter(|m| m.version <= 4) {
            conn.execute_batch(m.sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 4;
             INSERT INTO feeds (id, config_url, url, created_at) VALUES (1, 'u', 'u', 0);
             INSERT INTO items (id, feed_id, key, title, published_at, date_source, first_seen_at)
                 VALUES (7, 1, 'k', 't', 0, 'feed', 0);
             INSERT INTO item_tags (item_id, kind, name) VALUES (7, 'company', 'OpenAI'), (7, 'model', 'GPT-4');",
        )
        .unwrap();
        drop(conn);
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), latest_version());
        let tags: Vec<(String, String)> = s
            .conn()
            .prepare("SELECT kind, name FROM item_tags WHERE item_id = 7 ORDER BY kind")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            tags,
            [
                ("company".into(), "OpenAI".into()),
                ("model".into(), "GPT-4".into())
            ]
        );
        let bad = s.conn().execute(
            "INSERT INTO item_tags (item_id, kind, name) VALUES (7, 'place', 'Paris')",
            [],
        );
        assert!(bad.is_err(), "an unknown tag kind must be refused");
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }

    #[test]
    fn reopening_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        drop(Store::open(&path).unwrap());
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), latest_version());
        assert_eq!(s.integrity_check().unwrap(), "ok");
    }
}
