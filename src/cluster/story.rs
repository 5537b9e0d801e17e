//! The clusterer's memory: remembered items (features, signature, keys) and stories (members,
//! time span, centroid of member vectors).

use std::cell::Cell;

use chrono::{DateTime, Utc};

use super::index::DetMap;
use super::minhash::Signature;
use super::text::{Lang, is_name};
use crate::model::{ItemId, StoryId};

/// How many of a story's most recent members keep their feature vectors (for explanations).
/// Older members live on in the centroid only: a large story would otherwise hold a few
/// hundred bytes per member that nothing reads.
pub const KEEP_TERMS: usize = 16;

/// Stories up to this size recompute their weighted length exactly after each change.
const EXACT_NORM_MAX_ITEMS: usize = 32;

/// One remembered item.
#[derive(Debug)]
pub struct Entry {
    pub story: StoryId,
    pub published: DateTime<Utc>,
    /// Features scaled to unit length (for centroids; their ids feed the document
    /// frequencies), sorted by hash. Emptied once the item is no longer among its story's
    /// [`KEEP_TERMS`] most recent members: the story's centroid already holds them, and only
    /// the recent members are compared to explain a decision. A correction that takes such an
    /// item out of its story recomputes them from the item's text.
    pub unit_terms: Box<[(u64, f32)]>,
    pub signature: Option<Signature>,
    /// Hashes of the canonical link and the GUID.
    pub link: Option<u64>,
    pub guid: Option<u64>,
    pub title_key: Option<u64>,
    pub language: Lang,
    /// The item's words as name features ([`super::text::Features::mentions`]); needed only
    /// to decide where the item goes, and dropped once it is remembered.
    pub mentions: Box<[u64]>,
}

/// One story within the window.
#[derive(Debug)]
pub struct Story {
    pub items: Vec<ItemId>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// Sum of member unit vectors (before IDF).
    pub centroid: DetMap<u64, f32>,
    pub n_german: u32,
    pub n_other: u32,
    /// Holds an item an operator placed: never merged automatically.
    pub frozen: bool,
    /// For each proper name, how many members mention it (see [`Story::misses_core_name`]).
    pub name_members: DetMap<u64, u32>,
    /// The names every member mentions, sorted: kept as members come (the core can only
    /// shrink then) and recounted when one leaves, so a decision reads a handful of names
    /// rather than every name of a large story.
    pub core_names: Vec<u64>,
    /// IDF-weighted centroid length and the story count of its last full computation.
    norm_cache: Cell<Option<(f32, u32)>>,
}

impl Story {
    pub fn new(published: DateTime<Utc>) -> Story {
        Story {
            items: Vec::new(),
            first: published,
            last: published,
            centroid: DetMap::default(),
            n_german: 0,
            n_other: 0,
            frozen: false,
            name_members: DetMap::default(),
            core_names: Vec::new(),
            norm_cache: Cell::new(None),
        }
    }

    /// Adds a member; returns the features that are new to the story. The cached weighted
    /// length is updated for the member's features only, at the current IDF.
    pub fn add(&mut self, id: ItemId, entry: &Entry, idf: impl Fn(u64) -> f32) -> Vec<u64> {
        if self.items.is_empty() {
            self.first = entry.published;
            self.last = entry.published;
        }
        self.items.push(id);
        self.first = self.first.min(entry.published);
        self.last = self.last.max(entry.published);
        match entry.language {
            Lang::De => self.n_german += 1,
            Lang::En => self.n_other += 1,
        }
        for &(t, _) in entry.unit_terms.iter().filter(|t| is_name(t.0)) {
            *self.name_members.entry(t).or_default() += 1;
        }
        if self.items.len() == 1 {
            let names = entry.unit_terms.iter().map(|t| t.0).filter(|&t| is_name(t));
            self.core_names = names.collect();
        } else {
            let has = |c: &u64| entry.unit_terms.binary_search_by_key(c, |t| t.0).is_ok();
            self.core_names.retain(has);
        }
        let mut fresh = Vec::new();
        let mut delta = 0.0;
        for &(t, w) in &entry.unit_terms {
            let slot = self.centroid.entry(t).or_insert_with(|| {
                fresh.push(t);
                0.0
            });
            let old = *slot;
            *slot += w;
            let i = idf(t);
            delta += (*slot * *slot - old * old) * i * i;
        }
        self.shift_norm(delta);
        fresh
    }

    fn shift_norm(&mut self, delta_sq: f32) {
        // Small stories are cheap to recompute exactly, and their decisions are the most
        // sensitive to the length; large ones take the incremental update.
        if self.items.len() <= EXACT_NORM_MAX_ITEMS {
            self.norm_cache.set(None);
        } else if let Some((norm, at)) = self.norm_cache.get() {
            let sq = (norm * norm + delta_sq).max(0.0);
            self.norm_cache.set(Some((sq.sqrt(), at)));
        }
    }

    /// Removes a member; returns the features the story no longer has. The caller fixes the
    /// time span with [`Story::set_span`].
    pub fn remove(&mut self, id: ItemId, entry: &Entry, idf: impl Fn(u64) -> f32) -> Vec<u64> {
        self.items.retain(|&i| i != id);
        match entry.language {
            Lang::De => self.n_german = self.n_german.saturating_sub(1),
            Lang::En => self.n_other = self.n_other.saturating_sub(1),
        }
        for (t, _) in entry.unit_terms.iter().filter(|t| is_name(t.0)) {
            if let Some(n) = self.name_members.get_mut(t) {
                *n -= 1;
                if *n == 0 {
                    self.name_members.remove(t);
                }
            }
        }
        self.recount_core_names();
        let mut gone = Vec::new();
        let mut delta = 0.0;
        for &(t, w) in &entry.unit_terms {
            if let Some(slot) = self.centroid.get_mut(&t) {
                let old = *slot;
                *slot -= w;
                let new = if *slot <= 1e-4 { 0.0 } else { *slot };
                let i = idf(t);
                delta += (new * new - old * old) * i * i;
                if new == 0.0 {
                    self.centroid.remove(&t);
                    gone.push(t);
                }
            }
        }
        self.shift_norm(delta);
        gone
    }

    /// Takes every member of `other` (an operator or automatic merge), summing the
    /// centroids; returns the features that are new to this story.
    pub fn absorb(&mut self, other: Story) -> Vec<u64> {
        if self.items.is_empty() {
            self.first = other.first;
            self.last = other.last;
        }
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.items.extend(other.items);
        self.n_german += other.n_german;
        self.n_other += other.n_other;
        self.frozen |= other.frozen;
        for (t, n) in other.name_members {
            *self.name_members.entry(t).or_default() += n;
        }
        self.recount_core_names();
        let mut fresh = Vec::new();
        for (t, w) in other.centroid {
            *self.centroid.entry(t).or_insert_with(|| {
                fresh.push(t);
                0.0
            }) += w;
        }
        self.norm_cache.set(None);
        fresh
    }

    pub fn set_span(&mut self, first: DateTime<Utc>, last: DateTime<Utc>) {
        self.first = first;
        self.last = last;
    }

    /// Whether a report whose words are `mentions` (sorted) leaves out a proper name that
    /// every member of this story mentions: the story's core participants (the arrested
    /// player, the boxer's opponent, the nominee), which nearly every report of one event
    /// names and a report of a look-alike event (another arrest, another fight) usually
    /// does not. Needs two members: one report alone does not tell its core from its
    /// details. Costs one lookup per core name.
    pub fn misses_core_name(&self, mentions: &[u64]) -> bool {
        self.items.len() >= 2
            && self
                .core_names
                .iter()
                .any(|c| mentions.binary_search(c).is_err())
    }

    fn recount_core_names(&mut self) {
        let members = self.items.len() as u32;
        let core = self.name_members.iter().filter(|&(_, &n)| n >= members);
        self.core_names = core.map(|(&t, _)| t).collect();
        self.core_names.sort_unstable();
    }

    pub fn has_language(&self, lang: Lang) -> bool {
        match lang {
            Lang::De => self.n_german > 0,
            Lang::En => self.n_other > 0,
        }
    }

    /// Length of the IDF-weighted centroid. Member changes update it incrementally; it is
    /// recomputed in full when the story count (and so every IDF) drifted by more than 5 %
    /// since the last full computation.
    pub fn weighted_norm(&self, n_stories: u32, idf: impl Fn(u64) -> f32) -> f32 {
        if let Some((norm, at)) = self.norm_cache.get()
            && n_stories <= at + at / 20
            && n_stories + n_stories / 20 >= at
        {
            return norm;
        }
        let norm = self
            .centroid
            .iter()
            .map(|(&t, &w)| {
                let x = w * idf(t);
                x * x
            })
            .sum::<f32>()
            .sqrt();
        self.norm_cache.set(Some((norm, n_stories)));
        norm
    }
}
