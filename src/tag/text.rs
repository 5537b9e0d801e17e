//! Text clean-up before matching: HTML tags removed, entities decoded, typographic
//! apostrophes, spaces and hyphens folded to ASCII so that one pattern covers them.

use std::borrow::Cow;

/// Returns the text as the matcher reads it; borrows when nothing needs changing.
pub fn clean(s: &str) -> Cow<'_, str> {
    let needs = s.bytes().any(|b| b == b'<' || b == b'&' || b >= 0x80);
    if !needs {
        return Cow::Borrowed(s);
    }
    // entities first (they may spell characters that are folded below), then one pass that
    // drops tags and folds typography
    let decoded: Cow<'_, str> = if s.contains('&') {
        html_escape::decode_html_entities(s)
    } else {
        Cow::Borrowed(s)
    };
    let mut out = String::with_capacity(decoded.len());
    let mut in_tag = false;
    for c in decoded.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_html_entities_and_apostrophes() {
        assert_eq!(clean("<p>Google&#8217;s Gemini</p>"), " Google's Gemini ");
        assert_eq!(clean("OpenAI’s GPT-4"), "OpenAI's GPT-4");
        assert!(matches!(clean("plain text"), Cow::Borrowed(_)));
    }
}
