//! Throws mutated fixture bytes at `parse_feed`: truncations, inserted markup characters,
//! flipped bytes. It must never panic. Deterministic (fixed-seed xorshift), so a failure
//! reproduces; the cargo-fuzz target in `fuzz/` explores further.

use aiwire::parse::{ParseContext, parse_feed};
use chrono::{TimeZone, Utc};
use url::Url;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INSERTS: &[&[u8]] = &[
    b"<",
    b">",
    b"&",
    b"\"",
    b"'",
    b"\0",
    b"\xff",
    b"\xc3",
    b"]]>",
    b"<![CDATA[",
    b"</item>",
    b"<item>",
    b"&#x0;",
    b"&nbsp",
    b"<!--",
    b"xmlns=\"x\"",
    b"<rss>",
    b"</rss>",
    b"\xef\xbb\xbf",
];

#[test]
fn mutated_fixtures_never_panic() {
    let dir = format!("{}/tests/fixtures/parse", env!("CARGO_MANIFEST_DIR"));
    let feed_url = Url::parse("https://example.test/feed/").unwrap();
    let ctx = ParseContext {
        feed_url: Some(&feed_url),
        http_charset: None,
        fetched_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    };
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut n_cases = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let original = std::fs::read(entry.unwrap().path()).unwrap();
        for _ in 0..40 {
            let mut doc = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(doc.len() + 1);
                match rng.below(3) {
                    0 => doc.truncate(at),
                    1 => {
                        let insert = INSERTS[rng.below(INSERTS.len())];
                        doc.splice(at..at, insert.iter().copied());
                    }
                    _ => {
                        if let Some(b) = doc.get_mut(at) {
                            *b ^= 1 << rng.below(8);
                        }
                    }
                }
            }
            let _ = parse_feed(&doc, &ctx);
            n_cases += 1;
        }
    }
    assert!(n_cases > 1000);
}
