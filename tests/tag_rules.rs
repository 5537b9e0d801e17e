//! Tagger behaviour per rule: exact versions, possessives and genitives, evidence for
//! ambiguous names (English and German, positive and negative), people, topic, owners.

use std::sync::OnceLock;

use aiwire::model::{TagInput, Tags};
use aiwire::tag::Tagger;

fn tagger() -> &'static Tagger {
    static T: OnceLock<Tagger> = OnceLock::new();
    T.get_or_init(|| Tagger::builtin().expect("built-in taxonomy"))
}

fn tag(lang: &str, title: &str, summary: &str) -> Tags {
    tagger().tag(TagInput {
        title,
        summary,
        language: Some(lang),
    })
}

fn has(list: &[String], name: &str) -> bool {
    list.iter().any(|x| x == name)
}

/// `companies`, `models`, `people` must contain `yes` and must not contain `no`.
#[track_caller]
fn check(lang: &str, title: &str, summary: &str, yes: &[&str], no: &[&str]) {
    let t = tag(lang, title, summary);
    let all: Vec<String> = t
        .companies
        .iter()
        .chain(&t.models)
        .chain(&t.people)
        .cloned()
        .collect();
    for y in yes {
        assert!(
            has(&all, y),
            "{title:?} / {summary:?}: expected {y:?}, got {t:?}"
        );
    }
    for n in no {
        assert!(
            !has(&all, n),
            "{title:?} / {summary:?}: unexpected {n:?}, got {t:?}"
        );
    }
}

#[test]
fn exact_versions_are_not_confused() {
    check(
        "en",
        "OpenAI ships GPT-4o mini",
        "",
        &["GPT-4o mini"],
        &["GPT-4o", "GPT-4"],
    );
    check(
        "en",
        "GPT-4o is here",
        "",
        &["GPT-4o"],
        &["GPT-4", "GPT-4o mini"],
    );
    check(
        "en",
        "GPT-4 Turbo with Vision",
        "",
        &["GPT-4 Turbo"],
        &["GPT-4"],
    );
    check(
        "en",
        "OpenAI o1-preview thinks first",
        "",
        &["o1-preview"],
        &["o1"],
    );
    check(
        "en",
        "Gemini 1.5 Pro and Gemini 2.5 Flash",
        "",
        &["Gemini 1.5 Pro", "Gemini 2.5 Flash"],
        &["Gemini 1.5", "Gemini"],
    );
    check(
        "en",
        "Claude 3.5 Sonnet beats Claude Opus 4",
        "",
        &["Claude 3.5 Sonnet", "Claude Opus 4"],
        &["Claude"],
    );
    check(
        "en",
        "Claude 4 Opus, written the other way round",
        "",
        &["Claude Opus 4"],
        &[],
    );
    check(
        "en",
        "Llama 3.1 405B is open",
        "",
        &["Llama 3.1"],
        &["Llama 3"],
    );
    check(
        "en",
        "Phi-3 Mini and Phi-3",
        "",
        &["Phi-3-mini", "Phi-3"],
        &[],
    );
    check(
        "en",
        "MAI-1 and MAI-1-preview",
        "",
        &["MAI-1", "MAI-1-preview"],
        &[],
    );
    check(
        "en",
        "Mistral 7B and Mixtral 8x22B",
        "",
        &["Mistral 7B", "Mixtral 8x22B"],
        &[],
    );
}

#[test]
fn newer_versions_of_known_families_are_tagged() {
    check(
        "en",
        "OpenAI announces GPT-7.2 mini",
        "",
        &["GPT-7.2 mini"],
        &[],
    );
    check(
        "en",
        "Anthropic's Claude Sonnet 6.1 arrives",
        "",
        &["Claude Sonnet 6.1"],
        &[],
    );
    check(
        "en",
        "Google releases Gemini 4.5 Flash-Lite",
        "",
        &["Gemini 4.5 Flash-Lite"],
        &[],
    );
    check("en", "Meta ships Llama 6", "", &["Llama 6"], &[]);
    check(
        "en",
        "DeepSeek-V5 tops charts",
        "",
        &["DeepSeek-V5", "DeepSeek"],
        &[],
    );
    check(
        "en",
        "Alibaba open-sources Qwen4-Max",
        "",
        &["Qwen4-Max"],
        &[],
    );
}

#[test]
fn possessives_and_german_genitives() {
    check(
        "de",
        "OpenAIs GPT-4 und Microsofts Copilot",
        "",
        &["OpenAI", "Microsoft", "GPT-4", "Copilot"],
        &[],
    );
    check(
        "de",
        "Googles Gemini 1.5 Pro",
        "",
        &["Google", "Gemini 1.5 Pro"],
        &[],
    );
    check(
        "en",
        "Microsoft's and Google’s plans for AI",
        "",
        &["Microsoft", "Google"],
        &[],
    );
    check(
        "en",
        "at a fraction of Opus' price",
        "Anthropic released Claude 3 Opus.",
        &["Claude 3 Opus"],
        &[],
    );
}

#[test]
fn units_map_to_their_company() {
    check(
        "en",
        "Google DeepMind unveils AlphaFold 3",
        "",
        &["Google", "AlphaFold 3"],
        &["DeepMind"],
    );
    check("en", "AWS adds models to Bedrock", "", &["Amazon"], &[]);
    check(
        "en",
        "FAIR researchers at Meta AI publish",
        "Meta's lab",
        &["Meta"],
        &[],
    );
    check(
        "en",
        "Alphabet's Google said on Thursday",
        "",
        &["Google"],
        &["Alphabet"],
    );
}

#[test]
fn meta_needs_evidence() {
    check("en", "Meta releases Llama 3", "", &["Meta"], &[]);
    check("de", "Meta will mit Llama 3 aufholen", "", &["Meta"], &[]);
    check(
        "en",
        "A meta-analysis of coffee studies",
        "Meta description matters",
        &[],
        &["Meta"],
    );
    check(
        "de",
        "Eine Meta-Analyse zu Kaffee",
        "Die Meta-Studie zeigt",
        &[],
        &["Meta"],
    );
}

#[test]
fn apple_needs_evidence() {
    check(
        "en",
        "Apple brings ChatGPT to Siri",
        "",
        &["Apple", "ChatGPT", "Siri"],
        &[],
    );
    check(
        "de",
        "Apple stellt KI-Funktionen für das iPhone vor",
        "",
        &["Apple"],
        &[],
    );
    check(
        "en",
        "Grandma's apple pie recipe",
        "An Apple a day, said the baker in the Big Apple.",
        &[],
        &["Apple"],
    );
}

#[test]
fn gemini_needs_evidence() {
    check(
        "en",
        "Google's Gemini can now see",
        "",
        &["Gemini", "Google"],
        &[],
    );
    check(
        "de",
        "Google stoppt Gemini-Bildgenerator",
        "",
        &["Gemini"],
        &[],
    );
    check(
        "en",
        "Horoscope for Gemini this week",
        "Gemini, the zodiac says you will travel.",
        &[],
        &["Gemini"],
    );
    check(
        "de",
        "Horoskop: Zwillinge (Gemini)",
        "Das Sternzeichen Gemini hat heute Glück.",
        &[],
        &["Gemini"],
    );
}

#[test]
fn mistral_needs_evidence() {
    check(
        "en",
        "Microsoft invests in French AI startup Mistral",
        "",
        &["Mistral AI"],
        &[],
    );
    check(
        "de",
        "Microsoft steigt bei Europas KI-Hoffnung Mistral ein",
        "",
        &["Mistral AI"],
        &[],
    );
    check(
        "en",
        "The Mistral wind batters Provence",
        "A cold Mistral wind blew.",
        &[],
        &["Mistral AI"],
    );
    check(
        "de",
        "Der Mistral fegt durch die Provence",
        "Der Mistral-Wind bringt Kälte.",
        &[],
        &["Mistral AI"],
    );
}

#[test]
fn claude_needs_evidence() {
    check("en", "Anthropic updates Claude", "", &["Claude"], &[]);
    check(
        "de",
        "Anthropic verbessert den Chatbot Claude",
        "",
        &["Claude"],
        &[],
    );
    check(
        "en",
        "A Claude Monet painting sold in Paris",
        "",
        &[],
        &["Claude"],
    );
    check(
        "de",
        "Jean-Claude Juncker besucht Berlin",
        "",
        &[],
        &["Claude"],
    );
}

#[test]
fn grok_pi_sora_need_evidence() {
    check(
        "en",
        "Elon Musk's xAI open-sources Grok",
        "",
        &["Grok", "xAI", "Elon Musk"],
        &[],
    );
    check("en", "You need to grok this", "", &[], &["Grok"]);
    check(
        "en",
        "Inflection's Pi chatbot gets an upgrade",
        "",
        &["Pi", "Inflection AI"],
        &[],
    );
    check(
        "en",
        "Raspberry Pi launches new board",
        "The Pi 5 is faster.",
        &[],
        &["Pi"],
    );
    check(
        "de",
        "OpenAI zeigt das Videomodell Sora",
        "",
        &["Sora", "OpenAI"],
        &[],
    );
    check(
        "en",
        "Sora goes to the beach",
        "A holiday story.",
        &[],
        &["Sora"],
    );
}

#[test]
fn x_is_only_the_company_with_its_aliases() {
    check(
        "en",
        "Musk's X (formerly Twitter) sues advertisers",
        "",
        &["X"],
        &[],
    );
    check("en", "Snapdragon X Elite and X Plus chips", "", &[], &["X"]);
    check("en", "SpaceX launches Starship", "", &["SpaceX"], &["X"]);
    check(
        "de",
        "Musk verkündet Grok 3",
        "Elon Musk präsentierte das Modell live auf X.",
        &["X"],
        &[],
    );
    check(
        "en",
        "Tesla Model X recall",
        "Elon Musk's carmaker recalls the Model X.",
        &[],
        &["X"],
    );
}

#[test]
fn title_mentions_weigh_more() {
    // same weak word, title mention with a topic term passes, summary mention does not
    check("en", "AI startup Runway raises money", "", &["Runway"], &[]);
    check(
        "en",
        "Airport news",
        "The runway was closed. Runway lights were repaired. AI helped.",
        &[],
        &["Runway"],
    );
}

#[test]
fn people_aliases_misspellings_and_surnames() {
    check(
        "de",
        "Microsoft-KI-Chef",
        "Das Projekt wird von Mustafa Soliman geleitet.",
        &["Mustafa Suleyman"],
        &["Mustafa Soliman"],
    );
    check(
        "en",
        "Microsoft hires DeepMind co-founder Suleyman",
        "",
        &["Mustafa Suleyman"],
        &[],
    );
    check(
        "en",
        "Nvidia's Huang says GPUs are sold out",
        "",
        &["Jensen Huang"],
        &[],
    );
    check(
        "en",
        "Huang Wei opens a restaurant",
        "",
        &[],
        &["Jensen Huang"],
    );
    check(
        "en",
        "The board named Karen Simonyan",
        "",
        &["Karén Simonyan"],
        &[],
    );
}

#[test]
fn unknown_people_by_given_name() {
    check(
        "de",
        "Aleph Alpha",
        "Bei der Vorstellung war Wirtschaftsminister Robert Habeck dabei.",
        &["Robert Habeck"],
        &[],
    );
    check(
        "en",
        "Stability AI names interim co-CEOs",
        "Shan Shan Wong and Christian Laforte will lead.",
        &["Shan Shan Wong", "Christian Laforte"],
        &[],
    );
    check(
        "en",
        "Nvidia unveils Grace Blackwell",
        "The Max Planck Institute uses it in San Diego.",
        &[],
        &["Grace Blackwell", "Max Planck", "Diego"],
    );
    // Title-Case headline: a name needs its surname in the summary
    check(
        "en",
        "Juan Pablo Chooses Nikki On The Finale",
        "",
        &[],
        &["Juan Pablo Chooses"],
    );
    check(
        "en",
        "Eric Boyd Explains Microsoft's New Small Model",
        "Boyd said it runs on phones.",
        &["Eric Boyd"],
        &[],
    );
}

#[test]
fn topic_marker() {
    assert!(tag("de", "Künstliche Intelligenz im Alltag", "").ai_topic);
    assert!(tag("en", "New machine learning tricks", "").ai_topic);
    assert!(tag("de", "Das neue Sprachmodell", "").ai_topic);
    assert!(tag("en", "Anthropic raises money", "").ai_topic);
    assert!(
        !tag(
            "en",
            "Bayern win the league",
            "The team celebrated in Munich."
        )
        .ai_topic
    );
    assert!(
        !tag(
            "de",
            "Kita-Gebühren steigen",
            "Die Stadt erhöht die Beiträge."
        )
        .ai_topic
    );
}

#[test]
fn owners_only_where_the_taxonomy_or_the_maker_says() {
    let t = tag("en", "GPT-4 passes the bar exam", "The model did well.");
    assert!(!has(&t.companies, "OpenAI"), "{t:?}");
    let t = tag("en", "Mistral Large is out", "");
    assert!(has(&t.companies, "Mistral AI"), "{t:?}");
    let t = tag("en", "Mixtral 8x7B is out", "");
    assert!(!has(&t.companies, "Mistral AI"), "{t:?}");
    let t = tag(
        "en",
        "Claude 3 Haiku",
        "Today we're releasing Claude 3 Haiku, our fastest model.",
    );
    assert!(has(&t.companies, "Anthropic"), "{t:?}");
    let t = tag("en", "Hello GPT-4o", "Comments");
    assert!(!has(&t.companies, "OpenAI"), "{t:?}");
}

#[test]
fn html_and_entities_in_summaries() {
    check(
        "en",
        "x",
        "<p>Google&#8217;s <b>Gemini 1.5 Pro</b> &amp; OpenAI&#x27;s GPT-4o</p>",
        &["Google", "Gemini 1.5 Pro", "OpenAI", "GPT-4o"],
        &[],
    );
}

#[test]
fn no_matches_inside_words() {
    check(
        "en",
        "Metadata and Geminis and Copilots",
        "Applesauce, OpenAIX",
        &[],
        &["Meta", "Gemini", "Apple", "OpenAI"],
    );
}
