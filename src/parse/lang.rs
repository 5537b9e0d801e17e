//! Entry language: declared by the item or the feed, else detected from title + summary.
//!
//! Detection reads title and the start of the summary together. Most undeclared entries are
//! English or German, which a count of function words settles cheaply; whatlang (a trigram
//! model, a third of the cost of reading the feed when it read every entry) decides the rest
//! and only counts when it says its guess is reliable, as it is unreliable on short titles.
//! In a feed whose settled entries all agree, entries with no evidence either way (short
//! titles) take the feed's language instead of asking whatlang ([`detect_entries`]). Codes
//! are ISO 639-1 where one exists. Pure.

use std::sync::{LazyLock, OnceLock};

/// Lower-case primary subtag of a declared language (`en-US` → `en`, `de_DE` → `de`).
pub fn normalize_tag(declared: &str) -> Option<String> {
    let primary = declared
        .trim()
        .split(['-', '_', ' ', ','])
        .next()?
        .to_ascii_lowercase();
    let code = match primary.as_str() {
        "english" => "en",
        "german" | "deutsch" => "de",
        "french" | "français" => "fr",
        other => other,
    };
    if (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Some(code.to_string())
    } else {
        None
    }
}

/// The languages our sources publish in. Scoring 20 candidates instead of whatlang's 69
/// cut detection time several-fold (it was a third of parse time on the corpus); a text in
/// another language then comes out unreliable or as its nearest neighbour.
fn detector() -> &'static whatlang::Detector {
    use whatlang::Lang::*;
    static DETECTOR: OnceLock<whatlang::Detector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        whatlang::Detector::with_allowlist(vec![
            Eng, Deu, Fra, Spa, Ita, Por, Nld, Swe, Dan, Nob, Fin, Pol, Ces, Tur, Rus, Ukr, Cmn,
            Jpn, Kor, Ara,
        ])
    })
}

/// Most characters read for detection; enough for a reliable guess, cheap on long summaries.
const MAX_DETECT_BYTES: usize = 240;

/// Detects the languages of the entries of one feed that declares none, in order.
///
/// Each entry is read on its own, by the stop-word vote and else by whatlang. The feed only
/// helps entries the vote cannot settle, once [`MIN_AGREEING`] entries have been settled and
/// all of them agree (settled by the vote; in a feed the vote settles nothing of, reliably by
/// whatlang): such an entry takes the feed's language without asking whatlang, unless
/// something in it speaks against that language (a function word of another language we
/// count, another script). One disagreeing entry ends the help for the rest of the feed, so
/// a mixed English and German feed is read entry by entry.
pub fn detect_entries(entries: &[(&str, &str)]) -> Vec<Option<String>> {
    let texts: Vec<String> = entries
        .iter()
        .map(|(title, summary)| detection_text(title, summary))
        .collect();
    let votes: Vec<Votes> = texts.iter().map(|t| stop_word_vote(t)).collect();
    let mut feed = Agreement::default();
    for code in votes.iter().filter_map(Votes::verdict) {
        feed.observe(code);
    }
    // whatlang's guesses only count in a feed the vote settled nothing of (one in neither
    // English nor German): where the vote has spoken, it is the better judge.
    let whatlang_counts = feed.count == 0;
    texts
        .iter()
        .zip(&votes)
        .map(|(text, votes)| {
            let code = match (votes.verdict(), feed.language()) {
                (Some(code), _) => Some(code),
                (None, Some(code)) if votes.fits(code) => Some(code),
                (None, _) => {
                    let found = whatlang_reliable(text);
                    if let Some(code) = found.filter(|_| whatlang_counts) {
                        feed.observe(code);
                    }
                    found
                }
            };
            code.map(str::to_string)
        })
        .collect()
}

/// Settled entries of one feed that must agree before the feed's language stands in for
/// whatlang.
const MIN_AGREEING: usize = 4;

/// The languages settled so far in one feed: one language, or a disagreement.
#[derive(Debug, Default)]
struct Agreement {
    language: Option<&'static str>,
    count: usize,
    disagreed: bool,
}

impl Agreement {
    fn observe(&mut self, code: &'static str) {
        match self.language {
            None => self.language = Some(code),
            Some(language) if language != code => self.disagreed = true,
            Some(_) => {}
        }
        self.count += 1;
    }

    /// The feed's language, once enough entries agree on it and none disagrees.
    fn language(&self) -> Option<&'static str> {
        self.language
            .filter(|_| !self.disagreed && self.count >= MIN_AGREEING)
    }
}

/// The text detection reads: the title and the start of the summary.
fn detection_text(title: &str, summary: &str) -> String {
    let mut text = String::with_capacity(MAX_DETECT_BYTES + title.len() + 4);
    text.push_str(title);
    text.push_str(". ");
    // The summary's start, up to the first character that reaches the budget.
    let mut end = MAX_DETECT_BYTES
        .saturating_sub(text.len())
        .min(summary.len());
    while !summary.is_char_boundary(end) {
        end += 1;
    }
    text.push_str(&summary[..end]);
    text
}

/// whatlang's guess when it says the guess is reliable.
fn whatlang_reliable(text: &str) -> Option<&'static str> {
    let info = detector().detect(text)?;
    if !info.is_reliable() {
        return None;
    }
    Some(iso639_1(info.lang().code()))
}

/// Fewest stop words a language needs to win the vote.
const MIN_VOTES: usize = 3;

/// Languages of the allowlist not written in Latin script.
const NON_LATIN: &[&str] = &["ru", "uk", "zh", "ja", "ko", "ar"];

/// Function words counted in a text, by language group, and how much of it is Latin script.
#[derive(Debug, Default)]
struct Votes {
    en: usize,
    de: usize,
    other: usize,
    latin: usize,
    non_latin: usize,
}

impl Votes {
    /// English or German when one of the two wins clearly; `None` (ask whatlang) otherwise,
    /// and always for a text that is not mostly Latin script.
    fn verdict(&self) -> Option<&'static str> {
        if self.non_latin * 10 > self.latin {
            return None;
        }
        if self.en >= MIN_VOTES && self.en >= 3 * (self.de + self.other) {
            Some("en")
        } else if self.de >= MIN_VOTES && self.de >= 3 * (self.en + self.other) {
            Some("de")
        } else {
            None
        }
    }

    /// True when nothing in the text speaks against `code`: no function word of another
    /// language we count, and the script `code` is written in.
    fn fits(&self, code: &str) -> bool {
        let against = match code {
            "en" => self.de + self.other,
            "de" => self.en + self.other,
            _ => self.en + self.de,
        };
        let latin_text = self.non_latin == 0 && self.latin > 0;
        let script_fits = if NON_LATIN.contains(&code) {
            self.non_latin > self.latin
        } else {
            latin_text
        };
        against == 0 && script_fits
    }
}

/// Counts function words, which are frequent in any running text of English or German and
/// rare in the other. Words of other languages that look alike (Dutch "is", Danish "for",
/// Polish "to") count against both. One pass over the characters.
fn stop_word_vote(text: &str) -> Votes {
    let mut votes = Votes::default();
    let mut word_start = None;
    for (at, c) in text.char_indices() {
        let in_word = if c.is_ascii() {
            votes.latin += usize::from(c.is_ascii_alphabetic());
            c.is_ascii_alphanumeric()
        } else if c.is_alphabetic() {
            if ('\u{c0}'..='\u{24f}').contains(&c) {
                votes.latin += 1;
            } else {
                votes.non_latin += 1;
            }
            true
        } else {
            c.is_alphanumeric()
        };
        match (in_word, word_start) {
            (true, None) => word_start = Some(at),
            (false, Some(start)) => {
                votes.count(&text[start..at]);
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(start) = word_start {
        votes.count(&text[start..]);
    }
    votes
}

impl Votes {
    fn count(&mut self, word: &str) {
        // "OS", "IT", "AI": an acronym, not a function word.
        if word.len() > 1 && word.bytes().all(|b| b.is_ascii_uppercase()) {
            return;
        }
        match group_of(word) {
            Some(Group::English) => self.en += 1,
            Some(Group::German) => self.de += 1,
            Some(Group::Other) => self.other += 1,
            None => {}
        }
    }
}

/// A word of up to 8 bytes, ASCII letters lower-cased, packed into an integer for lookup.
fn word_key(word: &str) -> Option<u64> {
    if word.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    buf[..word.len()].copy_from_slice(word.as_bytes());
    buf.make_ascii_lowercase();
    Some(u64::from_le_bytes(buf))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    English,
    German,
    Other,
}
use Group::{English as E, German as G, Other as O};

/// Function words by language. Words shared by English and German ("in", "was", "will",
/// "also", "an", "so") or with the Romance languages ("a", "as", "es", "um") are left out;
/// "other" are French, Spanish, Italian, Portuguese, Dutch, Scandinavian, Polish, Czech and
/// Turkish words.
#[rustfmt::skip]
const STOP_WORDS: &[(&str, Group)] = &[
    ("aber", G), ("about", E), ("after", E), ("al", O), ("all", E), ("and", E), ("are", E),
    ("at", E), ("att", O), ("au", O), ("auch", G), ("auf", G), ("aus", G), ("aux", O),
    ("av", O), ("avec", O), ("be", E), ("been", E), ("bei", G), ("bir", O), ("bis", G),
    ("bu", O), ("but", E), ("by", E), ("can", E), ("ce", O), ("cette", O), ("che", O),
    ("com", O), ("como", O), ("con", O), ("could", E), ("dans", O), ("das", G), ("dass", G),
    ("dat", O), ("de", O), ("del", O), ("della", O), ("dem", G), ("den", G), ("der", G),
    ("des", G), ("det", O), ("di", O), ("die", G), ("dos", O), ("du", O), ("durch", G),
    ("een", O), ("ein", G), ("eine", G), ("einem", G), ("einen", G), ("einer", G), ("el", O),
    ("em", O), ("en", O), ("est", O), ("et", O), ("ett", O), ("for", E), ("from", E),
    ("für", G), ("gegen", G), ("gli", O), ("haben", G), ("had", E), ("has", E), ("hat", G),
    ("have", E), ("he", E), ("her", E), ("het", O), ("his", E), ("how", E), ("ich", G),
    ("ikke", O), ("il", O), ("ile", O), ("im", G), ("inte", O), ("into", E), ("is", E),
    ("ist", G), ("it", E), ("its", E), ("için", O), ("jag", O), ("je", O), ("jeg", O),
    ("jest", O), ("jetzt", G), ("jsou", O), ("just", E), ("kann", G), ("keine", G), ("la", O),
    ("las", O), ("le", O), ("les", O), ("lo", O), ("los", O), ("mehr", G), ("met", O),
    ("mit", G), ("more", E), ("más", O), ("na", O), ("naar", O), ("nach", G), ("nel", O),
    ("neue", G), ("neuen", G), ("new", E), ("nicht", G), ("nie", O), ("niet", O), ("noch", G),
    ("not", E), ("não", O), ("o", O), ("och", O), ("oder", G), ("of", E), ("og", O), ("on", E),
    ("ook", O), ("op", O), ("or", E), ("os", O), ("our", E), ("out", E), ("over", E),
    ("para", O), ("pas", O), ("por", O), ("pour", O), ("på", O), ("que", O), ("qui", O),
    ("said", E), ("says", E), ("schon", G), ("se", O), ("she", E), ("should", E), ("sich", G),
    ("sie", G), ("sind", G), ("się", O), ("soll", G), ("som", O), ("sono", O), ("sont", O),
    ("sur", O), ("são", O), ("te", O), ("than", E), ("that", E), ("the", E), ("their", E),
    ("there", E), ("these", E), ("they", E), ("this", E), ("til", O), ("to", E), ("una", O),
    ("und", G), ("une", O), ("van", O), ("ve", O), ("von", G), ("voor", O), ("vor", G),
    ("we", E), ("wenn", G), ("werden", G), ("were", E), ("what", E), ("when", E), ("which", E),
    ("who", E), ("why", E), ("wie", G), ("wir", G), ("wird", G), ("with", E), ("wordt", O),
    ("would", E), ("wurde", G), ("y", O), ("you", E), ("your", E), ("zijn", O), ("zu", G),
    ("zum", G), ("zur", G), ("är", O), ("über", G), ("że", O), ("že", O),
];

/// Which language a word is a function word of (ASCII case ignored).
fn group_of(word: &str) -> Option<Group> {
    static KEYS: LazyLock<Vec<(u64, Group)>> = LazyLock::new(|| {
        let mut keys: Vec<(u64, Group)> = STOP_WORDS
            .iter()
            .filter_map(|&(word, group)| Some((word_key(word)?, group)))
            .collect();
        keys.sort_unstable_by_key(|&(key, _)| key);
        keys
    });
    let key = word_key(word)?;
    KEYS.binary_search_by_key(&key, |&(k, _)| k)
        .ok()
        .map(|at| KEYS[at].1)
}

/// Two-letter codes for the three-letter codes whatlang returns.
fn iso639_1(code: &'static str) -> &'static str {
    match code {
        "eng" => "en",
        "deu" => "de",
        "fra" => "fr",
        "spa" => "es",
        "ita" => "it",
        "por" => "pt",
        "nld" => "nl",
        "rus" => "ru",
        "ukr" => "uk",
        "pol" => "pl",
        "ces" => "cs",
        "swe" => "sv",
        "dan" => "da",
        "nob" => "nb",
        "fin" => "fi",
        "tur" => "tr",
        "jpn" => "ja",
        "cmn" => "zh",
        "kor" => "ko",
        "ara" => "ar",
        "heb" => "he",
        "hin" => "hi",
        "ell" => "el",
        "hun" => "hu",
        "ron" => "ro",
        "bul" => "bg",
        "vie" => "vi",
        "ind" => "id",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The language of one entry read on its own.
    fn detect(title: &str, summary: &str) -> Option<String> {
        detect_entries(&[(title, summary)]).pop().flatten()
    }

    #[test]
    fn declared_tags() {
        assert_eq!(normalize_tag("en-US").as_deref(), Some("en"));
        assert_eq!(normalize_tag("de_DE").as_deref(), Some("de"));
        assert_eq!(normalize_tag(" DE ").as_deref(), Some("de"));
        assert_eq!(normalize_tag("").as_deref(), None);
        assert_eq!(normalize_tag("x1").as_deref(), None);
    }

    #[test]
    fn detects_english_and_german() {
        assert_eq!(
            detect(
                "OpenAI releases a new model",
                "The company said on Tuesday that the model is faster and cheaper than the previous one."
            )
            .as_deref(),
            Some("en")
        );
        assert_eq!(
            detect(
                "Neues KI-Modell vorgestellt",
                "Das Unternehmen hat am Dienstag mitgeteilt, dass das Modell schneller und günstiger ist als das vorherige."
            )
            .as_deref(),
            Some("de")
        );
    }

    const ENGLISH: &[&str] = &[
        "Why the new model is better than the old one",
        "Nvidia said its quarterly revenue rose 94% as demand for chips used to train AI models kept growing, and it expects more of the same.",
        "Apple is reportedly working with Google on a Gemini-based Siri that could launch next spring, according to people familiar with the plans.",
        "Show HN: I built a tool that turns your notes into flashcards",
    ];
    const GERMAN: &[&str] = &[
        "Die neue KI von Google ist da",
        "Das neue iPhone mit Apple Intelligence: Was die KI-Funktionen können",
        "Der Chiphersteller hat seinen Umsatz im abgelaufenen Quartal mehr als verdoppelt, weil die Nachfrage nach KI-Beschleunigern weiter steigt.",
        "Bundesregierung will KI-Verordnung der EU zügig umsetzen und plant dafür eine eigene Aufsichtsbehörde bei der Bundesnetzagentur.",
    ];
    const OTHER: &[(&str, &str)] = &[
        (
            "nl",
            "Het bedrijf heeft dinsdag laten weten dat het nieuwe model sneller en goedkoper is dan het vorige, en dat het voor alle ontwikkelaars beschikbaar komt.",
        ),
        (
            "fr",
            "La société a annoncé mardi que le nouveau modèle est plus rapide et moins cher que le précédent, et qu'il sera disponible pour tous les développeurs.",
        ),
        (
            "es",
            "La empresa anunció el martes que el nuevo modelo es más rápido y más barato que el anterior, y que estará disponible para todos los desarrolladores.",
        ),
        (
            "ru",
            "Компания сообщила во вторник, что новая модель работает быстрее и дешевле предыдущей и будет доступна всем разработчикам.",
        ),
    ];

    #[test]
    fn every_stop_word_is_found() {
        for (word, group) in STOP_WORDS {
            assert_eq!(group_of(word), Some(*group), "{word}");
            assert_eq!(group_of(&word.to_ascii_uppercase()), Some(*group), "{word}");
            let mut capitalized = word.to_string();
            if capitalized.is_char_boundary(1) {
                capitalized[..1].make_ascii_uppercase();
            }
            assert_eq!(group_of(&capitalized), Some(*group), "{word}");
        }
        assert_eq!(group_of("OpenAI"), None);
    }

    #[test]
    fn stop_words_settle_english_and_german() {
        for text in ENGLISH {
            assert_eq!(stop_word_vote(text).verdict(), Some("en"), "{text}");
        }
        for text in GERMAN {
            assert_eq!(stop_word_vote(text).verdict(), Some("de"), "{text}");
        }
    }

    // The vote must never claim a text of another language; whatlang reads those.
    #[test]
    fn other_languages_go_to_whatlang() {
        for (code, text) in OTHER {
            assert_eq!(stop_word_vote(text).verdict(), None, "{text}");
            assert_eq!(detect(text, "").as_deref(), Some(*code), "{text}");
        }
    }

    // Where whatlang is sure, the vote agrees with it.
    #[test]
    fn stop_words_agree_with_whatlang() {
        for text in ENGLISH.iter().chain(GERMAN) {
            if let Some(info) = detector().detect(text).filter(whatlang::Info::is_reliable) {
                assert_eq!(
                    stop_word_vote(text).verdict(),
                    Some(iso639_1(info.lang().code())),
                    "{text}"
                );
            }
        }
    }

    #[track_caller]
    fn check_feed(entries: &[(&str, &str)], expected: &[Option<&str>]) {
        let got = detect_entries(entries);
        let got: Vec<Option<&str>> = got.iter().map(Option::as_deref).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn a_feed_that_agrees_settles_its_short_titles() {
        check_feed(
            &[
                (ENGLISH[0], ""),
                (ENGLISH[1], ""),
                (ENGLISH[2], ""),
                (ENGLISH[3], ""),
                ("Windows 11 KB5034123 - Microsoft Support", ""),
                (OTHER[1].1, ""),
            ],
            &[
                Some("en"),
                Some("en"),
                Some("en"),
                Some("en"),
                Some("en"),
                Some("fr"),
            ],
        );
        let french = OTHER[1].1;
        check_feed(
            &[
                (french, ""),
                (french, ""),
                (french, ""),
                (french, ""),
                ("Nouveautés de la semaine", ""),
            ],
            &[Some("fr"), Some("fr"), Some("fr"), Some("fr"), Some("fr")],
        );
        // An entry in English is settled by the vote, and a title in another script is not
        // taken for French.
        check_feed(
            &[
                (french, ""),
                (french, ""),
                (french, ""),
                (french, ""),
                (ENGLISH[1], ""),
                ("Новая модель", ""),
            ],
            &[
                Some("fr"),
                Some("fr"),
                Some("fr"),
                Some("fr"),
                Some("en"),
                detect("Новая модель", "").as_deref(),
            ],
        );
    }

    // Mixed feeds: every entry on its own, as if there were no feed.
    #[test]
    fn a_mixed_feed_is_read_entry_by_entry() {
        let entries = [
            (ENGLISH[1], ""),
            (GERMAN[2], ""),
            (ENGLISH[2], ""),
            (GERMAN[3], ""),
            ("Windows 11 KB5034123 - Microsoft Support", ""),
            ("Neues KI-Modell vorgestellt", ""),
        ];
        let expected: Vec<Option<String>> = entries.iter().map(|(t, s)| detect(t, s)).collect();
        assert_eq!(detect_entries(&entries), expected);
        assert_eq!(
            expected[..4],
            [
                Some("en".into()),
                Some("de".into()),
                Some("en".into()),
                Some("de".into())
            ]
        );
    }
}
