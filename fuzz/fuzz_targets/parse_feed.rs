//! Fuzzes `parse_feed` (and the date reader) with arbitrary bytes: it must never panic.
#![no_main]

use std::sync::OnceLock;

use aiwire_fuzz::parse::{ParseContext, parse_date, parse_feed};
use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use url::Url;

fn base() -> &'static Url {
    static BASE: OnceLock<Url> = OnceLock::new();
    BASE.get_or_init(|| Url::parse("https://example.test/feed/").unwrap())
}

fuzz_target!(|data: &[u8]| {
    let fetched_at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    // The length picks whether the feed URL and an HTTP charset are given, so that seed
    // documents keep their first byte.
    let selector = data.len() & 3;
    let body = data;
    let ctx = ParseContext {
        feed_url: (selector & 1 == 0).then(base),
        http_charset: (selector & 2 == 2).then_some("iso-8859-1"),
        fetched_at,
    };
    let _ = parse_feed(body, &ctx);
    if let Ok(text) = std::str::from_utf8(body)
        && text.len() < 200
    {
        let _ = parse_date(text);
    }
});
