//! Makes feed text safe and bounded before it is displayed: plain text only, no control
//! characters, a length cap, links limited to `http`/`https`, and entry HTML sanitized.
//!
//! Templates escape everything again (minijinja HTML auto-escape); this module is the second
//! wall, and the one that keeps a 1 MB title or a `javascript:` link out of the digest at all.
//! It is also the only place entry HTML is cleaned: the store keeps `content_html` as the feed
//! gave it, and whatever displays it goes through [`safe_html`] (ammonia, plus removal of
//! tracking pixels), so a stricter policy here also covers items stored before it.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// Longest title shown, in characters.
pub const MAX_TITLE: usize = 300;
/// Longest summary shown, in characters.
pub const MAX_SUMMARY: usize = 320;
/// Longest short label (source name, tag), in characters.
pub const MAX_LABEL: usize = 80;
/// Longest link kept, in bytes.
pub const MAX_LINK: usize = 2048;

/// Plain text of possibly HTML-bearing feed text: tags dropped, entities decoded, control
/// characters and runs of whitespace collapsed to single spaces, cut to `max` characters.
pub fn plain_text(text: &str, max: usize) -> String {
    // Bound the work first: nothing past a few times the cap can be shown anyway.
    let bounded: String = text.chars().take(max.saturating_mul(8).max(64)).collect();
    let without_tags = strip_tags(&bounded);
    let decoded = html_escape::decode_html_entities(&without_tags);
    let collapsed = decoded
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    truncate(&collapsed, max)
}

/// One line of text: control characters and whitespace runs become single spaces, cut to
/// `max` characters. For subjects and error messages, which are not HTML.
pub fn one_line(text: &str, max: usize) -> String {
    let bounded: String = text.chars().take(max.saturating_mul(4).max(64)).collect();
    let collapsed = bounded
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    truncate(&collapsed, max)
}

/// Drops `<…>` tags and the contents of `<script>` and `<style>` elements.
fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            // An unterminated tag: drop the remainder rather than guess.
            return out;
        };
        let tag = after[1..close].trim_start().to_ascii_lowercase();
        rest = &after[close + 1..];
        for hidden in ["script", "style"] {
            if tag.starts_with(hidden) {
                let end = format!("</{hidden}");
                rest = match rest.to_ascii_lowercase().find(&end) {
                    Some(i) => &rest[i..],
                    None => "",
                };
            }
        }
        out.push(' ');
    }
    out.push_str(rest);
    out
}

/// Cuts text at a word boundary to at most `max` characters, adding an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rsplit_once(' ') {
        Some((a, _)) if a.chars().count() > max / 2 => a,
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// A link fit for an `href`: absolute `http`/`https` only, at most [`MAX_LINK`] bytes.
/// Anything else (`javascript:`, `data:`, relative, unparsable) becomes `None`.
pub fn safe_link(link: Option<&str>) -> Option<String> {
    let link = link?.trim();
    if link.len() > MAX_LINK {
        return None;
    }
    let url = url::Url::parse(link).ok()?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Some(url.to_string()),
        _ => None,
    }
}

/// Entry HTML fit for display: no scripts, event handlers, `javascript:` URLs, inline styles
/// (which can hide text) or tracking pixels; relative URLs rewritten against `base` (the
/// feed's URL). Text without markup comes back escaped.
pub fn safe_html(html: &str, base: Option<&Url>) -> String {
    Sanitizer::new(base).clean(html)
}

/// [`safe_html`] with the ammonia policy built once, for many entries of one feed.
pub struct Sanitizer {
    builder: ammonia::Builder<'static>,
}

impl Sanitizer {
    pub fn new(base: Option<&Url>) -> Sanitizer {
        let mut builder = ammonia::Builder::default();
        builder.link_rel(Some("noopener noreferrer nofollow"));
        match base {
            Some(base) if !base.cannot_be_a_base() => {
                builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
            }
            _ => {
                builder.url_relative(ammonia::UrlRelative::PassThrough);
            }
        }
        Sanitizer { builder }
    }

    /// See [`safe_html`].
    pub fn clean(&self, html: &str) -> String {
        if !html.contains('<') {
            return html_escape::encode_text(&html_escape::decode_html_entities(html)).into_owned();
        }
        let html = remove_tracking_pixels(html);
        self.builder.clean(&html).to_string()
    }
}

/// Drops `<img>` tags that are 0/1-pixel beacons or point at known feed trackers.
fn remove_tracking_pixels(html: &str) -> Cow<'_, str> {
    static IMG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?is)<img\b[^>]*>").unwrap());
    static PIXEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?is)\b(?:width|height)\s*=\s*["']?\s*[01](?:px)?\s*["'\s/>]|feeds\.feedburner\.com/~r/|pixel\.wp\.com|/~ff/|doubleclick\.net|/tracking?/|[?&/]pixel\b|stats\.[a-z0-9.-]+/.*\.gif"#,
        )
        .unwrap()
    });
    IMG.replace_all(html, |caps: &regex::Captures<'_>| {
        let tag = &caps[0];
        if PIXEL.is_match(tag) {
            String::new()
        } else {
            tag.to_string()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, max: usize, expected: &str) {
        assert_eq!(plain_text(input, max), expected);
    }

    #[test]
    fn plain_text_cases() {
        check("<p>Hello <b>world</b></p>", 100, "Hello world");
        check("a<script>alert(1)</script>b", 100, "a b");
        check("a<STYLE>body{display:none}</STYLE>b", 100, "a b");
        check("AT&amp;T &lt;3", 100, "AT&T <3");
        check("line\u{0}one\r\n\ttwo", 100, "line one two");
        check(
            "unterminated <img src=x onerror=alert(1)",
            100,
            "unterminated",
        );
        check("one two three four five", 12, "one two…");
    }

    #[test]
    fn a_megabyte_title_is_bounded() {
        let huge = "A".repeat(1 << 20);
        let out = plain_text(&huge, MAX_TITLE);
        assert!(out.chars().count() <= MAX_TITLE + 1);
    }

    #[test]
    fn links() {
        assert_eq!(
            safe_link(Some("https://example.org/a?b=1")).as_deref(),
            Some("https://example.org/a?b=1")
        );
        for bad in [
            "javascript:alert(1)",
            " JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:x",
            "/relative",
            "mailto:a@b.c",
        ] {
            assert_eq!(safe_link(Some(bad)), None, "{bad}");
        }
        assert_eq!(
            safe_link(Some(&format!("https://e.org/{}", "a".repeat(5000)))),
            None
        );
    }

    #[test]
    fn sanitized_html() {
        let base = Url::parse("https://example.test/blog/").unwrap();
        let html = r#"<p onclick="x()" style="display:none">Hi <a href="javascript:alert(1)">x</a> <a href="/p">y</a></p><script>bad()</script><img src="https://feeds.feedburner.com/~r/x/~4/abc" width="1" height="1"><IMG SRC="https://t.example/p.gif" HEIGHT=0><img src="pic.png">"#;
        let clean = safe_html(html, Some(&base));
        for banned in [
            "onclick",
            "display:none",
            "javascript:",
            "bad()",
            "feedburner",
            "t.example",
        ] {
            assert!(!clean.contains(banned), "{banned} survived in {clean}");
        }
        assert!(
            clean.contains(r#"href="https://example.test/p""#),
            "{clean}"
        );
        assert!(
            clean.contains(r#"src="https://example.test/blog/pic.png""#),
            "{clean}"
        );
        assert_eq!(safe_html("AT&amp;T <3", None), "AT&amp;T &lt;3");
    }
}
