//! MinHash signatures over word shingles and a banded LSH index, for near-identical texts
//! (syndicated copies). Deterministic: the permutations are fixed seeds.

use super::index::{DetMap, mix};
use crate::model::ItemId;

/// Number of hash functions in a signature.
pub const N_HASHES: usize = 32;
/// Rows per LSH band; `N_HASHES / ROWS` bands.
const ROWS: usize = 4;
const BANDS: usize = N_HASHES / ROWS;

/// A MinHash signature: the top 16 bits of each 32-bit minimum. Two different minima share
/// them with probability 2^-16, which moves a similarity estimate by far less than one of the 32
/// slots does; the clusterer keeps a signature for every item in its window, and 64 bytes
/// instead of 128 is a seventh of what it holds per item.
pub type Signature = [u16; N_HASHES];

/// Computes the signature of a shingle set; None for an empty set.
pub fn signature(shingles: &[u64]) -> Option<Signature> {
    if shingles.is_empty() {
        return None;
    }
    let mut min = [u32::MAX; N_HASHES];
    for &s in shingles {
        for (k, slot) in min.iter_mut().enumerate() {
            let h = mix(s ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(k as u64 + 1))) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    Some(min.map(|m| (m >> 16) as u16))
}

/// Estimated Jaccard similarity of two signatures.
pub fn similarity(a: &Signature, b: &Signature) -> f32 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f32 / N_HASHES as f32
}

/// The band keys of a signature.
pub fn band_keys(sig: &Signature) -> [u64; BANDS] {
    let mut keys = [0u64; BANDS];
    for (b, key) in keys.iter_mut().enumerate() {
        let mut h = b as u64;
        for &v in &sig[b * ROWS..(b + 1) * ROWS] {
            h = mix(h.rotate_left(17) ^ u64::from(v));
        }
        *key = h;
    }
    keys
}

/// Band key → items whose signature has that band.
#[derive(Debug, Default)]
pub struct Lsh {
    buckets: DetMap<u64, Bucket>,
}

/// The items of one band key, oldest first. Most keys hold one item, which is kept inline
/// (no heap list per key: eight keys per item made those lists a large share of the
/// clusterer's memory).
#[derive(Debug)]
enum Bucket {
    One(ItemId),
    Many(Vec<ItemId>),
}

impl Bucket {
    fn as_slice(&self) -> &[ItemId] {
        match self {
            Bucket::One(item) => std::slice::from_ref(item),
            Bucket::Many(items) => items,
        }
    }
}

impl Lsh {
    pub fn insert(&mut self, sig: &Signature, item: ItemId) {
        for key in band_keys(sig) {
            match self.buckets.get_mut(&key) {
                None => {
                    self.buckets.insert(key, Bucket::One(item));
                }
                Some(Bucket::One(first)) => {
                    let first = *first;
                    self.buckets.insert(key, Bucket::Many(vec![first, item]));
                }
                Some(Bucket::Many(items)) => items.push(item),
            }
        }
    }

    pub fn remove(&mut self, sig: &Signature, item: ItemId) {
        for key in band_keys(sig) {
            let emptied = match self.buckets.get_mut(&key) {
                None => false,
                Some(Bucket::One(only)) => *only == item,
                Some(Bucket::Many(items)) => {
                    items.retain(|&i| i != item);
                    if let [last] = items.as_slice() {
                        let last = *last;
                        self.buckets.insert(key, Bucket::One(last));
                    }
                    false
                }
            };
            if emptied {
                self.buckets.remove(&key);
            }
        }
    }

    /// Items sharing at least one band, without duplicates, in ascending id order.
    pub fn candidates(&self, sig: &Signature) -> Vec<ItemId> {
        let mut out: Vec<ItemId> = band_keys(sig)
            .iter()
            .filter_map(|k| self.buckets.get(k))
            .flat_map(|bucket| bucket.as_slice().iter().rev().take(64).copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sets_match_and_disjoint_sets_do_not() {
        let a: Vec<u64> = (0..40).collect();
        let b: Vec<u64> = (100..140).collect();
        let sa = signature(&a).unwrap();
        assert_eq!(similarity(&sa, &signature(&a).unwrap()), 1.0);
        assert!(similarity(&sa, &signature(&b).unwrap()) < 0.2);
        let mut lsh = Lsh::default();
        lsh.insert(&sa, 7);
        assert_eq!(lsh.candidates(&sa), vec![7]);
    }
}
