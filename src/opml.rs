//! Reads and writes OPML feed lists (`<outline xmlUrl=… title=…>`), over quick-xml.

use quick_xml::Reader;
use quick_xml::events::Event;

/// A feed found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub url: String,
    pub title: Option<String>,
}

/// Extracts every outline with an `xmlUrl`, at any depth.
pub fn parse(text: &str) -> anyhow::Result<Vec<OpmlFeed>> {
    let mut reader = Reader::from_str(text);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if e.local_name().as_ref().eq_ignore_ascii_case("outline") =>
            {
                let mut url = None;
                let mut title = None;
                for a in e.attributes().flatten() {
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.trim().to_string())
                        .unwrap_or_default();
                    match a.key.as_ref() {
                        "xmlUrl" | "xmlurl" => url = Some(v),
                        "title" => title = Some(v),
                        "text" if title.is_none() => title = Some(v),
                        _ => {}
                    }
                }
                if let Some(url) = url.filter(|u| !u.is_empty()) {
                    out.push(OpmlFeed {
                        url,
                        title: title.filter(|t| !t.is_empty()),
                    });
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => anyhow::bail!("not valid OPML at byte {}: {e}", reader.buffer_position()),
            _ => {}
        }
    }
    Ok(out)
}

/// Writes an OPML 2.0 document.
pub fn write(title: &str, feeds: &[OpmlFeed]) -> String {
    let esc = |s: &str| html_escape::encode_double_quoted_attribute(s).to_string();
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>{}</title></head>\n  <body>\n",
        esc(title)
    );
    for f in feeds {
        let t = esc(f.title.as_deref().unwrap_or(&f.url));
        s.push_str(&format!(
            "    <outline type=\"rss\" text=\"{t}\" title=\"{t}\" xmlUrl=\"{}\"/>\n",
            esc(&f.url)
        ));
    }
    s.push_str("  </body>\n</opml>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_nested_outlines() {
        let doc = r#"<?xml version="1.0"?><opml version="2.0"><body>
            <outline text="AI"><outline text="heise &amp; co" xmlUrl="https://www.heise.de/rss/heise.rdf"/>
            <outline title="OpenAI" xmlUrl="https://openai.com/news/rss.xml"></outline></outline>
            <outline text="folder only"/></body></opml>"#;
        let feeds = parse(doc).unwrap();
        assert_eq!(feeds.len(), 2);
        assert_eq!(feeds[0].title.as_deref(), Some("heise & co"));
        assert_eq!(parse(&write("x", &feeds)).unwrap(), feeds);
    }
}
