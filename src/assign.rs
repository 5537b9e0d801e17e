//! Use case: put every not-yet-clustered item into a story. Rebuilds the clusterer from the
//! store's window (so operator corrections made by another process are respected), then
//! assigns new items in order of publication and writes the decisions.

use chrono::{DateTime, Utc};

use crate::cluster::{ClusterConfig, Clusterer};
use crate::store::{Store, StoryAssignment};

/// Clusters the pending items; returns how many were assigned.
pub fn assign_pending(
    store: &mut Store,
    config: &ClusterConfig,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let pending = store.unclustered_items()?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut clusterer = Clusterer::new(config.clone(), store.max_story_id()? + 1);
    let earliest = pending.iter().map(|i| i.published).min().unwrap_or(now);
    let since = earliest.min(now) - clusterer.window();
    for item in store.clustered_items_since(since)? {
        if let Some(story) = item.story_id {
            clusterer.restore(&item.to_cluster_item(), story);
        }
    }
    let window = clusterer.window();
    let decisions: Vec<StoryAssignment> = pending
        .iter()
        .enumerate()
        .map(|(n, item)| {
            // A large backlog (a new feed with years of items) is clustered as a stream:
            // stories that ended a window before the current item can take no more reports.
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
    Ok(decisions.len())
}
