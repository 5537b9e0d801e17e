//! Says what a document that is not a feed is: an HTML page, other XML, JSON, or neither.
//!
//! Only consulted after parsing failed, so it may be slow-ish. Pure.

use super::ParseError;

/// Explains why `text` (which held no readable feed root) is not a feed.
pub fn explain(text: &str, reader_error: &str) -> ParseError {
    let head: String = text
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.contains("<html") || head.contains("<!doctype html") || head.contains("<body") {
        return ParseError::HtmlPage {
            title: html_title(text),
        };
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        return match root_name(trimmed) {
            Some(name) => ParseError::NotAFeed(format!("an XML document with root <{name}>")),
            None => ParseError::NotAFeed(format!("unreadable XML: {reader_error}")),
        };
    }
    let preview: String = trimmed.chars().take(40).collect();
    ParseError::NotAFeed(format!("neither XML nor JSON (starts with {preview:?})"))
}

/// Explains why a JSON-looking document is not a JSON Feed.
pub fn explain_json(text: &str) -> ParseError {
    match serde_json::from_str::<serde_json::Value>(text) {
        Err(e) => ParseError::NotAFeed(format!("invalid JSON: {e}")),
        Ok(_) => ParseError::NotAFeed("JSON that is not a JSON Feed (no items)".to_string()),
    }
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let close = open_end + lower[open_end..].find("</title")?;
    let title = super::text::plain_text(&text[open_end..close], 80);
    (!title.is_empty()).then_some(title)
}

/// Name of the first element, skipping declarations, comments and processing instructions.
fn root_name(text: &str) -> Option<String> {
    let mut rest = text;
    loop {
        let at = rest.find('<')?;
        let after = &rest[at + 1..];
        if after.starts_with('?') || after.starts_with('!') {
            rest = &after[after.find('>')? + 1..];
            continue;
        }
        let len = super::repair::tokens::name_length(after);
        return (len > 0).then(|| after[..len].to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_page() {
        let err = explain(
            "<!DOCTYPE html><html><head><title>Oops &amp; 404</title></head></html>",
            "x",
        );
        assert_eq!(err.to_string(), "not a feed: an HTML page (Oops & 404)");
    }

    #[test]
    fn other_xml_and_rubbish() {
        assert_eq!(
            explain(
                "<?xml version=\"1.0\"?><!-- c --><opml version=\"2.0\"/>",
                "x"
            )
            .to_string(),
            "not a feed: an XML document with root <opml>"
        );
        assert_eq!(
            explain("hello", "x").to_string(),
            "not a feed: neither XML nor JSON (starts with \"hello\")"
        );
    }
}
