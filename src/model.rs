//! Plain domain types shared by every stage: parsed feeds and entries, tags, cluster inputs.
//!
//! Nothing here performs IO or reads the clock; the types are data only. Serialized
//! field names of [`ParsedFeed`] and [`ParsedEntry`] are the `aiwire parse --json` contract.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Row id of a feed in the store.
pub type FeedId = i64;
/// Row id of an item in the store.
pub type ItemId = i64;
/// Id of a story (a set of items reporting one event); stable across restarts.
pub type StoryId = i64;

/// Where an entry's `published` time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// The feed gave a usable date (published, else updated).
    Feed,
    /// The feed gave none; the time the item was first seen stands in.
    FirstSeen,
}

impl DateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::Feed => "feed",
            DateSource::FirstSeen => "first_seen",
        }
    }
}

/// A feed document after parsing and normalisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedFeed {
    /// `rss2`, `rss1`, `rss0`, `atom` or `json`.
    pub format: String,
    pub title: Option<String>,
    /// Feed-level language (BCP 47-ish, lower-case primary tag such as `en`, `de`).
    pub language: Option<String>,
    /// The site the feed belongs to, if it says.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub site_link: Option<String>,
    /// RSS `<ttl>` in minutes, a hint for the poll interval.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ttl_minutes: Option<u32>,
    pub entries: Vec<ParsedEntry>,
}

/// One normalized entry of a feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParsedEntry {
    /// Stable item key: trustworthy GUID, else canonical link, else hash of title + date.
    pub key: String,
    /// Plain-text title (entities decoded, tags stripped, whitespace collapsed).
    pub title: String,
    /// Absolute link as the feed gave it (resolved against xml:base / feed URL).
    pub link: Option<String>,
    /// Link with tracking parameters, fragment and default port removed.
    pub canonical_link: Option<String>,
    pub published: DateTime<Utc>,
    pub date_source: DateSource,
    /// Plain-text summary for matching and display (may be empty).
    pub summary: String,
    /// Detected or declared language of the entry (`en`, `de`, ...).
    pub language: Option<String>,
    pub authors: Vec<String>,
    /// Content HTML as the feed gave it: raw, unsanitized (only mojibake undone). Sanitize
    /// before display with [`crate::digest::clean::safe_html`]. Not part of the JSON contract.
    #[serde(skip)]
    pub content_html: Option<String>,
    /// The raw GUID / id, when the feed gave one.
    #[serde(skip)]
    pub guid: Option<String>,
}

/// Entity tags of an item or story, by canonical name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tags {
    pub companies: Vec<String>,
    pub models: Vec<String>,
    pub people: Vec<String>,
    /// True when the text is about AI (English or German topic terms, or any AI entity).
    #[serde(default)]
    pub ai_topic: bool,
}

impl Tags {
    pub fn is_empty(&self) -> bool {
        self.companies.is_empty() && self.models.is_empty() && self.people.is_empty()
    }
}

/// The text the tagger reads.
#[derive(Debug, Clone, Copy)]
pub struct TagInput<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub language: Option<&'a str>,
}

/// What the clusterer needs to know about one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterItem {
    /// Caller's id (store row id, or the line number of an eval file).
    pub id: ItemId,
    /// Outlet / feed name.
    pub source: String,
    pub title: String,
    pub summary: String,
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub canonical_link: Option<String>,
    pub guid: Option<String>,
    pub tags: Tags,
}
