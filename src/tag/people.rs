//! People not in the taxonomy: a known given name followed by a capitalised surname
//! ("Robert Habeck", "Shan Shan Wong", "Ursula von der Leyen") is tagged as a person.

use std::collections::HashSet;

const PARTICLES: &[&str] = &[
    "von", "van", "der", "den", "de", "da", "di", "del", "della", "la", "le", "bin", "al", "ten",
    "ter", "zu", "dos", "du",
];

const PLACE_WORDS: &[&str] = &[
    "San", "Santa", "Saint", "St.", "Sankt", "Los", "Las", "Lake", "Mount", "Mt.", "Fort", "Port",
    "Cape", "Porto", "São", "Sao", "Bad", "Rio",
];

/// A capitalised word at `pos`: letters, inner apostrophes and hyphens; a trailing
/// possessive is not part of it. Returns (word, end).
fn word_at(text: &str, pos: usize) -> Option<(&str, usize)> {
    let rest = &text[pos..];
    let mut chars = rest.char_indices().peekable();
    let (_, first) = chars.next()?;
    if !first.is_uppercase() {
        return None;
    }
    let mut end = first.len_utf8();
    while let Some((i, c)) = chars.next() {
        if c.is_alphabetic() {
            end = i + c.len_utf8();
        } else if c == '\'' || c == '-' {
            // inner only: must be followed by a letter ("D'Angelo", "Al-Sayed"), not "'s"
            match chars.peek() {
                Some(&(_, n)) if n.is_alphabetic() => {
                    let tail = &rest[i + 1..];
                    if c == '\''
                        && tail.starts_with('s')
                        && tail[1..]
                            .chars()
                            .next()
                            .is_none_or(|x| !x.is_alphanumeric())
                    {
                        break;
                    }
                }
                _ => break,
            }
        } else {
            break;
        }
    }
    let w = &rest[..end];
    if w.chars().count() < 2 || !w.chars().any(|c| c.is_lowercase()) {
        return None;
    }
    // "Sam Altman1" or "Habeck_": a following digit/underscore makes it not a name
    if rest[end..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
    {
        return None;
    }
    Some((w, pos + end))
}

/// The name lists of the taxonomy (`[names]`).
pub struct Lists<'a> {
    pub given: &'a HashSet<String>,
    /// Lower case.
    pub not_surnames: &'a HashSet<String>,
    /// Lower case.
    pub not_after: &'a HashSet<String>,
}

/// Parses a person's name that starts with the given name at `s..e`.
pub fn parse(
    text: &str,
    s: usize,
    e: usize,
    lists: &Lists<'_>,
    strict: bool,
    starts_entity: impl Fn(usize) -> bool,
) -> Option<(String, usize)> {
    // "San Diego", "Santa Clara", "Lake Tahoe": a place, not a person
    let prev: &str = text[..s]
        .trim_end_matches(' ')
        .rsplit(|c: char| !c.is_alphabetic() && c != '.')
        .next()
        .unwrap_or("");
    if text[..s].ends_with(' ') && PLACE_WORDS.contains(&prev) {
        return None;
    }
    let mut parts: Vec<&str> = vec![&text[s..e]];
    let mut pos = e;
    let mut surname_end = None;
    for _ in 0..4 {
        let p = pos + 1;
        if !text[pos..].starts_with(' ') || p >= text.len() {
            break;
        }
        // particle ("von der")
        let lw: String = text[p..]
            .chars()
            .take_while(|c| c.is_alphabetic())
            .collect();
        if !lw.is_empty() && PARTICLES.contains(&lw.as_str()) && surname_end.is_none() {
            parts.push(&text[p..p + lw.len()]);
            pos = p + lw.len();
            continue;
        }
        let Some((w, q)) = word_at(text, p) else {
            break;
        };
        if lists.not_surnames.contains(&w.to_lowercase()) || starts_entity(p) {
            break;
        }
        if surname_end.is_some() && strict {
            break;
        }
        if surname_end.is_none() && lists.given.contains(w) && parts.len() == 1 {
            // second given name ("Shan Shan Wong") or the surname itself ("Jordan James")
            parts.push(w);
            pos = q;
            surname_end = Some(q);
            continue;
        }
        parts.push(w);
        surname_end = Some(q);
        break;
    }
    let end = surname_end?;
    // the last part must be a real surname (not a particle) and not an institution
    let last = *parts.last()?;
    if PARTICLES.contains(&last) {
        return None;
    }
    if text[end..].starts_with(' ')
        && let Some((w, _)) = word_at(text, end + 1)
        && lists.not_after.contains(&w.to_lowercase())
    {
        return None;
    }
    let parts = &parts[..parts.iter().rposition(|p| *p == last)? + 1];
    Some((parts.join(" "), end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<&str>, strict: bool) {
        let given: HashSet<String> = ["Shan", "Robert", "Ursula", "Grace", "Juan", "Pablo", "Adam"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let not_surnames: HashSet<String> = ["blackwell", "chooses"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let not_after: HashSet<String> = ["institute"].iter().map(|s| s.to_string()).collect();
        let lists = Lists {
            given: &given,
            not_surnames: &not_surnames,
            not_after: &not_after,
        };
        let first = text.split(' ').next().unwrap();
        let got = parse(text, 0, first.len(), &lists, strict, |_| false).map(|(n, _)| n);
        assert_eq!(got.as_deref(), expected, "{text}");
    }

    #[test]
    fn names() {
        check("Robert Habeck dabei", Some("Robert Habeck"), false);
        check("Shan Shan Wong and", Some("Shan Shan Wong"), false);
        check(
            "Ursula von der Leyen said",
            Some("Ursula von der Leyen"),
            false,
        );
        check("Adam D'Angelo's board", Some("Adam D'Angelo"), false);
        check("Grace Blackwell chips", None, false);
        check("Robert Bosch Institute", None, false);
        check("Robert said", None, false);
        check("Juan Pablo Chooses Nikki", Some("Juan Pablo"), true);
        check("Robert HABECK", None, false);
    }
}
