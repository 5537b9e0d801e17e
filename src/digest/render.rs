//! Renders a [`Digest`] with minijinja templates: `config/templates/digest.html` and
//! `digest.txt` are embedded, and a definition's `templates` folder may override either.
//!
//! The templates get a view model (times already in the digest's zone, "also reported by"
//! already de-duplicated per outlet, bar widths already computed), so they stay simple and
//! overriding them needs no logic. HTML output is auto-escaped by minijinja.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::{Environment, context};
use serde::Serialize;

use super::{Digest, DigestStory};

const HTML: &str = include_str!("../../config/templates/digest.html");
const TEXT: &str = include_str!("../../config/templates/digest.txt");

/// Most outlets listed under "also reported by"; the rest are counted.
const MAX_ALSO: usize = 12;
/// Most companies in the mentions chart.
const MAX_MENTIONS: usize = 8;
/// Longest subject line, in characters.
const MAX_SUBJECT: usize = 200;

/// A rendered digest.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub json: String,
}

/// Where templates come from.
#[derive(Debug, Clone, Copy)]
pub enum Templates<'a> {
    /// The ones shipped in `config/templates/`.
    Builtin,
    /// `digest.html` / `digest.txt` from this folder where present, else the built-in ones.
    Folder(&'a Path),
}

#[derive(Debug, Serialize)]
struct OtherView {
    source: String,
    link: Option<String>,
    language: Option<String>,
}

#[derive(Debug, Serialize)]
struct StoryView<'a> {
    rank: usize,
    title: &'a str,
    link: Option<&'a str>,
    source: &'a str,
    time: String,
    summary: &'a str,
    tags: Vec<&'a str>,
    update: bool,
    source_count: usize,
    also: Vec<OtherView>,
    more: usize,
}

#[derive(Debug, Serialize)]
struct SectionView<'a> {
    title: &'a str,
    stories: Vec<StoryView<'a>>,
}

#[derive(Debug, Serialize)]
struct MentionView<'a> {
    name: &'a str,
    count: usize,
    percent: usize,
}

#[derive(Debug, Serialize)]
struct HealthView<'a> {
    name: &'a str,
    since: String,
    error: String,
}

fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%a %-d %b, %H:%M").to_string()
}

/// The period's start, with the year when it is not the end's year (long `--since` spans).
fn period_start(from: DateTime<Utc>, to: DateTime<Utc>, tz: Tz) -> String {
    use chrono::Datelike;
    let (f, t) = (from.with_timezone(&tz), to.with_timezone(&tz));
    if f.year() == t.year() {
        local(from, tz)
    } else {
        f.format("%a %-d %b %Y, %H:%M").to_string()
    }
}

fn story_view(rank: usize, s: &DigestStory, tz: Tz) -> StoryView<'_> {
    let mut seen: HashSet<&str> = HashSet::from([s.source.as_str()]);
    let mut also = Vec::new();
    let mut more = 0;
    for i in &s.items[1..] {
        if !seen.insert(i.source.as_str()) {
            continue;
        }
        if also.len() == MAX_ALSO {
            more += 1;
            continue;
        }
        also.push(OtherView {
            source: i.source.clone(),
            link: i.link.clone(),
            language: i.language.clone().filter(|l| !l.eq_ignore_ascii_case("en")),
        });
    }
    StoryView {
        rank,
        title: &s.title,
        link: s.link.as_deref(),
        source: &s.source,
        time: local(s.published, tz),
        summary: &s.summary,
        tags: s
            .companies
            .iter()
            .chain(&s.models)
            .chain(&s.people)
            .map(String::as_str)
            .collect(),
        update: s.update,
        source_count: s.source_count,
        also,
        more,
    }
}

/// minijinja's formatter, except that strings in HTML are escaped with `&<>"'` only, so
/// links stay readable in the mail source (the default also writes `/` as `&#x2f;`). The
/// five characters suffice for text and for quoted attribute values, the only places the
/// templates put data.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match value.as_str() {
        Some(s)
            if matches!(state.auto_escape(), minijinja::AutoEscape::Html) && !value.is_safe() =>
        {
            out.write_str(&html_escape::encode_quoted_attribute(s))
                .map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
                })
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn load(templates: Templates<'_>, name: &str, builtin: &'static str) -> anyhow::Result<String> {
    if let Templates::Folder(dir) = templates {
        let path = dir.join(name);
        if path.exists() {
            return std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read template {}: {e}", path.display()));
        }
    }
    Ok(builtin.to_string())
}

/// Renders subject, HTML, plain text and JSON.
pub fn render(
    digest: &Digest,
    subject_template: &str,
    timezone: Tz,
    templates: Templates<'_>,
) -> anyhow::Result<Rendered> {
    let mut env = Environment::new();
    env.set_formatter(html_formatter);
    // Text parts end with a newline, as text files and mail bodies should.
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()?,
    );
    env.add_template_owned("digest.html", load(templates, "digest.html", HTML)?)?;
    env.add_template_owned("digest.txt", load(templates, "digest.txt", TEXT)?)?;
    let date = digest
        .generated_at
        .with_timezone(&timezone)
        .format("%Y-%m-%d")
        .to_string();
    let mut rank = 0;
    let sections: Vec<SectionView<'_>> = digest
        .sections
        .iter()
        .map(|sec| SectionView {
            title: &sec.title,
            stories: sec
                .stories
                .iter()
                .filter_map(|id| digest.stories.iter().find(|s| s.story_id == *id))
                .map(|s| {
                    rank += 1;
                    story_view(rank, s, timezone)
                })
                .collect(),
        })
        .collect();
    let top = digest.mentions.first().map_or(1, |m| m.count.max(1));
    let mentions: Vec<MentionView<'_>> = digest
        .mentions
        .iter()
        .take(MAX_MENTIONS)
        .map(|m| MentionView {
            name: &m.name,
            count: m.count,
            percent: (m.count * 100).div_ceil(top).clamp(1, 100),
        })
        .collect();
    let failing: Vec<HealthView<'_>> = digest
        .failing_feeds
        .iter()
        .map(|f| HealthView {
            name: &f.name,
            since: local(f.failing_since, timezone),
            error: super::clean::one_line(f.last_error.as_deref().unwrap_or(""), 160),
        })
        .collect();
    let ctx = context! {
        name => digest.digest.clone(),
        date => date.clone(),
        timezone => timezone.name(),
        period_from => period_start(digest.period.from, digest.period.to, timezone),
        period_to => local(digest.period.to, timezone),
        story_count => digest.stories.len(),
        item_count => digest.item_count,
        feed_count => digest.feed_count,
        sections => minijinja::value::Serde(&sections),
        mentions => minijinja::value::Serde(&mentions),
        failing_feeds => minijinja::value::Serde(&failing),
    };
    let html = env.get_template("digest.html")?.render(&ctx)?;
    let text = env.get_template("digest.txt")?.render(&ctx)?;
    let subject = env
        .render_str(
            subject_template,
            context! { name => digest.digest.clone(), date => date, stories => digest.stories.len() },
        )
        .map_err(|e| anyhow::anyhow!("subject template: {e}"))?;
    let subject = super::clean::one_line(&subject, MAX_SUBJECT);
    let json = serde_json::to_string_pretty(digest)?;
    Ok(Rendered {
        subject,
        html,
        text,
        json,
    })
}
