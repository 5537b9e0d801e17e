//! The `[fetch]` section and per-feed `[[feed]]` entries. Key names are a contract: add keys,
//! never rename them.

use serde::{Deserialize, Serialize};

use super::duration::HumanDuration;

/// How aiwire fetches: timeouts, limits, politeness, the poll interval bounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchConfig {
    /// Allow feeds (and redirects) to loopback, private, link-local and unique-local addresses.
    pub allow_private_addresses: bool,
    /// Default User-Agent; `None` means `aiwire/VERSION (+project URL)`.
    pub user_agent: Option<String>,
    pub connect_timeout: HumanDuration,
    pub timeout: HumanDuration,
    /// Body cap in bytes, counted after decompression.
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// At most this many fetches at once.
    pub concurrency: usize,
    /// At most this many fetches at once to one host.
    pub per_host_concurrency: usize,
    /// Bounds of the adaptive poll interval.
    pub min_interval: HumanDuration,
    pub max_interval: HumanDuration,
    /// First back-off after an error (404, 5xx, network); doubles per further error.
    pub min_backoff: HumanDuration,
    /// Longest back-off after errors, and the cap on any Retry-After.
    pub max_backoff: HumanDuration,
    /// How often a feed that answered 410 Gone is still tried.
    pub gone_interval: HumanDuration,
    /// A 301/308 updates the stored URL after the same target was seen this many fetches in a row.
    pub permanent_redirect_after: u32,
    /// Send no validators at least this often, for servers that answer 304 wrongly.
    pub full_fetch_every: HumanDuration,
    /// How long fetch-log rows are kept.
    pub log_retention: HumanDuration,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            allow_private_addresses: false,
            user_agent: None,
            connect_timeout: HumanDuration::secs(10),
            timeout: HumanDuration::secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 16,
            per_host_concurrency: 2,
            min_interval: HumanDuration::minutes(15),
            max_interval: HumanDuration::hours(6),
            min_backoff: HumanDuration::minutes(10),
            max_backoff: HumanDuration::hours(24),
            gone_interval: HumanDuration::days(7),
            permanent_redirect_after: 3,
            full_fetch_every: HumanDuration::hours(24),
            log_retention: HumanDuration::days(30),
        }
    }
}

/// One `[[feed]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// `https://…`, `http://…`, `file:///…` or a plain path (relative to the config file).
    pub url: String,
    /// Display name; defaults to the feed's own title, then the host.
    pub name: Option<String>,
    /// Per-feed User-Agent override.
    pub user_agent: Option<String>,
    /// Per-feed poll interval bounds.
    pub min_interval: Option<HumanDuration>,
    pub max_interval: Option<HumanDuration>,
    /// Keep only items about AI (for general-interest feeds).
    #[serde(default)]
    pub ai_only: bool,
    /// Ranking weight of this source in digests (1.0 = normal; aggregators lower).
    #[serde(default = "one")]
    pub weight: f64,
}

fn one() -> f64 {
    1.0
}

impl FeedConfig {
    /// A feed with every optional setting at its default.
    pub fn new(url: impl Into<String>, name: Option<String>) -> FeedConfig {
        FeedConfig {
            url: url.into(),
            name,
            user_agent: None,
            min_interval: None,
            max_interval: None,
            ai_only: false,
            weight: one(),
        }
    }
}
