//! Entry links: resolution against the feed URL, permalink GUID promotion, canonical form.
//!
//! The canonical link is what the store and the clusterer compare: scheme and host lower-case,
//! default port and fragment dropped, tracking parameters (utm_*, fbclid, gclid, mc_*, ref...)
//! removed. The original link is kept beside it for display. Pure.

use url::Url;

/// Resolves `href` against `base` when it is relative; `None` when it cannot be a link.
pub fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    resolve_url(href, base).map(String::from)
}

/// [`resolve`], keeping the parsed URL for [`canonicalize_url`] (one parse per link).
pub fn resolve_url(href: &str, base: Option<&Url>) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.contains(char::is_whitespace) && !href.contains("://") {
        return None;
    }
    match Url::parse(href) {
        Ok(url) => Some(url),
        Err(url::ParseError::RelativeUrlWithoutBase) => base.and_then(|b| b.join(href).ok()),
        Err(_) => None,
    }
}

/// A GUID stands in for a missing link when it is a URL: absolute (any scheme, as feedparser
/// does for Atom ids) or a root-relative path resolved against the base.
pub fn promote_guid(guid: &str, base: Option<&Url>) -> Option<Url> {
    let guid = guid.trim();
    if guid.contains(char::is_whitespace) {
        return None;
    }
    if guid.starts_with('/') && !guid.starts_with("//") {
        return base.and_then(|b| b.join(guid).ok());
    }
    match Url::parse(guid) {
        Ok(url) if !url.cannot_be_a_base() || url.scheme() == "tag" => Some(url),
        _ => None,
    }
}

/// The comparable form of an http(s) link; `None` for other schemes.
pub fn canonicalize(link: &str) -> Option<String> {
    canonicalize_url(Url::parse(link).ok()?)
}

/// [`canonicalize`] of an already parsed link.
pub fn canonicalize_url(mut url: Url) -> Option<String> {
    if url.scheme() != "http" && url.scheme() != "https" {
        return None;
    }
    // The url crate already lower-cases scheme and host and drops the scheme's default port.
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| !is_tracking_parameter(name))
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url.into())
}

fn is_tracking_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    const PREFIXES: &[&str] = &["utm_", "mc_", "_hs", "pk_", "mtm_"];
    const NAMES: &[&str] = &[
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ref",
        "ref_src",
        "ref_url",
        "ncid",
        "ocid",
        "cmpid",
        "spm",
        "mkt_tok",
        "_ga",
        "oly_enc_id",
        "oly_anon_id",
        "vero_id",
        "wt.mc_id",
        "smid",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || NAMES.contains(&name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(link: &str, expected: Option<&str>) {
        assert_eq!(canonicalize(link).as_deref(), expected);
    }

    #[test]
    fn canonical_links() {
        check(
            "HTTPS://Example.COM:443/a/b?utm_source=rss&id=7&fbclid=x#top",
            Some("https://example.com/a/b?id=7"),
        );
        check(
            "http://example.com:80/?ref=hn&gclid=1&mc_cid=2",
            Some("http://example.com/"),
        );
        check(
            "http://example.com:8080/x",
            Some("http://example.com:8080/x"),
        );
        check("tag:example.com,2024:1", None);
    }

    #[test]
    fn relative_links_and_guids() {
        let base = Url::parse("https://huggingface.co/blog/feed.xml").unwrap();
        assert_eq!(
            resolve("/blog/x", Some(&base)).as_deref(),
            Some("https://huggingface.co/blog/x")
        );
        assert_eq!(resolve("x", None), None);
        assert_eq!(
            promote_guid("/blog/x", Some(&base))
                .map(String::from)
                .as_deref(),
            Some("https://huggingface.co/blog/x")
        );
        assert_eq!(promote_guid("12345", Some(&base)), None);
        assert_eq!(
            promote_guid("https://a.test/p/1", None)
                .map(String::from)
                .as_deref(),
            Some("https://a.test/p/1")
        );
    }
}
