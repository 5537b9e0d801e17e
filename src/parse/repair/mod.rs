//! Tolerant re-serialisation: rewrites a broken or oddly namespaced feed as well-formed XML
//! in the dialect feed-rs reads, instead of special-casing each quirk.
//!
//! One pass over forgiving tokens does all of it: find the feed root (also inside an HTML
//! page), drop prolog/DOCTYPE/comments, escape bare `&` and turn HTML entities into
//! characters, map namespace variants to the canonical URIs (RSS 0.90 → RSS 1.0, MediaRSS
//! spellings, Atom 0.3, a default namespace on `<rss>`), give `<rss>` a version, fix element
//! case (`pubdate`), drop empty MediaRSS elements, give RSS 1.0 items their `rdf:about` as
//! `<link>`, balance tags and close whatever a truncated document left open. Pure.

mod escape;
pub mod json;
mod names;
pub mod tokens;

use std::collections::HashSet;

use escape::{escape_attr, push_text, push_valid_chars};
use names::{Flavor, canonical_namespace, fix_element_case, is_atom03, standard_prefixes};
use tokens::{Token, Tokenizer, name_length};

/// The rewritten document.
#[derive(Debug)]
pub struct Repaired {
    pub xml: String,
    /// Byte offset where the input ended inside an open element, if it did.
    pub truncated_at: Option<usize>,
}

struct Frame {
    name: String,
    /// `rdf:about` of an RSS 1.0 item, and whether it has a `<link>` of its own.
    about: Option<String>,
    has_link: bool,
}

/// Rewrites `text` as a well-formed feed document; `None` when no feed root is present.
pub fn repair_xml(text: &str) -> Option<Repaired> {
    let (root_at, wrap_channel) = find_root(text)?;
    let body = &text[root_at..];
    let mut writer = Writer::new(body.len(), wrap_channel);
    let mut tokenizer = Tokenizer::new(body);
    let mut closed_root = false;
    for token in tokenizer.by_ref() {
        if writer.write(token) {
            closed_root = true;
            break;
        }
    }
    let truncated_at = (!closed_root && (tokenizer.truncated || !writer.stack.is_empty()))
        .then(|| root_at + tokenizer.position());
    writer.close_all();
    Some(Repaired {
        xml: writer.out,
        truncated_at,
    })
}

/// Cheap count of item and entry start tags, to judge whether feed-rs missed entries.
pub fn count_entry_tags(text: &str) -> usize {
    let bytes = text.as_bytes();
    ["<item", "<entry"]
        .iter()
        .map(|needle| {
            memchr::memmem::find_iter(bytes, needle.as_bytes())
                .filter(|at| {
                    matches!(
                        bytes.get(at + needle.len()),
                        Some(b' ' | b'>' | b'/' | b'\t' | b'\n' | b'\r')
                    )
                })
                .count()
        })
        .sum()
}

/// True when an XML declaration (`<?xml ` but not `<?xml-stylesheet`) appears anywhere but
/// at the very start.
pub fn has_misplaced_declaration(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, b"<?xml")
        .any(|at| at > 0 && matches!(bytes.get(at + 5), Some(b' ' | b'\t' | b'\r' | b'\n' | b'?')))
}

/// True when the root element declares a known namespace under a variant spelling that
/// feed-rs would not recognise (`https://search.yahoo.com/mrss`), so elements in it are lost.
pub fn has_namespace_variants(text: &str) -> bool {
    let Some((root_at, _)) = find_root(text) else {
        return false;
    };
    let root_tag = &text[root_at..];
    let root_tag = &root_tag[..root_tag.find('>').unwrap_or(root_tag.len())];
    root_tag.match_indices("xmlns").any(|(at, _)| {
        let rest = &root_tag[at..];
        let Some(quote_at) = rest.find(['"', '\'']) else {
            return false;
        };
        let quote = &rest[quote_at..quote_at + 1];
        let value = &rest[quote_at + 1..];
        let value = &value[..value.find(quote).unwrap_or(value.len())];
        names::is_variant(value)
    })
}

/// Position of the feed root element (`rss`, `feed`, `RDF`), or of a bare `<channel>` that
/// needs an `<rss>` around it.
fn find_root(text: &str) -> Option<(usize, bool)> {
    let mut channel_at = None;
    for at in memchr::memchr_iter(b'<', text.as_bytes()) {
        let after = &text[at + 1..];
        let name = &after[..name_length(after)];
        let local = name.rsplit(':').next().unwrap_or(name);
        let followed_ok = matches!(
            after.as_bytes().get(name.len()),
            Some(b' ' | b'>' | b'/' | b'\t' | b'\n' | b'\r')
        );
        if !followed_ok {
            continue;
        }
        if local.eq_ignore_ascii_case("rss") || local == "feed" || local.eq_ignore_ascii_case("rdf")
        {
            return Some((at, false));
        }
        if local == "channel" && channel_at.is_none() {
            channel_at = Some(at);
        }
    }
    channel_at.map(|at| (at, true))
}

struct Writer {
    out: String,
    stack: Vec<Frame>,
    flavor: Flavor,
    declared_prefixes: HashSet<String>,
    /// Output offset of an attribute-less MediaRSS start tag that may turn out empty.
    pending_empty: Option<(usize, usize)>,
    wrap_channel: bool,
}

impl Writer {
    fn new(capacity: usize, wrap_channel: bool) -> Writer {
        let mut out = String::with_capacity(capacity + 512);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        Writer {
            out,
            stack: Vec::new(),
            flavor: Flavor::Rss,
            declared_prefixes: HashSet::new(),
            pending_empty: None,
            wrap_channel,
        }
    }

    /// Writes one token; returns true once the root element is closed.
    fn write(&mut self, token: Token<'_>) -> bool {
        match token {
            Token::Text(raw) => {
                if self.stack.is_empty() {
                    return false;
                }
                if !raw.trim().is_empty() {
                    self.pending_empty = None;
                }
                push_text(&mut self.out, raw);
            }
            Token::CData(raw) => {
                if self.stack.is_empty() {
                    return false;
                }
                self.pending_empty = None;
                self.out.push_str("<![CDATA[");
                push_valid_chars(&mut self.out, raw);
                self.out.push_str("]]>");
            }
            Token::Start {
                name,
                attrs,
                self_closing,
            } => self.start(name, &attrs, self_closing),
            Token::End { name } => return self.end(name),
            Token::Skipped => {}
        }
        false
    }

    fn start(&mut self, raw_name: &str, attrs: &[(&str, &str)], self_closing: bool) {
        self.pending_empty = None;
        let is_root = self.stack.is_empty();
        if is_root {
            self.open_root(raw_name, attrs);
            if self.wrap_channel {
                self.push_frame("channel".to_string(), None);
                self.out.push_str("<channel>");
                if self_closing {
                    self.close_all();
                }
            }
            return;
        }
        // Declarations on inner elements count for the whole document: feeds rarely
        // redeclare a prefix with another meaning.
        for (attr, _) in attrs {
            if let Some(prefix) = attr.strip_prefix("xmlns:") {
                self.declared_prefixes.insert(prefix.to_string());
            }
        }
        let name = self.element_name(raw_name);
        let is_media = name.starts_with("media:");
        if is_media && attrs.is_empty() && self_closing {
            // NYT: an empty `<media:description/>` makes feed-rs reject the whole feed.
            return;
        }
        let parent_is_item = self.stack.last().is_some_and(|f| f.name == "item");
        if name == "link"
            && parent_is_item
            && !self_closing
            && let Some(frame) = self.stack.last_mut()
        {
            frame.has_link = true;
        }
        let about = (self.flavor == Flavor::Rdf && name == "item")
            .then(|| {
                attrs
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("rdf:about"))
                    .map(|(_, v)| escape_attr(v))
            })
            .flatten();
        let tag_at = self.out.len();
        self.out.push('<');
        self.out.push_str(&name);
        let mut seen = HashSet::new();
        for (attr, value) in attrs {
            self.push_attr(attr, value, &mut seen);
        }
        if self_closing {
            self.out.push_str("/>");
            return;
        }
        self.out.push('>');
        if is_media && attrs.is_empty() {
            self.pending_empty = Some((tag_at, self.stack.len()));
        }
        self.push_frame(name, about);
    }

    fn open_root(&mut self, raw_name: &str, attrs: &[(&str, &str)]) {
        let local = raw_name.rsplit(':').next().unwrap_or(raw_name);
        let atom03 = attrs.iter().any(|(n, v)| *n == "xmlns" && is_atom03(v));
        let (name, flavor) = if local.eq_ignore_ascii_case("rdf") {
            ("rdf:RDF".to_string(), Flavor::Rdf)
        } else if local == "feed" {
            (
                "feed".to_string(),
                if atom03 { Flavor::Atom03 } else { Flavor::Atom },
            )
        } else {
            ("rss".to_string(), Flavor::Rss)
        };
        self.flavor = flavor;
        self.out.push('<');
        self.out.push_str(&name);
        match flavor {
            // RSS 2.0 elements have no namespace; a default one (cyber.harvard.edu, userland)
            // makes feed-rs see no channel at all.
            Flavor::Rss => {
                let version = attrs
                    .iter()
                    .find(|(n, _)| *n == "version")
                    .map(|(_, v)| v.trim())
                    .filter(|v| matches!(*v, "0.91" | "0.92"))
                    .unwrap_or("2.0");
                self.out.push_str(" version=\"");
                self.out.push_str(version);
                self.out.push('"');
            }
            Flavor::Rdf => self.out.push_str(" xmlns=\"http://purl.org/rss/1.0/\""),
            Flavor::Atom | Flavor::Atom03 => {
                self.out.push_str(" xmlns=\"http://www.w3.org/2005/Atom\"")
            }
        }
        let mut seen = HashSet::new();
        seen.insert("xmlns".to_string());
        seen.insert("version".to_string());
        for (attr, _) in attrs {
            if let Some(prefix) = attr.strip_prefix("xmlns:") {
                self.declared_prefixes.insert(prefix.to_string());
            }
        }
        for (attr, value) in attrs {
            self.push_attr(attr, value, &mut seen);
        }
        for (prefix, uri) in standard_prefixes() {
            if self.declared_prefixes.insert(prefix.to_string()) {
                self.out.push_str(" xmlns:");
                self.out.push_str(prefix);
                self.out.push_str("=\"");
                self.out.push_str(uri);
                self.out.push('"');
            }
        }
        self.out.push('>');
        self.push_frame(name, None);
    }

    fn push_frame(&mut self, name: String, about: Option<String>) {
        self.stack.push(Frame {
            name,
            about,
            has_link: false,
        });
    }

    /// Writes one attribute, dropping duplicates and undeclared prefixes.
    fn push_attr(&mut self, attr: &str, value: &str, seen: &mut HashSet<String>) {
        let attr_name = if let Some((prefix, _)) = attr.split_once(':') {
            let keep =
                prefix == "xml" || prefix == "xmlns" || self.declared_prefixes.contains(prefix);
            if !keep {
                return;
            }
            attr.to_string()
        } else {
            attr.to_string()
        };
        if !seen.insert(attr_name.clone()) {
            return;
        }
        let value = if attr_name == "xmlns" || attr_name.starts_with("xmlns:") {
            canonical_namespace(value)
        } else {
            escape_attr(value)
        };
        self.out.push(' ');
        self.out.push_str(&attr_name);
        self.out.push_str("=\"");
        self.out.push_str(&value);
        self.out.push('"');
    }

    /// The element name to write: case fixed for RSS, Atom 0.3 names mapped, undeclared
    /// prefixes folded into the local name (the element is then merely unknown).
    fn element_name(&self, raw: &str) -> String {
        match raw.split_once(':') {
            Some((prefix, local)) if self.declared_prefixes.contains(prefix) => {
                format!("{prefix}:{local}")
            }
            Some((prefix, local)) => format!("{prefix}_{}", local.replace(':', "_")),
            None => fix_element_case(raw, self.flavor),
        }
    }

    /// Closes `raw_name` and anything left open inside it; ignores a stray end tag.
    fn end(&mut self, raw_name: &str) -> bool {
        let name = if names::is_root_name(raw_name) {
            match self.stack.first() {
                Some(root) => root.name.clone(),
                None => return false,
            }
        } else {
            self.element_name(raw_name)
        };
        let Some(depth) = self.stack.iter().rposition(|f| f.name == name) else {
            return false;
        };
        while self.stack.len() > depth + 1 {
            self.close_top();
        }
        if let Some((at, depth_then)) = self.pending_empty.take()
            && depth_then + 1 == self.stack.len()
            && self.out[at..]
                .split_once('>')
                .is_some_and(|(_, inside)| inside.trim().is_empty())
        {
            self.out.truncate(at);
            self.stack.pop();
            return false;
        }
        self.close_top();
        // A bare `<channel>` was wrapped in `<rss>`: its end is the document's end.
        if self.wrap_channel && self.stack.len() == 1 {
            self.close_top();
        }
        self.stack.is_empty()
    }

    fn close_top(&mut self) {
        if let Some(frame) = self.stack.pop() {
            if let (Some(about), false) = (&frame.about, frame.has_link) {
                self.out.push_str("<link>");
                self.out.push_str(about);
                self.out.push_str("</link>");
            }
            self.out.push_str("</");
            self.out.push_str(&frame.name);
            self.out.push('>');
        }
    }

    fn close_all(&mut self) {
        self.pending_empty = None;
        while !self.stack.is_empty() {
            self.close_top();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        let repaired = repair_xml(input).expect("root");
        let body = repaired.xml.split_once('\n').unwrap().1;
        assert_eq!(body, expected);
    }

    #[test]
    fn bare_ampersands_and_html_entities() {
        check(
            "<rss version=\"2.0\"><channel><link>http://a.test/?a=1&b=2</link><title>A &nbsp;&amp; B &#8211; &#0; &bogus</title></channel></rss>",
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:media=\"http://search.yahoo.com/mrss/\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel><link>http://a.test/?a=1&amp;b=2</link><title>A \u{a0}&amp; B –  &amp;bogus</title></channel></rss>",
        );
    }

    #[test]
    fn truncated_document_is_closed() {
        let repaired = repair_xml("<feed><entry><title>T</title><summary>cut").unwrap();
        assert!(
            repaired
                .xml
                .ends_with("<summary>cut</summary></entry></feed>"),
            "{}",
            repaired.xml
        );
        assert_eq!(repaired.truncated_at, Some(41));
    }

    #[test]
    fn rdf_item_gets_link_from_about_and_media_empties_go() {
        let repaired = repair_xml(
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" xmlns=\"http://my.netscape.com/rdf/simple/0.9/\"><item rdf:about=\"https://a.test/1\"><title>T</title><media:description/><media:title> </media:title></item></rdf:RDF>",
        )
        .unwrap();
        assert!(
            repaired.xml.contains("xmlns=\"http://purl.org/rss/1.0/\""),
            "{}",
            repaired.xml
        );
        assert!(
            repaired
                .xml
                .contains("<title>T</title><link>https://a.test/1</link></item>"),
            "{}",
            repaired.xml
        );
        assert!(
            !repaired.xml.contains("http://my.netscape.com"),
            "{}",
            repaired.xml
        );
    }

    #[test]
    fn feed_inside_html_page_is_found() {
        let repaired = repair_xml(
            "<html><body><p>x<br><rss><channel><title>T</title></channel></rss></body></html>",
        )
        .unwrap();
        assert!(
            repaired.xml.contains("<rss version=\"2.0\""),
            "{}",
            repaired.xml
        );
        assert!(
            repaired.xml.ends_with("</channel></rss>"),
            "{}",
            repaired.xml
        );
        assert!(!repaired.xml.contains("body"));
    }

    #[test]
    fn misplaced_declarations() {
        assert!(!has_misplaced_declaration("<?xml version=\"1.0\"?><rss/>"));
        assert!(!has_misplaced_declaration(
            "<?xml version=\"1.0\"?><?xml-stylesheet x?><rss/>"
        ));
        assert!(has_misplaced_declaration(
            "<rss><?xml version=\"1.0\"?></rss>"
        ));
    }

    #[test]
    fn entry_tags_are_counted() {
        assert_eq!(count_entry_tags("<items><item><item x='1'/><entry>"), 3);
    }
}
