//! Turns an item's title, summary and tags into weighted matching features (language-aware
//! tokens, normalized numbers, model names, entity tags, proper names, name skeletons) and
//! near-duplicate shingles.
//!
//! Pure and deterministic: features are 64-bit hashes from a fixed hash function.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use unicode_normalization::UnicodeNormalization;

use super::index::{hash_concat, hash_str};
use super::lexicon::Lexicon;
use crate::model::ClusterItem;

/// Kinds of feature; each kind has its own hash namespace and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A stemmed word (or an English stem produced by the bilingual lexicon).
    Word,
    /// A number normalized with its scale (`$2.75 billion` = `2,75 Milliarden` = `2.75B`).
    Number,
    /// A word joined with a following number (`GPT-4o`, `Llama 3`, `MAI-1`).
    ModelName,
    /// An entity from the tagger (company, model, person), by canonical name. The name's words
    /// are features already, so this light extra weight mainly joins alias spellings.
    Entity,
    /// Consonant skeleton of a capitalized word, which survives misspelled or transliterated
    /// names (`Suleyman` / `Suleiman`) and German/English cognates (`Modell` / `model`).
    Skeleton,
    /// A proper noun: a word capitalised inside an English sentence (people, places, teams,
    /// companies). Its own feature family besides the word, so that names weigh more in the
    /// comparison than topic words: two look-alike events (two boxing title fights, two DUI
    /// arrests) share the topic words and differ in the names.
    Name,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Word => "w",
            Kind::Number => "n",
            Kind::ModelName => "m",
            Kind::Entity => "e",
            Kind::Skeleton => "k",
            Kind::Name => "p",
        }
    }

    fn weight(self) -> f32 {
        match self {
            Kind::Word => 1.0,
            Kind::Number => 1.5,
            Kind::ModelName => 1.5,
            Kind::Entity => 0.5,
            Kind::Skeleton => 0.25,
            Kind::Name => 1.0,
        }
    }
}

/// Weight of a title occurrence relative to a summary occurrence.
const TITLE_WEIGHT: f32 = 2.0;

/// The matching view of one item.
#[derive(Debug, Clone, Default)]
pub struct Features {
    /// (feature hash, raw weight) sorted by hash, unique; raw weights are not yet IDF-scaled.
    pub terms: Vec<(u64, f32)>,
    /// Word shingles of the unstemmed text, for near-duplicate detection.
    pub shingles: Vec<u64>,
    /// Hash of the normalized title (for exact title matches), if it has at least four words.
    pub title_key: Option<u64>,
    /// Detected or declared primary language.
    pub language: Lang,
    /// Every word of the title and summary (stop words and numbers aside) as a name feature
    /// id, sorted and unique: whether the item mentions a name at all, wherever it stands
    /// and however it is capitalized.
    pub mentions: Vec<u64>,
}

/// Languages the tokenizer knows; everything else is treated like English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
}

/// One raw token of text.
#[derive(Debug, Clone)]
struct Token {
    /// Lower-case NFKC form.
    lower: String,
    capitalized: bool,
    /// Parsed numeric value, when the token is a number (scale suffixes applied).
    number: Option<f64>,
    /// Whether the token was glued to the previous one by a hyphen.
    hyphen_joined: bool,
    /// Whether the token opens a sentence (so its capital says nothing).
    sentence_start: bool,
}

/// Computes the features of an item.
pub fn features(item: &ClusterItem) -> Features {
    let lex = Lexicon::get();
    let title = plain_text(&item.title);
    let summary = plain_text(&item.summary);
    let title_tokens = tokenize(&title);
    let summary_tokens = tokenize(&summary);
    let language = language_of(
        item.language.as_deref(),
        &title_tokens,
        &summary_tokens,
        lex,
    );

    let mut acc: Vec<(u64, f32)> = Vec::with_capacity(64);
    add_tokens(&title_tokens, language, TITLE_WEIGHT, lex, &mut acc);
    add_tokens(&summary_tokens, language, 1.0, lex, &mut acc);
    let tags = &item.tags;
    for name in tags
        .companies
        .iter()
        .chain(&tags.models)
        .chain(&tags.people)
    {
        push(&mut acc, Kind::Entity, &canonical_name(name), TITLE_WEIGHT);
    }
    let terms = merge_terms(acc);
    let mut mentions: Vec<u64> = title_tokens
        .iter()
        .chain(&summary_tokens)
        .filter(|t| t.number.is_none() && !lex.is_stop(&t.lower))
        .map(|t| feature_id(Kind::Name, &t.lower))
        .collect();
    mentions.sort_unstable();
    mentions.dedup();

    let mut words: Vec<&str> = title_tokens.iter().map(|t| t.lower.as_str()).collect();
    let n_title_words = words.len();
    let title_key = (n_title_words >= 4).then(|| hash_str("t", &words.join(" ")));
    words.extend(summary_tokens.iter().map(|t| t.lower.as_str()));
    Features {
        terms,
        shingles: shingles(&words),
        title_key,
        language,
        mentions,
    }
}

/// Lower-cases and strips spaces, dots and hyphens, as the tag labels compare names.
fn canonical_name(name: &str) -> String {
    name.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn push(acc: &mut Vec<(u64, f32)>, kind: Kind, text: &str, field_weight: f32) {
    acc.push((feature_id(kind, text), kind.weight() * field_weight));
}

/// A feature's hash, whose two lowest bits mark a skeleton (see [`is_evidence`]) or a proper
/// name (see [`is_name`]).
fn feature_id(kind: Kind, text: &str) -> u64 {
    let h = hash_str(kind.tag(), text) & !3;
    match kind {
        Kind::Skeleton => h | 1,
        Kind::Name => h | 2,
        _ => h,
    }
}

/// Whether a feature is evidence of its own: a word, number, model name, entity or name. A
/// name skeleton only echoes a capitalized word that is a feature already.
pub fn is_evidence(feature: u64) -> bool {
    feature & 1 == 0
}

/// Whether a feature is a proper name ([`Kind::Name`]).
pub fn is_name(feature: u64) -> bool {
    feature & 3 == 2
}

/// Sums duplicate features and damps repetition (1 + ln of the summed weight).
fn merge_terms(mut acc: Vec<(u64, f32)>) -> Vec<(u64, f32)> {
    acc.sort_unstable_by_key(|&(h, _)| h);
    let mut out: Vec<(u64, f32)> = Vec::with_capacity(acc.len());
    for (h, w) in acc {
        match out.last_mut() {
            Some(last) if last.0 == h => last.1 += w,
            _ => out.push((h, w)),
        }
    }
    for term in &mut out {
        let w = term.1;
        if w > 1.0 {
            term.1 = 1.0 + w.ln();
        }
    }
    out
}

fn add_tokens(tokens: &[Token], lang: Lang, field: f32, lex: &Lexicon, acc: &mut Vec<(u64, f32)>) {
    let title_case = is_title_case(tokens, lex);
    for (i, tok) in tokens.iter().enumerate() {
        if let Some(value) = tok.number {
            push(acc, Kind::Number, &format_number(value), field);
            if let Some(prev) = i.checked_sub(1).map(|p| &tokens[p])
                && prev.number.is_none()
                && !lex.is_stop(&prev.lower)
                && value < 1000.0
                && (tok.hyphen_joined || prev.capitalized)
            {
                push(
                    acc,
                    Kind::ModelName,
                    &format!("{}{}", prev.lower, tok.lower),
                    field,
                );
            }
            continue;
        }
        if tok.lower.chars().count() < 2 || lex.is_stop(&tok.lower) {
            continue;
        }
        if tok.lower.chars().any(|c| c.is_ascii_digit()) {
            // Alphanumeric names such as `b200`, `gpt4o`, `h100` are strong evidence.
            push(acc, Kind::ModelName, &tok.lower, field);
            if let Some(prev) = i.checked_sub(1).map(|p| &tokens[p])
                && tok.hyphen_joined
                && prev.number.is_none()
            {
                push(
                    acc,
                    Kind::ModelName,
                    &format!("{}{}", prev.lower, tok.lower),
                    field,
                );
            }
            continue;
        }
        match lang {
            Lang::En => {
                let stem = cached_stem(lex, Lang::En, &tok.lower);
                // In English running text a capital inside a sentence marks a name.
                let proper = tok.capitalized && !tok.sentence_start && !title_case;
                let weight = if proper {
                    field * PROPER_NOUN_WEIGHT
                } else {
                    field
                };
                push(acc, Kind::Word, &stem, weight);
                if proper {
                    push(acc, Kind::Name, &tok.lower, field);
                }
            }
            Lang::De => {
                let stem = cached_stem(lex, Lang::De, &tok.lower);
                push(acc, Kind::Word, &stem, field);
                if let Some(english) = lex.translate_de(&stem) {
                    for en in english {
                        push(acc, Kind::Word, en, field);
                    }
                } else {
                    // Names and loan words are spelled alike; give them the English stem too.
                    let en_stem = cached_stem(lex, Lang::En, &tok.lower);
                    if en_stem != stem {
                        push(acc, Kind::Word, &en_stem, field * 0.5);
                    }
                }
            }
        }
        if tok.capitalized
            && let Some(skeleton) = skeleton(&tok.lower)
        {
            push(acc, Kind::Skeleton, &skeleton, field);
        }
    }
}

/// How many stems each per-thread cache holds before it starts over.
const STEM_CACHE_MAX: usize = 50_000;

/// The Snowball stem of a lower-case word. Stemming was the largest single cost of feature
/// extraction and news vocabulary repeats, so stems are memoised per thread (bounded: a full
/// cache is cleared); the result is the same as calling the stemmer.
fn cached_stem(lex: &Lexicon, lang: Lang, word: &str) -> Rc<str> {
    type Cache = RefCell<HashMap<Box<str>, Rc<str>>>;
    thread_local! {
        static EN: Cache = RefCell::new(HashMap::new());
        static DE: Cache = RefCell::new(HashMap::new());
    }
    let (cache, stemmer) = match lang {
        Lang::En => (&EN, &lex.en_stemmer),
        Lang::De => (&DE, &lex.de_stemmer),
    };
    cache.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(stem) = cache.get(word) {
            return stem.clone();
        }
        if cache.len() >= STEM_CACHE_MAX {
            cache.clear();
        }
        let stem: Rc<str> = stemmer.stem(word).into();
        cache.insert(word.into(), stem.clone());
        stem
    })
}

/// Weight of an English proper noun relative to other words.
const PROPER_NOUN_WEIGHT: f32 = 1.5;

/// Whether most content words are capitalized (headline style), so capitals mark nothing.
fn is_title_case(tokens: &[Token], lex: &Lexicon) -> bool {
    let words = tokens
        .iter()
        .filter(|t| t.number.is_none() && !lex.is_stop(&t.lower));
    let (n, caps) = words.fold((0, 0), |(n, c), t| (n + 1, c + usize::from(t.capitalized)));
    n >= 3 && caps * 10 >= n * 6
}

/// The consonants of a word without a plural ending, doubles collapsed, at most six.
fn skeleton(word: &str) -> Option<String> {
    let base = word
        .strip_suffix("en")
        .or_else(|| word.strip_suffix('s'))
        .or_else(|| word.strip_suffix('n'))
        .unwrap_or(word);
    let mut out = String::new();
    let mut last = None;
    for c in base.chars() {
        if !c.is_alphabetic() || "aeiouyäöüéèáàíóú".contains(c) {
            continue;
        }
        if Some(c) != last {
            out.push(c);
            last = Some(c);
        }
        if out.chars().count() == 6 {
            break;
        }
    }
    (out.chars().count() >= 3).then_some(out)
}

/// Decides the language: a declared `de`/`en` wins, else stop-word votes.
fn language_of(declared: Option<&str>, title: &[Token], summary: &[Token], lex: &Lexicon) -> Lang {
    if let Some(code) = declared {
        let primary = code
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "de" => return Lang::De,
            "" => {}
            _ => return Lang::En,
        }
    }
    let (mut en, mut de) = (0, 0);
    for tok in title.iter().chain(summary) {
        let (e, d) = lex.stop_votes(&tok.lower);
        en += e;
        de += d;
    }
    if de > en { Lang::De } else { Lang::En }
}

/// Removes HTML tags and decodes entities; NFKC-normalizes. Text without markup, entities or
/// non-ASCII characters (most headlines) is returned as it is.
pub fn plain_text(raw: &str) -> String {
    if raw.is_ascii() && !raw.contains(['<', '&']) {
        return raw.to_string();
    }
    let mut stripped = String::with_capacity(raw.len());
    let mut in_tag = false;
    for c in raw.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                stripped.push(' ');
            }
            _ if !in_tag => stripped.push(c),
            _ => {}
        }
    }
    let decoded = html_escape::decode_html_entities(&stripped);
    if decoded.is_ascii() {
        decoded.into_owned()
    } else {
        decoded.nfkc().collect()
    }
}

/// Splits text into word and number tokens. Hyphenated compounds are split into their parts
/// (a part starting with a digit is marked as glued, so `GPT-4` yields a model name); numbers
/// keep their decimal separators and take scale words (`million`, `Milliarden`, `bn`, `B`).
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    let mut glued = false;
    let mut sentence_start = true;
    while i < chars.len() {
        let c = chars[i];
        if !c.is_alphanumeric() {
            glued = c == '-' && i > 0 && chars[i - 1].is_alphanumeric();
            if matches!(c, '.' | '!' | '?' | ':' | '|') {
                sentence_start = true;
            }
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_alphanumeric()
                || ((chars[i] == '.' || chars[i] == ',')
                    && chars[i - 1].is_ascii_digit()
                    && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())))
        {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        let mut token = make_token(&word, glued);
        token.sentence_start = sentence_start;
        tokens.push(token);
        glued = false;
        sentence_start = false;
    }
    apply_scale_words(&mut tokens);
    tokens
}

fn make_token(word: &str, hyphen_joined: bool) -> Token {
    let lower: String = if word.is_ascii() {
        word.to_ascii_lowercase()
    } else {
        word.chars().flat_map(char::to_lowercase).collect()
    };
    let capitalized = word.chars().next().is_some_and(char::is_uppercase);
    Token {
        number: parse_number(&lower),
        lower,
        capitalized,
        hyphen_joined,
        sentence_start: false,
    }
}

/// Parses `500`, `2.75`, `2,75`, `1,000`, `10m`, `2.75b`, `70bn`, `4k`; None for other words.
fn parse_number(lower: &str) -> Option<f64> {
    let digits_end = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(lower.len());
    if digits_end == 0 {
        return None;
    }
    let (num, suffix) = lower.split_at(digits_end);
    let scale = match suffix {
        "" => 1.0,
        "k" => 1e3,
        "m" | "mn" | "mio" => 1e6,
        "b" | "bn" | "mrd" => 1e9,
        "t" | "tn" => 1e12,
        _ => return None,
    };
    Some(parse_decimal(num)? * scale)
}

/// A separator followed by exactly three digits is a thousands separator; otherwise decimal.
fn parse_decimal(num: &str) -> Option<f64> {
    let mut cleaned = String::with_capacity(num.len());
    let bytes: Vec<char> = num.chars().collect();
    for (i, &c) in bytes.iter().enumerate() {
        if c == '.' || c == ',' {
            let rest = &bytes[i + 1..];
            let group = rest.iter().take_while(|c| c.is_ascii_digit()).count();
            if group == 3 && (rest.len() == 3 || !rest[3].is_ascii_digit()) && c == ',' {
                continue;
            }
            if group == 3 && c == '.' && bytes[..i].iter().all(|c| c.is_ascii_digit()) && i <= 3 {
                // `2.000` (German thousands) vs `2.750` (decimal) is ambiguous; treat a lone
                // dot followed by three digits as thousands only when more groups follow.
                if rest.len() > 3 {
                    continue;
                }
            }
            cleaned.push('.');
        } else {
            cleaned.push(c);
        }
    }
    cleaned.parse().ok()
}

/// Multiplies a number by a following scale word and drops the word.
fn apply_scale_words(tokens: &mut Vec<Token>) {
    let mut i = 0;
    while i + 1 < tokens.len() {
        if let Some(value) = tokens[i].number {
            let scale = match tokens[i + 1].lower.as_str() {
                "thousand" | "tausend" => Some(1e3),
                "million" | "millions" | "millionen" | "mio" | "mn" => Some(1e6),
                "billion" | "billions" | "milliarde" | "milliarden" | "mrd" | "bn" => Some(1e9),
                "trillion" | "trillions" | "billionen" => Some(1e12),
                _ => None,
            };
            if let Some(scale) = scale {
                tokens[i].number = Some(value * scale);
                tokens.remove(i + 1);
            }
        }
        i += 1;
    }
}

/// Three significant digits, so `2.75e9` from any spelling hashes alike.
fn format_number(value: f64) -> String {
    format!("{value:.3e}")
}

/// Word bigrams (unigrams for texts shorter than three words), hashed.
fn shingles(words: &[&str]) -> Vec<u64> {
    let mut out: Vec<u64> = if words.len() < 3 {
        words.iter().map(|w| hash_str("s", w)).collect()
    } else {
        words
            .windows(2)
            .map(|pair| hash_concat("s", &[pair[0], " ", pair[1]]))
            .collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<String> {
        tokenize(&plain_text(text))
            .iter()
            .filter_map(|t| t.number.map(format_number))
            .collect()
    }

    #[test]
    fn numbers_normalize_across_spellings() {
        let expect = vec![format_number(2.75e9)];
        assert_eq!(numbers("invests $2.75 billion"), expect);
        assert_eq!(numbers("investiert 2,75 Milliarden Dollar"), expect);
        assert_eq!(numbers("a $2.75B deal"), expect);
        assert_eq!(
            numbers("raises over $500M"),
            numbers("500 Millionen US-Dollar")
        );
        assert_eq!(numbers("1,000 staff"), vec![format_number(1000.0)]);
    }

    #[test]
    fn html_is_stripped() {
        assert_eq!(
            plain_text("<p>OpenAI&#8217;s <a href=\"x\">Sora</a></p>").trim(),
            "OpenAI’s  Sora"
        );
    }

    #[test]
    fn skeletons_are_marked_and_other_kinds_are_evidence() {
        assert!(!is_evidence(feature_id(Kind::Skeleton, "mcrsft")));
        for kind in [
            Kind::Word,
            Kind::Number,
            Kind::ModelName,
            Kind::Entity,
            Kind::Name,
        ] {
            assert!(is_evidence(feature_id(kind, "microsoft")));
            assert_eq!(is_name(feature_id(kind, "microsoft")), kind == Kind::Name);
        }
        assert!(!is_name(feature_id(Kind::Skeleton, "mcrsft")));
    }

    #[test]
    fn a_name_counts_as_mentioned_wherever_it_stands() {
        let item = ClusterItem {
            id: 1,
            source: "s".into(),
            title: "JACKSON ARRESTED".into(),
            summary: "Jackson was stopped on Route 52. Police said jackson failed tests.".into(),
            language: Some("en".into()),
            published: chrono::Utc::now(),
            canonical_link: None,
            guid: None,
            tags: Default::default(),
        };
        let f = features(&item);
        let mentioned = |w: &str| f.mentions.binary_search(&feature_id(Kind::Name, w)).is_ok();
        assert!(mentioned("jackson") && mentioned("police") && mentioned("route"));
        assert!(
            !mentioned("williams") && !mentioned("on"),
            "stop words are left out"
        );
        assert!(
            f.mentions.windows(2).all(|w| w[0] < w[1]),
            "sorted and unique"
        );
    }

    fn has_name(text: &str, name: &str) -> bool {
        let mut acc = Vec::new();
        let tokens = tokenize(text);
        add_tokens(&tokens, Lang::En, 1.0, Lexicon::get(), &mut acc);
        let id = feature_id(Kind::Name, name);
        acc.iter().any(|&(h, _)| h == id)
    }

    #[test]
    fn english_proper_nouns_are_name_features() {
        let text = "The champion beat Thompson in Bern. Champions rarely lose.";
        assert!(has_name(text, "thompson"));
        assert!(has_name(text, "bern"));
        // A capital that opens a sentence says nothing.
        assert!(!has_name(text, "champions"));
        // Headline case capitalises every word.
        assert!(!has_name("Klitschko Beats Thompson In Bern", "thompson"));
    }

    #[test]
    fn misspelled_names_share_a_skeleton() {
        assert_eq!(skeleton("suleyman"), skeleton("suleiman"));
        assert_eq!(skeleton("modell"), skeleton("model"));
        assert_ne!(skeleton("microsoft"), skeleton("mistral"));
    }
}
