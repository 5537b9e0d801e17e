//! Builds a digest from stored items: select stories, rank them, and render HTML, text and
//! JSON. Pure: the period, the clock and the config arrive as arguments.

pub mod render;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{DigestConfig, FeedConfig};
use crate::model::StoryId;
use crate::store::StoredItem;

/// The period a digest covers.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// One report of a story, as listed under "also reported by".
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DigestItem {
    pub item_id: i64,
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub published: DateTime<Utc>,
    pub language: Option<String>,
}

/// One story of a digest; the lead item's fields come first.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DigestStory {
    pub story_id: StoryId,
    pub title: String,
    pub link: Option<String>,
    pub source: String,
    pub published: DateTime<Utc>,
    pub summary: String,
    pub companies: Vec<String>,
    pub models: Vec<String>,
    pub people: Vec<String>,
    /// Every report of the story, lead first.
    pub items: Vec<DigestItem>,
    /// Distinct sources that reported it.
    pub source_count: usize,
}

/// A digest as data; `--format json` prints exactly this.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Digest {
    pub digest: String,
    pub generated_at: DateTime<Utc>,
    pub period: Period,
    pub stories: Vec<DigestStory>,
    pub item_count: usize,
    pub feed_count: usize,
}

/// Builds a digest from the items of the candidate stories (all items of each story, any age).
/// Stories need at least one item first seen in the period and published within `max_age`.
pub fn build(
    def: &DigestConfig,
    story_items: &[StoredItem],
    feeds: &[FeedConfig],
    period: Period,
    now: DateTime<Utc>,
) -> Digest {
    let mut by_story: BTreeMap<StoryId, Vec<&StoredItem>> = BTreeMap::new();
    for item in story_items {
        if let Some(s) = item.story_id {
            by_story.entry(s).or_default().push(item);
        }
    }
    let oldest = now - def.max_age.as_chrono();
    let weight = |feed_url: &str| {
        feeds
            .iter()
            .find(|f| f.url == feed_url)
            .map_or(1.0, |f| f.weight)
    };
    let mut stories: Vec<(f64, DigestStory)> = Vec::new();
    for (story_id, mut items) in by_story {
        let fresh = items.iter().any(|i| {
            i.first_seen > period.from && i.first_seen <= period.to && i.published >= oldest
        });
        if !fresh {
            continue;
        }
        items.sort_by(|a, b| {
            weight(&b.feed_url)
                .total_cmp(&weight(&a.feed_url))
                .then(a.published.cmp(&b.published))
                .then(a.id.cmp(&b.id))
        });
        let sources: HashSet<&str> = items.iter().map(|i| i.source.as_str()).collect();
        let score: f64 = sources
            .iter()
            .map(|s| {
                items
                    .iter()
                    .find(|i| i.source == *s)
                    .map_or(1.0, |i| weight(&i.feed_url))
            })
            .sum();
        let lead = items[0];
        let mut companies = Vec::new();
        let mut models = Vec::new();
        let mut people = Vec::new();
        for i in &items {
            for (out, tags) in [
                (&mut companies, &i.tags.companies),
                (&mut models, &i.tags.models),
                (&mut people, &i.tags.people),
            ] {
                for t in tags {
                    if !out.contains(t) {
                        out.push(t.clone());
                    }
                }
            }
        }
        let story = DigestStory {
            story_id,
            title: lead.title.clone(),
            link: lead.link.clone(),
            source: lead.source.clone(),
            published: lead.published,
            summary: truncate(&lead.summary, 300),
            companies,
            models,
            people,
            items: items
                .iter()
                .map(|i| DigestItem {
                    item_id: i.id,
                    title: i.title.clone(),
                    link: i.link.clone(),
                    source: i.source.clone(),
                    published: i.published,
                    language: i.language.clone(),
                })
                .collect(),
            source_count: sources.len(),
        };
        stories.push((score, story));
    }
    stories.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.published.cmp(&a.1.published)));
    stories.truncate(def.max_stories);
    let stories: Vec<DigestStory> = stories.into_iter().map(|(_, s)| s).collect();
    let item_count = stories.iter().map(|s| s.items.len()).sum();
    let feed_count = stories
        .iter()
        .flat_map(|s| s.items.iter().map(|i| i.source.as_str()))
        .collect::<HashSet<_>>()
        .len();
    Digest {
        digest: def.name.clone(),
        generated_at: now,
        period,
        stories,
        item_count,
        feed_count,
    }
}

/// Cuts text at a word boundary to at most `max` characters, adding an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(a, _)| a);
    format!("{}…", cut.trim_end())
}
