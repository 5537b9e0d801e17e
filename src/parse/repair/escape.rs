//! Character data and attribute values made well-formed: bare `&` escaped, HTML named
//! entities turned into characters, invalid character references and XML-forbidden
//! control characters dropped. Pure.

/// Writes character data with entities made well-formed.
pub fn push_text(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(at) = rest.find(['&', '<', '>']) {
        push_valid_chars(out, &rest[..at]);
        let tail = &rest[at..];
        match tail.as_bytes()[0] {
            b'<' => {
                out.push_str("&lt;");
                rest = &tail[1..];
            }
            b'>' => {
                out.push_str("&gt;");
                rest = &tail[1..];
            }
            _ => rest = push_entity(out, tail),
        }
    }
    push_valid_chars(out, rest);
}

/// Escapes an attribute value for double quotes, with entities made well-formed.
pub fn escape_attr(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    let mut rest = raw;
    while let Some(at) = rest.find(['&', '<', '"']) {
        push_valid_chars(&mut out, &rest[..at]);
        let tail = &rest[at..];
        match tail.as_bytes()[0] {
            b'<' => {
                out.push_str("&lt;");
                rest = &tail[1..];
            }
            b'"' => {
                out.push_str("&quot;");
                rest = &tail[1..];
            }
            _ => rest = push_entity(&mut out, tail),
        }
    }
    push_valid_chars(&mut out, rest);
    out
}

/// Handles the `&` at the start of `tail`: keeps XML entities and valid character
/// references, turns HTML named entities into characters, escapes a bare `&`.
fn push_entity<'a>(out: &mut String, tail: &'a str) -> &'a str {
    let body_end = tail[1..]
        .char_indices()
        .take(40)
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '#'))
        .map(|(i, c)| (i + 1, c));
    if let Some((end, ';')) = body_end {
        let body = &tail[1..end];
        let after = &tail[end + 1..];
        if matches!(body, "amp" | "lt" | "gt" | "quot" | "apos") {
            out.push_str(&tail[..end + 1]);
            return after;
        }
        if let Some(number) = body.strip_prefix('#') {
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => number.parse().ok(),
            };
            if let Some(c) = code.and_then(char::from_u32).filter(|c| is_xml_char(*c)) {
                // Written as the character, so later passes need not decode it.
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '"' => out.push_str("&quot;"),
                    _ => out.push(c),
                }
            }
            return after;
        }
        let decoded = html_escape::decode_html_entities(&tail[..end + 1]);
        if decoded != tail[..end + 1] {
            push_text(out, &decoded);
            return after;
        }
    }
    out.push_str("&amp;");
    &tail[1..]
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Copies `text` without the characters XML 1.0 forbids (control characters, U+FFFE...).
pub fn push_valid_chars(out: &mut String, text: &str) {
    if text.chars().all(is_xml_char) {
        out.push_str(text);
    } else {
        out.extend(text.chars().filter(|c| is_xml_char(*c)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(raw: &str, expected: &str) {
        let mut out = String::new();
        push_text(&mut out, raw);
        assert_eq!(out, expected);
    }

    #[test]
    fn entities() {
        check("a & b", "a &amp; b");
        check("&amp;&lt;&#38;&#x41;", "&amp;&lt;&amp;A");
        check("&eacute;&nbsp;&unknown;", "é\u{a0}&amp;unknown;");
        check("&#0;&#xD800;\u{1}x", "x");
        check("1 < 2 > 0", "1 &lt; 2 &gt; 0");
        assert_eq!(escape_attr("a\"b&c"), "a&quot;b&amp;c");
    }
}
