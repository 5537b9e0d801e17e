//! MinHash signatures over word shingles and a banded LSH index, for near-identical texts
//! (syndicated copies). Deterministic: the permutations are fixed seeds.

use super::index::{DetMap, mix};
use crate::model::ItemId;

/// Number of hash functions in a signature.
pub const N_HASHES: usize = 32;
/// Rows per LSH band; `N_HASHES / ROWS` bands.
const ROWS: usize = 4;
const BANDS: usize = N_HASHES / ROWS;

/// A MinHash signature.
pub type Signature = [u32; N_HASHES];

/// Computes the signature of a shingle set; None for an empty set.
pub fn signature(shingles: &[u64]) -> Option<Signature> {
    if shingles.is_empty() {
        return None;
    }
    let mut sig = [u32::MAX; N_HASHES];
    for &s in shingles {
        for (k, slot) in sig.iter_mut().enumerate() {
            let h = mix(s ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(k as u64 + 1))) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    Some(sig)
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
    buckets: DetMap<u64, Vec<ItemId>>,
}

impl Lsh {
    pub fn insert(&mut self, sig: &Signature, item: ItemId) {
        for key in band_keys(sig) {
            self.buckets.entry(key).or_default().push(item);
        }
    }

    pub fn remove(&mut self, sig: &Signature, item: ItemId) {
        for key in band_keys(sig) {
            if let Some(list) = self.buckets.get_mut(&key) {
                list.retain(|&i| i != item);
                if list.is_empty() {
                    self.buckets.remove(&key);
                }
            }
        }
    }

    /// Items sharing at least one band, without duplicates, in ascending id order.
    pub fn candidates(&self, sig: &Signature) -> Vec<ItemId> {
        let mut out: Vec<ItemId> = band_keys(sig)
            .iter()
            .filter_map(|k| self.buckets.get(k))
            .flat_map(|list| list.iter().rev().take(64).copied())
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
