//! Turns raw feed bytes into normalized [`ParsedFeed`]s: the only feed-rs user.
//!
//! Pure: never performs IO, never reads the clock. The caller passes the feed URL,
//! the HTTP charset (if any) and the fetch time.

pub mod command;

use chrono::{DateTime, Utc};
use url::Url;

use crate::model::{DateSource, ParsedEntry, ParsedFeed};

/// What the parser knows about where the bytes came from.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// The URL the document was fetched from (after redirects); base for relative links.
    pub feed_url: Option<&'a Url>,
    /// Charset from the HTTP `Content-Type` header, if any.
    pub http_charset: Option<&'a str>,
    /// When the document was fetched; stands in for missing dates.
    pub fetched_at: DateTime<Utc>,
}

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("empty document")]
    Empty,
    #[error("not a feed: {0}")]
    NotAFeed(String),
}

/// Parses one feed document.
pub fn parse_feed(bytes: &[u8], ctx: &ParseContext<'_>) -> Result<ParsedFeed, ParseError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let base = ctx.feed_url.map(|u| u.as_str());
    let feed = feed_rs::parser::Builder::new()
        .base_uri(base)
        .build()
        .parse(bytes)
        .map_err(|e| ParseError::NotAFeed(e.to_string()))?;
    let format = match feed.feed_type {
        feed_rs::model::FeedType::Atom => "atom",
        feed_rs::model::FeedType::JSON => "json",
        feed_rs::model::FeedType::RSS0 => "rss0",
        feed_rs::model::FeedType::RSS1 => "rss1",
        feed_rs::model::FeedType::RSS2 => "rss2",
    };
    let entries = feed
        .entries
        .iter()
        .map(|e| {
            let title = e
                .title
                .as_ref()
                .map(|t| t.content.trim().to_string())
                .unwrap_or_default();
            let link = e.links.first().map(|l| l.href.clone());
            let (published, date_source) = match e.published.or(e.updated) {
                Some(d) => (d, DateSource::Feed),
                None => (ctx.fetched_at, DateSource::FirstSeen),
            };
            let summary = e
                .summary
                .as_ref()
                .map(|s| s.content.clone())
                .unwrap_or_default();
            ParsedEntry {
                key: if e.id.is_empty() {
                    link.clone().unwrap_or_else(|| title.clone())
                } else {
                    e.id.clone()
                },
                title,
                canonical_link: link.clone(),
                link,
                published,
                date_source,
                summary,
                language: feed.language.clone(),
                authors: e.authors.iter().filter_map(|a| a.name.clone()).collect(),
                content_html: e.content.as_ref().and_then(|c| c.body.clone()),
                guid: Some(e.id.clone()),
            }
        })
        .collect();
    Ok(ParsedFeed {
        format: format.to_string(),
        title: feed.title.map(|t| t.content),
        language: feed.language,
        site_link: feed.links.first().map(|l| l.href.clone()),
        ttl_minutes: feed.ttl,
        entries,
    })
}
