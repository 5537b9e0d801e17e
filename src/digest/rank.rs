//! Ranking: how much a story matters (weighted distinct sources, recency) and which report
//! leads it (the best source's original reporting, not an aggregator's pointer or a copy).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::config::FeedConfig;
use crate::store::StoredItem;

/// Per-source weights from the config (`[[feed]] weight`, 1.0 when unset).
#[derive(Debug, Clone, Default)]
pub struct Weights {
    by_url: HashMap<String, f64>,
    by_name: HashMap<String, f64>,
}

impl Weights {
    pub fn new(feeds: &[FeedConfig]) -> Weights {
        let mut w = Weights::default();
        for f in feeds {
            w.by_url.insert(f.url.clone(), f.weight);
            if let Some(n) = &f.name {
                w.by_name.insert(n.to_lowercase(), f.weight);
            }
        }
        w
    }

    /// The weight of an item's feed: by URL, else by display name (the fetch URL can differ
    /// from the configured one after a permanent redirect).
    pub fn of(&self, item: &StoredItem) -> f64 {
        self.by_url
            .get(&item.feed_url)
            .or_else(|| self.by_name.get(&item.source.to_lowercase()))
            .copied()
            .unwrap_or(1.0)
    }
}

/// True when another feed published the same link earlier: this item points at (or
/// syndicates) someone else's reporting.
fn is_copy(item: &StoredItem, story: &[&StoredItem]) -> bool {
    let link = |i: &StoredItem| i.canonical_link.clone().or_else(|| i.link.clone());
    let Some(own) = link(item) else {
        return false;
    };
    story.iter().any(|other| {
        other.feed_id != item.feed_id
            && link(other).as_deref() == Some(own.as_str())
            && (other.published, other.id) < (item.published, item.id)
    })
}

/// Orders a story's items lead first: heavier source, then original over copy, then earlier.
pub fn lead_first<'a>(items: Vec<&'a StoredItem>, weights: &Weights) -> Vec<&'a StoredItem> {
    let mut keyed: Vec<(f64, bool, &StoredItem)> = items
        .iter()
        .map(|i| (weights.of(i), is_copy(i, &items), *i))
        .collect();
    keyed.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.published.cmp(&b.2.published))
            .then(a.2.id.cmp(&b.2.id))
    });
    keyed.into_iter().map(|(_, _, i)| i).collect()
}

/// Coverage (sum over distinct sources of the source's weight) scaled by recency: a story
/// whose newest report is a day old keeps 87.5 % of its coverage score, a fresh one all of it.
/// Coverage dominates; recency breaks near-ties.
pub fn score(items: &[&StoredItem], weights: &Weights, now: DateTime<Utc>) -> f64 {
    let mut per_source: HashMap<&str, f64> = HashMap::new();
    for i in items {
        let w = weights.of(i);
        let e = per_source.entry(i.source.as_str()).or_insert(0.0);
        *e = e.max(w);
    }
    let coverage: f64 = per_source.values().sum();
    let newest = items.iter().map(|i| i.published).max().unwrap_or(now);
    let age_hours = ((now - newest).num_minutes().max(0) as f64) / 60.0;
    coverage * (0.75 + 0.25 * 0.5f64.powf(age_hours / 24.0))
}
