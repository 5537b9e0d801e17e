//! `[[digest]]` definitions: when, to whom, what is in it.

use serde::{Deserialize, Serialize};

use super::duration::HumanDuration;

/// What to do with runs missed while aiwire was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CatchUp {
    /// Send one digest at start for the missed run(s).
    #[default]
    One,
    /// Wait for the next scheduled time.
    Skip,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    pub name: String,
    /// Standard 5-field cron (`0 7 * * 1-5`: 07:00 Monday–Friday); 6/7-field forms of the cron crate too.
    pub schedule: String,
    /// IANA time zone the schedule is read in.
    #[serde(default = "utc")]
    pub timezone: String,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default = "default_max_stories")]
    pub max_stories: usize,
    /// Subject template (minijinja): `{{ name }}`, `{{ date }}`, `{{ stories }}`.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// Only items published within this span before the run.
    #[serde(default = "default_max_age")]
    pub max_age: HumanDuration,
    #[serde(default)]
    pub catch_up: CatchUp,
    #[serde(default)]
    pub filter: DigestFilter,
    /// After the top stories, one section per company for the rest (HTML and text).
    #[serde(default)]
    pub company_sections: bool,
    /// How many stories the "Top stories" section holds when `company_sections` is on.
    #[serde(default = "default_top_stories")]
    pub top_stories: usize,
    /// A story already carried by this digest returns, marked as an update, only when at
    /// least this many more sources have reported it since.
    #[serde(default = "default_update_min_new_sources")]
    pub update_min_new_sources: usize,
    /// Feeds failing for longer than this are listed in the digest's health footer.
    #[serde(default = "default_feed_health_after")]
    pub feed_health_after: HumanDuration,
    /// Folder with `digest.html` and/or `digest.txt` overriding the built-in templates.
    #[serde(default)]
    pub templates: Option<std::path::PathBuf>,
}

/// Story filters of one digest; empty lists mean "no constraint".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DigestFilter {
    pub include_companies: Vec<String>,
    pub exclude_companies: Vec<String>,
    pub include_models: Vec<String>,
    pub exclude_models: Vec<String>,
    pub include_people: Vec<String>,
    pub exclude_people: Vec<String>,
    /// Feed names or URLs; items of other feeds are left out.
    pub include_feeds: Vec<String>,
    pub exclude_feeds: Vec<String>,
    /// Only items in these languages (`en`, `de`; items of unknown language are kept).
    pub languages: Vec<String>,
    /// A story needs at least this many distinct sources.
    pub min_sources: usize,
    /// Only stories about AI.
    pub ai_only: bool,
}

fn utc() -> String {
    "UTC".into()
}
fn default_max_stories() -> usize {
    40
}
fn default_subject() -> String {
    "aiwire {{ name }} digest, {{ date }}: {{ stories }} stories".into()
}
fn default_top_stories() -> usize {
    10
}
fn default_update_min_new_sources() -> usize {
    2
}
fn default_feed_health_after() -> HumanDuration {
    HumanDuration::hours(24)
}
fn default_max_age() -> HumanDuration {
    HumanDuration::hours(48)
}
