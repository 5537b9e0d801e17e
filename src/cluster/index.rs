//! Deterministic hashing, the inverted index from rare features to the stories that contain
//! them (candidate retrieval without a scan), and the inverse story frequency it yields.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::model::StoryId;

/// FNV-1a over a namespace tag and a string, finished with a SplitMix64 mix.
pub fn hash_str(namespace: &str, text: &str) -> u64 {
    hash_concat(namespace, &[text])
}

/// [`hash_str`] of the concatenation of `parts`, without building that string (the word
/// pairs of every item's shingles were a format! each).
pub fn hash_concat(namespace: &str, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let text = parts.iter().flat_map(|p| p.bytes());
    for b in namespace.bytes().chain([0xff]).chain(text) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// SplitMix64 finalizer.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A fixed-seed hasher for maps keyed by already-hashed or small integer keys, so that map
/// behaviour never depends on a random seed.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        mix(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(5) ^ n;
    }
    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

/// A hash map with a deterministic hasher.
pub type DetMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// Inverse story frequency, `ln(1 + S / sf)`, of a feature held by `story_freq` of the
/// `n_stories` remembered stories. Stories, not items, are the unit: a word that a large story
/// repeats in every report (`Titanfall`) stays distinctive, while a word spread over many
/// stories (`American`, or the topic words two look-alike events share) weighs little.
pub fn idf(n_stories: usize, story_freq: usize) -> f32 {
    (1.0 + n_stories.max(1) as f32 / story_freq.max(1) as f32).ln()
}

/// Feature → stories containing it, most recently touched last.
#[derive(Debug, Default)]
pub struct Postings {
    lists: DetMap<u64, Vec<StoryId>>,
}

impl Postings {
    /// Records that `story` now contains `term` (the caller adds each pair once).
    pub fn add(&mut self, term: u64, story: StoryId) {
        self.lists.entry(term).or_default().push(story);
    }

    /// Forgets that `story` contains `term` (searched from the front: old stories go first).
    pub fn remove(&mut self, term: u64, story: StoryId) {
        if let Some(list) = self.lists.get_mut(&term) {
            if let Some(pos) = list.iter().position(|&s| s == story) {
                list.remove(pos);
            }
            if list.is_empty() {
                self.lists.remove(&term);
            }
        }
    }

    /// How many stories hold `term`.
    pub fn story_freq(&self, term: u64) -> usize {
        self.lists.get(&term).map_or(0, Vec::len)
    }

    /// The last `limit` stories holding `term`.
    pub fn recent(&self, term: u64, limit: usize) -> &[StoryId] {
        match self.lists.get(&term) {
            Some(list) => &list[list.len().saturating_sub(limit)..],
            None => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_parts_equals_hashing_their_concatenation() {
        assert_eq!(
            hash_concat("s", &["microsoft", " ", "mai-1"]),
            hash_str("s", "microsoft mai-1")
        );
        assert_ne!(hash_str("s", "a"), hash_str("t", "a"));
    }
}
