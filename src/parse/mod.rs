//! Turns raw feed bytes into normalized [`ParsedFeed`]s: the only feed-rs user.
//!
//! Pure: never performs IO, never reads the clock. The caller passes the feed URL, the HTTP
//! charset (if any) and the fetch time. Well-formed feeds go straight to feed-rs; only a
//! document feed-rs rejects, or reads with fewer entries than it has `<item>`/`<entry>` tags
//! or with entries missing links or dates, pays for the repair pass ([`repair`]), and the
//! better of the two readings wins.
//!
//! Cost budget: under 30% more CPU than raw feed-rs on the shared corpus
//! (`benches/parse_vs_feedparser.sh`; about +25% when this was written). What keeps it there:
//! content HTML is stored unsanitized (sanitized at display, `digest::clean::safe_html`),
//! most entries' language is settled by a stop-word vote instead of whatlang, plain text is
//! one pass that stops at the cut, and each link is parsed once.

pub mod command;
mod dates;
mod encoding;
mod key;
mod lang;
mod links;
mod normalize;
mod repair;
mod sniff;
mod text;

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Feed};
use url::Url;

use crate::model::ParsedFeed;

pub use dates::parse_date;
pub use links::canonicalize as canonical_link;

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
#[non_exhaustive]
pub enum ParseError {
    #[error("empty document")]
    Empty,
    #[error("not a feed: an HTML page{}", title.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    HtmlPage { title: Option<String> },
    #[error("not a feed: XML truncated at byte {at} before any entry")]
    Truncated { at: usize },
    #[error("not a feed: {0}")]
    NotAFeed(String),
}

/// Parses one feed document.
pub fn parse_feed(bytes: &[u8], ctx: &ParseContext<'_>) -> Result<ParsedFeed, ParseError> {
    let bytes = encoding::gunzip(bytes);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let decoded = encoding::decode(&bytes, ctx.http_charset);
    let text = encoding::declare_utf8(&decoded);
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    let feed = if text.starts_with(['{', '[']) {
        read_json(&text, ctx)?
    } else {
        read_xml(&text, ctx)?
    };
    Ok(normalize::normalize(feed, ctx))
}

fn read_xml(text: &str, ctx: &ParseContext<'_>) -> Result<Feed, ParseError> {
    // quick-xml (inside feed-rs) panics on an XML declaration after the start of the
    // document; the repair pass drops such declarations. Found by fuzzing.
    let first = if repair::has_misplaced_declaration(text) {
        Err("XML declaration inside the document".to_string())
    } else {
        match run_feed_rs(text, ctx) {
            Ok(feed)
                if !looks_incomplete(&feed, repair::count_entry_tags(text))
                    && !repair::has_namespace_variants(text) =>
            {
                return Ok(feed);
            }
            other => other,
        }
    };
    let Some(repaired) = repair::repair_xml(text) else {
        return first.map_err(|e| sniff::explain(text, &e));
    };
    let second = run_feed_rs(&repaired.xml, ctx);
    match (first, second) {
        (Ok(a), Ok(b)) => Ok(if score(&b) >= score(&a) { b } else { a }),
        (Ok(a), Err(_)) => Ok(a),
        (Err(_), Ok(b)) => match repaired.truncated_at {
            Some(at) if b.entries.is_empty() => Err(ParseError::Truncated { at }),
            _ => Ok(b),
        },
        (Err(e), Err(_)) => Err(match repaired.truncated_at {
            Some(at) => ParseError::Truncated { at },
            None => sniff::explain(text, &e),
        }),
    }
}

fn read_json(text: &str, ctx: &ParseContext<'_>) -> Result<Feed, ParseError> {
    if let Ok(feed) = run_feed_rs(text, ctx) {
        return Ok(feed);
    }
    let repaired = repair::json::repair_json(text).ok_or_else(|| sniff::explain_json(text))?;
    run_feed_rs(&repaired, ctx).map_err(|e| ParseError::NotAFeed(format!("JSON Feed: {e}")))
}

/// Runs feed-rs with our date reader and no random ids. A panic inside feed-rs or its XML
/// reader becomes an error, so that one hostile document cannot stop a refresh loop.
fn run_feed_rs(text: &str, ctx: &ParseContext<'_>) -> Result<Feed, String> {
    let parse = || {
        feed_rs::parser::Builder::new()
            // feed-rs resolves every link against the base it is given, at the cost of a URL
            // copy per element; normalize resolves against the feed URL anyway, so feed-rs
            // needs it only for relative `xml:base` attributes.
            .base_uri(ctx.feed_url.filter(|_| has_xml_base(text)).map(Url::as_str))
            .timestamp_parser(dates::parse_date)
            // Never a random id: entries without one stay empty and get a key from content.
            .id_generator(|_, _, _| String::new())
            .sanitize_content(false)
            .build()
            .parse(text.as_bytes())
            .map_err(|e| e.to_string())
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(parse))
        .unwrap_or_else(|_| Err("the feed reader panicked".to_string()))
}

fn has_xml_base(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"xml:base").is_some()
}

/// True when feed-rs read fewer entries than the document has entry tags, or entries without
/// a link, date or title, so that the repair pass may do better.
fn looks_incomplete(feed: &Feed, n_entry_tags: usize) -> bool {
    feed.entries.len() < n_entry_tags
        || feed
            .entries
            .iter()
            .any(|e| e.links.is_empty() || e.published.or(e.updated).is_none() || !has_title(e))
}

/// A title of its own or, as feedparser reads it, a MediaRSS title.
fn has_title(entry: &Entry) -> bool {
    entry.title.is_some() || entry.media.iter().any(|m| m.title.is_some())
}

/// How much a reading recovered: entries, then dated, linked and titled ones.
fn score(feed: &Feed) -> (usize, usize) {
    let complete = feed
        .entries
        .iter()
        .map(|e| {
            usize::from(!e.links.is_empty())
                + usize::from(e.published.or(e.updated).is_some())
                + usize::from(has_title(e))
        })
        .sum();
    (feed.entries.len(), complete)
}
