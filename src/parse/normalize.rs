//! Maps a feed-rs [`Feed`] to our [`ParsedFeed`]: plain-text titles and summaries, resolved
//! and canonical links, dated entries, stable keys, languages, and the content HTML as the
//! feed gave it (sanitizing is the display's job: [`crate::digest::clean::safe_html`]).
//!
//! Pure: the fetch time and the feed URL come in through [`ParseContext`].

use std::borrow::Cow;

use super::ParseContext;
use super::dates::clamp_future;
use super::encoding::fix_mojibake;
use super::key::{KeySource, assign_keys};
use super::text::{MAX_SUMMARY_CHARS, plain_text};
use super::{lang, links};
use crate::model::{DateSource, ParsedEntry, ParsedFeed};
use feed_rs::model::{Entry, Feed, FeedType, Link};

/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 500;

/// Builds the normalized feed.
pub fn normalize(feed: Feed, ctx: &ParseContext<'_>) -> ParsedFeed {
    let base = ctx.feed_url;
    let feed_language = feed.language.as_deref().and_then(lang::normalize_tag);
    let mut entries: Vec<ParsedEntry> = feed
        .entries
        .into_iter()
        .map(|e| normalize_entry(e, ctx, feed_language.as_deref()))
        .collect();
    let undeclared: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].language.is_none())
        .collect();
    if !undeclared.is_empty() {
        let texts: Vec<(&str, &str)> = undeclared
            .iter()
            .map(|&i| (entries[i].title.as_str(), entries[i].summary.as_str()))
            .collect();
        let detected = lang::detect_entries(&texts);
        for (i, language) in undeclared.into_iter().zip(detected) {
            entries[i].language = language;
        }
    }
    let sources: Vec<KeySource<'_>> = entries
        .iter()
        .map(|e| KeySource {
            guid: e.guid.as_deref(),
            canonical_link: e.canonical_link.as_deref(),
            title: &e.title,
            feed_date: (e.date_source == DateSource::Feed).then_some(e.published),
            summary: &e.summary,
        })
        .collect();
    let keys = assign_keys(&sources);
    for (entry, key) in entries.iter_mut().zip(keys) {
        entry.key = key;
    }
    let language = feed_language.or_else(|| majority_language(&entries));
    ParsedFeed {
        format: format_name(feed.feed_type).to_string(),
        title: feed
            .title
            .as_ref()
            .map(|t| plain_text(&t.content, MAX_TITLE_CHARS))
            .filter(|t| !t.is_empty()),
        language,
        site_link: pick_link(&feed.links).and_then(|href| links::resolve(href, base)),
        ttl_minutes: feed.ttl,
        entries,
    }
}

fn format_name(feed_type: FeedType) -> &'static str {
    match feed_type {
        FeedType::Atom => "atom",
        FeedType::JSON => "json",
        FeedType::RSS0 => "rss0",
        FeedType::RSS1 => "rss1",
        FeedType::RSS2 => "rss2",
    }
}

fn normalize_entry(
    mut entry: Entry,
    ctx: &ParseContext<'_>,
    feed_language: Option<&str>,
) -> ParsedEntry {
    let base = ctx.feed_url;
    let guid = Some(entry.id.trim()).filter(|id| !id.is_empty());
    let media_title = || entry.media.iter().find_map(|m| m.title.as_ref());
    let title = entry
        .title
        .as_ref()
        .or_else(media_title)
        .map(|t| plain_text(&t.content, MAX_TITLE_CHARS))
        .unwrap_or_default();
    let link_url = pick_link(&entry.links)
        .and_then(|href| links::resolve_url(href, base))
        .or_else(|| guid.and_then(|g| links::promote_guid(g, base)));
    let link = link_url.as_ref().map(|url| url.as_str().to_string());
    let canonical_link = link_url.and_then(links::canonicalize_url);
    let (published, date_source) = match entry.published.or(entry.updated) {
        Some(date) => (clamp_future(date, ctx.fetched_at), DateSource::Feed),
        None => (ctx.fetched_at, DateSource::FirstSeen),
    };
    let body = entry.content.as_ref().and_then(|c| c.body.as_deref());
    let media_description = || {
        entry
            .media
            .iter()
            .find_map(|m| m.description.as_ref().map(|d| d.content.as_str()))
    };
    let summary_source = entry
        .summary
        .as_ref()
        .map(|s| s.content.as_str())
        .filter(|s| !s.trim().is_empty())
        .or(body)
        .or_else(media_description)
        .unwrap_or("");
    let summary = plain_text(summary_source, MAX_SUMMARY_CHARS);
    // Detection, for entries that declare nothing, runs over the whole feed ([`normalize`]).
    let language = entry
        .language
        .as_deref()
        .and_then(lang::normalize_tag)
        .or_else(|| feed_language.map(str::to_string));
    let mut authors: Vec<String> = Vec::new();
    for person in &entry.authors {
        let name = plain_text(person.name.as_deref().unwrap_or(""), 200);
        let name = if name.is_empty() {
            person.email.clone().unwrap_or_default()
        } else {
            name
        };
        if !name.is_empty() && !authors.contains(&name) {
            authors.push(name);
        }
    }
    // Stored unsanitized, as the feed gave it (only mojibake undone): taken, not copied, from
    // the feed-rs entry.
    let content_html = match entry.content.as_mut().and_then(|c| c.body.take()) {
        Some(body) => Some(body),
        None => entry.summary.take().map(|t| t.content),
    }
    .filter(|html| !html.trim().is_empty())
    .map(|html| {
        let fixed = match fix_mojibake(&html) {
            Cow::Owned(fixed) => Some(fixed),
            Cow::Borrowed(_) => None,
        };
        fixed.unwrap_or(html)
    });
    ParsedEntry {
        key: String::new(),
        title,
        link,
        canonical_link,
        published,
        date_source,
        summary,
        language,
        authors,
        content_html,
        guid: guid.map(str::to_string),
    }
}

/// The entry's page: an alternate (or unlabelled) link that is not a media file, else any
/// link that is not the feed itself or an enclosure.
fn pick_link(entry_links: &[Link]) -> Option<&str> {
    let is_media = |l: &Link| {
        l.media_type.as_deref().is_some_and(|t| {
            t.starts_with("audio/") || t.starts_with("video/") || t.starts_with("image/")
        })
    };
    entry_links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")) && !is_media(l))
        .or_else(|| {
            entry_links.iter().find(|l| {
                !matches!(
                    l.rel.as_deref(),
                    Some("self" | "enclosure" | "hub" | "next")
                )
            })
        })
        .map(|l| l.href.as_str())
        .filter(|href| !href.trim().is_empty())
}

/// The language most entries were detected in, when it is at least half of them.
fn majority_language(entries: &[ParsedEntry]) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for language in entries.iter().filter_map(|e| e.language.as_deref()) {
        match counts.iter_mut().find(|(l, _)| *l == language) {
            Some((_, n)) => *n += 1,
            None => counts.push((language, 1)),
        }
    }
    let (language, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    (n * 2 >= entries.len()).then(|| language.to_string())
}
