//! Renders deduplicated stories as an Atom 1.0 feed (RFC 4287), one entry per story: the
//! first report leads, every other report is listed in the content. Pure: stories, filter,
//! URL and clock arrive as arguments. Entry ids (`urn:aiwire:story:N`) are stable because
//! story ids are never reused; when two stories merge (an operator's merge, or clustering
//! joining two fragments) the absorbed story's entry stops appearing and the surviving one
//! lists its reports.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::digest::clean::safe_link;
use crate::store::{StoredItem, StoryFilter, StoryHeader};

/// One story with its reports, earliest published first.
#[derive(Debug, Clone)]
pub struct AtomStory {
    pub header: StoryHeader,
    pub items: Vec<StoredItem>,
}

/// Pairs story headers (in their order) with their items.
pub fn group(headers: Vec<StoryHeader>, items: Vec<StoredItem>) -> Vec<AtomStory> {
    let mut by_story: HashMap<i64, Vec<StoredItem>> = HashMap::new();
    for item in items {
        if let Some(s) = item.story_id {
            by_story.entry(s).or_default().push(item);
        }
    }
    headers
        .into_iter()
        .filter_map(|header| {
            let mut items = by_story.remove(&header.story)?;
            items.sort_by_key(|i| (i.published, i.id));
            Some(AtomStory { header, items })
        })
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Escapes text for XML content and attribute values, dropping characters XML 1.0 forbids.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn title_for(filter: &StoryFilter) -> String {
    let mut parts = Vec::new();
    for (kind, v) in [
        ("company", &filter.company),
        ("model", &filter.model),
        ("person", &filter.person),
    ] {
        if let Some(v) = v {
            parts.push(format!("{kind} {v}"));
        }
    }
    if filter.min_sources > 1 {
        parts.push(format!("at least {} sources", filter.min_sources));
    }
    if parts.is_empty() {
        "aiwire: stories".into()
    } else {
        format!("aiwire: stories ({})", parts.join(", "))
    }
}

/// The whole feed document.
pub fn render(
    stories: &[AtomStory],
    filter: &StoryFilter,
    self_url: &str,
    now: DateTime<Utc>,
) -> String {
    let updated = stories
        .iter()
        .map(|s| s.header.updated)
        .max()
        .unwrap_or(now);
    let mut out = String::with_capacity(1024 + stories.len() * 1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <title>{}</title>\n<id>urn:aiwire:stories</id>\n<updated>{}</updated>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n\
         <generator version=\"{}\">aiwire</generator>\n",
        escape(&title_for(filter)),
        rfc3339(updated),
        escape(self_url),
        env!("CARGO_PKG_VERSION"),
    );
    for story in stories {
        render_entry(&mut out, story);
    }
    out.push_str("</feed>\n");
    out
}

fn render_entry(out: &mut String, story: &AtomStory) {
    let Some(lead) = story.items.first() else {
        return;
    };
    let _ = write!(
        out,
        "<entry>\n<id>urn:aiwire:story:{}</id>\n<title>{}</title>\n<updated>{}</updated>\n<published>{}</published>\n\
         <author><name>{}</name></author>\n",
        story.header.story,
        escape(&lead.title),
        rfc3339(story.header.updated),
        rfc3339(lead.published),
        escape(&lead.source),
    );
    // Feed readers follow these links: `http`/`https` only, never `javascript:` or `data:`.
    if let Some(link) =
        safe_link(lead.link.as_deref()).or_else(|| safe_link(lead.canonical_link.as_deref()))
    {
        let _ = writeln!(out, "<link rel=\"alternate\" href=\"{}\"/>", escape(&link));
    }
    let mut tags: Vec<(&str, &str)> = Vec::new();
    for item in &story.items {
        for (scheme, names) in [
            ("company", &item.tags.companies),
            ("model", &item.tags.models),
            ("person", &item.tags.people),
        ] {
            for name in names {
                if !tags.contains(&(scheme, name.as_str())) {
                    tags.push((scheme, name.as_str()));
                }
            }
        }
    }
    for (scheme, name) in tags {
        let _ = writeln!(
            out,
            "<category scheme=\"urn:aiwire:{scheme}\" term=\"{}\"/>",
            escape(name)
        );
    }
    if !lead.summary.is_empty() {
        let _ = writeln!(out, "<summary>{}</summary>", escape(&lead.summary));
    }
    // The content is HTML, escaped once more to travel inside the XML element.
    let mut html = format!(
        "<p>Reported by {} source{}:</p><ul>",
        story.header.sources,
        if story.header.sources == 1 { "" } else { "s" }
    );
    for item in &story.items {
        let title = escape(&item.title);
        let source = escape(&item.source);
        match safe_link(item.link.as_deref()) {
            Some(link) => {
                let _ = write!(
                    html,
                    "<li><a href=\"{}\">{title}</a> ({source})</li>",
                    escape(&link)
                );
            }
            None => {
                let _ = write!(html, "<li>{title} ({source})</li>");
            }
        }
    }
    html.push_str("</ul>");
    let _ = write!(
        out,
        "<content type=\"html\">{}</content>\n</entry>\n",
        escape(&html)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Tags;
    use crate::parse::{ParseContext, parse_feed};

    fn item(id: i64, story: i64, source: &str, title: &str) -> StoredItem {
        StoredItem {
            source: source.into(),
            feed_url: format!("https://{source}.test/feed"),
            title: title.into(),
            link: Some(format!("https://{source}.test/{id}?a=1&b=2")),
            summary: "A <b>summary</b> & more".into(),
            first_seen: DateTime::from_timestamp(1_700_000_100 + id, 0).unwrap(),
            tags: Tags {
                companies: vec!["OpenAI".into()],
                ..Tags::default()
            },
            ..crate::store::testing::stored_item(id, story)
        }
    }

    #[test]
    fn feed_parses_back_with_one_entry_per_story() {
        let headers = vec![StoryHeader {
            story: 7,
            updated: DateTime::from_timestamp(1_700_000_200, 0).unwrap(),
            sources: 2,
        }];
        let items = vec![
            item(2, 7, "verge", "OpenAI ships <GPT-5> & more"),
            item(1, 7, "ars", "OpenAI releases GPT-5"),
        ];
        let stories = group(headers, items);
        let filter = StoryFilter {
            company: Some("OpenAI".into()),
            ..StoryFilter::default()
        };
        let xml = render(
            &stories,
            &filter,
            "http://127.0.0.1:9187/stories.atom?company=OpenAI",
            Utc::now(),
        );
        let ctx = ParseContext {
            feed_url: None,
            http_charset: None,
            fetched_at: Utc::now(),
        };
        let parsed = parse_feed(xml.as_bytes(), &ctx).unwrap();
        assert_eq!(parsed.entries.len(), 1, "{xml}");
        assert_eq!(parsed.entries[0].title, "OpenAI releases GPT-5");
        assert_eq!(
            parsed.title.as_deref(),
            Some("aiwire: stories (company OpenAI)")
        );
    }

    #[test]
    fn hostile_items_leave_no_hostile_html() {
        let headers = vec![StoryHeader {
            story: 3,
            updated: DateTime::from_timestamp(1_700_000_200, 0).unwrap(),
            sources: 2,
        }];
        let mut lead = item(
            1,
            3,
            "evil",
            "<script>alert(1)</script><img src=x onerror=steal()>",
        );
        lead.link = Some("javascript:alert(1)".into());
        let mut other = item(2, 3, "data", "Other");
        other.link = Some("data:text/html,<script>alert(3)</script>".into());
        let xml = render(
            &group(headers, vec![lead, other]),
            &StoryFilter::default(),
            "http://127.0.0.1/stories.atom",
            Utc::now(),
        );
        assert!(!xml.contains("javascript:"), "{xml}");
        assert!(!xml.contains("data:"), "{xml}");
        // Once the XML is read, the HTML content holds only aiwire's own markup: the feed's
        // tags arrive as text.
        let content = xml.split("<content type=\"html\">").nth(1).unwrap();
        let content = content.split("</content>").next().unwrap();
        let html = html_escape::decode_html_entities(content);
        for tag in html.split('<').skip(1) {
            let name = tag.split([' ', '>']).next().unwrap();
            assert!(
                ["p", "/p", "ul", "/ul", "li", "/li", "a", "/a"].contains(&name),
                "<{name} in {html}"
            );
            assert!(
                !tag.split('>').next().unwrap().contains(" on"),
                "<{tag} in {html}"
            );
        }
    }
}
