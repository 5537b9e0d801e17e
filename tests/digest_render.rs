//! The digest as readers see it, built from a real store: the MAI-1 reports (assigned to one
//! story directly) with tags, a failing feed, and a story of hostile feed content. Writes the
//! HTML and text to `target/digest-fixtures/` for `scripts/digest-screenshot.sh` to render
//! in Chromium, and checks what must (and must not) be in them.

mod support;

use std::collections::HashMap;
use std::path::Path;

use aiwire::digest::render::{Templates, render};
use aiwire::digest::{DigestInput, FeedHealth, Period, build};
use aiwire::model::Tags;
use aiwire::store::Store;
use chrono::{Duration, TimeZone, Utc};

#[test]
fn mai1_digest_with_hostile_story_renders_safely() {
    let dir = tempfile::tempdir().unwrap();
    let mail = format!(
        "transport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <digest@aiwire.test>\"\n",
        dir.path().join("outbox").display()
    );
    let config = support::config(dir.path(), &mail, "to = [\"one@example.org\"]");
    let seen = Utc.with_ymd_and_hms(2024, 5, 7, 4, 0, 0).unwrap();
    let now = seen + Duration::minutes(30);
    let mut store = Store::open(&config.store.path).unwrap();
    support::seed_mai1(&mut store, &config, seen);
    let feed = store.feeds().unwrap()[1].id;
    let title = format!(
        "<script>alert(1)</script>\"><img src=x onerror=alert(2)> Evil {}",
        "A".repeat(1 << 20)
    );
    let mut hostile = support::entry(
        "evil",
        &title,
        "javascript:alert(3)",
        "<style>body{display:none}</style><div style=\"position:fixed;inset:0;background:red\">overlay</div> visible text",
        "en",
        seen - Duration::hours(1),
    );
    hostile.canonical_link = None;
    let tags = Tags {
        companies: vec!["<b onmouseover=alert(4)>Evil Corp</b>".into()],
        ..Tags::default()
    };
    let ids = store.insert_items(feed, &[(hostile, tags)], seen).unwrap();
    store
        .assign_stories(&[aiwire::store::testing::placement(ids[0], 3)], seen)
        .unwrap();
    let items = store.items_of_stories(&[1, 2, 3]).unwrap();
    let failing = vec![FeedHealth {
        name: "Example Broken Feed".into(),
        failing_since: now - Duration::hours(30),
        last_error: Some("https://broken.example/feed answered 503".into()),
    }];
    let input = DigestInput {
        items: &items,
        feeds: &config.feeds,
        already_sent: &HashMap::new(),
        failing_feeds: &failing,
    };
    let period = Period {
        from: now - Duration::hours(48),
        to: now,
    };
    let def = &config.digests[0];
    let digest = build(def, input, period, now);
    let r = render(
        &digest,
        &def.subject,
        chrono_tz::Europe::Berlin,
        Templates::Builtin,
    )
    .unwrap();

    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/digest-fixtures");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("mai1.html"), &r.html).unwrap();
    std::fs::write(out.join("mai1.txt"), &r.text).unwrap();

    assert_eq!(digest.stories.len(), 3);
    assert_eq!(digest.stories[0].source, "The Information");
    assert_eq!(digest.stories[0].source_count, 5);
    assert!(r.html.contains("Mentions by company"));
    assert!(r.html.contains("Mustafa Suleyman"), "tag chips");
    assert!(r.html.contains("Example Broken Feed: failing since"));
    let lower = r.html.to_lowercase();
    for bad in [
        "<script",
        "<img",
        "<style>body",
        "javascript:",
        "position:fixed",
        "<b onmouseover",
    ] {
        assert!(!lower.contains(bad), "{bad} reached the HTML");
    }
    assert!(r.html.contains("visible text"));
    assert!(r.html.len() < 64 * 1024);
}
