//! Entry text: plain text for matching (entities decoded, tags stripped, whitespace collapsed).
//! Pure.
//!
//! Content HTML is not cleaned here: it is stored as the feed gave it and sanitized where it
//! is displayed ([`crate::digest::clean::safe_html`]), so a stricter policy also covers items
//! stored before it.

use std::borrow::Cow;

/// Longest plain-text summary kept, in characters; the clusterer and the digest need no more.
pub const MAX_SUMMARY_CHARS: usize = 1500;

/// Plain text of a title or summary that may hold HTML or entities.
pub fn plain_text(text: &str, max_chars: usize) -> String {
    // Only the start of a long article body can end up in the summary: markup rarely takes
    // more than 15 bytes per kept character.
    let text = truncate_at_char_boundary(text, max_chars.saturating_mul(16));
    let stripped: Cow<'_, str> = if text.contains('<') {
        Cow::Owned(strip_tags(text))
    } else {
        Cow::Borrowed(text)
    };
    let decoded = if stripped.contains('&') {
        html_escape::decode_html_entities(&stripped).into_owned()
    } else {
        stripped.into_owned()
    };
    collapse_whitespace(&super::encoding::fix_mojibake(&decoded), max_chars)
}

fn truncate_at_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Removes tags, comments and the content of script-like elements; block tags become spaces.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        if !starts_tag {
            out.push('<');
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = after.find('>') else {
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !tag.starts_with('/')
            && matches!(name.as_str(), "script" | "style" | "noscript" | "template")
        {
            let close = format!("</{name}");
            rest = find_ascii_case_insensitive(rest, &close).map_or("", |end| {
                let tail = &rest[end..];
                tail.find('>').map_or("", |gt| &tail[gt + 1..])
            });
            continue;
        }
        if is_block(&name) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    out
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let hay = haystack.as_bytes();
    let needle = needle.as_bytes();
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "br"
            | "div"
            | "li"
            | "ul"
            | "ol"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "tr"
            | "td"
            | "th"
            | "table"
            | "blockquote"
            | "hr"
            | "img"
            | "figure"
            | "figcaption"
            | "section"
            | "article"
            | "pre"
            | "dd"
            | "dt"
    )
}

/// Collapses runs of whitespace (including no-break spaces) and cuts at `max_chars`.
fn collapse_whitespace(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 2));
    let mut n_chars = 0;
    for word in text.split(|c: char| c.is_whitespace() || c == '\u{a0}') {
        if word.is_empty() {
            continue;
        }
        if n_chars > 0 {
            out.push(' ');
            n_chars += 1;
        }
        for c in word.chars() {
            if n_chars >= max_chars {
                out.push('…');
                return out;
            }
            if !c.is_control() {
                out.push(c);
                n_chars += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(plain_text(input, MAX_SUMMARY_CHARS), expected);
    }

    #[test]
    fn plain_text_from_html() {
        check("  Hello&nbsp;<b>world</b>  ", "Hello world");
        check("AT&amp;T &amp;amp; more", "AT&T &amp; more");
        check("<p>One</p><p>Two</p><script>alert(1)</script>", "One Two");
        check("a < b and c > d", "a < b and c > d");
        check("<!-- hidden -->Shown<style>p{}</style>", "Shown");
        check("Caf&eacute; &#8220;quoted&#8221;", "Café “quoted”");
    }

    #[test]
    fn summaries_are_cut() {
        assert_eq!(plain_text("abc def", 5), "abc d…");
    }
}
