//! Use case: put every not-yet-clustered item into a story. A [`Placer`] rebuilds the
//! clusterer from the store's window (so operator corrections made by another process are
//! respected), assigns new items in order of publication and writes the decisions. It lives for
//! one fetch cycle: [`Pipeline`] runs it on its own thread while feeds are still being fetched,
//! so clustering overlaps fetching and never holds the store lock while it thinks.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};

use crate::cluster::{ClusterConfig, Clusterer, Signal};
use crate::model::ClusterItem;
use crate::refresh::RefreshReport;
use crate::store::{Store, StoredItem, StoryAssignment, lock};

/// Pending items are read and written in batches of this size, so a large backlog (the first
/// cycle over a thousand feeds) never sits in memory at once.
const BATCH: usize = 500;
/// A long backlog is clustered as a stream: every this many items, stories that ended long
/// enough before the newest item placed are forgotten.
const FORGET_EVERY: usize = 500;
/// How far (in windows) an item may lag behind the newest one placed and still meet, in
/// memory, every story it could join: feeds land in any order, each carrying days of history.
/// A later item is still placed correctly; it only costs a reload from the store.
const LATENESS: i32 = 2;

/// Stories read from the store for the clusterer to hold.
struct Load {
    /// The earliest publication time whose stories the clusterer holds once this is entered.
    needed: DateTime<Utc>,
    items: Vec<StoredItem>,
    next_id: crate::model::StoryId,
}

/// One clusterer kept across passes of one cycle, so that a stream of small passes (one per
/// fetched feed) does not rebuild the window each time.
pub struct Placer {
    config: ClusterConfig,
    now: DateTime<Utc>,
    /// The clusterer and the earliest publication time whose stories it fully holds.
    state: Option<(Clusterer, DateTime<Utc>)>,
    /// The newest publication time placed so far (capped at `now`).
    newest: Option<DateTime<Utc>>,
    since_forget: usize,
}

impl Placer {
    pub fn new(config: ClusterConfig, now: DateTime<Utc>) -> Self {
        Placer {
            config,
            now,
            state: None,
            newest: None,
            since_forget: 0,
        }
    }

    fn window(&self) -> Duration {
        Duration::hours(i64::from(self.config.window_hours))
    }

    /// What the clusterer must read from the store before placing `pending` (oldest published
    /// first): the stories those items could join that it does not hold yet (all of the window
    /// on the first pass; for a late item, only the stretch before what is held), and the next
    /// free story id.
    fn to_load(&self, store: &Store, pending: &[ClusterItem]) -> anyhow::Result<Option<Load>> {
        let Some(earliest) = pending.iter().map(|i| i.published).min() else {
            return Ok(None);
        };
        let needed = earliest.min(self.now) - self.window();
        let until = match &self.state {
            Some((_, since)) if *since <= needed => None,
            Some((_, since)) => Some(*since),
            None => Some(DateTime::<Utc>::MAX_UTC),
        };
        let items = match until {
            Some(until) => store.clustered_items_between(needed, until)?,
            None => vec![],
        };
        Ok(Some(Load {
            needed,
            items,
            next_id: store.max_story_id()? + 1,
        }))
    }

    /// Enters what [`Placer::to_load`] read (CPU work: needs no store).
    fn absorb(&mut self, load: Option<Load>) {
        let Some(load) = load else { return };
        let (clusterer, since) = self.state.get_or_insert_with(|| {
            (
                Clusterer::new(self.config.clone(), load.next_id),
                load.needed,
            )
        });
        // Items already held (the window of an earlier pass) are never restored twice. A
        // story holding an item an operator placed never takes part in an automatic merge.
        for item in &load.items {
            if let Some(story) = item.story_id
                && clusterer.story_of(item.id).is_none()
            {
                clusterer.restore(&item.to_cluster_item(), story);
                if item.pinned {
                    clusterer.freeze(story);
                }
            }
        }
        *since = (*since).min(load.needed);
        clusterer.reserve_ids_from(load.next_id);
    }

    /// Decides where each of `pending` goes (after [`Placer::absorb`]); pure CPU work.
    fn decide(&mut self, pending: &[ClusterItem]) -> Vec<StoryAssignment> {
        let window = self.window();
        let Some((clusterer, held)) = &mut self.state else {
            return vec![];
        };
        let mut decisions = Vec::with_capacity(pending.len());
        for item in pending {
            let published = item.published.min(self.now);
            let newest = self.newest.map_or(published, |n| n.max(published));
            self.newest = Some(newest);
            self.since_forget += 1;
            if self.since_forget >= FORGET_EVERY {
                self.since_forget = 0;
                let cutoff = newest - window * (1 + LATENESS);
                if cutoff > *held {
                    clusterer.forget_before(cutoff);
                    *held = cutoff;
                }
            }
            let d = clusterer.assign(item);
            if d.signal == Signal::AlreadyAssigned {
                // Placed before (handed over and also read back pending): nothing to write.
                continue;
            }
            decisions.push(StoryAssignment {
                note: d.to_string(),
                item: item.id,
                story: d.story,
                signal: serde_json::to_value(d.signal)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                score: f64::from(d.score),
                matched: d.matched,
                absorbed: d.absorbed,
            });
        }
        decisions
    }

    /// Places everything pending now, in batches of [`BATCH`] oldest published first. The
    /// store lock is taken to read and to write, never while clustering, so fetches keep
    /// storing items meanwhile (those are handed over, or found by the next call).
    pub fn place_pending(&mut self, store: &Mutex<Store>) -> anyhow::Result<usize> {
        let ids = lock(store).unclustered_ids()?;
        let mut total = 0;
        for chunk in ids.chunks(BATCH) {
            let (items, load) = {
                let store = lock(store);
                let items: Vec<ClusterItem> = store
                    .unclustered_among(chunk)?
                    .iter()
                    .map(StoredItem::to_cluster_item)
                    .collect();
                let load = self.to_load(&store, &items)?;
                (items, load)
            };
            total += self.place_loaded(store, &items, load)?;
        }
        Ok(total)
    }

    /// Places items just stored (handed over by the refresh that stored them, so they are
    /// not read back); the store lock is taken only to read the window and to write.
    pub fn place_items(
        &mut self,
        store: &Mutex<Store>,
        mut items: Vec<ClusterItem>,
    ) -> anyhow::Result<usize> {
        items.sort_by_key(|i| (i.published, i.id));
        let load = self.to_load(&lock(store), &items)?;
        self.place_loaded(store, &items, load)
    }

    /// Enters what [`Placer::to_load`] read, places `items` and writes the decisions; the
    /// store lock is taken only to write. Returns how many were written.
    fn place_loaded(
        &mut self,
        store: &Mutex<Store>,
        items: &[ClusterItem],
        load: Option<Load>,
    ) -> anyhow::Result<usize> {
        // Features of the window's items are computed without the lock.
        self.absorb(load);
        let decisions = self.decide(items);
        lock(store).assign_stories(&decisions, self.now)?;
        Ok(decisions.len())
    }
}

/// How many feeds' items may wait for the clustering thread (about 500 items). On an idle
/// machine a cold 1,000-feed cycle took 5.8-6.2 s with 16, 6.4-7.9 s with 4 and 5.3-6.4 s with
/// 32, for a peak RSS of 44.2, 43.0 and 45.1-45.7 MiB.
const QUEUED_FEEDS: usize = 16;

/// Clustering beside a fetch cycle: a thread that places the items each feed stored as they
/// are handed over, in the order feeds finish. Items are handed over in memory, not read back:
/// placing them right after they were written also finds their rows still in SQLite's page
/// cache. Anything pending in the store (left by an interrupted cycle, or stored without being
/// handed over) is placed at the start and once more when the cycle ends.
pub struct Pipeline {
    hand_over: mpsc::SyncSender<(Option<u64>, Vec<ClusterItem>)>,
    worker: JoinHandle<anyhow::Result<usize>>,
}

impl Pipeline {
    pub fn start(store: Arc<Mutex<Store>>, config: ClusterConfig, now: DateTime<Utc>) -> Self {
        let (hand_over, handed) = mpsc::sync_channel(QUEUED_FEEDS);
        let worker = std::thread::Builder::new()
            .name("aiwire-cluster".into())
            .spawn(move || {
                let mut placer = Placer::new(config, now);
                let mut total = placer.place_pending(&store)?;
                while let Ok(first) = handed.recv() {
                    let mut chunks: Vec<(Option<u64>, Vec<ClusterItem>)> = vec![first];
                    chunks.extend(handed.try_iter());
                    // Handed-over items may still sit in the refreshes' open group commit:
                    // commit it before placing them. Items of a group commit that was lost
                    // do not exist (their ids may name other items by now): never place them.
                    let items: Vec<ClusterItem> = {
                        let mut store = lock(&store);
                        if let Err(e) = store.commit_batch() {
                            tracing::error!(error = %format!("{e:#}"), "storing new items failed");
                        }
                        chunks
                            .into_iter()
                            .filter(|(batch, _)| !batch.is_some_and(|b| store.batch_lost(b)))
                            .flat_map(|(_, items)| items)
                            .collect()
                    };
                    total += placer.place_items(&store, items)?;
                }
                // The cycle is over (every sender dropped): anything not handed over.
                Ok(total + placer.place_pending(&store)?)
            })
            .expect("spawning a thread");
        Pipeline { hand_over, worker }
    }

    /// Gives the worker the items a refresh stored (see [`RefreshReport::stored`]). Blocks
    /// while the worker is [`QUEUED_FEEDS`] feeds behind: the cycle then stores no faster than
    /// it clusters, instead of queueing the whole backlog in memory (a cold cycle over a
    /// thousand feeds stores 30,000 items several seconds before they are all placed).
    /// In async code, call it inside `tokio::task::block_in_place`.
    pub fn take_from(&self, report: &mut RefreshReport) {
        let items = std::mem::take(&mut report.stored);
        if !items.is_empty() {
            let _ = self.hand_over.send((report.stored_in, items));
        }
    }

    /// Waits until every item stored so far is placed; returns how many this pipeline placed.
    pub fn finish(self) -> anyhow::Result<usize> {
        drop(self.hand_over);
        match self.worker.join() {
            Ok(placed) => placed.context("placing new items into stories"),
            Err(_) => anyhow::bail!("the clustering thread panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FeedConfig;
    use crate::model::{ParsedEntry, Tags};

    #[test]
    fn a_backlog_larger_than_a_batch_is_placed_completely() {
        let mut store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let feed = FeedConfig::new("https://a.example/feed", Some("A".into()));
        let id = store.sync_feeds(&[feed], now).unwrap()[0].id;
        let entries: Vec<(ParsedEntry, Tags)> = (0..BATCH + 37)
            .map(|n| {
                let e = ParsedEntry {
                    title: format!("Distinct headline number {n} about topic {}", n * 7919),
                    published: now - chrono::Duration::minutes(n as i64),
                    ..crate::store::testing::entry(&format!("k{n}"))
                };
                (e, Tags::default())
            })
            .collect();
        store.insert_items(id, &entries, now).unwrap();
        let store = Mutex::new(store);
        let mut placer = Placer::new(ClusterConfig::default(), now);
        assert_eq!(placer.place_pending(&store).unwrap(), BATCH + 37);
        assert!(lock(&store).unclustered_items().unwrap().is_empty());
        assert_eq!(placer.place_pending(&store).unwrap(), 0);
    }
}

#[cfg(test)]
mod placer_tests {
    use super::*;
    use crate::config::FeedConfig;
    use crate::model::{ParsedEntry, Tags};

    /// A store with one feed, and a way to add items to it.
    fn store_with_feed(now: DateTime<Utc>) -> (Arc<Mutex<Store>>, i64) {
        let mut store = Store::open_in_memory().unwrap();
        let feed = FeedConfig::new("https://a.example/feed", Some("A".into()));
        let id = store.sync_feeds(&[feed], now).unwrap()[0].id;
        (Arc::new(Mutex::new(store)), id)
    }

    fn add(
        store: &Mutex<Store>,
        feed: i64,
        items: &[(&str, String, DateTime<Utc>)],
    ) -> Vec<ClusterItem> {
        let entries: Vec<(ParsedEntry, Tags)> = items
            .iter()
            .map(|(key, title, published)| {
                let e = ParsedEntry {
                    title: title.clone(),
                    summary: title.clone(),
                    published: *published,
                    ..crate::store::testing::entry(key)
                };
                (e, Tags::default())
            })
            .collect();
        lock(store)
            .insert_new_items(feed, "A", &entries, Utc::now())
            .unwrap()
    }

    fn story_of(store: &Mutex<Store>, key: &str) -> i64 {
        let store = lock(store);
        let item = store
            .items_of_stories(&(1..=store.max_story_id().unwrap()).collect::<Vec<_>>())
            .unwrap()
            .into_iter()
            .find(|i| i.key == key)
            .unwrap();
        item.story_id.unwrap()
    }

    const MAI: &str = "Microsoft trains MAI-1, a 500-billion-parameter model to rival OpenAI";

    #[test]
    fn an_item_arriving_after_its_story_was_forgotten_still_joins_it() {
        let now = Utc::now();
        let (store, feed) = store_with_feed(now);
        let mut placer = Placer::new(ClusterConfig::default(), now);
        let early = now - Duration::days(20);
        add(&store, feed, &[("mai-1", MAI.to_string(), early)]);
        assert_eq!(placer.place_pending(&store).unwrap(), 1);
        // Enough later items to make the placer forget the early story.
        let later: Vec<_> = (0..FORGET_EVERY + 5)
            .map(|n| {
                let title = format!("Unrelated report {n} on topic {}", n * 7919);
                (
                    format!("later-{n}"),
                    title,
                    now - Duration::minutes(n as i64),
                )
            })
            .collect();
        let later: Vec<_> = later
            .iter()
            .map(|(k, t, p)| (k.as_str(), t.clone(), *p))
            .collect();
        add(&store, feed, &later);
        placer.place_pending(&store).unwrap();
        assert!(placer.state.as_ref().unwrap().0.story_of(1).is_none());
        // A late report of the early event, from a feed fetched last.
        add(
            &store,
            feed,
            &[("mai-2", MAI.to_string(), early + Duration::hours(2))],
        );
        assert_eq!(placer.place_pending(&store).unwrap(), 1);
        assert_eq!(story_of(&store, "mai-2"), story_of(&store, "mai-1"));
    }

    #[test]
    fn the_pipeline_places_what_is_handed_over_left_pending_or_stored_unannounced() {
        let now = Utc::now();
        let (store, feed) = store_with_feed(now);
        // Left pending by an interrupted cycle: placed when the pipeline starts.
        add(
            &store,
            feed,
            &[("z", MAI.to_string(), now - Duration::hours(2))],
        );
        let pipeline = Pipeline::start(store.clone(), ClusterConfig::default(), now);
        let mut report = RefreshReport {
            feed: "A".into(),
            result: crate::refresh::RefreshResult::New(1),
            stored: add(&store, feed, &[("a", MAI.to_string(), now)]),
            stored_in: None,
        };
        pipeline.take_from(&mut report);
        assert!(report.stored.is_empty(), "the pipeline takes the items");
        // Stored without being handed over: placed when the cycle ends.
        add(
            &store,
            feed,
            &[
                ("b", MAI.to_string(), now - Duration::hours(1)),
                ("c", "Nvidia ships a new chip".to_string(), now),
            ],
        );
        // Each item counted once, whichever way it reached the pipeline (the start-up sweep
        // may also have read "a" back before it was handed over).
        assert_eq!(pipeline.finish().unwrap(), 4);
        assert!(lock(&store).unclustered_items().unwrap().is_empty());
        assert_eq!(story_of(&store, "a"), story_of(&store, "b"));
        assert_eq!(story_of(&store, "a"), story_of(&store, "z"));
        assert_ne!(story_of(&store, "a"), story_of(&store, "c"));
    }

    #[test]
    fn items_of_a_lost_group_commit_are_never_placed() {
        let now = Utc::now();
        let (store, feed) = store_with_feed(now);
        add(&store, feed, &[("z", MAI.to_string(), now)]);
        Placer::new(ClusterConfig::default(), now)
            .place_pending(&store)
            .unwrap();
        let pipeline = Pipeline::start(store.clone(), ClusterConfig::default(), now);
        // Once this is placed, the worker has finished its start-up sweep and waits.
        let mut warm_up = RefreshReport {
            feed: "A".into(),
            result: crate::refresh::RefreshResult::New(1),
            stored: add(&store, feed, &[("w", "Apple opens a store".into(), now)]),
            stored_in: None,
        };
        pipeline.take_from(&mut warm_up);
        while !lock(&store).unclustered_items().unwrap().is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let phantom = {
            let mut s = lock(&store);
            let entry = ParsedEntry {
                title: MAI.to_string(),
                summary: MAI.to_string(),
                published: now,
                ..crate::store::testing::entry("x")
            };
            let stored = s
                .in_batch(|s| s.insert_new_items(feed, "A", &[(entry, Tags::default())], now))
                .unwrap();
            let batch = s.open_batch();
            s.end_turn(true).unwrap();
            crate::store::testing::fail_batch_commit(&mut s);
            (stored, batch)
        };
        // The rolled-back id is given to an unrelated item.
        let real = add(
            &store,
            feed,
            &[("y", "Nvidia ships a new chip".into(), now)],
        );
        assert_eq!(real[0].id, phantom.0[0].id);
        let mut report = RefreshReport {
            feed: "A".into(),
            result: crate::refresh::RefreshResult::New(1),
            stored: phantom.0,
            stored_in: phantom.1,
        };
        pipeline.take_from(&mut report);
        assert_eq!(pipeline.finish().unwrap(), 2);
        assert!(lock(&store).unclustered_items().unwrap().is_empty());
        assert_ne!(
            story_of(&store, "y"),
            story_of(&store, "z"),
            "y was placed as the MAI-1 report whose id it inherited"
        );
    }
}
