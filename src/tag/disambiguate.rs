//! Decides which mentions of an item become tags: ambiguous names need evidence (cue words
//! nearby or in the item, another AI entity, an AI topic term; title mentions weigh more),
//! version-less tiers take their version from the item, owners are added where the taxonomy
//! says so, and tags are deduplicated in order of first mention.

use crate::model::Tags;

use super::matcher::{Compiled, FieldScan, Kind, Mention, What};

/// Bytes around a weak mention in which a cue or veto counts as "nearby".
const NEAR: usize = 80;
/// Evidence score a weak mention needs.
const THRESHOLD: i32 = 2;

struct Ctx<'a> {
    c: &'a Compiled,
    fields: [&'a FieldScan; 2],
}

impl Ctx<'_> {
    fn near(list: &[(u32, usize)], subject: u32, m: &Mention) -> bool {
        list.iter()
            .any(|&(s, pos)| s == subject && pos + NEAR >= m.start && pos <= m.end + NEAR)
    }

    fn anywhere(&self, subject: u32) -> bool {
        self.fields
            .iter()
            .any(|f| f.cues.iter().any(|&(s, _)| s == subject))
    }

    fn topic(&self) -> bool {
        self.fields.iter().any(|f| f.topic)
    }

    /// Supports weak mentions of other entities: companies and models of the taxonomy, and
    /// people marked `ai`.
    fn anchor(&self, m: &Mention) -> bool {
        match &m.what {
            What::Entity(id) => {
                let e = &self.c.entities[*id as usize];
                e.ai || e.kind == Kind::Company
            }
            What::Model { .. } | What::Tier { .. } | What::Orphan { .. } => true,
            What::Person(_) => false,
        }
    }
}

/// Turns the scans of title and summary into tags; `summary_words` is the summary's length.
/// `texts` are the cleaned title and summary (to confirm names found in Title-Case headlines).
pub fn resolve(
    c: &Compiled,
    [title, summary]: [&FieldScan; 2],
    texts: [&str; 2],
    summary_words: usize,
) -> Tags {
    let ctx = Ctx {
        c,
        fields: [title, summary],
    };
    // (field, mention, accepted)
    let mut all: Vec<(usize, &Mention, bool)> = Vec::new();
    for (fi, f) in ctx.fields.iter().enumerate() {
        for m in &f.mentions {
            all.push((
                fi,
                m,
                !m.weak
                    && !matches!(
                        m.what,
                        What::Orphan { .. } | What::Tier { orphan: true, .. }
                    ),
            ));
        }
    }
    let topic = ctx.topic();

    // a name from a Title-Case headline counts when the other field has its surname
    for (fi, m, ok) in all.iter_mut() {
        if let What::Person(name) = &m.what
            && m.weak
        {
            let surname = name.rsplit(' ').next().unwrap_or(name);
            *ok = texts[1 - *fi].contains(surname);
        }
    }

    // weak mentions: two rounds, so that an accepted weak AI mention supports another
    for _ in 0..2 {
        // accepted mentions that can support others: (subject, is a model)
        let anchors: Vec<(u32, bool)> = all
            .iter()
            .filter(|(_, m, ok)| *ok && ctx.anchor(m))
            .map(|(_, m, _)| {
                (
                    m.subject,
                    c.entities[m.subject as usize].kind == Kind::Model,
                )
            })
            .collect();
        for entry in all.iter_mut() {
            let (fi, m, ok) = *entry;
            if ok || !m.weak || matches!(m.what, What::Person(_)) {
                continue;
            }
            let field = ctx.fields[fi];
            if Ctx::near(&field.vetoes, m.subject, m) {
                continue;
            }
            let mut score = 0;
            let cue = if Ctx::near(&field.cues, m.subject, m) {
                2
            } else if ctx.anywhere(m.subject) {
                1
            } else {
                0
            };
            // a versioned look-alike ("Gen 5" of PCIe) needs a cue of its own
            if cue == 0
                && matches!(m.what, What::Model { fam, .. } if c.families[fam as usize].needs_evidence)
            {
                continue;
            }
            score += cue;
            let subject = &c.entities[m.subject as usize];
            let supported = match subject.kind {
                // a model: by another model, or by its maker
                Kind::Model => anchors
                    .iter()
                    .any(|&(s, model)| s != m.subject && (model || Some(s) == subject.owner)),
                Kind::Company => anchors.iter().any(|&(s, _)| s != m.subject),
                // a surname alone: only its cues count
                Kind::Person => {
                    if cue == 0 {
                        continue;
                    }
                    false
                }
            };
            if supported {
                score += 2;
            }
            if topic {
                score += 1;
            }
            if fi == 0 {
                score += 1;
            }
            if score >= THRESHOLD {
                entry.2 = true;
            }
        }
    }

    // orphan tiers count only when their family is mentioned in the item
    let family_present = |fam: u32, all: &[(usize, &Mention, bool)]| {
        let subject = c.families[fam as usize].subject;
        all.iter().any(|(_, m, ok)| {
            *ok && m.subject == subject
                && !matches!(
                    m.what,
                    What::Orphan { .. } | What::Tier { orphan: true, .. }
                )
        })
    };
    for i in 0..all.len() {
        let (_, m, ok) = all[i];
        if ok {
            continue;
        }
        if let What::Orphan { fam, .. }
        | What::Tier {
            fam, orphan: true, ..
        } = m.what
            && family_present(fam, &all)
        {
            all[i].2 = true;
        }
    }

    let mut tags = Tags::default();
    let mut model_owners: Vec<Option<u32>> = Vec::new();
    let push = |list: &mut Vec<String>, name: &str| {
        if !list.iter().any(|x| same_name(x, name)) {
            list.push(name.to_string());
        }
    };
    for &(_, m, ok) in &all {
        if !ok {
            continue;
        }
        match &m.what {
            What::Entity(id) => {
                let e = &c.entities[*id as usize];
                match e.kind {
                    Kind::Company => {
                        push(&mut tags.companies, &e.name);
                    }
                    Kind::Person => {
                        push(&mut tags.people, &e.name);
                    }
                    Kind::Model => {
                        push(&mut tags.models, &e.name);
                        model_owners.push(e.owner);
                        if e.adds_owner
                            && let Some(o) = e.owner
                        {
                            push(&mut tags.companies, &c.entities[o as usize].name);
                        }
                    }
                }
            }
            What::Model { fam, name, .. } | What::Orphan { fam, name } => {
                push(&mut tags.models, name);
                let f = &c.families[*fam as usize];
                model_owners.push(f.owner);
                if f.adds_owner
                    && let Some(o) = f.owner
                {
                    push(&mut tags.companies, &c.entities[o as usize].name);
                }
            }
            What::Tier { fam, tier, .. } => {
                if let Some(name) = tier_name(c, *fam, *tier, &all) {
                    push(&mut tags.models, &name);
                    model_owners.push(c.families[*fam as usize].owner);
                }
            }
            What::Person(name) => {
                push(&mut tags.people, name);
            }
        }
    }

    // a maker's own post ("we're releasing Claude 3 Haiku") is about the maker
    // (a title alone, as aggregators repost it, is too little to say who wrote the item)
    let first_person = summary.first_person || (title.first_person && summary_words >= 5);
    if first_person
        && let Some(Some(o)) = model_owners.first()
        && model_owners.iter().all(|x| *x == Some(*o))
    {
        push(&mut tags.companies, &c.entities[*o as usize].name);
    }

    tags.ai_topic = topic
        || !tags.models.is_empty()
        || all.iter().any(|(_, m, ok)| {
            *ok && matches!(m.what, What::Entity(id) if c.entities[id as usize].ai)
        });
    tags
}

/// Name of a tier mentioned without version: dropped when the item names that tier with a
/// version, else versioned like another mention of the family, else "Family Tier".
fn tier_name(c: &Compiled, fam: u32, tier: u32, all: &[(usize, &Mention, bool)]) -> Option<String> {
    let f = &c.families[fam as usize];
    let mut version: Option<&str> = None;
    for (_, m, ok) in all {
        if !ok {
            continue;
        }
        match &m.what {
            What::Model {
                fam: mf,
                version: v,
                tier: t,
                ..
            } if *mf == fam => {
                if *t == Some(tier) {
                    return None;
                }
                if version.is_none() {
                    version = v.as_deref();
                }
            }
            What::Orphan { fam: mf, name }
                if *mf == fam && norm(name).contains(&norm(&f.tiers[tier as usize])) =>
            {
                return None;
            }
            _ => {}
        }
    }
    Some(f.canonical(version, Some(tier), None))
}

/// Equal ignoring case and everything but letters and digits ("GPT-4o mini" = "gpt 4o-mini").
fn same_name(a: &str, b: &str) -> bool {
    let key = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(|c| c.to_lowercase())
            .collect::<Vec<char>>()
    };
    if a.is_ascii() && b.is_ascii() {
        let mut x = a
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase());
        let mut y = b
            .bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase());
        loop {
            match (x.next(), y.next()) {
                (None, None) => return true,
                (p, q) if p != q => return false,
                _ => {}
            }
        }
    }
    key(a) == key(b)
}

/// Comparison key: lower case, letters and digits only.
pub fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(|c| c.to_lowercase())
        .collect()
}
