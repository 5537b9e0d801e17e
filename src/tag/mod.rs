//! Tags items with the companies, models and people they mention (pure; the taxonomy is data).
//!
//! The built-in taxonomy is `config/taxonomy.toml`, embedded with `include_str!`; the user's
//! `[tag] taxonomy = [...]` files are merged over it (see [`taxonomy::merge`]). It is compiled
//! once into a single Aho-Corasick automaton ([`matcher`]); tagging an item is one pass of that
//! automaton over the title and one over the summary, followed by cheap checks:
//!
//! - word boundaries and case: ambiguous aliases (`weak`) must match with exact case;
//!   German genitives ("OpenAIs", "Microsofts") are accepted when the item's language is `de`;
//! - model families ([`family`]): the version, size and tier after a family prefix give the
//!   maker's exact name ("GPT-4o mini", "Claude Opus 4.1", "Gemini 2.5 Flash"), also for
//!   versions newer than the taxonomy;
//! - evidence ([`disambiguate`]): "Meta", "Apple", "Gemini", "Mistral", "Claude", "Grok",
//!   "Sora", "Pi" … are tagged only with a score of evidence: the entity's cue words nearby
//!   (2) or elsewhere in the item (1), another entity (2: for a company any company or model,
//!   for a model another model or its maker), an AI topic term (1), a title mention (1);
//!   2 is enough. Veto words nearby ("horoscope", "Raspberry", "Monet") reject; a surname
//!   alone ("Huang") and a versioned look-alike ("Gen 5") need their own cues;
//! - people not in the taxonomy are found by a known given name followed by a surname
//!   ([`people`]); in a Title-Case headline the surname must recur in the summary.
//!
//! Tagging is pure: no IO, no clock; [`Tagger`] is immutable and `Send + Sync`.
//!
//! **Which model owners are added as companies.** Labels record what the text mentions, so
//! a model's owner is *not* added in general ("GPT-4" alone does not tag OpenAI). It is added
//! only (1) for models and families marked `adds_owner = true` in the taxonomy: those whose
//! names contain the company's name (Mistral Large/Small/7B… → Mistral AI, Meta AI → Meta,
//! Apple Intelligence → Apple, DeepSeek-V3/R1… → DeepSeek, Amazon Nova/Titan/Q → Amazon,
//! Inflection-2.5… → Inflection AI, Midjourney V6… → Midjourney, Runway Gen-3… → Runway,
//! GitHub Copilot → GitHub, Copilot for Microsoft 365 → Microsoft; not Mixtral, Codestral,
//! Le Chat, GPT, Claude, Gemini, Llama…), and (2) when the item is written in the first
//! person ("we", "our" in the summary, or in a title with a real summary) and all its models
//! have the same owner: a maker's own post ("Today we're releasing Claude 3 Haiku").

pub mod command;
pub mod disambiguate;
pub mod family;
pub mod matcher;
pub mod people;
pub mod taxonomy;
pub mod text;

use std::path::PathBuf;

use crate::model::{TagInput, Tags};

use matcher::Compiled;

/// A compiled taxonomy, ready to tag text. Immutable, so `&Tagger` is shared across threads.
#[derive(Debug)]
pub struct Tagger {
    compiled: Compiled,
}

impl Default for Tagger {
    /// The built-in taxonomy (which is checked by the tests, so this does not fail).
    fn default() -> Self {
        Self::builtin().expect("built-in taxonomy compiles")
    }
}

impl Tagger {
    /// The taxonomy shipped in `config/taxonomy.toml`, embedded in the binary.
    pub fn builtin() -> anyhow::Result<Self> {
        Self::load(&[])
    }

    /// The built-in taxonomy extended or overridden by the given taxonomy files (in order).
    /// Errors name the file and line.
    pub fn load(extra: &[PathBuf]) -> anyhow::Result<Self> {
        let mut t = taxonomy::parse(taxonomy::BUILTIN, "built-in config/taxonomy.toml")?;
        for path in extra {
            let f = taxonomy::read(path)?;
            taxonomy::merge(&mut t, f);
        }
        Self::from_taxonomy(&t)
    }

    /// Compiles a taxonomy given as text (tests, or callers that hold the data already).
    pub fn from_toml(text: &str, origin: &str) -> anyhow::Result<Self> {
        let t = taxonomy::parse(text, origin)?;
        Self::from_taxonomy(&t)
    }

    fn from_taxonomy(t: &taxonomy::TaxonomyFile) -> anyhow::Result<Self> {
        taxonomy::check_owners(t)?;
        Ok(Tagger {
            compiled: Compiled::build(t)?,
        })
    }

    /// Heap bytes of the compiled automaton and its number of patterns.
    pub fn automaton_size(&self) -> (usize, usize) {
        self.compiled.automaton_size()
    }

    /// Tags one text.
    pub fn tag(&self, input: TagInput<'_>) -> Tags {
        let german = input
            .language
            .is_some_and(|l| l.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("de")));
        let title = text::clean(input.title);
        let summary = text::clean(input.summary);
        let strict = !german && title_case(&title);
        let t = self.compiled.scan(&title, german, strict);
        let s = self.compiled.scan(&summary, german, false);
        let words = summary.split_whitespace().take(5).count();
        disambiguate::resolve(&self.compiled, [&t, &s], [&title, &summary], words)
    }
}

/// A Title-Case Headline: most words of four or more letters start upper-case.
fn title_case(s: &str) -> bool {
    let (mut long, mut upper) = (0, 0);
    for w in s.split_whitespace() {
        let mut chars = w.chars();
        let Some(first) = chars.next() else { continue };
        if w.chars().filter(|c| c.is_alphabetic()).count() >= 4 && first.is_alphabetic() {
            long += 1;
            if first.is_uppercase() {
                upper += 1;
            }
        }
    }
    long >= 4 && upper * 10 >= long * 7
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_compiles_and_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Tagger>();
        Tagger::builtin().unwrap();
    }
}
