//! Use case: put every not-yet-clustered item into a story. Rebuilds the clusterer from the
//! store's window (so operator corrections made by another process are respected), then
//! assigns new items in order of publication and writes the decisions.

use chrono::{DateTime, Utc};

use crate::cluster::{ClusterConfig, Clusterer};
use crate::store::{Store, StoryAssignment};

/// Pending items are read and written in batches of this size, so a large backlog (the first
/// cycle over a thousand feeds) never sits in memory at once.
const BATCH: usize = 2000;

/// Clusters the pending items; returns how many were assigned.
pub fn assign_pending(
    store: &mut Store,
    config: &ClusterConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut pending = store.unclustered_items_batch(BATCH)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut clusterer = Clusterer::new(config.clone(), store.max_story_id()? + 1);
    // Batches come oldest-published first, so the first one bounds the window to restore.
    let earliest = pending.iter().map(|i| i.published).min().unwrap_or(now);
    let since = earliest.min(now) - clusterer.window();
    for item in store.clustered_items_since(since)? {
        if let Some(story) = item.story_id {
            clusterer.restore(&item.to_cluster_item(), story);
        }
    }
    let window = clusterer.window();
    let mut total = 0;
    while !pending.is_empty() {
        let decisions: Vec<StoryAssignment> = pending
            .iter()
            .enumerate()
            .map(|(n, item)| {
                // A backlog spanning a long time is clustered as a stream: stories that ended
                // a window before the current item can take no more reports.
                if n % 500 == 499 {
                    clusterer.forget_before(item.published - window);
                }
                let d = clusterer.assign(&item.to_cluster_item());
                StoryAssignment {
                    note: d.to_string(),
                    item: item.id,
                    story: d.story,
                    signal: serde_json::to_value(d.signal)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    score: f64::from(d.score),
                    matched: d.matched,
                }
            })
            .collect();
        store.assign_stories(&decisions, now)?;
        total += decisions.len();
        if decisions.len() < BATCH {
            break;
        }
        let last = pending.last().map(|i| i.id);
        pending = store.unclustered_items_batch(BATCH)?;
        // Never spin on items the store refused to place (e.g. pinned meanwhile).
        if pending.first().map(|i| i.id) == last {
            break;
        }
    }
    Ok(total)
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
        let placed = assign_pending(&mut store, &ClusterConfig::default(), now).unwrap();
        assert_eq!(placed, BATCH + 37);
        assert!(store.unclustered_items().unwrap().is_empty());
        assert_eq!(
            assign_pending(&mut store, &ClusterConfig::default(), now).unwrap(),
            0
        );
    }
}
