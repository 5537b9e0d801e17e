//! Items and their tags: insert once per (feed, key), skip tombstoned keys, hand items to
//! the clusterer and record its decisions.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Row, params};

use super::{Store, from_ts, optional, ts};
use crate::model::{ClusterItem, FeedId, ItemId, ParsedEntry, StoryId, Tags};

/// An item joined with its feed's display name, as the clusterer and digests see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredItem {
    pub id: ItemId,
    pub feed_id: FeedId,
    pub source: String,
    pub feed_url: String,
    pub key: String,
    pub guid: Option<String>,
    pub title: String,
    pub link: Option<String>,
    pub canonical_link: Option<String>,
    pub summary: String,
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    pub ai_topic: bool,
    pub story_id: Option<StoryId>,
    pub cluster_signal: Option<String>,
    pub cluster_score: Option<f64>,
    pub cluster_matched: Vec<ItemId>,
    pub pinned: bool,
    /// The clusterer's one-line explanation of where the item went.
    pub cluster_note: Option<String>,
    pub tags: Tags,
}

impl StoredItem {
    pub fn to_cluster_item(&self) -> ClusterItem {
        ClusterItem {
            id: self.id,
            source: self.source.clone(),
            title: self.title.clone(),
            summary: self.summary.clone(),
            language: self.language.clone(),
            published: self.published,
            canonical_link: self.canonical_link.clone(),
            guid: self.guid.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// How a clustering decision is written down.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryAssignment {
    pub item: ItemId,
    pub story: StoryId,
    pub signal: String,
    pub score: f64,
    pub matched: Vec<ItemId>,
    /// The clusterer's one-line explanation.
    pub note: String,
    /// Stories merged into `story` with this decision: their unpinned items move there.
    pub absorbed: Vec<StoryId>,
}

pub(crate) const ITEM_COLUMNS: &str = "i.id, i.feed_id, COALESCE(f.name, f.title, f.url), f.url, i.key, i.guid, i.title, i.link,
    i.canonical_link, i.summary, i.language, i.published_at, i.first_seen_at, i.ai_topic, i.story_id,
    i.cluster_signal, i.cluster_score, i.cluster_matched, i.pinned, i.cluster_note";

pub(crate) fn item_from_row(r: &Row<'_>) -> rusqlite::Result<StoredItem> {
    let matched: Option<String> = r.get(17)?;
    Ok(StoredItem {
        id: r.get(0)?,
        feed_id: r.get(1)?,
        source: r.get(2)?,
        feed_url: r.get(3)?,
        key: r.get(4)?,
        guid: r.get(5)?,
        title: r.get(6)?,
        link: r.get(7)?,
        canonical_link: r.get(8)?,
        summary: r.get(9)?,
        language: r.get(10)?,
        published: from_ts(r.get(11)?),
        first_seen: from_ts(r.get(12)?),
        ai_topic: r.get::<_, i64>(13)? != 0,
        story_id: r.get(14)?,
        cluster_signal: r.get(15)?,
        cluster_score: r.get(16)?,
        cluster_matched: matched
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or_default(),
        pinned: r.get::<_, i64>(18)? != 0,
        cluster_note: r.get(19)?,
        tags: Tags::default(),
    })
}

/// A just-inserted entry exactly as [`StoredItem::to_cluster_item`] would give it back (times
/// in whole seconds, tags sorted and unique), built from the entry without copying its text.
pub fn new_cluster_item(id: ItemId, source: &str, e: ParsedEntry, tags: Tags) -> ClusterItem {
    let sorted = |mut names: Vec<String>| {
        names.sort_unstable();
        names.dedup();
        names
    };
    ClusterItem {
        id,
        source: source.to_string(),
        title: e.title,
        summary: e.summary,
        language: e.language,
        published: from_ts(ts(e.published)),
        canonical_link: e.canonical_link,
        guid: e.guid,
        tags: Tags {
            companies: sorted(tags.companies),
            models: sorted(tags.models),
            people: sorted(tags.people),
            ai_topic: tags.ai_topic,
        },
    }
}

/// The new items among `entries`, given the ids [`Store::insert_entries`] returned for them
/// (in the order of `entries`); the other entries are dropped.
pub fn new_cluster_items(
    source: &str,
    entries: Vec<(ParsedEntry, Tags)>,
    new: &[(usize, ItemId)],
) -> Vec<ClusterItem> {
    let mut new = new.iter().peekable();
    entries
        .into_iter()
        .enumerate()
        .filter_map(|(i, (e, tags))| {
            let (_, id) = new.next_if(|(at, _)| *at == i)?;
            Some(new_cluster_item(*id, source, e, tags))
        })
        .collect()
}

/// The statements a fetch cycle runs for every new item, inside the serial write path. Each
/// must compile to plain b-tree work (see the test `hot_inserts_use_no_ephemeral_tables`).
const TOMBSTONE_EXISTS: &str = "SELECT 1 FROM item_tombstones WHERE feed_id = ?1 AND key = ?2";
const INSERT_ITEM: &str =
    "INSERT INTO items (feed_id, key, guid, title, link, canonical_link, summary, content_html, language,
         authors, published_at, date_source, first_seen_at, ai_topic)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
     ON CONFLICT(feed_id, key) DO NOTHING";
const INSERT_TAG: &str =
    "INSERT OR IGNORE INTO item_tags (item_id, kind, name) VALUES (?1, ?2, ?3)";

impl Store {
    /// Stores the entries of one fetch that are new for this feed (not stored and not
    /// tombstoned), with their tags, in one transaction. Returns the new items' ids.
    pub fn insert_items(
        &mut self,
        feed: FeedId,
        entries: &[(ParsedEntry, Tags)],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<ItemId>> {
        let new = self.insert_entries(feed, entries, now)?;
        Ok(new.into_iter().map(|(_, id)| id).collect())
    }

    /// [`Store::insert_items`], returning the new items as the clusterer would read them back
    /// (see [`new_cluster_item`]). `source` is the feed's display name. For tests: the
    /// refresh path builds the items outside the writer ([`Store::insert_entries`]).
    #[cfg(test)]
    pub fn insert_new_items(
        &mut self,
        feed: FeedId,
        source: &str,
        entries: &[(ParsedEntry, Tags)],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<ClusterItem>> {
        let new = self.insert_entries(feed, entries, now)?;
        Ok(new
            .into_iter()
            .map(|(i, id)| {
                let (e, tags) = entries[i].clone();
                new_cluster_item(id, source, e, tags)
            })
            .collect())
    }

    /// [`Store::insert_items`], returning for each new entry its index in `entries` and its
    /// id. It only writes: building the items for the clusterer ([`new_cluster_items`]) and
    /// dropping the entries are left to the caller, outside the serial write path (they were
    /// a tenth of the writer thread's time in a cold fetch cycle).
    pub fn insert_entries(
        &mut self,
        feed: FeedId,
        entries: &[(ParsedEntry, Tags)],
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<(usize, ItemId)>> {
        let tx = self.write_tx()?;
        let mut new = Vec::new();
        {
            let mut tomb = tx.prepare_cached(TOMBSTONE_EXISTS)?;
            let mut insert = tx.prepare_cached(INSERT_ITEM)?;
            let mut tag = tx.prepare_cached(INSERT_TAG)?;
            for (i, (e, tags)) in entries.iter().enumerate() {
                if tomb.exists(params![feed, e.key])? {
                    continue;
                }
                let changed = insert.execute(params![
                    feed,
                    e.key,
                    e.guid,
                    e.title,
                    e.link,
                    e.canonical_link,
                    e.summary,
                    e.content_html,
                    e.language,
                    serde_json::to_string(&e.authors)?,
                    ts(e.published),
                    e.date_source.as_str(),
                    ts(now),
                    tags.ai_topic,
                ])?;
                if changed == 0 {
                    continue;
                }
                let id = tx.last_insert_rowid();
                for (kind, names) in [
                    ("company", &tags.companies),
                    ("model", &tags.models),
                    ("person", &tags.people),
                ] {
                    for name in names {
                        tag.execute(params![id, kind, name])?;
                    }
                }
                new.push((i, id));
            }
        }
        tx.commit()?;
        Ok(new)
    }

    /// Items not yet in a story, oldest published first.
    pub fn unclustered_items(&self) -> anyhow::Result<Vec<StoredItem>> {
        self.items_where(
            "i.story_id IS NULL ORDER BY i.published_at, i.id",
            params![],
        )
    }

    /// Ids of the items not yet in a story, oldest published first: one pass over them, where
    /// reading them in ordered pages re-sorted the whole backlog for every page (placing a
    /// 30,000-item backlog took 8 s, most of it re-reading rows).
    pub fn unclustered_ids(&self) -> anyhow::Result<Vec<ItemId>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM items WHERE story_id IS NULL ORDER BY published_at, id")?;
        let ids = stmt.query_map([], |r| r.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// Those of `ids` still not in a story, oldest published first.
    pub fn unclustered_among(&self, ids: &[ItemId]) -> anyhow::Result<Vec<StoredItem>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids
            .iter()
            .map(ItemId::to_string)
            .collect::<Vec<_>>()
            .join(",");
        self.items_where(
            &format!("i.id IN ({list}) AND i.story_id IS NULL ORDER BY i.published_at, i.id"),
            params![],
        )
    }

    /// Items of the stories that have an item published in `[from, to)`: what the clusterer
    /// must hold to place items published up to a window after `from`.
    pub fn clustered_items_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<Vec<StoredItem>> {
        self.items_where(
            "i.story_id IN (SELECT DISTINCT story_id FROM items WHERE story_id IS NOT NULL
                 AND published_at >= ?1 AND published_at < ?2)
             ORDER BY i.published_at, i.id",
            params![ts(from), ts(to)],
        )
    }

    /// Items first seen in `(from, to]` (for digests), with tags.
    pub fn items_first_seen_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> anyhow::Result<Vec<StoredItem>> {
        self.items_where(
            "i.first_seen_at > ?1 AND i.first_seen_at <= ?2 ORDER BY i.published_at, i.id",
            params![ts(from), ts(to)],
        )
    }

    /// All items of the given stories, with tags.
    pub fn items_of_stories(&self, stories: &[StoryId]) -> anyhow::Result<Vec<StoredItem>> {
        if stories.is_empty() {
            return Ok(vec![]);
        }
        let list = stories
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(",");
        self.items_where(
            &format!("i.story_id IN ({list}) ORDER BY i.published_at, i.id"),
            params![],
        )
    }

    /// One item by id.
    pub fn item(&self, id: ItemId) -> anyhow::Result<Option<StoredItem>> {
        Ok(self
            .items_where("i.id = ?1", params![id])?
            .into_iter()
            .next())
    }

    fn items_where(
        &self,
        clause: &str,
        args: impl rusqlite::Params,
    ) -> anyhow::Result<Vec<StoredItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id WHERE {clause}"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut items = stmt
            .query_map(args, item_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        self.attach_tags(&mut items)?;
        Ok(items)
    }

    fn attach_tags(&self, items: &mut [StoredItem]) -> anyhow::Result<()> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT kind, name FROM item_tags WHERE item_id = ?1 ORDER BY kind, name",
        )?;
        for item in items.iter_mut() {
            let rows = stmt.query_map([item.id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (kind, name) = row?;
                match kind.as_str() {
                    "company" => item.tags.companies.push(name),
                    "model" => item.tags.models.push(name),
                    _ => item.tags.people.push(name),
                }
            }
            item.tags.ai_topic = item.ai_topic;
        }
        Ok(())
    }

    /// When the earliest item first seen after `after` that is not in a story yet was first
    /// seen (items the clustering pipeline has still to place).
    pub fn earliest_unplaced_since(
        &self,
        after: DateTime<Utc>,
    ) -> anyhow::Result<Option<DateTime<Utc>>> {
        let t: Option<i64> = self.conn().query_row(
            "SELECT MIN(first_seen_at) FROM items WHERE story_id IS NULL AND first_seen_at > ?1",
            [ts(after)],
            |r| r.get(0),
        )?;
        Ok(t.map(from_ts))
    }

    /// The highest story id ever used (stories are never renumbered).
    pub fn max_story_id(&self) -> anyhow::Result<StoryId> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(id), 0) FROM stories", [], |r| r.get(0))?)
    }

    /// Writes clustering decisions, creating story rows as needed, in one transaction.
    /// An item already placed (e.g. pinned by an operator) is left alone. A decision that
    /// absorbed stories moves their unpinned items into its story and records the merge.
    pub fn assign_stories(
        &mut self,
        decisions: &[StoryAssignment],
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let tx = self.write_tx()?;
        {
            let mut story = tx
                .prepare_cached("INSERT OR IGNORE INTO stories (id, created_at) VALUES (?1, ?2)")?;
            let mut item = tx.prepare_cached(
                "UPDATE items SET story_id = ?2, cluster_signal = ?3, cluster_score = ?4, cluster_matched = ?5,
                     cluster_note = ?6
                 WHERE id = ?1 AND story_id IS NULL",
            )?;
            // Moved items keep their own decision and say where it went, for `aiwire explain`.
            let mut absorb = tx.prepare_cached(
                "UPDATE items SET story_id = ?1,
                     cluster_note = COALESCE(cluster_note, '') || '; its story ' || ?2 || ' was then merged into story ' || ?1
                 WHERE story_id = ?2 AND pinned = 0",
            )?;
            // Recorded only once nothing is left in `from` and `into` is not itself merged
            // away, so merges never form a cycle.
            let mut merged = tx.prepare_cached(
                "UPDATE stories SET merged_into = ?1 WHERE id = ?2
                     AND NOT EXISTS (SELECT 1 FROM items WHERE story_id = ?2)
                     AND (SELECT merged_into FROM stories WHERE id = ?1) IS NULL",
            )?;
            for d in decisions {
                story.execute(params![d.story, ts(now)])?;
                item.execute(params![
                    d.item,
                    d.story,
                    d.signal,
                    d.score,
                    serde_json::to_string(&d.matched)?,
                    d.note
                ])?;
                for &from in &d.absorbed {
                    absorb.execute(params![d.story, from])?;
                    merged.execute(params![d.story, from])?;
                    super::stories::carry_sent(&tx, d.story, from)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Item counts per feed id.
    pub fn item_counts(&self) -> anyhow::Result<HashMap<FeedId, i64>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT feed_id, COUNT(*) FROM items GROUP BY feed_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Total number of items.
    pub fn item_total(&self) -> anyhow::Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))?)
    }

    /// The story an item is in, if any.
    pub fn story_of(&self, item: ItemId) -> anyhow::Result<Option<StoryId>> {
        Ok(optional(self.conn().query_row(
            "SELECT story_id FROM items WHERE id = ?1",
            [item],
            |r| r.get(0),
        ))?
        .flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FeedConfig;

    fn entry(key: &str, title: &str) -> ParsedEntry {
        ParsedEntry {
            title: title.into(),
            ..crate::store::testing::entry(key)
        }
    }

    /// An empty store with one feed, named "A"; its id; now.
    fn store_with_feed() -> (Store, FeedId, DateTime<Utc>) {
        let mut s = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let feed = FeedConfig::new("https://a.example/f", Some("A".into()));
        let id = s.sync_feeds(&[feed], now).unwrap()[0].id;
        (s, id, now)
    }

    /// An `IN` list of three or more constants in a CHECK compiles to an ephemeral b-tree
    /// built for every row (item_tags' kind check did, until migration 5): a fifth of the
    /// serial write path of a fetch cycle.
    #[test]
    fn hot_inserts_use_no_ephemeral_tables() {
        let s = Store::open_in_memory().unwrap();
        for sql in [TOMBSTONE_EXISTS, INSERT_ITEM, INSERT_TAG] {
            let mut explain = s.conn().prepare(&format!("EXPLAIN {sql}")).unwrap();
            let nulls = vec![rusqlite::types::Null; explain.parameter_count()];
            let ops: Vec<String> = explain
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get(1))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(!ops.is_empty());
            assert!(
                !ops.iter().any(|op| op == "OpenEphemeral"),
                "{sql} builds an ephemeral table per row: {ops:?}"
            );
        }
    }

    #[test]
    fn items_are_stored_once_per_feed_and_key() {
        let (mut s, id, now) = store_with_feed();
        let tags = Tags {
            companies: vec!["Microsoft".into()],
            ..Tags::default()
        };
        let batch = vec![
            (entry("a", "A"), tags.clone()),
            (entry("b", "B"), Tags::default()),
        ];
        assert_eq!(s.insert_items(id, &batch, now).unwrap().len(), 2);
        assert_eq!(s.insert_items(id, &batch, now).unwrap().len(), 0);
        let items = s.unclustered_items().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(
            items.iter().find(|i| i.key == "a").unwrap().tags.companies,
            vec!["Microsoft"]
        );
        assert_eq!(items[0].source, "A");
    }

    #[test]
    fn new_items_are_handed_back_as_they_read_back() {
        let (mut s, id, now) = store_with_feed();
        let tags = Tags {
            companies: vec!["OpenAI".into(), "Microsoft".into(), "OpenAI".into()],
            people: vec!["Mustafa Suleyman".into()],
            ai_topic: true,
            ..Tags::default()
        };
        let fresh = ParsedEntry {
            summary: "Microsoft trains MAI-1.".into(),
            // Sub-second precision is not stored.
            published: "2024-05-06T08:00:00.750Z".parse().unwrap(),
            ..entry("a", "MAI-1")
        };
        let batch = vec![(fresh, tags), (entry("b", "B"), Tags::default())];
        let handed = s.insert_new_items(id, "A", &batch, now).unwrap();
        let read: Vec<ClusterItem> = s
            .unclustered_items()
            .unwrap()
            .iter()
            .map(StoredItem::to_cluster_item)
            .collect();
        assert_eq!(handed.len(), 2);
        for item in &handed {
            assert_eq!(Some(item), read.iter().find(|r| r.id == item.id));
        }
        assert!(s.insert_new_items(id, "A", &batch, now).unwrap().is_empty());
    }

    /// The refresh path inserts, then builds the items from the entries it gets back: only
    /// the new ones, with their ids, exactly as they read back.
    #[test]
    fn items_built_from_returned_entries_are_the_new_ones() {
        let (mut s, id, now) = store_with_feed();
        s.insert_items(id, &[(entry("a", "A"), Tags::default())], now)
            .unwrap();
        let tags = Tags {
            models: vec!["Phi-3".into(), "GPT-4".into()],
            ..Tags::default()
        };
        let second = vec![
            (entry("c", "C"), tags),
            (entry("a", "A again"), Tags::default()),
            (entry("d", "D"), Tags::default()),
        ];
        let new = s.insert_entries(id, &second, now).unwrap();
        assert_eq!(new.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 2]);
        let items = new_cluster_items("A", second, &new);
        assert_eq!(
            items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
            ["C", "D"]
        );
        for (item, (_, id)) in items.iter().zip(&new) {
            assert_eq!(item.id, *id);
            let read = s.item(*id).unwrap().unwrap().to_cluster_item();
            assert_eq!(&read, item);
        }
    }

    /// A store with one feed holding `keys` as items; the first `stories.len()` of them are
    /// placed into those stories.
    fn placed_items(keys: &[&str], stories: &[StoryId]) -> (Store, Vec<ItemId>, DateTime<Utc>) {
        let (mut s, id, now) = store_with_feed();
        let batch: Vec<_> = keys
            .iter()
            .map(|k| (entry(k, k), Tags::default()))
            .collect();
        let ids = s.insert_items(id, &batch, now).unwrap();
        let placed: Vec<_> = ids
            .iter()
            .zip(stories)
            .map(|(&item, &story)| crate::store::testing::placement(item, story))
            .collect();
        s.assign_stories(&placed, now).unwrap();
        (s, ids, now)
    }

    #[test]
    fn an_absorbed_story_hands_over_its_unpinned_items() {
        use crate::store::testing::placement;
        let (mut s, ids, now) = placed_items(&["a", "b", "c", "d", "e"], &[1, 2, 2]);
        let set_pinned = |s: &mut Store, pinned: bool| {
            s.conn_mut()
                .unwrap()
                .execute(
                    "UPDATE items SET pinned = ?2 WHERE id = ?1",
                    params![ids[2], pinned],
                )
                .unwrap();
        };
        // `item` joins story 1, which absorbs story 2.
        let absorb_story_2 = |s: &mut Store, item: ItemId| {
            let absorbing = StoryAssignment {
                absorbed: vec![2],
                ..placement(item, 1)
            };
            s.assign_stories(&[absorbing], now).unwrap();
        };
        // An operator pins one item of story 2 in place meanwhile.
        set_pinned(&mut s, true);
        absorb_story_2(&mut s, ids[3]);
        let stories: Vec<_> = ids.iter().map(|&i| s.story_of(i).unwrap()).collect();
        assert_eq!(stories, [Some(1), Some(1), Some(2), Some(1), None]);
        let merged_into = |s: &Store| -> Option<StoryId> {
            s.conn()
                .query_row("SELECT merged_into FROM stories WHERE id = 2", [], |r| {
                    r.get(0)
                })
                .unwrap()
        };
        // Story 2 still holds the pinned item: it was not merged away.
        assert_eq!(merged_into(&s), None);
        let note = s
            .item(ids[1])
            .unwrap()
            .unwrap()
            .cluster_note
            .unwrap_or_default();
        assert!(note.contains("merged into story 1"), "{note}");

        // Once the pin is gone, a later absorption empties story 2 and records the merge.
        set_pinned(&mut s, false);
        absorb_story_2(&mut s, ids[4]);
        assert_eq!(s.story_of(ids[2]).unwrap(), Some(1));
        assert_eq!(merged_into(&s), Some(1));
    }

    #[test]
    fn a_merged_story_keeps_what_digests_already_sent_of_both() {
        use crate::store::testing::placement;
        let (mut s, ids, now) = placed_items(&["a", "b", "c", "d"], &[1, 2, 3]);
        // "daily" sent stories 1 and 2; "weekly" sent only story 3.
        for (digest, stories) in [
            ("daily", vec![(1, 1, 1), (2, 1, 1)]),
            ("weekly", vec![(3, 1, 1)]),
        ] {
            let run = crate::store::NewDigestRun {
                digest: digest.into(),
                scheduled_for: now,
                period_from: now,
                period_to: now,
                subject: String::new(),
                html: String::new(),
                text: String::new(),
                json: String::new(),
                stories,
                recipients: vec![],
            };
            s.record_digest_run(&run, now).unwrap().unwrap();
        }
        // Story 1 absorbs 2 and 3 as a new report joins it.
        let absorbing = StoryAssignment {
            absorbed: vec![2, 3],
            ..placement(ids[3], 1)
        };
        s.assign_stories(&[absorbing], now).unwrap();
        let daily = s.sent_story_sources("daily").unwrap();
        assert_eq!(
            daily.get(&1),
            Some(&2),
            "both sent stories count: {daily:?}"
        );
        let weekly = s.sent_story_sources("weekly").unwrap();
        assert_eq!(
            weekly.get(&1),
            Some(&1),
            "story 3 was sent as part of 1: {weekly:?}"
        );
    }
}
