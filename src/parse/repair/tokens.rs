//! A forgiving XML tokenizer: never fails, reports where the input ended unexpectedly.
//!
//! It reads what browsers read: tags with unquoted or valueless attributes, `<` that starts
//! no tag, unterminated comments and CDATA sections. The writer in [`super`] decides what to
//! keep. Pure.

/// One piece of the document.
#[derive(Debug, PartialEq)]
pub enum Token<'a> {
    /// Character data, raw (entities not decoded).
    Text(&'a str),
    /// The inside of a CDATA section.
    CData(&'a str),
    /// `<name attrs>` or `<name attrs/>`.
    Start {
        name: &'a str,
        attrs: Vec<(&'a str, &'a str)>,
        self_closing: bool,
    },
    /// `</name>`.
    End { name: &'a str },
    /// A comment, processing instruction or DOCTYPE: never kept.
    Skipped,
}

/// Splits a document into tokens; `truncated` is set when a construct ran into the end.
pub struct Tokenizer<'a> {
    text: &'a str,
    pos: usize,
    pub truncated: bool,
}

impl<'a> Tokenizer<'a> {
    pub fn new(text: &'a str) -> Tokenizer<'a> {
        Tokenizer {
            text,
            pos: 0,
            truncated: false,
        }
    }

    /// Byte offset of the next token.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Skips to `end` (exclusive of nothing: the position moves past it) or to the end.
    fn skip_past(&mut self, end: &str) -> &'a str {
        let rest = self.rest();
        match rest.find(end) {
            Some(at) => {
                self.pos += at + end.len();
                &rest[..at]
            }
            None => {
                self.truncated = true;
                self.pos = self.text.len();
                rest
            }
        }
    }
}

impl<'a> Iterator for Tokenizer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = self.rest();
        if rest.is_empty() {
            return None;
        }
        if !rest.starts_with('<') {
            let end = memchr::memchr(b'<', rest.as_bytes()).unwrap_or(rest.len());
            self.pos += end;
            return Some(Token::Text(&rest[..end]));
        }
        if rest.starts_with("<!--") {
            self.pos += 4;
            self.skip_past("-->");
            return Some(Token::Skipped);
        }
        if rest.starts_with("<![CDATA[") {
            self.pos += 9;
            return Some(Token::CData(self.skip_past("]]>")));
        }
        if rest.starts_with("<!") {
            self.skip_doctype();
            return Some(Token::Skipped);
        }
        if rest.starts_with("<?") {
            self.pos += 2;
            self.skip_past("?>");
            return Some(Token::Skipped);
        }
        if let Some(after) = rest.strip_prefix("</") {
            let name_len = name_length(after);
            if name_len == 0 {
                // `</` followed by no name is text, as in HTML.
                self.pos += 2;
                return Some(Token::Text("</"));
            }
            let name = &after[..name_len];
            self.pos += 2 + name_len;
            self.skip_past(">");
            return Some(Token::End { name });
        }
        let after = &rest[1..];
        let name_len = name_length(after);
        if name_len == 0 {
            self.pos += 1;
            return Some(Token::Text("<"));
        }
        let name = &after[..name_len];
        self.pos += 1 + name_len;
        let (attrs, self_closing) = self.attributes();
        Some(Token::Start {
            name,
            attrs,
            self_closing,
        })
    }
}

impl<'a> Tokenizer<'a> {
    /// Reads attributes up to and including the closing `>` or `/>`.
    fn attributes(&mut self) -> (Vec<(&'a str, &'a str)>, bool) {
        let mut attrs = Vec::new();
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            let rest = trimmed;
            if rest.is_empty() {
                self.truncated = true;
                return (attrs, false);
            }
            if let Some(after) = rest.strip_prefix("/>") {
                self.pos = self.text.len() - after.len();
                return (attrs, true);
            }
            if rest.starts_with('>') {
                self.pos += 1;
                return (attrs, false);
            }
            if rest.starts_with('<') {
                // A tag that never closed: let the next token start here.
                return (attrs, false);
            }
            let name_len = name_length(rest);
            if name_len == 0 {
                // Stray character such as `/` or a quote: skip it.
                self.pos += rest.chars().next().map_or(1, char::len_utf8);
                continue;
            }
            let name = &rest[..name_len];
            self.pos += name_len;
            let rest = self.rest();
            let trimmed = rest.trim_start();
            if !trimmed.starts_with('=') {
                attrs.push((name, ""));
                continue;
            }
            let value_part = trimmed[1..].trim_start();
            self.pos = self.text.len() - value_part.len();
            let value = match value_part.chars().next() {
                Some(quote @ ('"' | '\'')) => {
                    self.pos += 1;
                    let inner = &value_part[1..];
                    match inner.find(quote) {
                        Some(end) => {
                            self.pos += end + 1;
                            &inner[..end]
                        }
                        None => {
                            self.truncated = true;
                            self.pos = self.text.len();
                            inner
                        }
                    }
                }
                _ => {
                    let end = value_part
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(value_part.len());
                    let end =
                        if value_part[..end].ends_with('/') && value_part[end..].starts_with('>') {
                            end - 1
                        } else {
                            end
                        };
                    self.pos += end;
                    &value_part[..end]
                }
            };
            attrs.push((name, value));
        }
    }

    /// Skips `<!DOCTYPE ...>` including an internal subset in brackets.
    fn skip_doctype(&mut self) {
        let rest = self.rest();
        let mut depth = 0usize;
        for (i, b) in rest.bytes().enumerate() {
            match b {
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b'>' if depth == 0 => {
                    self.pos += i + 1;
                    return;
                }
                _ => {}
            }
        }
        self.truncated = true;
        self.pos = self.text.len();
    }
}

/// Length in bytes of the XML-ish name at the start of `s` (0 when none starts there).
pub fn name_length(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if c.is_alphabetic() || c == '_' => {}
        _ => return 0,
    }
    for (i, c) in chars {
        if !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')) {
            return i;
        }
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_tokens() {
        let tokens: Vec<_> =
            Tokenizer::new(r#"<a x=1 y='2' z checked/>t < u<!-- c --><![CDATA[<b>]]></a >"#)
                .collect();
        assert_eq!(
            tokens,
            vec![
                Token::Start {
                    name: "a",
                    attrs: vec![("x", "1"), ("y", "2"), ("z", ""), ("checked", "")],
                    self_closing: true
                },
                Token::Text("t "),
                Token::Text("<"),
                Token::Text(" u"),
                Token::Skipped,
                Token::CData("<b>"),
                Token::End { name: "a" },
            ]
        );
    }

    #[test]
    fn truncation_is_reported() {
        let mut tokenizer = Tokenizer::new("<a><b>text<![CDATA[cut");
        let tokens: Vec<_> = tokenizer.by_ref().collect();
        assert_eq!(tokens.last(), Some(&Token::CData("cut")));
        assert!(tokenizer.truncated);
    }
}
