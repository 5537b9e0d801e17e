//! Decides which story an item belongs to (pure; times and config are arguments).
//!
//! Online and incremental: [`Clusterer::assign`] decides one item against the stories in
//! memory and remembers it; history is never re-clustered. Layers, cheapest first: same GUID
//! or canonical link, near-identical text (exact title, MinHash over shingles), then event
//! similarity against each candidate story's centroid (cosine weighted by inverse story
//! frequency over stemmed English/German words, bilingual lexicon terms, numbers, model names,
//! English proper names and tagger entities), against a bar that relaxes a little as a story
//! grows and rises for a long report that leaves out a name every report of the story names
//! (the story's core participants; see [`story::Story::misses_core_name`]). Candidates come from an inverted index over the item's rarest features; the same
//! index gives the story frequencies, learned online from the stories currently remembered
//! (see [`index`]). Only a story's most recent members keep their feature vectors (see
//! [`story::KEEP_TERMS`]). An item that joins one story but also clears the bar of another,
//! smaller story whose centroid is close to its own merges the two (the older id survives;
//! never a story an operator touched): an event whose first reports split apart comes
//! together again (see [`Clusterer::merge_similar`]).

pub mod command;
mod decide;
mod index;
mod lexicon;
mod minhash;
mod story;
mod text;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{ClusterItem, ItemId, StoryId};
use decide::{MERGE_SIMILARITY, MERGE_SIZE_RATIO};
use index::{DetMap, Postings};
use minhash::Lsh;
use story::{Entry, KEEP_TERMS, Story};

/// Tuning of the clusterer; one configuration serves every data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// How far around a story's time span a new report may still join it (hours).
    pub window_hours: u32,
    /// Minimum cosine similarity between an item and a story's centroid to join it, for an
    /// item with 16 features; the bar scales with the square root of the item's feature
    /// count, because short texts share fewer features when they report the same event.
    pub similarity_threshold: f32,
    /// The same threshold when the story has no item in the item's language.
    pub cross_language_threshold: f32,
    /// Minimum estimated Jaccard similarity of word shingles for a near-duplicate.
    pub near_duplicate_similarity: f32,
    /// Score subtracted at a time gap of one full window between item and story span
    /// (linear in the gap), so that closer stories win ties.
    pub time_penalty: f32,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            window_hours: 72,
            similarity_threshold: 0.11,
            cross_language_threshold: 0.1,
            near_duplicate_similarity: 0.8,
            time_penalty: 0.5,
        }
    }
}

impl ClusterConfig {
    /// Checks what serde cannot; returns the dotted key and what was expected (the shape of
    /// the config module's errors).
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.window_hours == 0 {
            return Err(("cluster.window_hours".into(), "expected at least 1".into()));
        }
        let unit = [
            ("similarity_threshold", self.similarity_threshold),
            ("cross_language_threshold", self.cross_language_threshold),
            ("near_duplicate_similarity", self.near_duplicate_similarity),
            ("time_penalty", self.time_penalty),
        ];
        for (key, value) in unit {
            if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
                return Err((
                    format!("cluster.{key}"),
                    "expected a number from 0 to 1".into(),
                ));
            }
        }
        Ok(())
    }
}

/// Which signal decided an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Nothing matched well enough; the item starts a story.
    NewStory,
    /// Same canonical link as an item of the story.
    SameLink,
    /// Same GUID as an item of the story.
    SameGuid,
    /// Near-identical text (same title, or shingle MinHash above the threshold).
    NearDuplicate,
    /// Similar title and summary to the story as a whole.
    SimilarEvent,
    /// The item id was already remembered; its story is unchanged.
    AlreadyAssigned,
}

/// Where an item went and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub story: StoryId,
    pub signal: Signal,
    /// Similarity that decided (1.0 for links, GUIDs and identical titles; for a new story,
    /// the best rejected candidate's score, 0 when there was none). A new story's runner-up
    /// can score above its bar only when the cold-start rule held it back (fewer than 50
    /// items remembered and a single shared word, number, model name or entity).
    pub score: f32,
    /// The bar `score` was held to: the near-duplicate threshold, or the similarity
    /// threshold scaled for the item's length and the story's languages (0 for exact keys).
    pub bar: f32,
    /// Items of the story that the decision rested on (for a new story: the closest items
    /// of the best rejected story, if any).
    pub matched: Vec<ItemId>,
    /// The best rejected story, for explanations of new stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_up: Option<StoryId>,
    /// Stories merged into `story` right after the item joined it (the item cleared their
    /// bars too, and each was a fragment with a centroid close to the story's); their
    /// members now belong to `story`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub absorbed: Vec<StoryId>,
    /// `bar` was raised because the item does not mention a name every report of the story
    /// mentions (a look-alike event's report, more often than not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bar_raised: bool,
}

/// One line for `aiwire explain`, e.g. `joined story 3: similar_event, score 0.40 (bar 0.25),
/// closest items 11, 10, 14`.
/// Ids as "1, 2, 3", for the explanation of a decision.
fn comma_list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let signal = match self.signal {
            Signal::NewStory => "new_story",
            Signal::SameLink => "same_link",
            Signal::SameGuid => "same_guid",
            Signal::NearDuplicate => "near_duplicate",
            Signal::SimilarEvent => "similar_event",
            Signal::AlreadyAssigned => "already_assigned",
        };
        let items = comma_list(&self.matched);
        let raised = if self.bar_raised {
            ", raised: it leaves out a name every report of that story mentions"
        } else {
            ""
        };
        match (self.signal, self.runner_up) {
            // Only the cold-start rule rejects a story that cleared its bar.
            (Signal::NewStory, Some(other)) if self.score >= self.bar => write!(
                f,
                "started story {}: closest story {other} scored {:.2} (bar {:.2}) but shares fewer than two words, numbers or names with it while too few items are remembered to weigh words, its closest items {items}",
                self.story, self.score, self.bar
            ),
            (Signal::NewStory, Some(other)) => write!(
                f,
                "started story {}: closest story {other} scored {:.2} (bar {:.2}{raised}), its closest items {items}",
                self.story, self.score, self.bar
            ),
            (Signal::NewStory, None) => {
                write!(
                    f,
                    "started story {}: no candidate story in the window",
                    self.story
                )
            }
            _ => write!(
                f,
                "joined story {}: {signal}, score {:.2} (bar {:.2}{raised}), matched items {items}",
                self.story, self.score, self.bar
            ),
        }?;
        if !self.absorbed.is_empty() {
            let stories = comma_list(&self.absorbed);
            write!(
                f,
                "; the story then absorbed story {stories}, which this item also matched"
            )?;
        }
        Ok(())
    }
}

/// Why an operator correction could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionError {
    #[error("item {0} is not in the clustering window")]
    UnknownItem(ItemId),
    #[error("story {0} is not in the clustering window")]
    UnknownStory(StoryId),
}

/// Online clusterer state: the items and stories within the follow-up window.
#[derive(Debug)]
pub struct Clusterer {
    config: ClusterConfig,
    next_story: StoryId,
    /// Boxed: an entry is a few hundred bytes, and a map of 30,000 of them inline would
    /// hold twice that in empty slots.
    items: DetMap<ItemId, Box<Entry>>,
    stories: BTreeMap<StoryId, Story>,
    postings: Postings,
    lsh: Lsh,
    /// By hash of the canonical link / GUID: 8 bytes per item instead of two copies of the
    /// string (a 64-bit collision between two different links is not a practical concern).
    by_link: DetMap<u64, ItemId>,
    by_guid: DetMap<u64, ItemId>,
    by_title: DetMap<u64, ItemId>,
}

impl Clusterer {
    /// A clusterer with no memory; new stories are numbered from `next_story` on.
    pub fn new(config: ClusterConfig, next_story: StoryId) -> Self {
        Clusterer {
            config,
            next_story,
            items: DetMap::default(),
            stories: BTreeMap::new(),
            postings: Postings::default(),
            lsh: Lsh::default(),
            by_link: DetMap::default(),
            by_guid: DetMap::default(),
            by_title: DetMap::default(),
        }
    }

    /// Numbers new stories from at least `next` on (another process may have created stories
    /// since this clusterer was built).
    pub fn reserve_ids_from(&mut self, next: StoryId) {
        self.next_story = self.next_story.max(next);
    }

    pub fn window(&self) -> Duration {
        Duration::hours(i64::from(self.config.window_hours))
    }

    /// Number of items and stories remembered.
    pub fn len(&self) -> (usize, usize) {
        (self.items.len(), self.stories.len())
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The story an item is remembered in.
    pub fn story_of(&self, item: ItemId) -> Option<StoryId> {
        self.items.get(&item).map(|e| e.story)
    }

    /// Members of a remembered story, in the order they joined.
    pub fn members(&self, story: StoryId) -> Option<&[ItemId]> {
        self.stories.get(&story).map(|s| s.items.as_slice())
    }

    /// Re-enters an item whose story was decided earlier (loaded from the store at start-up,
    /// or pinned by an operator), without re-deciding. Restoring an item id that is already
    /// remembered moves it to `story`.
    pub fn restore(&mut self, item: &ClusterItem, story: StoryId) {
        if self.items.contains_key(&item.id) {
            let _ = self.move_item(item, story);
            return;
        }
        let entry = self.entry_for(item, story);
        self.insert(item.id, entry);
        self.next_story = self.next_story.max(story + 1);
    }

    /// Assigns a new item to a story and remembers it.
    pub fn assign(&mut self, item: &ClusterItem) -> Decision {
        if let Some(entry) = self.items.get(&item.id) {
            return Decision {
                story: entry.story,
                signal: Signal::AlreadyAssigned,
                score: 1.0,
                bar: 0.0,
                matched: vec![],
                runner_up: None,
                absorbed: vec![],
                bar_raised: false,
            };
        }
        let mut entry = self.entry_for(item, 0);
        let (mut decision, also) = self.decide(&entry);
        if decision.signal == Signal::NewStory {
            decision.story = self.next_story;
            self.next_story += 1;
        }
        entry.story = decision.story;
        self.insert(item.id, entry);
        self.merge_similar(&mut decision, also);
        decision
    }

    /// Automatic story merging, the remedy for a story that split early (its first reports
    /// scored just below the bar; later ones joined one part or the other). An item that
    /// joined a story but also cleared the bar of other stories `also` is evidence that they
    /// report one event; such a story is merged with the item's when their centroids are
    /// similar ([`MERGE_SIMILARITY`]) and one is a fragment of the other
    /// ([`MERGE_SIZE_RATIO`]). Two stories of similar size that both grew side by side were
    /// kept apart by every report that chose one over the other: look-alike events (two
    /// earthquakes, two DUI arrests) share most of their words, and their centroids are as
    /// similar as those of one event's fragments. Stories an operator touched never take
    /// part. The older (lower) id survives; the decision lists the absorbed stories. Bounded:
    /// at most one centroid comparison per story the item cleared.
    fn merge_similar(&mut self, decision: &mut Decision, also: Vec<StoryId>) {
        for other in also {
            let (a, b) = (decision.story, other);
            let (Some(sa), Some(sb)) = (self.stories.get(&a), self.stories.get(&b)) else {
                continue;
            };
            if a == b || sa.frozen || sb.frozen {
                continue;
            }
            let (small, large) = {
                let (na, nb) = (sa.items.len(), sb.items.len());
                (na.min(nb) as f32, na.max(nb) as f32)
            };
            if large < MERGE_SIZE_RATIO * small || self.centroid_similarity(a, b) < MERGE_SIMILARITY
            {
                continue;
            }
            let (into, from) = (a.min(b), a.max(b));
            self.merge_stories(into, from);
            decision.story = into;
            decision.absorbed.push(from);
        }
    }

    /// Forgets every story whose newest item is older than `cutoff`, with its items. The
    /// daemon calls this with `now - window`; a forgotten story can no longer gain items.
    pub fn forget_before(&mut self, cutoff: DateTime<Utc>) {
        let old: Vec<StoryId> = self
            .stories
            .iter()
            .filter(|(_, s)| s.last < cutoff)
            .map(|(&id, _)| id)
            .collect();
        for story in old {
            self.forget_story(story);
        }
    }

    /// Drops a story with its members from every index (no centroid arithmetic: the whole
    /// centroid goes).
    fn forget_story(&mut self, story_id: StoryId) {
        let Some(story) = self.stories.remove(&story_id) else {
            return;
        };
        for &term in story.centroid.keys() {
            self.postings.remove(term, story_id);
        }
        for id in story.items {
            if let Some(entry) = self.items.remove(&id) {
                self.unindex(id, &entry);
            }
        }
    }

    /// Operator correction: moves every item of story `from` into story `into`. The story
    /// is operator-made from then on: never merged automatically.
    pub fn merge(&mut self, into: StoryId, from: StoryId) -> Result<(), CorrectionError> {
        if !self.stories.contains_key(&into) {
            return Err(CorrectionError::UnknownStory(into));
        }
        if into == from {
            return Ok(());
        }
        if !self.stories.contains_key(&from) {
            return Err(CorrectionError::UnknownStory(from));
        }
        self.merge_stories(into, from);
        self.freeze(into);
        Ok(())
    }

    /// Marks a story as operator-made (it holds an item an operator placed): it never takes
    /// part in an automatic merge. The daemon calls this for the stories of pinned items.
    pub fn freeze(&mut self, story: StoryId) {
        if let Some(s) = self.stories.get_mut(&story) {
            s.frozen = true;
        }
    }

    /// Moves every item of story `from` into story `into` (both remembered).
    fn merge_stories(&mut self, into: StoryId, from: StoryId) {
        let Some(from_story) = self.stories.remove(&from) else {
            return;
        };
        for &term in from_story.centroid.keys() {
            self.postings.remove(term, from);
        }
        for id in &from_story.items {
            if let Some(entry) = self.items.get_mut(id) {
                entry.story = into;
            }
        }
        let into_story = self.stories.get_mut(&into).expect("checked by the caller");
        let fresh = into_story.absorb(from_story);
        for term in fresh {
            self.postings.add(term, into);
        }
    }

    /// Operator correction: moves an item out of its story into a new story of its own,
    /// whose id is returned.
    pub fn split(&mut self, item: &ClusterItem) -> Result<StoryId, CorrectionError> {
        let story = self.next_story;
        self.move_item(item, story)?;
        self.next_story += 1;
        Ok(story)
    }

    /// Operator correction: pins an item to a story (an existing one, or a new id). The item's
    /// text is needed because an older member of a large story keeps no feature vector.
    pub fn move_item(&mut self, item: &ClusterItem, story: StoryId) -> Result<(), CorrectionError> {
        let Some(mut entry) = self.remove_from_story(item) else {
            return Err(CorrectionError::UnknownItem(item.id));
        };
        let from = entry.story;
        entry.story = story;
        self.add_to_story(item.id, &entry);
        self.items.insert(item.id, entry);
        self.next_story = self.next_story.max(story + 1);
        self.freeze(story);
        self.freeze(from);
        Ok(())
    }

    fn entry_for(&self, item: &ClusterItem, story: StoryId) -> Box<Entry> {
        let features = text::features(item);
        let norm = features
            .terms
            .iter()
            .map(|(_, w)| w * w)
            .sum::<f32>()
            .sqrt()
            .max(1e-6);
        Box::new(Entry {
            story,
            published: item.published,
            unit_terms: features
                .terms
                .into_iter()
                .map(|(t, w)| (t, w / norm))
                .collect(),
            signature: minhash::signature(&features.shingles),
            link: item
                .canonical_link
                .as_deref()
                .filter(|l| !l.is_empty())
                .map(|l| index::hash_str("link", l)),
            guid: item
                .guid
                .as_deref()
                .filter(|g| !g.is_empty())
                .map(|g| index::hash_str("guid", g)),
            title_key: features.title_key,
            language: features.language,
            mentions: features.mentions.into_boxed_slice(),
        })
    }

    fn insert(&mut self, id: ItemId, mut entry: Box<Entry>) {
        entry.mentions = Box::default();
        if let Some(sig) = &entry.signature {
            self.lsh.insert(sig, id);
        }
        if let Some(link) = entry.link {
            self.by_link.insert(link, id);
        }
        if let Some(guid) = entry.guid {
            self.by_guid.insert(guid, id);
        }
        if let Some(key) = entry.title_key {
            self.by_title.insert(key, id);
        }
        self.add_to_story(id, &entry);
        self.items.insert(id, entry);
    }

    fn add_to_story(&mut self, id: ItemId, entry: &Entry) {
        let n_stories = self.stories.len();
        let story = self
            .stories
            .entry(entry.story)
            .or_insert_with(|| Story::new(entry.published));
        let postings = &self.postings;
        let fresh = story.add(id, entry, |t| index::idf(n_stories, postings.story_freq(t)));
        let retired = story.items.len().checked_sub(KEEP_TERMS + 1);
        let retired = retired.map(|i| story.items[i]);
        for term in fresh {
            self.postings.add(term, entry.story);
        }
        if let Some(old) = retired.and_then(|old| self.items.get_mut(&old)) {
            old.unit_terms = Box::default();
        }
    }

    /// Takes an item out of its story (dropping an emptied story); the entry stays indexed
    /// by link, GUID, title and LSH under its id. An older member whose vector was dropped
    /// gets it back from its text, so the centroid loses exactly what the item added.
    fn remove_from_story(&mut self, item: &ClusterItem) -> Option<Box<Entry>> {
        let id = item.id;
        let mut entry = self.items.remove(&id)?;
        if entry.unit_terms.is_empty() {
            entry.unit_terms = self.entry_for(item, entry.story).unit_terms;
        }
        let story_id = entry.story;
        let n_stories = self.stories.len();
        let story = self.stories.get_mut(&story_id)?;
        let postings = &self.postings;
        let gone = story.remove(id, &entry, |t| {
            index::idf(n_stories, postings.story_freq(t))
        });
        for term in gone {
            self.postings.remove(term, story_id);
        }
        if story.items.is_empty() {
            for (&term, _) in story.centroid.iter() {
                self.postings.remove(term, story_id);
            }
            self.stories.remove(&story_id);
        } else {
            let times = story.items.iter().filter_map(|i| self.items.get(i));
            let first = times.clone().map(|e| e.published).min();
            let last = times.map(|e| e.published).max();
            if let (Some(first), Some(last)) = (first, last) {
                story.set_span(first, last);
            }
        }
        Some(entry)
    }

    /// Drops a forgotten item from the link, GUID, title and LSH indexes.
    fn unindex(&mut self, id: ItemId, entry: &Entry) {
        if let Some(sig) = &entry.signature {
            self.lsh.remove(sig, id);
        }
        if let Some(link) = entry.link
            && self.by_link.get(&link) == Some(&id)
        {
            self.by_link.remove(&link);
        }
        if let Some(guid) = entry.guid
            && self.by_guid.get(&guid) == Some(&id)
        {
            self.by_guid.remove(&guid);
        }
        if let Some(key) = entry.title_key
            && self.by_title.get(&key) == Some(&id)
        {
            self.by_title.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Tags;

    const REPORTS: i64 = KEEP_TERMS as i64 + 5;

    fn report(id: ItemId) -> ClusterItem {
        let start: DateTime<Utc> = "2024-05-06T08:00:00Z".parse().unwrap();
        ClusterItem {
            id,
            source: format!("Outlet {id}"),
            title: format!("Microsoft readies MAI-1, report number {id}"),
            summary: "Microsoft trains MAI-1, a 500B-parameter model to rival GPT-4.".into(),
            language: Some("en".into()),
            published: start + Duration::minutes(id),
            canonical_link: None,
            guid: None,
            tags: Tags::default(),
        }
    }

    /// A clusterer holding `ids` in story 7.
    fn holding(ids: impl IntoIterator<Item = ItemId>) -> Clusterer {
        let mut c = Clusterer::new(ClusterConfig::default(), 1);
        for id in ids {
            c.restore(&report(id), 7);
        }
        c
    }

    fn assert_same_centroid(a: &Clusterer, b: &Clusterer, story: StoryId) {
        let (a, b) = (&a.stories[&story].centroid, &b.stories[&story].centroid);
        assert_eq!(a.len(), b.len(), "same features");
        for (t, w) in a {
            assert!((w - b[t]).abs() < 1e-5, "feature {t}: {w} vs {}", b[t]);
        }
    }

    #[test]
    fn only_recent_members_keep_vectors_and_corrections_stay_exact() {
        let mut c = holding(1..=REPORTS);
        let kept: Vec<ItemId> = (1..=REPORTS)
            .filter(|id| !c.items[id].unit_terms.is_empty())
            .collect();
        assert_eq!(
            kept,
            ((REPORTS - KEEP_TERMS as i64 + 1)..=REPORTS).collect::<Vec<_>>()
        );

        // The oldest member kept no vector; taking it out must remove exactly what it added
        // (its "report number 1" features included).
        c.move_item(&report(1), 99).unwrap();
        assert_same_centroid(&c, &holding(2..=REPORTS), 7);
        assert_eq!(c.members(99), Some(&[1][..]));

        // Merging it back gives the centroid of all members again.
        c.merge(7, 99).unwrap();
        assert_same_centroid(&c, &holding(1..=REPORTS), 7);
        assert_eq!(c.story_of(1), Some(7));
        assert!(c.members(99).is_none());

        // Forgetting drops the story and its members from every index.
        c.forget_before(report(REPORTS).published + Duration::hours(1));
        assert_eq!(c.len(), (0, 0));
        assert!(c.by_title.is_empty());
        let reference = holding(1..=REPORTS);
        for &term in reference.stories[&7].centroid.keys() {
            assert_eq!(c.postings.story_freq(term), 0);
        }
    }

    fn item(id: ItemId, title: &str, summary: &str) -> ClusterItem {
        ClusterItem {
            title: title.into(),
            summary: summary.into(),
            ..report(id)
        }
    }

    /// Story 7: six reports; story 9: one report of the same event in other words; and an
    /// item that matches both.
    fn split_event() -> (Clusterer, ClusterItem) {
        let mut c = holding(1..=6);
        let other = item(
            50,
            "Microsoft builds in-house MAI-1 model under Mustafa Suleyman",
            "The 500B-parameter MAI-1 is meant to rival GPT-4 and Google's Gemini.",
        );
        c.restore(&other, 9);
        let both = item(
            51,
            "Microsoft readies MAI-1 under Mustafa Suleyman",
            "Microsoft trains MAI-1, a 500B-parameter model to rival GPT-4 and Gemini.",
        );
        (c, both)
    }

    #[test]
    fn a_fragment_that_the_item_also_matches_is_absorbed_into_the_older_story() {
        let (mut c, both) = split_event();
        let d = c.assign(&both);
        assert_eq!(d.signal, Signal::SimilarEvent, "{d}");
        assert_eq!((d.story, d.absorbed.as_slice()), (7, &[9][..]), "{d}");
        assert!(d.to_string().contains("absorbed story 9"), "{d}");
        assert_eq!(c.story_of(50), Some(7));
        assert!(c.members(9).is_none());
    }

    /// Reports of two look-alike events: arrests of two players of one team on one charge.
    const ARRESTS: [(&str, &str); 4] = [
        (
            "San Diego's Jackson is arrested on suspicion of drunk driving",
            "San Diego Chargers wide receiver Vincent Jackson was arrested Tuesday on suspicion \
             of drunk driving. Jackson failed sobriety tests shortly after 2 a.m. on State Route \
             52, a California Highway Patrol officer said, and was taken to the county jail.",
        ),
        (
            "Charger says he's innocent of DUI",
            "Wide receiver Vincent Jackson of the San Diego Chargers says he doesn't think \
             charges will be filed. Jackson was stopped by the Highway Patrol after braking \
             abruptly and weaving; he was on probation for a previous DUI arrest.",
        ),
        (
            "San Diego lineman arrested on suspicion of DUI",
            "San Diego Chargers defensive tackle Jamal Williams was arrested on suspicion of \
             drunken driving, the team's second such arrest in a month. Williams was pulled \
             over for speeding on a freeway, the California Highway Patrol said, and was \
             booked into the county jail.",
        ),
        (
            "Chargers receiver released after drunk driving arrest",
            "VINCENT JACKSON, the Chargers' wide receiver, was released from the San Diego \
             County jail after his arrest on suspicion of drunk driving on State Route 52; \
             the Highway Patrol said his blood-alcohol level was not yet known.",
        ),
    ];

    #[test]
    fn a_report_that_leaves_out_every_reports_core_name_meets_a_higher_bar() {
        let mut c = Clusterer::new(ClusterConfig::default(), 1);
        let mut assign = |n: usize| c.assign(&item(n as ItemId, ARRESTS[n].0, ARRESTS[n].1));
        let first = assign(0);
        let second = assign(1);
        assert_eq!(
            (second.signal, second.story),
            (Signal::SimilarEvent, first.story),
            "{second}"
        );
        assert!(
            !second.bar_raised,
            "one report does not make a core: {second}"
        );

        // Another player's arrest: same team, place, charge and many of the words, but
        // neither `Vincent` nor `Jackson`, which both reports of the story name.
        let other = assign(2);
        assert!(other.bar_raised, "{other}");
        assert!(other.to_string().contains("leaves out a name"), "{other}");

        // A later report of the first arrest names him, however it writes the name.
        let third = assign(3);
        assert!(!third.bar_raised, "{third}");
        assert_eq!(third.story, first.story, "{third}");

        // The core kept as members come equals a recount, and so after corrections.
        let core = |c: &Clusterer, story: StoryId| {
            let s = &c.stories[&story];
            let mut all: Vec<u64> = s
                .name_members
                .iter()
                .filter(|e| *e.1 as usize == s.items.len())
                .map(|e| *e.0)
                .collect();
            all.sort_unstable();
            assert_eq!(s.core_names, all, "story {story}");
            all.len()
        };
        assert!(core(&c, first.story) >= 2, "vincent, jackson");
        let moved = c.split(&item(3, ARRESTS[3].0, ARRESTS[3].1)).unwrap();
        core(&c, first.story);
        c.merge(first.story, moved).unwrap();
        core(&c, first.story);
    }

    #[test]
    fn operator_made_stories_are_never_merged_automatically() {
        let (mut c, both) = split_event();
        c.freeze(9);
        let d = c.assign(&both);
        assert!(d.absorbed.is_empty(), "{d}");
        assert_eq!(c.story_of(50), Some(9));

        // A story an operator split an item into is frozen as well.
        let (mut c, both) = split_event();
        let story = c.split(&report(1)).unwrap();
        c.merge(9, story).unwrap();
        let d = c.assign(&both);
        assert!(d.absorbed.is_empty(), "{d}");
    }
}
