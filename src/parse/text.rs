//! Entry text: plain text for matching (entities decoded, tags stripped, whitespace collapsed)
//! in one pass of a small tag skipper, never an HTML parser. Pure.
//!
//! Content HTML is not cleaned here: it is stored as the feed gave it and sanitized where it
//! is displayed ([`crate::digest::clean::safe_html`]), so a stricter policy also covers items
//! stored before it.

/// Longest plain-text summary kept, in characters; the clusterer and the digest need no more.
pub const MAX_SUMMARY_CHARS: usize = 1500;

/// Plain text of a title or summary that may hold HTML or entities.
pub fn plain_text(text: &str, max_chars: usize) -> String {
    // Only the start of a long article body can end up in the summary: markup rarely takes
    // more than 15 bytes per kept character.
    let text = truncate_at_char_boundary(text, max_chars.saturating_mul(16));
    // One pass that stops as soon as `max_chars` are collected: tags skipped, entities
    // decoded run by run, whitespace collapsed on the fly.
    let mut out = Collapsed::new(max_chars, text.len());
    walk_text(text, &mut |piece| match piece {
        Piece::Text(run) if run.contains('&') => {
            out.push_str(&html_escape::decode_html_entities(run))
        }
        Piece::Text(run) => out.push_str(run),
        Piece::Break => out.push_str(" "),
    });
    let fast = out.into_string();
    // Mojibake ("isnâ€™t") is undone only when the whole decoded text re-encodes
    // ([`fix_mojibake`](super::encoding::fix_mojibake)), before whitespace is collapsed and the text cut; a text that shows
    // its marks (the characters its lead bytes become) takes that path.
    if !fast.contains(['Â', 'Ã', 'Å', 'â']) {
        return fast;
    }
    let mut stripped = String::with_capacity(text.len());
    walk_text(text, &mut |piece| {
        stripped.push_str(match piece {
            Piece::Text(run) => run,
            Piece::Break => " ",
        });
        Flow::More
    });
    let decoded = html_escape::decode_html_entities(&stripped);
    let mut out = Collapsed::new(max_chars, text.len());
    out.push_str(&super::encoding::fix_mojibake(&decoded));
    out.into_string()
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

/// What [`walk_text`] hands on: a run of text between tags, or a block tag's word break.
enum Piece<'a> {
    Text(&'a str),
    Break,
}

/// Whether [`walk_text`] should go on.
#[derive(PartialEq, Eq)]
enum Flow {
    More,
    Done,
}

/// Walks `html` skipping tags, comments and the content of script-like elements; block tags
/// become word breaks. Stops when `sink` is done.
fn walk_text(html: &str, sink: &mut impl FnMut(Piece<'_>) -> Flow) {
    let mut rest = html;
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        if lt > 0 && sink(Piece::Text(&rest[..lt])) == Flow::Done {
            return;
        }
        let after = &rest[lt + 1..];
        let starts_tag = after
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'/' || c == b'!' || c == b'?');
        if !starts_tag {
            if sink(Piece::Text("<")) == Flow::Done {
                return;
            }
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = memchr::memchr(b'>', after.as_bytes()) else {
            return;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name = tag.trim_start_matches('/');
        let name = &name[..name
            .bytes()
            .position(|c| !c.is_ascii_alphanumeric())
            .unwrap_or(name.len())];
        // No element we look for has a longer name.
        let mut buf = [0u8; 10];
        let Some(lower) = buf.get_mut(..name.len()) else {
            continue;
        };
        lower.copy_from_slice(name.as_bytes());
        lower.make_ascii_lowercase();
        let name = std::str::from_utf8(lower).unwrap_or_default();
        if !tag.starts_with('/') && matches!(name, "script" | "style" | "noscript" | "template") {
            let close = format!("</{name}");
            rest = find_ascii_case_insensitive(rest, &close).map_or("", |end| {
                let tail = &rest[end..];
                tail.find('>').map_or("", |gt| &tail[gt + 1..])
            });
            continue;
        }
        if is_block(name) && sink(Piece::Break) == Flow::Done {
            return;
        }
    }
    if !rest.is_empty() {
        sink(Piece::Text(rest));
    }
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

/// Text with runs of whitespace (including no-break spaces) collapsed and control characters
/// dropped, cut at `max_chars` with an ellipsis.
struct Collapsed {
    out: String,
    n_chars: usize,
    max_chars: usize,
    in_word: bool,
    full: bool,
}

impl Collapsed {
    fn new(max_chars: usize, input_len: usize) -> Collapsed {
        Collapsed {
            out: String::with_capacity(input_len.min(max_chars.saturating_mul(2)) + 4),
            n_chars: 0,
            max_chars,
            in_word: false,
            full: false,
        }
    }

    /// Appends text; [`Flow::Done`] once the cut is reached.
    fn push_str(&mut self, text: &str) -> Flow {
        if self.full {
            return Flow::Done;
        }
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            // Fast path: a run of printable ASCII is copied whole.
            let run = bytes[at..]
                .iter()
                .position(|b| !b.is_ascii_graphic())
                .unwrap_or(bytes.len() - at);
            if run > 0 {
                self.start_word();
                let room = self.max_chars.saturating_sub(self.n_chars);
                let take = run.min(room);
                self.out.push_str(&text[at..at + take]);
                self.n_chars += take;
                if take < run {
                    self.out.push('…');
                    self.full = true;
                    return Flow::Done;
                }
                at += run;
                continue;
            }
            if bytes[at] == b' ' || (b'\t'..=b'\r').contains(&bytes[at]) {
                self.in_word = false;
                at += 1;
                continue;
            }
            let c = text[at..].chars().next().unwrap_or_default();
            at += c.len_utf8();
            if c.is_whitespace() || c == '\u{a0}' {
                self.in_word = false;
                continue;
            }
            self.start_word();
            if self.n_chars >= self.max_chars {
                self.out.push('…');
                self.full = true;
                return Flow::Done;
            }
            if !c.is_control() {
                self.out.push(c);
                self.n_chars += 1;
            }
        }
        Flow::More
    }

    /// Separates a new word from the previous one by one space.
    fn start_word(&mut self) {
        if !self.in_word {
            self.in_word = true;
            if self.n_chars > 0 {
                self.out.push(' ');
                self.n_chars += 1;
            }
        }
    }

    fn into_string(self) -> String {
        self.out
    }
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
        assert_eq!(plain_text("<p>abc</p><p>def</p><p>ghi</p>", 6), "abc de…");
        assert_eq!(plain_text("abc &amp; <b>def</b>", 100), "abc & def");
    }

    #[test]
    fn mojibake_is_undone_on_the_whole_text() {
        check("<p>isnâ€™t</p> l&Atilde;&curren;nger", "isn’t länger");
        check("Café isnâ€™t", "Café isnâ€™t");
        // Fixed before the cut adds its ellipsis and before a no-break space is collapsed.
        assert_eq!(plain_text("wasnâ€™t screened", 8), "wasn’t s…");
        check("OnlineÂ\u{a0}[Free Ebook]", "Online [Free Ebook]");
    }
}
