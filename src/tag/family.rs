//! Model families: reads the version, size and tier that follow a family prefix
//! ("GPT" + "-4o" + " mini", "Claude" + " Opus" + " 4.1", "Llama" + " 3.1" + " 405B") and
//! builds the maker's canonical name, so that new versions of a known family are tagged too.

use std::collections::HashMap;

use super::matcher::{Mention, What, german_s, is_word, right_ok};
use super::taxonomy::Family;

#[derive(Debug)]
pub struct FamilyInfo {
    pub name: String,
    pub subject: u32,
    pub owner: Option<u32>,
    pub bare: bool,
    pub sep: String,
    pub tier_sep: String,
    pub attached: bool,
    pub dot_sep: bool,
    pub version_prefixes: Vec<String>,
    pub version_suffixes: Vec<String>,
    pub keep_size: bool,
    /// Canonical tier spellings.
    pub tiers: Vec<String>,
    /// Tier indexes, longest spelling first (for longest match).
    by_len: Vec<u32>,
    pub tier_first_from: Option<f64>,
    pub tier_defaults: HashMap<u32, String>,
    pub tier_needs_version: bool,
    pub adds_owner: bool,
    /// Even versioned mentions need evidence ("Gen-3" is also PCIe Gen 3).
    pub needs_evidence: bool,
}

impl FamilyInfo {
    pub fn new(f: &Family, subject: u32, owner: Option<u32>) -> Self {
        let tiers: Vec<String> = f.tiers.iter().map(|t| t.trim().to_string()).collect();
        let mut by_len: Vec<u32> = (0..tiers.len() as u32).collect();
        by_len.sort_by_key(|&i| std::cmp::Reverse(tiers[i as usize].len()));
        let mut info = FamilyInfo {
            name: f.name.get_ref().trim().to_string(),
            subject,
            owner,
            bare: f.bare,
            sep: f.sep.clone(),
            tier_sep: f.tier_sep.clone(),
            attached: f.attached,
            dot_sep: f.dot_sep,
            version_prefixes: f.version_prefixes.clone(),
            version_suffixes: f.version_suffixes.clone(),
            keep_size: f.keep_size,
            tiers,
            by_len,
            tier_first_from: f.tier_first_from,
            tier_defaults: HashMap::new(),
            tier_needs_version: f.tier_needs_version,
            adds_owner: f.adds_owner,
            needs_evidence: f.needs_evidence,
        };
        for (t, v) in &f.tier_defaults {
            if let Some(i) = info.tier_index(t) {
                info.tier_defaults.insert(i, v.clone());
            }
        }
        info
    }

    pub fn tier_index(&self, t: &str) -> Option<u32> {
        self.tiers
            .iter()
            .position(|x| x.eq_ignore_ascii_case(t.trim()))
            .map(|i| i as u32)
    }

    /// Canonical name for a version and/or tier (and size when it is part of the name).
    pub fn canonical(
        &self,
        version: Option<&str>,
        tier: Option<u32>,
        size: Option<&str>,
    ) -> String {
        let mut s = self.name.clone();
        let tier = tier.map(|t| self.tiers[t as usize].as_str());
        match (version, tier) {
            (Some(v), Some(t)) => {
                let major: f64 = v
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                    .split('.')
                    .next()
                    .and_then(|m| m.parse().ok())
                    .unwrap_or(0.0);
                if self.tier_first_from.is_some_and(|from| major >= from) {
                    s.push(' ');
                    s.push_str(t);
                    s.push(' ');
                    s.push_str(v);
                } else {
                    s.push_str(&self.sep);
                    s.push_str(v);
                    if let Some(sz) = size {
                        s.push(' ');
                        s.push_str(sz);
                    }
                    s.push_str(&self.tier_sep);
                    s.push_str(t);
                }
            }
            (Some(v), None) => {
                s.push_str(&self.sep);
                s.push_str(v);
                if let Some(sz) = size {
                    s.push(' ');
                    s.push_str(sz);
                }
            }
            (None, Some(t)) => {
                if let Some(sz) = size {
                    s.push(' ');
                    s.push_str(sz);
                }
                s.push_str(&self.tier_sep);
                s.push_str(t);
            }
            (None, None) => {
                if let Some(sz) = size {
                    s.push(' ');
                    s.push_str(sz);
                }
            }
        }
        s
    }

    /// Longest tier spelled at `pos` and followed by a word boundary.
    fn tier_at(&self, text: &str, pos: usize) -> Option<(u32, usize)> {
        let rest = &text.as_bytes()[pos..];
        for &i in &self.by_len {
            let t = self.tiers[i as usize].as_bytes();
            if rest.len() >= t.len() && rest[..t.len()].eq_ignore_ascii_case(t) {
                let end = pos + t.len();
                if right_ok(text, end) {
                    return Some((i, end));
                }
            }
        }
        None
    }

    /// A version at `pos` ("4o", "1.5", "V3", "k1.5"); returns it and its end.
    fn version_at(&self, text: &str, pos: usize) -> Option<(String, usize)> {
        let b = text.as_bytes();
        let mut p = pos;
        let mut v = String::new();
        for pre in &self.version_prefixes {
            let pb = pre.as_bytes();
            if b.len() > p + pb.len()
                && b[p..p + pb.len()].eq_ignore_ascii_case(pb)
                && b[p + pb.len()].is_ascii_digit()
            {
                v.push_str(pre);
                p += pb.len();
                break;
            }
        }
        let digits = |p: usize| b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
        let n = digits(p);
        if n == 0 || n > 2 {
            return None;
        }
        v.push_str(&text[p..p + n]);
        p += n;
        for _ in 0..2 {
            if p + 1 < b.len() && b[p] == b'.' && b[p + 1].is_ascii_digit() {
                let n = digits(p + 1);
                if n > 2 {
                    return None;
                }
                v.push_str(&text[p..p + 1 + n]);
                p += 1 + n;
            } else {
                break;
            }
        }
        if !right_ok(text, p) {
            let mut found = false;
            for suf in &self.version_suffixes {
                if text[p..].starts_with(suf.as_str()) && right_ok(text, p + suf.len()) {
                    v.push_str(suf);
                    p += suf.len();
                    found = true;
                    break;
                }
            }
            if !found {
                return None;
            }
        }
        Some((v, p))
    }

    /// A parameter size at `pos` ("7B", "8x22B", "3.8B", "405b").
    fn size_at(text: &str, pos: usize) -> Option<(String, usize)> {
        let b = text.as_bytes();
        let mut p = pos;
        let digits = |p: usize| b[p..].iter().take_while(|c| c.is_ascii_digit()).count();
        let n = digits(p);
        if n == 0 {
            return None;
        }
        p += n;
        if p < b.len() && (b[p] == b'x' || b[p] == b'.') {
            let n2 = digits(p + 1);
            if n2 == 0 {
                return None;
            }
            p += 1 + n2;
        }
        if p < b.len() && (b[p] == b'B' || b[p] == b'b' || b[p] == b'M') && right_ok(text, p + 1) {
            let mut s = text[pos..p].to_string();
            s.push('B');
            if b[p] == b'M' {
                s.pop();
                s.push('M');
            }
            return Some((s, p + 1));
        }
        None
    }
}

/// Position after a separator (" ", "-", or "." where allowed) at `pos`, if there is one.
fn after_sep(text: &str, pos: usize, dot: bool) -> Option<usize> {
    let b = text.as_bytes();
    if pos < b.len() && (b[pos] == b' ' || b[pos] == b'-' || (dot && b[pos] == b'.')) {
        Some(pos + 1)
    } else {
        None
    }
}

/// Reads what follows a family prefix matched at `s..e`.
pub fn parse(
    f: &FamilyInfo,
    fam: u32,
    text: &str,
    s: usize,
    e: usize,
    weak: bool,
    german: bool,
) -> Option<Mention> {
    let mut version: Option<String> = None;
    let mut size: Option<String> = None;
    let mut tier: Option<u32> = None;
    let mut end = e;

    // version or size right after the prefix
    let starts: Vec<usize> = {
        let mut v = Vec::with_capacity(2);
        if let Some(p) = after_sep(text, e, f.dot_sep) {
            v.push(p);
        }
        if f.attached {
            v.push(e);
        }
        v
    };
    for &p in &starts {
        if let Some((sz, q)) = FamilyInfo::size_at(text, p) {
            size = Some(sz);
            end = q;
            break;
        }
        if let Some((v, q)) = f.version_at(text, p) {
            version = Some(v);
            end = q;
            if let Some(p2) = after_sep(text, q, false)
                && let Some((sz, q2)) = FamilyInfo::size_at(text, p2)
            {
                size = Some(sz);
                end = q2;
            }
            break;
        }
    }
    // tier, and a version after the tier ("Claude Opus 4", "Mistral Large 2")
    if let Some(p) = after_sep(text, end, false)
        && let Some((t, q)) = f.tier_at(text, p)
    {
        tier = Some(t);
        end = q;
        if version.is_none()
            && let Some(p2) = after_sep(text, end, false)
            && let Some((v, q2)) = f.version_at(text, p2)
        {
            version = Some(v);
            end = q2;
        }
    }
    if version.is_none() && tier.is_none() {
        if size.is_some() && f.keep_size {
            let name = f.canonical(None, None, size.as_deref());
            return Some(model(f, fam, s, end, name, None, None));
        }
        if !f.bare {
            return None;
        }
        if size.is_none() {
            end = if right_ok(text, e) {
                e
            } else if german_s(text, e, german) {
                e + 1
            } else {
                return None;
            };
        }
        return Some(Mention {
            start: s,
            end,
            weak,
            subject: f.subject,
            what: What::Entity(f.subject),
        });
    }
    let size = if f.keep_size { size } else { None };
    if version.is_none()
        && let Some(t) = tier
    {
        if let Some(v) = f.tier_defaults.get(&t) {
            version = Some(v.clone());
        } else if f.tier_needs_version {
            return Some(Mention {
                start: s,
                end,
                weak: false,
                subject: f.subject,
                what: What::Tier {
                    fam,
                    tier: t,
                    orphan: false,
                },
            });
        }
    }
    let name = f.canonical(version.as_deref(), tier, size.as_deref());
    Some(model(f, fam, s, end, name, version, tier))
}

fn model(
    f: &FamilyInfo,
    fam: u32,
    s: usize,
    end: usize,
    name: String,
    version: Option<String>,
    tier: Option<u32>,
) -> Mention {
    Mention {
        start: s,
        end,
        weak: f.needs_evidence,
        subject: f.subject,
        what: What::Model {
            fam,
            name,
            version,
            tier,
        },
    }
}

/// A tier word without the family name ("Opus", "1.5 Flash", "Ultra 1.0").
pub fn orphan(
    f: &FamilyInfo,
    fam: u32,
    tier: u32,
    versioned: bool,
    text: &str,
    s: usize,
    e: usize,
) -> Option<Mention> {
    // version after: "Ultra 1.0", "Opus 4.1"
    let mut start = s;
    let mut end = e;
    let mut version = None;
    if let Some(p) = after_sep(text, e, false)
        && let Some((v, q)) = f.version_at(text, p)
    {
        version = Some(v);
        end = q;
    } else {
        // version before: "1.5 Flash", "3.5 Sonnet"
        let before = &text[..s];
        if let Some(head) = before.strip_suffix(' ') {
            let vlen = head
                .bytes()
                .rev()
                .take_while(|c| c.is_ascii_digit() || *c == b'.')
                .count();
            let vstart = head.len() - vlen;
            if vlen > 0
                && head.as_bytes()[vstart].is_ascii_digit()
                && head[..vstart]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !is_word(c))
            {
                version = Some(head[vstart..].to_string());
                start = vstart;
            }
        }
    }
    if let Some(v) = &version {
        // "Pixel 9 Pro" is not "Gemini 9 Pro": generic tier words need a dotted version
        if versioned && !v.contains('.') || v.len() > 4 {
            return None;
        }
    }
    match version {
        Some(v) => {
            let name = f.canonical(Some(&v), Some(tier), None);
            Some(Mention {
                start,
                end,
                weak: false,
                subject: f.subject,
                what: What::Orphan { fam, name },
            })
        }
        None if versioned => None,
        None => Some(Mention {
            start,
            end,
            weak: false,
            subject: f.subject,
            what: What::Tier {
                fam,
                tier,
                orphan: true,
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tag::taxonomy;

    fn parse_one(toml: &str, text: &str) -> Option<String> {
        let t = taxonomy::parse(toml, "test").unwrap();
        let f = FamilyInfo::new(&t.families[0], 0, None);
        let prefix = t.families[0].prefixes[0].len();
        parse(&f, 0, text, 0, prefix, false, false).map(|m| match m.what {
            What::Model { name, .. } => name,
            What::Entity(_) => "<bare>".into(),
            What::Tier { tier, .. } => format!("<tier {}>", f.tiers[tier as usize]),
            other => format!("{other:?}"),
        })
    }

    const CLAUDE: &str = r#"
[[family]]
name = "Claude"
prefixes = ["Claude"]
bare = true
tiers = ["Opus", "Sonnet", "Haiku"]
tier_first_from = 4.0
tier_needs_version = true
"#;

    const GPT: &str = r#"
[[family]]
name = "GPT"
prefixes = ["GPT"]
sep = "-"
attached = true
version_suffixes = ["o"]
tiers = ["mini", "Turbo"]
"#;

    #[test]
    fn canonical_names() {
        for (text, want) in [
            ("Claude 3.5 Sonnet is", "Claude 3.5 Sonnet"),
            ("Claude Sonnet 3.5 is", "Claude 3.5 Sonnet"),
            ("Claude 4 Opus is", "Claude Opus 4"),
            ("Claude Opus 4.1 is", "Claude Opus 4.1"),
            ("Claude 3 family", "Claude 3"),
            ("Claude is", "<bare>"),
            ("Claude Opus is", "<tier Opus>"),
        ] {
            assert_eq!(parse_one(CLAUDE, text).as_deref(), Some(want), "{text}");
        }
        for (text, want) in [
            ("GPT-4o mini", Some("GPT-4o mini")),
            ("GPT-4 Turbo", Some("GPT-4 Turbo")),
            ("GPT4o", Some("GPT-4o")),
            ("GPT-4-Klasse", Some("GPT-4")),
            ("GPT-4.5.", Some("GPT-4.5")),
            ("GPTs", None),
            ("GPT-2024", None),
        ] {
            assert_eq!(parse_one(GPT, text).as_deref(), want, "{text}");
        }
    }
}
