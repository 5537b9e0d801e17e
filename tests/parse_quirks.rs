//! One test per quirk fixture in `tests/fixtures/parse/`: what `parse_feed` recovers from it.
//!
//! Each fixture is hand-written and holds one quirk seen in real feeds; the test names it.

use aiwire::digest::clean::safe_html;
use aiwire::model::{DateSource, ParsedFeed};
use aiwire::parse::{ParseContext, ParseError, parse_feed};
use chrono::{DateTime, TimeZone, Utc};
use url::Url;

fn fetched_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn load(fixture: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/parse/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

fn parse(fixture: &str) -> Result<ParsedFeed, ParseError> {
    let feed_url = Url::parse("https://site.example.test/feed.xml").unwrap();
    let ctx = ParseContext {
        feed_url: Some(&feed_url),
        http_charset: None,
        fetched_at: fetched_at(),
    };
    parse_feed(&load(fixture), &ctx)
}

/// Renders the feed as a header line and one line per entry.
fn render(feed: &ParsedFeed) -> String {
    let mut out = format!(
        "{} | {} | {}\n",
        feed.format,
        feed.title.as_deref().unwrap_or("-"),
        feed.language.as_deref().unwrap_or("-")
    );
    for e in &feed.entries {
        let date = match e.date_source {
            DateSource::Feed => e.published.to_rfc3339(),
            DateSource::FirstSeen => "first_seen".to_string(),
        };
        out.push_str(&format!(
            "{} | {} | {} | {} | {}\n",
            e.key,
            e.title,
            e.link.as_deref().unwrap_or("-"),
            e.canonical_link.as_deref().unwrap_or("-"),
            date
        ));
    }
    out
}

#[track_caller]
fn check(fixture: &str, expected: &str) {
    let feed = parse(fixture).unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let got = render(&feed);
    assert_eq!(got.trim(), expected.trim(), "\n{fixture} gave:\n{got}");
}

#[track_caller]
fn check_error(fixture: &str, expected: &str) {
    match parse(fixture) {
        Ok(feed) => panic!("{fixture} parsed:\n{}", render(&feed)),
        Err(e) => assert_eq!(e.to_string(), expected),
    }
}

// heise online's RDF feed uses the RSS 0.90 namespace; raw feed-rs reads 0 entries.
#[test]
fn rss090_namespace() {
    check(
        "rss090-rdf.xml",
        "
rss1 | Beispiel-Nachrichten | -
https://news.example.test/meldung/1 | Neues Sprachmodell vorgestellt | https://news.example.test/meldung/1 | https://news.example.test/meldung/1 | first_seen
https://news.example.test/meldung/2 | Forschungslabor erweitert Rechenzentrum | https://news.example.test/meldung/2 | https://news.example.test/meldung/2 | first_seen",
    );
}

#[test]
fn rss_with_default_namespace() {
    check(
        "rss-default-namespace.xml",
        "
rss2 | Namespaced RSS | -
https://ns.example.test/1 | First story | https://ns.example.test/1 | https://ns.example.test/1 | 2023-01-03T10:00:00+00:00
https://ns.example.test/2 | Second story | https://ns.example.test/2 | https://ns.example.test/2 | 2023-01-04T10:00:00+00:00",
    );
}

#[test]
fn rss_without_version() {
    check(
        "rss-no-version.xml",
        "
rss2 | Versionless | -
https://nv.example.test/1 | Only story | https://nv.example.test/1 | https://nv.example.test/1 | 2023-01-03T10:00:00+00:00",
    );
}

// feed-rs drops RSS 1.0 items without <link>; rdf:about names the item.
#[test]
fn rss1_item_with_about_but_no_link() {
    check(
        "rss1-about-without-link.xml",
        "
rss1 | About-only items | -
https://about.example.test/story/7 | A story without a link element | https://about.example.test/story/7?utm_source=rss1 | https://about.example.test/story/7 | 2020-09-23T14:10:00+00:00",
    );
}

// NYT: one empty <media:description/> made feed-rs reject the whole feed.
#[test]
fn empty_media_elements() {
    check(
        "media-empty-description.xml",
        "
rss2 | Empty media elements | -
https://media.example.test/1 | Story with an empty media description | https://media.example.test/1 | https://media.example.test/1 | 2023-01-03T10:00:00+00:00
https://media.example.test/2 | Second story | https://media.example.test/2 | https://media.example.test/2 | 2023-01-03T11:00:00+00:00",
    );
}

// The Guardian: bare & in URLs and text.
#[test]
fn bare_ampersands() {
    check(
        "bare-ampersand.xml",
        "
rss2 | Tom & Jerry's feed | en
https://amp.example.test/story?id=1&page=2 | Research & development | https://amp.example.test/story?id=1&page=2 | https://amp.example.test/story?id=1&page=2 | 2023-01-03T10:00:00+00:00",
    );
    let feed = parse("bare-ampersand.xml").unwrap();
    assert_eq!(feed.entries[0].summary, "Q&A with the team — part one");
}

#[test]
fn feed_inside_html_page() {
    check(
        "feed-inside-html-page.html",
        "
rss2 | Wrapped | -
https://wrap.example.test/1 | Wrapped story | https://wrap.example.test/1 | https://wrap.example.test/1 | 2023-01-03T10:00:00+00:00",
    );
}

#[test]
fn gzip_bytes() {
    check(
        "gzip-body.xml.gz",
        "
rss2 | Versionless | -
https://nv.example.test/1 | Only story | https://nv.example.test/1 | https://nv.example.test/1 | 2023-01-03T10:00:00+00:00",
    );
}

#[test]
fn json_feed_with_http_version_and_string_tags() {
    check(
        "jsonfeed-http-version-string-tags.json",
        "
json | JSON with quirks | -
1 | Numeric id, string tags | https://json.example.test/1 | https://json.example.test/1 | 2023-01-03T10:00:00+00:00
two | Second | https://json.example.test/2 | https://json.example.test/2 | 2023-01-04T10:00:00+00:00",
    );
}

// A declaration that lies: UTF-8 bytes declared ISO-8859-1 ("lÃ¤nger" in raw feed-rs).
#[test]
fn utf8_declared_latin1() {
    let feed = parse("encoding-utf8-declared-latin1.xml").unwrap();
    assert_eq!(feed.title.as_deref(), Some("Lügende Deklaration"));
    assert_eq!(feed.entries[0].title, "Die Schlange wird länger");
}

#[test]
fn latin1_declared_utf8() {
    let feed = parse("encoding-latin1-declared-utf8.xml").unwrap();
    assert_eq!(
        feed.entries[0].title,
        "Die Straße ist länger geworden, größer und schöner"
    );
}

#[test]
fn undeclared_windows1252() {
    let feed = parse("encoding-undeclared-windows1252.xml").unwrap();
    assert_eq!(feed.title.as_deref(), Some("Übersicht"));
    assert_eq!(
        feed.entries[0].title,
        "Künstliche Intelligenz: „Modelle“ werden größer – Überblick"
    );
}

// The Verge: UTF-8 that was decoded as Windows-1252 upstream sits in the source bytes.
#[test]
fn mojibake_in_source_bytes() {
    let feed = parse("mojibake-in-source.xml").unwrap();
    assert_eq!(feed.entries[0].title, "Why the queue isn’t getting shorter");
    assert_eq!(
        feed.entries[0].summary,
        "The wait grew länger — says the operator."
    );
}

#[test]
fn real_date_formats_future_clamp_and_first_seen() {
    check(
        "dates-real-formats.xml",
        "
rss2 | Dates | -
https://d.example.test/1 | BST | https://d.example.test/1 | https://d.example.test/1 | 2017-10-16T14:10:00+00:00
https://d.example.test/2 | CEST | https://d.example.test/2 | https://d.example.test/2 | 2017-10-16T13:10:00+00:00
https://d.example.test/3 | SQL | https://d.example.test/3 | https://d.example.test/3 | 2018-12-13T00:00:00+00:00
https://d.example.test/4 | Slashes | https://d.example.test/4 | https://d.example.test/4 | 2020-01-10T14:33:00+00:00
https://d.example.test/5 | Epoch | https://d.example.test/5 | https://d.example.test/5 | 2018-02-12T23:42:14+00:00
https://d.example.test/6 | German | https://d.example.test/6 | https://d.example.test/6 | 2021-03-03T13:05:00+00:00
https://d.example.test/7 | Far future | https://d.example.test/7 | https://d.example.test/7 | 2026-01-01T00:00:00+00:00
https://d.example.test/8 | No date | https://d.example.test/8 | https://d.example.test/8 | first_seen",
    );
}

#[test]
fn lower_case_pubdate() {
    check(
        "pubdate-lowercase.xml",
        "
rss2 | Case | -
https://case.example.test/1 | Lower-case pubdate | https://case.example.test/1 | https://case.example.test/1 | 2022-09-03T06:37:11+00:00",
    );
}

#[test]
fn relative_links_against_xml_base() {
    check(
        "relative-links-xml-base.xml",
        "
atom | Relative | -
urn:example:relative:1 | Relative to xml:base | https://base.example.test/blog/posts/one | https://base.example.test/blog/posts/one | 2023-01-03T10:00:00+00:00
urn:example:relative:2 | Relative to the entry's xml:base | https://other.example.test/two | https://other.example.test/two | 2023-01-03T11:00:00+00:00",
    );
}

#[test]
fn relative_links_against_feed_url() {
    check(
        "relative-links-feed-url.xml",
        "
rss2 | Relative to the feed URL | -
https://site.example.test/news/1 | Root-relative | https://site.example.test/news/1 | https://site.example.test/news/1 | 2023-01-03T10:00:00+00:00
/news/2 | Guid only | https://site.example.test/news/2 | https://site.example.test/news/2 | 2023-01-03T11:00:00+00:00",
    );
}

#[test]
fn permalink_guid_promoted_to_link() {
    check(
        "guid-permalink-without-link.xml",
        "
rss2 | Guids | -
https://guid.example.test/p/1 | Guid is the permalink | https://guid.example.test/p/1 | https://guid.example.test/p/1 | 2023-01-03T10:00:00+00:00
item-2 | Guid is no URL | - | - | 2023-01-03T11:00:00+00:00",
    );
}

#[test]
fn tracking_parameters_leave_the_canonical_link() {
    check(
        "tracking-parameters.xml",
        "
rss2 | Tracking | -
https://track.example.test/story?id=9 | Tracked | https://track.example.test/story?id=9&utm_source=rss&utm_medium=feed&fbclid=abc&gclid=x&mc_cid=1&ref=home#comments | https://track.example.test/story?id=9 | 2023-01-03T10:00:00+00:00",
    );
}

#[test]
fn html_titles_and_double_escaped_entities() {
    let feed = parse("atom-html-title-entities.xml").unwrap();
    assert_eq!(feed.title.as_deref(), Some("Tom & Jerry"));
    assert_eq!(feed.entries[0].title, "GPT & friends – a \"review\"");
    assert_eq!(
        feed.entries[0].summary,
        "First paragraph. Second paragraph & more."
    );
}

// Content HTML is stored as the feed gave it (lossless) and sanitized where it is displayed,
// so a stricter policy also covers items stored before it.
#[test]
fn unsafe_content_is_kept_raw_and_sanitized_for_display() {
    let feed = parse("unsafe-content.xml").unwrap();
    let entry = &feed.entries[0];
    assert_eq!(entry.summary, "Short summary.");
    let raw = entry.content_html.as_deref().expect("content");
    assert!(raw.contains(r#"<p onclick="steal()">"#), "{raw}");
    let feed_url = Url::parse("https://site.example.test/feed.xml").unwrap();
    let html = safe_html(raw, Some(&feed_url));
    for banned in [
        "onclick",
        "display:none",
        "javascript:",
        "<script",
        "steal()",
        "pixel.example.test",
    ] {
        assert!(!html.contains(banned), "{banned} survived in {html}");
    }
    assert!(
        html.contains(r#"href="https://site.example.test/ok""#),
        "{html}"
    );
    assert!(
        html.contains(r#"src="https://site.example.test/chart.png""#),
        "{html}"
    );
}

// A feed that gives every item the same GUID: all items are kept, keyed by link or content.
#[test]
fn duplicate_guids_all_kept() {
    let feed = parse("duplicate-guids.xml").unwrap();
    let keys: Vec<&str> = feed.entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[0], "https://dup.example.test/1");
    assert!(
        keys[1].starts_with("sha256:") && keys[2].starts_with("sha256:"),
        "{keys:?}"
    );
    assert_ne!(keys[1], keys[2]);
}

// Keys never depend on the fetch time, so a refetch finds the same items.
#[test]
fn keys_without_guid_or_link_are_stable() {
    let feed_url = Url::parse("https://site.example.test/feed.xml").unwrap();
    let keys_at = |hour| {
        let ctx = ParseContext {
            feed_url: Some(&feed_url),
            http_charset: None,
            fetched_at: Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0).unwrap(),
        };
        let feed = parse_feed(&load("no-guid-no-link.xml"), &ctx).unwrap();
        feed.entries.into_iter().map(|e| e.key).collect::<Vec<_>>()
    };
    let keys = keys_at(1);
    assert_eq!(keys, keys_at(7));
    assert!(keys.iter().all(|k| k.starts_with("sha256:")), "{keys:?}");
    assert_ne!(keys[0], keys[1]);
}

#[test]
fn language_detected_per_item() {
    let feed = parse("language-undeclared.xml").unwrap();
    let languages: Vec<_> = feed.entries.iter().map(|e| e.language.as_deref()).collect();
    assert_eq!(languages, [Some("en"), Some("de")]);
}

#[test]
fn language_declared_by_feed() {
    let feed = parse("language-declared.xml").unwrap();
    assert_eq!(feed.language.as_deref(), Some("de"));
    assert_eq!(feed.entries[0].language.as_deref(), Some("de"));
}

#[test]
fn atom_03() {
    check(
        "atom03.xml",
        "
atom | Old Atom | -
tag:atom03.example.test,2005:1 | Atom 0.3 entry | https://atom03.example.test/1 | https://atom03.example.test/1 | 2005-01-03T10:00:00+00:00",
    );
}

#[test]
fn channel_without_rss_root() {
    check(
        "channel-without-rss.xml",
        "
rss2 | Bare channel | -
https://bare.example.test/1 | Story in a bare channel | https://bare.example.test/1 | https://bare.example.test/1 | 2023-01-03T10:00:00+00:00",
    );
}

#[test]
fn media_namespace_variant() {
    let feed = parse("wrong-media-namespace.xml").unwrap();
    assert_eq!(feed.entries[0].summary, "A photo of the new data centre.");
}

#[test]
fn undeclared_prefix() {
    check(
        "undeclared-prefix.xml",
        "
rss2 | Undeclared | -
https://undecl.example.test/1 | Uses dc without declaring it | https://undecl.example.test/1 | https://undecl.example.test/1 | 2023-01-03T10:00:00+00:00",
    );
}

#[test]
fn truncated_after_entries_keeps_them() {
    check(
        "truncated-after-entries.xml",
        "
rss2 | Cut off later | -
https://cut.example.test/1 | Complete story | https://cut.example.test/1 | https://cut.example.test/1 | 2023-01-03T10:00:00+00:00
https://cut.example.test/2 | Half a story | https://cut.example.test/2 | https://cut.example.test/2 | 2023-01-03T11:00:00+00:00",
    );
}

#[test]
fn truncated_before_entries_says_where() {
    check_error(
        "truncated-before-entries.xml",
        "not a feed: XML truncated at byte 127 before any entry",
    );
}

#[test]
fn html_page_is_named() {
    check_error(
        "not-a-feed-html-page.html",
        "not a feed: an HTML page (Page not found)",
    );
}

#[test]
fn empty_body_is_named() {
    check_error("empty-body.xml", "empty document");
}

// Found by cargo-fuzz: quick-xml inside feed-rs panicked ("set_encoding() called after prefix
// buffer was drained") on a second XML declaration in the document.
#[test]
fn second_xml_declaration_does_not_panic() {
    check(
        "second-xml-declaration.xml",
        "
rss2 | Second declaration | -
https://decl.example.test/1 | Story after a second XML declaration | https://decl.example.test/1 | https://decl.example.test/1 | 2023-01-03T10:00:00+00:00",
    );
}

// A PHP warning printed before the XML declaration.
#[test]
fn text_before_declaration() {
    check(
        "text-before-declaration.xml",
        "
rss2 | Junk first | -
https://junk.example.test/1 | Story after a PHP warning | https://junk.example.test/1 | https://junk.example.test/1 | 2023-01-03T10:00:00+00:00",
    );
}
