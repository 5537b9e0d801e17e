//! Namespace URIs and element names as feed-rs expects them, for the repair pass.
//!
//! feed-rs compares namespace URIs byte for byte, so `https://search.yahoo.com/mrss` or the
//! RSS 0.90 namespace make it ignore every element they cover. Pure tables.

/// Which kind of feed the repaired document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Rss,
    Rdf,
    Atom,
    /// Atom 0.3 (`http://purl.org/atom/ns#`): Atom with older element names.
    Atom03,
}

/// Canonical spelling of the namespaces feed-rs knows, keyed without scheme, case or
/// trailing `/`/`#`.
const NAMESPACES: &[(&str, &str)] = &[
    ("purl.org/rss/1.0", "http://purl.org/rss/1.0/"),
    // RSS 0.90 (heise online's RDF feed) is RSS 1.0's ancestor with the same elements.
    ("my.netscape.com/rdf/simple/0.9", "http://purl.org/rss/1.0/"),
    ("www.w3.org/2005/atom", "http://www.w3.org/2005/Atom"),
    ("purl.org/atom/ns", "http://www.w3.org/2005/Atom"),
    (
        "purl.org/rss/1.0/modules/content",
        "http://purl.org/rss/1.0/modules/content/",
    ),
    (
        "purl.org/dc/elements/1.1",
        "http://purl.org/dc/elements/1.1/",
    ),
    ("search.yahoo.com/mrss", "http://search.yahoo.com/mrss/"),
    (
        "www.itunes.com/dtds/podcast-1.0.dtd",
        "http://www.itunes.com/dtds/podcast-1.0.dtd",
    ),
    (
        "podcastindex.org/namespace/1.0",
        "https://podcastindex.org/namespace/1.0",
    ),
    (
        "wellformedweb.org/commentapi",
        "http://wellformedweb.org/CommentAPI/",
    ),
    (
        "www.w3.org/1999/02/22-rdf-syntax-ns",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    ),
];

/// Prefixes declared on the root when the document uses them without declaring them.
pub fn standard_prefixes() -> &'static [(&'static str, &'static str)] {
    &[
        ("dc", "http://purl.org/dc/elements/1.1/"),
        ("content", "http://purl.org/rss/1.0/modules/content/"),
        ("media", "http://search.yahoo.com/mrss/"),
        ("atom", "http://www.w3.org/2005/Atom"),
        ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
        ("itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"),
    ]
}

/// The namespace URI feed-rs recognises for `uri`, or `uri` itself escaped for an attribute.
pub fn canonical_namespace(uri: &str) -> String {
    let key = uri.trim().to_ascii_lowercase();
    let key = key
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches(['/', '#']);
    match NAMESPACES.iter().find(|(k, _)| *k == key) {
        Some((_, canonical)) => canonical.to_string(),
        None => html_escape::encode_double_quoted_attribute(uri.trim()).into_owned(),
    }
}

/// True when `uri` is a known namespace spelled other than feed-rs expects.
pub fn is_variant(uri: &str) -> bool {
    let canonical = canonical_namespace(uri);
    canonical != uri && NAMESPACES.iter().any(|(_, c)| *c == canonical)
}

/// True for an Atom 0.3 namespace URI.
pub fn is_atom03(uri: &str) -> bool {
    uri.to_ascii_lowercase().contains("purl.org/atom/ns")
}

/// True when `raw` names a feed root element.
pub fn is_root_name(raw: &str) -> bool {
    let local = raw.rsplit(':').next().unwrap_or(raw);
    local.eq_ignore_ascii_case("rss") || local == "feed" || local.eq_ignore_ascii_case("rdf")
}

/// RSS element names in their specified case (feeds write `pubdate`, `PubDate`...), and
/// Atom 0.3 names mapped to Atom 1.0.
pub fn fix_element_case(raw: &str, flavor: Flavor) -> String {
    match flavor {
        Flavor::Rss | Flavor::Rdf => {
            const RSS_NAMES: &[&str] = &[
                "pubDate",
                "lastBuildDate",
                "managingEditor",
                "webMaster",
                "skipHours",
                "skipDays",
                "textInput",
                "title",
                "link",
                "description",
                "item",
                "channel",
                "guid",
                "author",
                "category",
                "comments",
                "enclosure",
                "source",
                "language",
                "copyright",
                "image",
                "url",
                "ttl",
                "generator",
            ];
            if let Some(name) = RSS_NAMES.iter().find(|n| n.eq_ignore_ascii_case(raw)) {
                // RSS 1.0 spells it `textinput`.
                if flavor == Flavor::Rdf && *name == "textInput" {
                    return "textinput".to_string();
                }
                return name.to_string();
            }
            raw.to_string()
        }
        Flavor::Atom => raw.to_string(),
        Flavor::Atom03 => match raw {
            "issued" => "published".to_string(),
            "modified" => "updated".to_string(),
            "tagline" => "subtitle".to_string(),
            "copyright" => "rights".to_string(),
            other => other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_variants() {
        assert_eq!(
            canonical_namespace("https://search.yahoo.com/mrss"),
            "http://search.yahoo.com/mrss/"
        );
        assert_eq!(
            canonical_namespace("http://my.netscape.com/rdf/simple/0.9/"),
            "http://purl.org/rss/1.0/"
        );
        assert_eq!(canonical_namespace("urn:x&y"), "urn:x&amp;y");
        assert!(is_variant("https://search.yahoo.com/mrss"));
        assert!(!is_variant("http://search.yahoo.com/mrss/"));
        assert!(!is_variant("urn:other"));
    }

    #[test]
    fn element_case() {
        assert_eq!(fix_element_case("pubdate", Flavor::Rss), "pubDate");
        assert_eq!(fix_element_case("Title", Flavor::Rss), "title");
        assert_eq!(fix_element_case("issued", Flavor::Atom03), "published");
    }
}
