//! Taxonomy data: the serde schema of `config/taxonomy.toml`, merging of user files over the
//! built-in one, and validation with errors that name file and line.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;
use toml::Spanned;

/// One taxonomy file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonomyFile {
    #[serde(default)]
    pub topic: Topic,
    #[serde(default)]
    pub names: Names,
    #[serde(default, rename = "company")]
    pub companies: Vec<Entry>,
    #[serde(default, rename = "model")]
    pub models: Vec<Entry>,
    #[serde(default, rename = "family")]
    pub families: Vec<Family>,
    #[serde(default, rename = "person")]
    pub people: Vec<Entry>,
    /// Names removed by `disabled = true` (their models keep matching, without owner).
    #[serde(skip)]
    pub removed: Vec<String>,
}

/// Words that mark a text as being about AI, and first-person words of maker posts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    /// Matched ignoring ASCII case ("machine learning", "künstliche Intelligenz").
    #[serde(default)]
    pub terms: Vec<String>,
    /// Matched with exact case ("AI", "KI", "LLM").
    #[serde(default)]
    pub exact: Vec<String>,
    /// First-person words ("we", "our") that mark an item written by a model's maker.
    #[serde(default)]
    pub first_person: Vec<String>,
}

/// Given names that start an unknown person's name, and words that never end one.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Names {
    #[serde(default)]
    pub given: Vec<String>,
    #[serde(default)]
    pub not_surnames: Vec<String>,
    /// Words after a name that make it an institution ("Max Planck Institute").
    #[serde(default)]
    pub not_after: Vec<String>,
}

/// A company, a named model or product, or a person.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: Spanned<String>,
    /// Unambiguous aliases, matched ignoring ASCII case.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Unambiguous aliases matched with exact case ("xAI", "AWS").
    #[serde(default)]
    pub exact: Vec<String>,
    /// Ambiguous aliases, exact case, tagged only with evidence ("Meta", "Apple", "Pi").
    #[serde(default)]
    pub weak: Vec<String>,
    /// People: surnames that alone name the person ("Altman").
    #[serde(default)]
    pub surnames: Vec<String>,
    /// Words near a weak mention (or anywhere in the item) that support it.
    #[serde(default)]
    pub cues: Vec<String>,
    /// Words near a weak mention that reject it ("horoscope" for Gemini).
    #[serde(default)]
    pub vetoes: Vec<String>,
    /// Models: the company that makes it.
    #[serde(default)]
    pub owner: Option<String>,
    /// Models: tag the owner as a company whenever the model is tagged.
    #[serde(default)]
    pub adds_owner: Option<bool>,
    /// Companies and people: counts as evidence that an item is about AI.
    #[serde(default)]
    pub ai: Option<bool>,
    /// In a user file: replace the built-in entry of that name instead of extending it.
    #[serde(default)]
    pub replace: bool,
    /// In a user file: remove the built-in entry of that name.
    #[serde(default)]
    pub disabled: bool,
    /// "file:line" of the entry, for errors found after merging.
    #[serde(skip)]
    pub at: String,
}

/// A model family with version patterns ("GPT" + "-4o" + " mini").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    /// Canonical family name, the start of every canonical model name of the family.
    pub name: Spanned<String>,
    pub owner: Option<String>,
    /// How the family is written, matched ignoring ASCII case ("GPT", "Llama").
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Prefixes with exact case that need evidence when no version follows ("Gemini").
    #[serde(default)]
    pub weak: Vec<String>,
    /// A mention without version or tier is tagged with the family name.
    #[serde(default)]
    pub bare: bool,
    /// Separator between family and version in canonical names ("-" for GPT-4).
    #[serde(default = "space")]
    pub sep: String,
    /// Separator before the tier in canonical names (" " in "GPT-4o mini", "-" in "Phi-3-mini").
    #[serde(default = "space")]
    pub tier_sep: String,
    /// Version may follow the prefix without separator ("Qwen2.5", "Idefics2").
    #[serde(default)]
    pub attached: bool,
    /// "." may separate prefix and version ("FLUX.1").
    #[serde(default)]
    pub dot_sep: bool,
    /// Letters that may start a version ("V3", "R1" for DeepSeek).
    #[serde(default)]
    pub version_prefixes: Vec<String>,
    /// Letters that may end a version ("4o", "3n").
    #[serde(default)]
    pub version_suffixes: Vec<String>,
    /// Sizes ("7B", "8x22B") are part of the name ("Mistral 7B"); else they are dropped.
    #[serde(default)]
    pub keep_size: bool,
    /// Tiers and variants, canonical spelling, matched ignoring ASCII case.
    #[serde(default)]
    pub tiers: Vec<String>,
    /// From this major version on the canonical order is "family tier version" ("Claude Opus 4").
    #[serde(default)]
    pub tier_first_from: Option<f64>,
    /// Version of a tier written without one ("Gemini Ultra" is "Gemini 1.0 Ultra").
    #[serde(default)]
    pub tier_defaults: HashMap<String, String>,
    /// A tier without version takes the version of another mention of the family in the item.
    #[serde(default)]
    pub tier_needs_version: bool,
    /// Tier words that alone name a model of the family when the family is in the item ("Opus").
    #[serde(default)]
    pub orphan_tiers: Vec<String>,
    /// Tier words that name a model only next to a version ("1.5 Flash", "Ultra 1.0").
    #[serde(default)]
    pub orphan_versioned_tiers: Vec<String>,
    #[serde(default)]
    pub cues: Vec<String>,
    #[serde(default)]
    pub vetoes: Vec<String>,
    #[serde(default)]
    pub adds_owner: bool,
    /// Versioned mentions need evidence too ("Gen-3" is also PCIe Gen 3).
    #[serde(default)]
    pub needs_evidence: bool,
    #[serde(default)]
    pub replace: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(skip)]
    pub at: String,
}

fn space() -> String {
    " ".to_string()
}

/// The embedded built-in taxonomy.
pub const BUILTIN: &str = include_str!("../../config/taxonomy.toml");

/// Parses one taxonomy text; `origin` names it in errors.
pub fn parse(text: &str, origin: &str) -> anyhow::Result<TaxonomyFile> {
    let mut file: TaxonomyFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| line_of(text, s.start).to_string())
            .unwrap_or_else(|| "?".into());
        anyhow::anyhow!("{origin}:{line}: {}", e.message())
    })?;
    validate(&file, text, origin)?;
    let at = |start: usize| format!("{origin}:{}", line_of(text, start));
    for e in file
        .companies
        .iter_mut()
        .chain(&mut file.models)
        .chain(&mut file.people)
    {
        e.at = at(e.name.span().start);
    }
    for f in &mut file.families {
        f.at = at(f.name.span().start);
    }
    Ok(file)
}

/// Reads and parses one taxonomy file.
pub fn read(path: &Path) -> anyhow::Result<TaxonomyFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read taxonomy {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn validate(file: &TaxonomyFile, text: &str, origin: &str) -> anyhow::Result<()> {
    let at = |s: &Spanned<String>| format!("{origin}:{}", line_of(text, s.span().start));
    let check_list = |what: &Spanned<String>, list: &[String]| -> anyhow::Result<()> {
        if list.iter().any(|a| a.trim().is_empty()) {
            bail!(
                "{}: {:?} has an empty alias or word",
                at(what),
                what.get_ref()
            );
        }
        Ok(())
    };
    for e in file
        .companies
        .iter()
        .chain(&file.models)
        .chain(&file.people)
    {
        if e.name.get_ref().trim().is_empty() {
            bail!("{}: empty name", at(&e.name));
        }
        for l in [
            &e.aliases,
            &e.exact,
            &e.weak,
            &e.surnames,
            &e.cues,
            &e.vetoes,
        ] {
            check_list(&e.name, l)?;
        }
    }
    for f in &file.families {
        if f.name.get_ref().trim().is_empty() {
            bail!("{}: empty family name", at(&f.name));
        }
        for l in [&f.prefixes, &f.weak, &f.tiers, &f.cues, &f.vetoes] {
            check_list(&f.name, l)?;
        }
        for t in f.tier_defaults.keys() {
            if !f.tiers.iter().any(|x| x.eq_ignore_ascii_case(t)) {
                bail!(
                    "{}: family {:?}: tier_defaults names unknown tier {t:?}",
                    at(&f.name),
                    f.name.get_ref()
                );
            }
        }
    }
    Ok(())
}

/// Merges `extra` over `base`: same-named entries are extended (lists appended, flags
/// overridden), replaced (`replace = true`) or removed (`disabled = true`); new ones are added.
pub fn merge(base: &mut TaxonomyFile, extra: TaxonomyFile) {
    base.topic.terms.extend(extra.topic.terms);
    base.topic.exact.extend(extra.topic.exact);
    base.topic.first_person.extend(extra.topic.first_person);
    base.names.given.extend(extra.names.given);
    base.names.not_surnames.extend(extra.names.not_surnames);
    base.names.not_after.extend(extra.names.not_after);
    base.removed.extend(
        extra
            .companies
            .iter()
            .filter(|c| c.disabled)
            .map(|c| c.name.get_ref().clone()),
    );
    merge_entries(&mut base.companies, extra.companies);
    merge_entries(&mut base.models, extra.models);
    merge_entries(&mut base.people, extra.people);
    for f in extra.families {
        let pos = base
            .families
            .iter()
            .position(|b| same(b.name.get_ref(), f.name.get_ref()));
        match pos {
            Some(i) if f.disabled => {
                base.families.remove(i);
            }
            Some(i) if !f.replace => {
                let b = &mut base.families[i];
                b.prefixes.extend(f.prefixes);
                b.weak.extend(f.weak);
                b.tiers.extend(f.tiers);
                b.orphan_tiers.extend(f.orphan_tiers);
                b.orphan_versioned_tiers.extend(f.orphan_versioned_tiers);
                b.cues.extend(f.cues);
                b.vetoes.extend(f.vetoes);
                b.tier_defaults.extend(f.tier_defaults);
                if f.owner.is_some() {
                    b.owner = f.owner;
                }
            }
            Some(i) => base.families[i] = f,
            None if f.disabled => {}
            None => base.families.push(f),
        }
    }
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fn merge_entries(base: &mut Vec<Entry>, extra: Vec<Entry>) {
    for e in extra {
        let pos = base
            .iter()
            .position(|b| same(b.name.get_ref(), e.name.get_ref()));
        match pos {
            Some(i) if e.disabled => {
                base.remove(i);
            }
            Some(i) if !e.replace => {
                let b = &mut base[i];
                b.aliases.extend(e.aliases);
                b.exact.extend(e.exact);
                b.weak.extend(e.weak);
                b.surnames.extend(e.surnames);
                b.cues.extend(e.cues);
                b.vetoes.extend(e.vetoes);
                if e.owner.is_some() {
                    b.owner = e.owner;
                }
                if e.adds_owner.is_some() {
                    b.adds_owner = e.adds_owner;
                }
                if e.ai.is_some() {
                    b.ai = e.ai;
                }
            }
            Some(i) => base[i] = e,
            None if e.disabled => {}
            None => base.push(e),
        }
    }
}

/// Checks the merged taxonomy: model owners must be companies, families need prefixes.
pub fn check_owners(t: &TaxonomyFile) -> anyhow::Result<()> {
    let known = |o: &str| {
        t.companies.iter().any(|c| same(c.name.get_ref(), o))
            || t.removed.iter().any(|r| same(r, o))
    };
    for m in &t.models {
        if let Some(o) = &m.owner
            && !known(o)
        {
            bail!(
                "{}: model {:?}: owner {o:?} is not a company of the taxonomy",
                m.at,
                m.name.get_ref()
            );
        }
    }
    for f in &t.families {
        if f.prefixes.is_empty() && f.weak.is_empty() {
            bail!("{}: family {:?} has no prefixes", f.at, f.name.get_ref());
        }
        if let Some(o) = &f.owner
            && !known(o)
        {
            bail!(
                "{}: family {:?}: owner {o:?} is not a company of the taxonomy",
                f.at,
                f.name.get_ref()
            );
        }
    }
    Ok(())
}
