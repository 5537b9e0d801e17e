//! Text clean-up before matching: HTML tags removed, entities decoded, typographic
//! apostrophes, spaces and hyphens folded to ASCII so that one pattern covers them.

use std::borrow::Cow;

/// Returns the text as the matcher reads it; borrows when nothing needs changing.
pub fn clean(s: &str) -> Cow<'_, str> {
    let needs = s.bytes().any(|b| b == b'<' || b == b'&' || b >= 0x80);
    if !needs {
        return Cow::Borrowed(s);
    }
    let stripped: Cow<'_, str> = if s.contains('<') {
        Cow::Owned(strip_tags(s))
    } else {
        Cow::Borrowed(s)
    };
    let decoded: Cow<'_, str> = if stripped.contains('&') {
        Cow::Owned(html_escape::decode_html_entities(&stripped).into_owned())
    } else {
        stripped
    };
    if !decoded.bytes().any(|b| b >= 0x80) {
        return decoded;
    }
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        match c {
            '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{2032}' => out.push('\''),
            '\u{00A0}' | '\u{2009}' | '\u{202F}' | '\u{2007}' | '\u{200A}' => out.push(' '),
            '\u{2010}' | '\u{2011}' => out.push('-'),
            '\u{00AD}' | '\u{200B}' => {}
            '\u{00B7}' | '\u{2022}' => out.push('-'), // DALL·E
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => {
                in_tag = true;
            }
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_html_entities_and_apostrophes() {
        assert_eq!(
            clean("<p>Google&#8217;s Gemini</p>"),
            " Google's Gemini "
        );
        assert_eq!(clean("OpenAI’s GPT-4"), "OpenAI's GPT-4");
        assert!(matches!(clean("plain text"), Cow::Borrowed(_)));
    }
}
