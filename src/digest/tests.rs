//! Unit tests of digest selection, filters, ranking, sections and rendering (pure, no store).

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::render::{Templates, render};
use super::*;
use crate::config::{DigestConfig, FeedConfig};
use crate::model::Tags;
use crate::store::StoredItem;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 7, 5, 0, 0).unwrap()
}

fn def() -> DigestConfig {
    toml::from_str(
        r#"name = "daily"
schedule = "0 7 * * *"
timezone = "Europe/Berlin"
to = ["a@example.org"]"#,
    )
    .unwrap()
}

fn feed(name: &str, weight: f64) -> FeedConfig {
    // Parsed, not built, so new optional feed fields need no change here.
    let url = format!(
        "https://{}.example/feed",
        name.to_lowercase().replace(' ', "")
    );
    toml::from_str(&format!(
        "url = \"{url}\"\nname = \"{name}\"\nweight = {weight}"
    ))
    .unwrap()
}

struct It {
    id: i64,
    story: i64,
    source: &'static str,
    title: &'static str,
    link: &'static str,
    hours_ago: i64,
    lang: &'static str,
    companies: &'static [&'static str],
}

fn item(i: It) -> StoredItem {
    let published = now() - Duration::hours(i.hours_ago);
    StoredItem {
        feed_id: i.source.len() as i64,
        source: i.source.into(),
        feed_url: format!(
            "https://{}.example/feed",
            i.source.to_lowercase().replace(' ', "")
        ),
        title: i.title.into(),
        link: Some(i.link.into()),
        canonical_link: Some(i.link.into()),
        summary: format!("<p>Summary of {}</p>", i.title),
        language: Some(i.lang.into()),
        published,
        first_seen: published + Duration::minutes(5),
        tags: Tags {
            companies: i.companies.iter().map(|c| c.to_string()).collect(),
            ..Tags::default()
        },
        ..crate::store::testing::stored_item(i.id, i.story)
    }
}

fn mai1() -> Vec<StoredItem> {
    let ms: &[&str] = &["Microsoft"];
    vec![
        item(It {
            id: 1,
            story: 10,
            source: "Hacker News",
            title: "Microsoft readies new AI model",
            link: "https://www.theinformation.com/mai-1",
            hours_ago: 16,
            lang: "en",
            companies: ms,
        }),
        item(It {
            id: 2,
            story: 10,
            source: "The Information",
            title: "Meet MAI-1: Microsoft Readies New AI Model",
            link: "https://www.theinformation.com/mai-1",
            hours_ago: 19,
            lang: "en",
            companies: ms,
        }),
        item(It {
            id: 3,
            story: 10,
            source: "The Verge",
            title: "Microsoft is reportedly building MAI-1",
            link: "https://www.theverge.com/mai-1",
            hours_ago: 14,
            lang: "en",
            companies: ms,
        }),
        item(It {
            id: 4,
            story: 10,
            source: "heise online",
            title: "MAI-1: Microsoft entwickelt eigenes KI-Modell",
            link: "https://www.heise.de/mai-1",
            hours_ago: 11,
            lang: "de",
            companies: ms,
        }),
        item(It {
            id: 5,
            story: 11,
            source: "The Verge",
            title: "Apple unveils the M4 chip",
            link: "https://www.theverge.com/m4",
            hours_ago: 2,
            lang: "en",
            companies: &["Apple"],
        }),
        item(It {
            id: 6,
            story: 12,
            source: "heise online",
            title: "Bahn: Neue Fahrgastrechte",
            link: "https://www.heise.de/bahn",
            hours_ago: 5,
            lang: "de",
            companies: &[],
        }),
    ]
}

fn feeds() -> Vec<FeedConfig> {
    vec![
        feed("The Information", 1.5),
        feed("The Verge", 1.0),
        feed("heise online", 1.0),
        feed("Hacker News", 0.5),
    ]
}

fn period() -> Period {
    Period {
        from: now() - Duration::hours(48),
        to: now(),
    }
}

fn run(def: &DigestConfig, items: &[StoredItem], sent: &HashMap<i64, i64>) -> Digest {
    let feeds = feeds();
    let input = DigestInput {
        items,
        feeds: &feeds,
        already_sent: sent,
        failing_feeds: &[],
    };
    build(def, input, period(), now())
}

#[test]
fn one_story_per_event_led_by_the_best_source() {
    let d = run(&def(), &mai1(), &HashMap::new());
    let ids: Vec<i64> = d.stories.iter().map(|s| s.story_id).collect();
    assert_eq!(ids, vec![10, 11, 12], "ranked by coverage");
    let mai = &d.stories[0];
    assert_eq!(mai.source, "The Information");
    assert_eq!(mai.title, "Meet MAI-1: Microsoft Readies New AI Model");
    assert_eq!(
        mai.summary,
        "Summary of Meet MAI-1: Microsoft Readies New AI Model"
    );
    assert_eq!(mai.source_count, 4);
    let others: Vec<&str> = mai.items[1..].iter().map(|i| i.source.as_str()).collect();
    assert_eq!(others, vec!["The Verge", "heise online", "Hacker News"]);
    assert_eq!(d.item_count, 6);
    assert_eq!(d.feed_count, 4);
    assert_eq!(d.mentions[0].name, "Microsoft");
    assert_eq!(d.mentions[0].count, 4);
}

#[test]
fn an_aggregator_pointer_never_leads_even_with_equal_weight() {
    let mut items = mai1();
    items.retain(|i| i.id <= 2);
    let flat: Vec<FeedConfig> = vec![];
    let input = DigestInput {
        items: &items,
        feeds: &flat,
        already_sent: &HashMap::new(),
        failing_feeds: &[],
    };
    let d = build(&def(), input, period(), now());
    // Hacker News linked The Information's article later: a copy, not original reporting.
    assert_eq!(d.stories[0].source, "The Information");
}

#[test]
fn filters() {
    let items = mai1();
    let check = |toml_filter: &str, want: &[i64]| {
        let mut d = def();
        d.filter = toml::from_str(toml_filter).unwrap();
        let got: Vec<i64> = run(&d, &items, &HashMap::new())
            .stories
            .iter()
            .map(|s| s.story_id)
            .collect();
        assert_eq!(got, want, "{toml_filter}");
    };
    check(r#"include_companies = ["apple"]"#, &[11]);
    check(r#"exclude_companies = ["Microsoft"]"#, &[11, 12]);
    check("min_sources = 2", &[10]);
    check(r#"languages = ["de"]"#, &[12, 10]); // one source each: the newer leads
    check(r#"exclude_feeds = ["heise online"]"#, &[10, 11]);
    check(
        r#"include_feeds = ["https://theverge.example/feed"]"#,
        &[11, 10],
    );
    let mut items = items.clone();
    items[5].ai_topic = false;
    let mut d = def();
    d.filter.ai_only = true;
    let got: Vec<i64> = run(&d, &items, &HashMap::new())
        .stories
        .iter()
        .map(|s| s.story_id)
        .collect();
    assert_eq!(got, vec![10, 11]);
}

#[test]
fn a_story_sent_before_returns_only_when_it_grew() {
    let items = mai1();
    // Sent with 1 source before: 4 now, grown by 3 >= 2, so it returns as an update.
    let d = run(&def(), &items, &HashMap::from([(10, 1), (11, 1)]));
    let got: Vec<(i64, bool)> = d.stories.iter().map(|s| (s.story_id, s.update)).collect();
    assert_eq!(got, vec![(10, true), (12, false)]);
    // Sent with 3 sources: only 1 more since, not enough.
    let d = run(&def(), &items, &HashMap::from([(10, 3)]));
    assert!(d.stories.iter().all(|s| s.story_id != 10));
}

#[test]
fn items_older_than_max_age_do_not_make_a_story_fresh() {
    let mut d = def();
    d.max_age = crate::config::HumanDuration::hours(3);
    let got: Vec<i64> = run(&d, &mai1(), &HashMap::new())
        .stories
        .iter()
        .map(|s| s.story_id)
        .collect();
    assert_eq!(got, vec![11]);
}

#[test]
fn max_stories_and_company_sections() {
    let mut d = def();
    d.company_sections = true;
    d.top_stories = 1;
    let digest = run(&d, &mai1(), &HashMap::new());
    let titles: Vec<(&str, Vec<i64>)> = digest
        .sections
        .iter()
        .map(|s| (s.title.as_str(), s.stories.clone()))
        .collect();
    assert_eq!(
        titles,
        vec![
            ("Top stories", vec![10]),
            ("Apple", vec![11]),
            ("More stories", vec![12])
        ]
    );
    d.max_stories = 2;
    assert_eq!(run(&d, &mai1(), &HashMap::new()).stories.len(), 2);
}

#[test]
fn rendered_digest_has_counts_chart_also_reported_and_health() {
    let feeds = feeds();
    let items = mai1();
    let failing = vec![FeedHealth {
        name: "Broken Feed".into(),
        failing_since: now() - Duration::days(2),
        last_error: Some("connection refused".into()),
    }];
    let input = DigestInput {
        items: &items,
        feeds: &feeds,
        already_sent: &HashMap::new(),
        failing_feeds: &failing,
    };
    let digest = build(&def(), input, period(), now());
    let r = render(
        &digest,
        &def().subject,
        chrono_tz::Europe::Berlin,
        Templates::Builtin,
    )
    .unwrap();
    assert_eq!(r.subject, "aiwire daily digest, 2024-05-07: 3 stories");
    for part in [&r.html, &r.text] {
        assert!(
            part.contains("3 stories from 6 reports by 4 outlets"),
            "{part}"
        );
        assert!(part.contains("Meet MAI-1: Microsoft Readies New AI Model"));
        assert!(part.contains("Broken Feed: failing since Sun 5 May, 07:00"));
    }
    assert!(r.html.contains("Also reported by:"));
    assert!(r.html.contains("heise online</a> (de)"));
    assert!(r.text.contains(
        "Also reported by: The Verge <https://www.theverge.com/mai-1>, heise online (de)"
    ));
    assert!(r.html.contains("Mentions by company"));
    assert!(r.html.contains("width=\"100%\""));
    // Lead time in the digest's zone: 2024-05-06 10:00 UTC is 12:00 in Berlin.
    assert!(
        r.text
            .contains("The Information, Mon 6 May, 12:00, 4 outlets"),
        "{}",
        r.text
    );
    let json: serde_json::Value = serde_json::from_str(&r.json).unwrap();
    let s0 = &json["stories"][0];
    for key in [
        "story_id",
        "title",
        "link",
        "source",
        "published",
        "summary",
        "companies",
        "models",
        "people",
        "items",
    ] {
        assert!(!s0[key].is_null(), "{key}");
    }
    for key in ["title", "link", "source", "published", "language"] {
        assert!(!s0["items"][0][key].is_null(), "items.{key}");
    }
    assert!(json["period"]["from"].is_string() && json["period"]["to"].is_string());
    assert_eq!(json["digest"], "daily");
}

#[test]
fn hostile_feed_content_is_escaped_and_bounded() {
    let mut items = mai1();
    let huge = format!("Huge {}", "A".repeat(1 << 20));
    items[1].title = "<script>alert('t')</script>\"><svg onload=alert(1)> Evil <b>title</b>".into();
    items[1].link = Some("javascript:alert(document.cookie)".into());
    items[1].summary = "<img src=x onerror=alert(1)><style>body{display:none}</style><a href=\"javascript:alert(2)\" style=\"position:fixed;top:0\">click</a> text".into();
    items[2].link = Some("data:text/html;base64,PHNjcmlwdD4=".into());
    items[3].title = huge.clone();
    items[3].source = "heise <i onmouseover=alert(3)>online</i>".into();
    items[4].title = "Apple\r\nBcc: victim@example.org".into();
    items[4].tags.companies = vec!["<script>x</script>Apple".into()];
    let mut d = def();
    d.subject = "{{ name }}\r\nBcc: x@example.org".into();
    let feeds = feeds();
    let input = DigestInput {
        items: &items,
        feeds: &feeds,
        already_sent: &HashMap::new(),
        failing_feeds: &[],
    };
    let digest = build(&d, input, period(), now());
    let r = render(&digest, &d.subject, chrono_tz::UTC, Templates::Builtin).unwrap();
    let html = r.html.to_lowercase();
    for bad in [
        "<script",
        "<svg",
        "<img",
        "<style>",
        "javascript:",
        "data:text",
        "onload=alert",
        "<i ",
        "position:fixed",
    ] {
        assert!(!html.contains(bad), "{bad} reached the HTML");
    }
    assert!(!r.text.to_lowercase().contains("javascript:"));
    assert!(r.html.len() < 64 * 1024, "html is {} bytes", r.html.len());
    assert!(r.text.len() < 32 * 1024);
    assert!(r.json.len() < 64 * 1024);
    assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    assert!(
        r.html.contains("&quot;&gt;"),
        "quotes and brackets in titles are escaped"
    );
}

#[test]
fn tags_most_reported_first() {
    let mut items = mai1();
    items[0].tags.companies = vec!["Google".into(), "Microsoft".into()];
    items[1].tags.companies = vec!["Microsoft".into(), "OpenAI".into()];
    items[2].tags.companies = vec!["Inflection AI".into(), "Microsoft".into()];
    items[3].tags.companies = vec!["OpenAI".into()];
    let d = run(&def(), &items, &HashMap::new());
    assert_eq!(
        d.stories[0].companies,
        vec!["Microsoft", "OpenAI", "Google", "Inflection AI"]
    );
}
