//! Turns raw feed bytes into UTF-8 text: gzip, BOM, HTTP charset, XML declaration, detection.
//!
//! Declarations are hints, not facts: a document declared ISO-8859-1 whose bytes are valid
//! UTF-8 is read as UTF-8 (otherwise "länger" becomes "lÃ¤nger"), and a document declared
//! UTF-8 whose bytes are not is handed to chardetng. Pure: no IO.

use std::borrow::Cow;
use std::io::Read;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// Largest document we inflate from gzip; protects the daemon from gzip bombs.
const MAX_INFLATED_BYTES: u64 = 64 * 1024 * 1024;

/// Undoes gzip compression when the body still carries it (a server that double-encodes,
/// or a `.xml.gz` file). Returns the bytes unchanged otherwise, or when inflation fails.
pub fn gunzip(bytes: &[u8]) -> Cow<'_, [u8]> {
    if bytes.len() < 18 || bytes[0] != 0x1f || bytes[1] != 0x8b {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    match decoder.take(MAX_INFLATED_BYTES).read_to_end(&mut out) {
        Ok(_) if !out.is_empty() => Cow::Owned(out),
        // A truncated stream still yields a prefix worth parsing.
        Err(_) if !out.is_empty() => Cow::Owned(out),
        _ => Cow::Borrowed(bytes),
    }
}

/// Decodes `bytes` to UTF-8, choosing the encoding by BOM, then HTTP charset, then the XML
/// declaration, each checked against the bytes; falls back to detection.
pub fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_len..]).0;
    }
    // UTF-16 without a BOM still starts with `<` next to a zero byte.
    if bytes.starts_with(b"<\0") {
        return UTF_16LE.decode_without_bom_handling(bytes).0;
    }
    if bytes.starts_with(b"\0<") {
        return UTF_16BE.decode_without_bom_handling(bytes).0;
    }
    let declared = http_charset
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .or_else(|| declared_encoding(bytes));
    let utf8 = std::str::from_utf8(bytes).ok();
    let encoding = match (declared, utf8) {
        // Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the label says: legacy text
        // almost never forms valid multi-byte sequences by accident.
        (_, Some(text)) => return Cow::Borrowed(text),
        // A UTF-16 label on bytes we could read as ASCII is a lie.
        (Some(enc), None) if enc == UTF_16LE || enc == UTF_16BE => detect(bytes),
        (Some(enc), None) if enc == UTF_8 => detect(bytes),
        (Some(enc), None) => {
            let (text, had_errors) = enc.decode_without_bom_handling(bytes);
            if !had_errors {
                return text;
            }
            detect(bytes)
        }
        (None, None) => detect(bytes),
    };
    encoding.decode_without_bom_handling(bytes).0
}

/// Guesses the encoding of bytes that are not valid UTF-8.
fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    detector.guess(None, Utf8Detection::Deny)
}

/// The `encoding="..."` of an XML declaration at the start of the document.
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(512)];
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = memchr::memmem::find(head, b"?>")?;
    let decl = &head[..end];
    let at = memchr::memmem::find(decl, b"encoding")?;
    let rest = &decl[at + b"encoding".len()..];
    let quote_at = rest.iter().position(|b| *b == b'"' || *b == b'\'')?;
    let quote = rest[quote_at];
    let value = &rest[quote_at + 1..];
    let value_end = value.iter().position(|b| *b == quote)?;
    Encoding::for_label(&value[..value_end])
}

/// Replaces a leading XML declaration (and any whitespace before it) by one that says UTF-8,
/// so that the XML reader does not decode the already-decoded text a second time.
pub fn declare_utf8(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if !trimmed.starts_with("<?xml") {
        return if trimmed.len() == text.len() {
            Cow::Borrowed(text)
        } else {
            Cow::Borrowed(trimmed)
        };
    }
    match trimmed.find("?>") {
        Some(end) if !declares_other_than_utf8(&trimmed[..end]) => {
            if trimmed.len() == text.len() {
                Cow::Borrowed(text)
            } else {
                Cow::Borrowed(trimmed)
            }
        }
        Some(end) => {
            let mut out = String::with_capacity(trimmed.len() + 40);
            out.push_str(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
            out.push_str(&trimmed[end + 2..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(trimmed),
    }
}

/// True when an XML declaration names an encoding other than UTF-8 (the common case needs
/// no copy of the document).
fn declares_other_than_utf8(declaration: &str) -> bool {
    match declaration.find("encoding") {
        None => false,
        Some(at) => {
            let value = declaration[at + "encoding".len()..]
                .trim_start_matches([' ', '=', '"', '\''])
                .get(..5);
            !value.is_some_and(|v| v.eq_ignore_ascii_case("utf-8"))
        }
    }
}

/// Undoes UTF-8 that was decoded as Windows-1252 before it reached the feed ("isnâ€™t",
/// "lÃ¤nger" in the source bytes themselves): when the whole text re-encodes to
/// Windows-1252 bytes that form valid, shorter UTF-8, that UTF-8 is the real text.
pub fn fix_mojibake(text: &str) -> Cow<'_, str> {
    // 'Ã', 'Â', 'Å' and 'â' all encode as 0xC3 followed by one of these bytes; scanning
    // bytes keeps the common case (no mojibake) cheap.
    let bytes = text.as_bytes();
    let suspicious = memchr::memchr_iter(0xC3, bytes)
        .any(|at| matches!(bytes.get(at + 1), Some(0x82 | 0x83 | 0x85 | 0xA2)));
    if !suspicious {
        return Cow::Borrowed(text);
    }
    let (bytes, _, unmappable) = WINDOWS_1252.encode(text);
    if unmappable {
        return Cow::Borrowed(text);
    }
    match std::str::from_utf8(&bytes) {
        Ok(fixed) if fixed.len() < text.len() => Cow::Owned(fixed.to_string()),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(bytes: &[u8], http_charset: Option<&str>, expected: &str) {
        assert_eq!(decode(bytes, http_charset), expected);
    }

    #[test]
    fn utf8_declared_latin1_is_read_as_utf8() {
        check(
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>länger</a>".as_bytes(),
            None,
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>länger</a>",
        );
    }

    #[test]
    fn latin1_declared_utf8_is_detected() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>".to_vec();
        bytes.extend_from_slice(b"Die Stra\xdfe ist l\xe4nger und gr\xf6\xdfer</a>");
        check(
            &bytes,
            None,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>Die Straße ist länger und größer</a>",
        );
    }

    #[test]
    fn honest_latin1_declaration_is_used() {
        check(
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>l\xe4nger</a>",
            None,
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>länger</a>",
        );
    }

    #[test]
    fn bom_wins() {
        check(
            b"\xef\xbb\xbf<a>\xc3\xa4</a>",
            Some("iso-8859-1"),
            "<a>ä</a>",
        );
        check(b"\xff\xfe<\0a\0>\0", None, "<a>");
    }

    #[test]
    fn http_charset_is_used_when_bytes_agree() {
        check(b"<a>\xe4</a>", Some("windows-1252"), "<a>ä</a>");
    }

    #[test]
    fn declaration_is_rewritten_to_utf8() {
        assert_eq!(
            declare_utf8("  \n<?xml version='1.0' encoding='koi8-r'?><rss/>"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>"
        );
        assert_eq!(declare_utf8("<rss/>"), "<rss/>");
        assert!(matches!(
            declare_utf8("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss/>"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn mojibake_in_the_source_is_undone() {
        assert_eq!(fix_mojibake("isnâ€™t lÃ¤nger"), "isn’t länger");
        assert_eq!(fix_mojibake("SÃO PAULO"), "SÃO PAULO");
        assert_eq!(fix_mojibake("café isnâ€™t"), "café isnâ€™t");
        assert_eq!(fix_mojibake("plain"), "plain");
    }

    #[test]
    fn gzip_is_inflated() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"<rss version=\"2.0\"></rss>").unwrap();
        let gz = encoder.finish().unwrap();
        assert_eq!(&*gunzip(&gz), b"<rss version=\"2.0\"></rss>");
        assert_eq!(&*gunzip(b"<rss/>"), b"<rss/>");
    }
}
