//! Language data for matching: English and German stop words and a compact German → English
//! lexicon of news and AI terms, so that a German report shares tokens with English ones.
//!
//! Pure data plus lookup; the stemmed tables are built once on first use (deterministic).

use std::collections::HashMap;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

/// English stop words (lower case), plus clitic fragments left by apostrophe splitting.
const EN_STOP: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "said",
    "says",
    "say",
    "new",
    "according",
    "may",
    "might",
    "must",
    "one",
    "s",
    "t",
    "d",
    "ll",
    "re",
    "ve",
    "m",
    "us",
    "via",
    "amp",
    "quot",
    "nbsp",
    "comments",
    "reportedly",
    "report",
    "reports",
    "news",
    "today",
    "yesterday",
    "week",
    "year",
    "get",
    "gets",
    "here's",
    "what's",
];

/// German stop words (lower case).
const DE_STOP: &[&str] = &[
    "aber", "alle", "allem", "allen", "aller", "alles", "als", "also", "am", "an", "ander",
    "andere", "anderen", "auch", "auf", "aus", "bei", "beim", "bin", "bis", "bist", "da", "damit",
    "dann", "das", "dass", "daß", "dem", "den", "denn", "der", "des", "dich", "die", "dies",
    "diese", "diesem", "diesen", "dieser", "dieses", "doch", "dort", "du", "durch", "ein", "eine",
    "einem", "einen", "einer", "eines", "er", "es", "etwa", "euch", "für", "gegen", "gibt", "hat",
    "hatte", "haben", "hier", "hin", "ich", "ihr", "ihre", "ihrem", "ihren", "ihrer", "im", "in",
    "ist", "jetzt", "kann", "kein", "keine", "können", "man", "mehr", "mit", "muss", "nach",
    "nicht", "noch", "nun", "nur", "ob", "oder", "ohne", "sei", "sein", "seine", "seinem",
    "seinen", "seiner", "sich", "sie", "sind", "so", "soll", "sollen", "über", "um", "und", "uns",
    "unter", "vom", "von", "vor", "war", "waren", "was", "weil", "wenn", "werden", "wie", "wieder",
    "will", "wir", "wird", "wo", "wurde", "wurden", "zu", "zum", "zur", "zwei", "neue", "neuen",
    "neues", "neuer", "laut", "bericht", "heute", "jahr", "woche", "offenbar", "einen", "soll",
    "sollen", "rund", "bereits", "sowie", "dabei", "diesem", "seit",
];

/// German word → English words with the same meaning in news about AI and tech.
/// Keys are matched on their German stem; values are stemmed with the English stemmer.
const DE_EN: &[(&str, &str)] = &[
    ("ki", "ai"),
    ("künstliche", "artificial"),
    ("intelligenz", "intelligence"),
    ("sprachmodell", "language model"),
    ("sprachmodelle", "language model"),
    ("modell", "model"),
    ("modelle", "model"),
    ("veröffentlicht", "release"),
    ("veröffentlichung", "release"),
    ("vorgestellt", "unveil introduce"),
    ("stellt", "unveil"),
    ("zeigt", "show unveil"),
    ("präsentiert", "unveil"),
    ("kündigt", "announce"),
    ("angekündigt", "announce"),
    ("startet", "launch"),
    ("bringt", "launch"),
    ("investiert", "invest"),
    ("investition", "investment"),
    ("investoren", "investors"),
    ("beteiligung", "stake investment"),
    ("übernimmt", "acquire"),
    ("übernahme", "acquisition"),
    ("kauft", "buy acquire"),
    ("chef", "ceo chief"),
    ("chefin", "ceo chief"),
    ("vorstandschef", "ceo chief"),
    ("gründer", "founder"),
    ("mitgründer", "co-founder"),
    ("entlassen", "fired ousted"),
    ("feuert", "fired ousted"),
    ("rauswurf", "ousted fired"),
    ("rücktritt", "resign step"),
    ("zurück", "resign return"),
    ("rückkehr", "return"),
    ("verwaltungsrat", "board"),
    ("vorstand", "board"),
    ("klage", "lawsuit sue"),
    ("verklagt", "sue lawsuit"),
    ("gericht", "court"),
    ("urheberrecht", "copyright"),
    ("gesetz", "law act"),
    ("verordnung", "regulation act"),
    ("regeln", "rules"),
    ("parlament", "parliament"),
    ("verabschiedet", "approve pass"),
    ("beschließt", "approve pass"),
    ("bild", "image"),
    ("bilder", "images"),
    ("bildgenerator", "image generator"),
    ("suchmaschine", "search engine"),
    ("suche", "search"),
    ("datenschutz", "privacy"),
    ("sicherheit", "safety security"),
    ("forscher", "researchers"),
    ("mitarbeiter", "employees staff"),
    ("beschäftigte", "employees staff"),
    ("stellenabbau", "layoffs jobs"),
    ("stellen", "jobs"),
    ("abo", "subscription"),
    ("monat", "month"),
    ("kontext", "context"),
    ("grafikkarte", "gpu"),
    ("rechenzentrum", "data center"),
    ("rechenzentren", "data centers"),
    ("partnerschaft", "partnership"),
    ("kooperation", "partnership"),
    ("vertrag", "deal"),
    ("deal", "deal"),
    ("finanzierungsrunde", "funding round"),
    ("finanzierung", "funding"),
    ("bewertung", "valuation"),
    ("bewertet", "valued"),
    ("unternehmen", "company"),
    ("konzern", "company"),
    ("firma", "company"),
    ("entwickler", "developer"),
    ("entwickelt", "develop build"),
    ("trainiert", "train"),
    ("nutzer", "users"),
    ("kostenlos", "free"),
    ("offene", "open"),
    ("offenes", "open"),
    ("erste", "first"),
    ("brille", "glasses"),
    ("warnt", "warn"),
    ("brief", "letter"),
    ("wahl", "election"),
    ("wahlen", "elections"),
    ("kinder", "children"),
    ("verbot", "ban"),
    ("verbietet", "ban"),
    ("zahlt", "pay"),
    ("lizenz", "license"),
    ("trainingsdaten", "training data"),
    ("daten", "data"),
    ("stimme", "voice"),
    ("sprachassistent", "voice assistant"),
    ("assistent", "assistant"),
    ("chatbot", "chatbot"),
    ("quelloffen", "open source"),
    ("gewinn", "profit"),
    ("umsatz", "revenue"),
    ("quartal", "quarter"),
    ("aktie", "shares stock"),
    ("börse", "stock market"),
    ("milliardär", "billionaire"),
    ("europäische", "european"),
    ("eu-kommission", "commission"),
    ("kommission", "commission"),
    ("kartellamt", "antitrust"),
    ("wettbewerb", "competition antitrust"),
    ("ermittlungen", "investigation probe"),
    ("untersuchung", "investigation probe"),
    ("kritik", "criticism"),
    ("fehler", "errors"),
    ("video", "video"),
    ("videos", "videos"),
    ("chips", "chips"),
    ("prozessor", "processor chip"),
    ("schneller", "faster"),
    ("leistung", "performance"),
    ("agenten", "agents"),
    ("agent", "agent"),
    ("smartphone", "phone smartphone"),
    ("handy", "phone"),
    ("betriebssystem", "operating system"),
    ("entwicklerkonferenz", "developer conference"),
    ("konferenz", "conference"),
    ("abteilung", "division unit"),
    ("sparte", "division unit"),
    ("zusammenarbeit", "partnership"),
    ("milliardenschwer", "billion"),
    ("verhandlungen", "talks"),
    ("gespräche", "talks"),
];

/// Stemmed tables, built once.
pub struct Lexicon {
    en_stop: HashMap<&'static str, ()>,
    de_stop: HashMap<&'static str, ()>,
    /// German stem → English stems.
    de_en: HashMap<String, Vec<String>>,
    pub en_stemmer: Stemmer,
    pub de_stemmer: Stemmer,
}

impl Lexicon {
    /// The shared instance.
    pub fn get() -> &'static Lexicon {
        static LEXICON: OnceLock<Lexicon> = OnceLock::new();
        LEXICON.get_or_init(Lexicon::build)
    }

    fn build() -> Lexicon {
        let en_stemmer = Stemmer::create(Algorithm::English);
        let de_stemmer = Stemmer::create(Algorithm::German);
        let mut de_en = HashMap::new();
        for (de, en) in DE_EN {
            let key = de_stemmer.stem(de).into_owned();
            let values: Vec<String> = en
                .split_whitespace()
                .map(|w| en_stemmer.stem(w).into_owned())
                .collect();
            de_en.insert(key, values);
        }
        Lexicon {
            en_stop: EN_STOP.iter().map(|w| (*w, ())).collect(),
            de_stop: DE_STOP.iter().map(|w| (*w, ())).collect(),
            de_en,
            en_stemmer,
            de_stemmer,
        }
    }

    /// Whether a lower-case word is a stop word in either language.
    pub fn is_stop(&self, word: &str) -> bool {
        self.en_stop.contains_key(word) || self.de_stop.contains_key(word)
    }

    /// Counts of English and German stop words, to guess a missing language.
    pub fn stop_votes(&self, word: &str) -> (u32, u32) {
        (
            u32::from(self.en_stop.contains_key(word)),
            u32::from(self.de_stop.contains_key(word)),
        )
    }

    /// English stems for a German stem: exact entry, else the longest entry (at least five
    /// letters) that ends the word, which decomposes compounds such as `Finanzierungsrunde`.
    pub fn translate_de(&self, de_stem: &str) -> Option<&[String]> {
        if let Some(v) = self.de_en.get(de_stem) {
            return Some(v);
        }
        let chars: Vec<(usize, char)> = de_stem.char_indices().collect();
        for (start, _) in chars.iter().skip(1) {
            let tail = &de_stem[*start..];
            if tail.chars().count() < 5 {
                break;
            }
            if let Some(v) = self.de_en.get(tail) {
                return Some(v);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_terms_map_to_english_stems() {
        let lex = Lexicon::get();
        let stem = |w: &str| lex.de_stemmer.stem(w).into_owned();
        assert_eq!(
            lex.translate_de(&stem("sprachmodell")).unwrap(),
            &["languag".to_string(), "model".to_string()]
        );
        // Compound decomposition through a known tail.
        assert!(
            lex.translate_de(&stem("ki-sprachmodell"))
                .is_some_and(|v| v.contains(&"model".to_string()))
        );
        assert!(lex.is_stop("der") && lex.is_stop("the") && !lex.is_stop("openai"));
    }
}
