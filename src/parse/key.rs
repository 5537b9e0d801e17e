//! Stable item keys: the GUID when the document's GUIDs are trustworthy, else the canonical
//! link, else a hash of title and date. Never random, so a refetch yields the same keys.
//!
//! "Trustworthy" is judged on one document (parse is pure): GUIDs that are non-empty and
//! unique within it. Stability across fetches is the store's concern. Pure.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// What the key of one entry may be built from.
#[derive(Debug, Clone, Copy)]
pub struct KeySource<'a> {
    pub guid: Option<&'a str>,
    pub canonical_link: Option<&'a str>,
    pub title: &'a str,
    /// The date the feed gave; `None` when the entry had none (the fetch time is not stable).
    pub feed_date: Option<DateTime<Utc>>,
    pub summary: &'a str,
}

/// One key per entry, unique within the document, in entry order.
pub fn assign_keys(sources: &[KeySource<'_>]) -> Vec<String> {
    let guids_trusted = guids_are_trustworthy(sources);
    let mut keys: Vec<String> = sources
        .iter()
        .map(|s| {
            let guid = s.guid.filter(|_| guids_trusted);
            match (guid, s.canonical_link) {
                (Some(guid), _) => guid.to_string(),
                (None, Some(link)) => link.to_string(),
                (None, None) => content_hash(s),
            }
        })
        .collect();
    // Two entries sharing a link (or an untrusted GUID) are both kept, each under a key of
    // its own: the content hash, then an ordinal if even the content is the same.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for key in &keys {
        *counts.entry(key.as_str()).or_default() += 1;
    }
    let colliding: HashSet<String> = counts
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| k.to_string())
        .collect();
    if colliding.is_empty() {
        return keys;
    }
    let mut seen: HashSet<String> = keys
        .iter()
        .filter(|k| !colliding.contains(*k))
        .cloned()
        .collect();
    for (key, source) in keys.iter_mut().zip(sources) {
        if !colliding.contains(key.as_str()) {
            continue;
        }
        let base = content_hash(source);
        let mut candidate = base.clone();
        let mut ordinal = 1;
        while !seen.insert(candidate.clone()) {
            ordinal += 1;
            candidate = format!("{base}#{ordinal}");
        }
        *key = candidate;
    }
    keys
}

/// GUIDs are trusted when at least one entry has one and no two entries share one.
fn guids_are_trustworthy(sources: &[KeySource<'_>]) -> bool {
    let mut seen = HashSet::new();
    let mut any = false;
    for guid in sources.iter().filter_map(|s| s.guid) {
        any = true;
        if !seen.insert(guid) {
            return false;
        }
    }
    any
}

fn content_hash(source: &KeySource<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(source.title.as_bytes());
    hasher.update([0x1f]);
    match source.feed_date {
        Some(date) => hasher.update(date.to_rfc3339().as_bytes()),
        // Without a date the summary and link stand in: the fetch time would change every poll.
        None => {
            hasher.update(source.summary.as_bytes());
            hasher.update([0x1f]);
            hasher.update(source.canonical_link.unwrap_or("").as_bytes());
        }
    }
    let digest = hasher.finalize();
    format!("sha256:{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source<'a>(guid: Option<&'a str>, link: Option<&'a str>, title: &'a str) -> KeySource<'a> {
        KeySource {
            guid,
            canonical_link: link,
            title,
            feed_date: None,
            summary: "",
        }
    }

    #[test]
    fn unique_guids_are_keys() {
        let keys = assign_keys(&[
            source(Some("g1"), Some("https://a.test/1"), "One"),
            source(Some("g2"), Some("https://a.test/2"), "Two"),
        ]);
        assert_eq!(keys, ["g1", "g2"]);
    }

    #[test]
    fn same_guid_every_item_falls_back_to_links() {
        let keys = assign_keys(&[
            source(Some("same"), Some("https://a.test/1"), "One"),
            source(Some("same"), Some("https://a.test/2"), "Two"),
        ]);
        assert_eq!(keys, ["https://a.test/1", "https://a.test/2"]);
    }

    #[test]
    fn no_guid_no_link_hashes_title_and_is_stable() {
        let a = assign_keys(&[source(None, None, "One")]);
        let b = assign_keys(&[source(None, None, "One")]);
        assert_eq!(a, b);
        assert!(a[0].starts_with("sha256:"));
    }

    #[test]
    fn identical_entries_are_all_kept_with_distinct_keys() {
        let keys = assign_keys(&[
            source(None, Some("https://a.test/1"), "One"),
            source(None, Some("https://a.test/1"), "One"),
            source(None, Some("https://a.test/1"), "Other"),
        ]);
        let unique: HashSet<_> = keys.iter().collect();
        assert_eq!(unique.len(), 3, "{keys:?}");
    }
}
