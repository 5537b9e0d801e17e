//! Builds a digest from stored items: select stories, filter, rank, pick each story's lead,
//! group into sections, and render HTML, text and JSON.
//!
//! Pure: the period, the clock, the config, what was sent before and the feed health arrive
//! as arguments; nothing here reads the clock, the disk or the database.

pub mod clean;
pub mod rank;
pub mod render;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{DigestConfig, FeedConfig};
use crate::model::StoryId;
use crate::store::StoredItem;

use clean::{MAX_LABEL, MAX_SUMMARY, MAX_TITLE, plain_text, safe_link};

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
    /// Carried by an earlier run of this digest and grown since.
    pub update: bool,
}

/// A group of stories under one heading; `stories` are story ids in rank order.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Section {
    pub title: String,
    pub stories: Vec<StoryId>,
}

/// How many reports in the digest mention a company.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mention {
    pub name: String,
    pub count: usize,
}

/// A feed that has been failing for a while, for the health footer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FeedHealth {
    pub name: String,
    pub failing_since: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// A digest as data; `--format json` prints exactly this.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Digest {
    pub digest: String,
    pub generated_at: DateTime<Utc>,
    pub period: Period,
    pub stories: Vec<DigestStory>,
    pub sections: Vec<Section>,
    pub item_count: usize,
    pub feed_count: usize,
    pub mentions: Vec<Mention>,
    pub failing_feeds: Vec<FeedHealth>,
}

/// Everything a digest is built from besides its definition, period and clock.
#[derive(Debug, Clone, Copy)]
pub struct DigestInput<'a> {
    /// All items of the candidate stories (any age, any first-seen time).
    pub items: &'a [StoredItem],
    pub feeds: &'a [FeedConfig],
    /// Stories this digest carried before, with their source count then. Empty for previews
    /// of an explicit span.
    pub already_sent: &'a HashMap<StoryId, i64>,
    /// Feeds failing for longer than the definition's `feed_health_after`.
    pub failing_feeds: &'a [FeedHealth],
}

/// Builds a digest. A story is a candidate when one of its items was first seen in the period
/// and published within `max_age` before `now`; filters, the already-sent rule and
/// `max_stories` then apply, in that order.
pub fn build(
    def: &DigestConfig,
    input: DigestInput<'_>,
    period: Period,
    now: DateTime<Utc>,
) -> Digest {
    let mut by_story: BTreeMap<StoryId, Vec<&StoredItem>> = BTreeMap::new();
    for item in input.items {
        if let Some(s) = item.story_id {
            by_story.entry(s).or_default().push(item);
        }
    }
    let oldest = now - def.max_age.as_chrono();
    let weights = rank::Weights::new(input.feeds);
    let mut ranked: Vec<(f64, DigestStory)> = Vec::new();
    for (story_id, items) in by_story {
        let fresh = items.iter().any(|i| {
            i.first_seen > period.from && i.first_seen <= period.to && i.published >= oldest
        });
        if !fresh {
            continue;
        }
        let items: Vec<&StoredItem> = items.into_iter().filter(|i| item_passes(def, i)).collect();
        if items.is_empty() || !story_passes(def, &items) {
            continue;
        }
        let items = rank::lead_first(items, &weights);
        let source_count = items
            .iter()
            .map(|i| i.source.as_str())
            .collect::<HashSet<_>>()
            .len();
        let update = match input.already_sent.get(&story_id) {
            None => false,
            Some(&before) if source_count as i64 >= before + def.update_min_new_sources as i64 => {
                true
            }
            Some(_) => continue,
        };
        let score = rank::score(&items, &weights, now);
        ranked.push((score, story_view(story_id, &items, source_count, update)));
    }
    ranked.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(b.1.published.cmp(&a.1.published))
            .then(a.1.story_id.cmp(&b.1.story_id))
    });
    ranked.truncate(def.max_stories);
    let stories: Vec<DigestStory> = ranked.into_iter().map(|(_, s)| s).collect();
    let item_count = stories.iter().map(|s| s.items.len()).sum();
    let feed_count = stories
        .iter()
        .flat_map(|s| s.items.iter().map(|i| i.source.as_str()))
        .collect::<HashSet<_>>()
        .len();
    let mentions = mentions(&stories);
    let sections = sections(def, &stories, &mentions);
    Digest {
        digest: def.name.clone(),
        generated_at: now,
        period,
        stories,
        sections,
        item_count,
        feed_count,
        mentions,
        failing_feeds: input.failing_feeds.to_vec(),
    }
}

fn eq_any(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(value))
}

/// Item-level filters: feeds and languages.
fn item_passes(def: &DigestConfig, item: &StoredItem) -> bool {
    let f = &def.filter;
    let feed_named = |list: &[String]| eq_any(list, &item.source) || eq_any(list, &item.feed_url);
    if !f.include_feeds.is_empty() && !feed_named(&f.include_feeds) {
        return false;
    }
    if feed_named(&f.exclude_feeds) {
        return false;
    }
    match &item.language {
        Some(lang) if !f.languages.is_empty() => f.languages.iter().any(|l| {
            lang.eq_ignore_ascii_case(l)
                || lang
                    .to_ascii_lowercase()
                    .starts_with(&format!("{}-", l.to_ascii_lowercase()))
        }),
        _ => true,
    }
}

/// Story-level filters: entities, AI topic, number of sources.
fn story_passes(def: &DigestConfig, items: &[&StoredItem]) -> bool {
    let f = &def.filter;
    let has = |pick: Pick, list: &[String]| {
        items
            .iter()
            .any(|i| pick(i).iter().any(|t| eq_any(list, t)))
    };
    type Pick = fn(&StoredItem) -> &Vec<String>;
    let checks: [(Pick, &Vec<String>, &Vec<String>); 3] = [
        (
            |i| &i.tags.companies,
            &f.include_companies,
            &f.exclude_companies,
        ),
        (|i| &i.tags.models, &f.include_models, &f.exclude_models),
        (|i| &i.tags.people, &f.include_people, &f.exclude_people),
    ];
    for (pick, include, exclude) in checks {
        if !include.is_empty() && !has(pick, include) {
            return false;
        }
        if has(pick, exclude) {
            return false;
        }
    }
    if f.ai_only && !items.iter().any(|i| i.ai_topic || !i.tags.is_empty()) {
        return false;
    }
    let sources: HashSet<&str> = items.iter().map(|i| i.source.as_str()).collect();
    sources.len() >= f.min_sources
}

/// The story as shown: the lead item's cleaned fields, merged tags, every report.
fn story_view(
    story_id: StoryId,
    items: &[&StoredItem],
    source_count: usize,
    update: bool,
) -> DigestStory {
    let lead = items[0];
    let companies = merged_tags(items, |i| &i.tags.companies);
    let models = merged_tags(items, |i| &i.tags.models);
    let people = merged_tags(items, |i| &i.tags.people);
    let summary = items
        .iter()
        .map(|i| plain_text(&i.summary, MAX_SUMMARY))
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    DigestStory {
        story_id,
        title: plain_text(&lead.title, MAX_TITLE),
        link: safe_link(lead.link.as_deref()),
        source: plain_text(&lead.source, MAX_LABEL),
        published: lead.published,
        summary,
        companies,
        models,
        people,
        items: items
            .iter()
            .map(|i| DigestItem {
                item_id: i.id,
                title: plain_text(&i.title, MAX_TITLE),
                link: safe_link(i.link.as_deref()),
                source: plain_text(&i.source, MAX_LABEL),
                published: i.published,
                language: i.language.as_deref().map(|l| plain_text(l, 16)),
            })
            .collect(),
        source_count,
        update,
    }
}

/// The story's tags of one kind, cleaned, most-reported first (ties by name), so the chip
/// that most outlets agree on comes first.
fn merged_tags(items: &[&StoredItem], pick: fn(&StoredItem) -> &Vec<String>) -> Vec<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for i in items {
        for t in pick(i) {
            let t = plain_text(t, MAX_LABEL);
            if t.is_empty() {
                continue;
            }
            match counts.iter_mut().find(|(name, _)| *name == t) {
                Some((_, n)) => *n += 1,
                None => counts.push((t, 1)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts.into_iter().map(|(name, _)| name).collect()
}

/// Reports per company across the digest's stories, most mentioned first.
fn mentions(stories: &[DigestStory]) -> Vec<Mention> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in stories {
        for c in &s.companies {
            *counts.entry(c.as_str()).or_default() += s.items.len();
        }
    }
    let mut out: Vec<Mention> = counts
        .into_iter()
        .map(|(name, count)| Mention {
            name: name.to_string(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    out
}

/// "Top stories", then (when configured) one section per company in mention order for the
/// stories not already shown, then "More stories" for the rest. Each story appears once.
fn sections(def: &DigestConfig, stories: &[DigestStory], mentions: &[Mention]) -> Vec<Section> {
    let ids = |v: &[&DigestStory]| v.iter().map(|s| s.story_id).collect::<Vec<_>>();
    if !def.company_sections || stories.len() <= def.top_stories {
        return vec![Section {
            title: "Top stories".into(),
            stories: stories.iter().map(|s| s.story_id).collect(),
        }];
    }
    let (top, rest) = stories.split_at(def.top_stories);
    let mut out = vec![Section {
        title: "Top stories".into(),
        stories: ids(&top.iter().collect::<Vec<_>>()),
    }];
    let mut placed: HashSet<StoryId> = HashSet::new();
    for m in mentions {
        let group: Vec<&DigestStory> = rest
            .iter()
            .filter(|s| !placed.contains(&s.story_id) && s.companies.contains(&m.name))
            .collect();
        if group.is_empty() {
            continue;
        }
        placed.extend(group.iter().map(|s| s.story_id));
        out.push(Section {
            title: m.name.clone(),
            stories: ids(&group),
        });
    }
    let others: Vec<&DigestStory> = rest
        .iter()
        .filter(|s| !placed.contains(&s.story_id))
        .collect();
    if !others.is_empty() {
        out.push(Section {
            title: "More stories".into(),
            stories: ids(&others),
        });
    }
    out
}

#[cfg(test)]
mod tests;
