//! Story clustering scenarios through the public clusterer API: the MAI-1 reports across
//! outlets and languages, hard negatives (same company, same person, shared entity), syndicated
//! copies, restore after restart, and operator corrections.

use aiwire::cluster::{ClusterConfig, Clusterer, Decision, Signal};
use aiwire::model::{ClusterItem, StoryId, Tags};
use chrono::{DateTime, Utc};

struct Fixture {
    id: i64,
    source: &'static str,
    lang: &'static str,
    published: &'static str,
    title: &'static str,
    summary: &'static str,
    link: &'static str,
    companies: &'static [&'static str],
    models: &'static [&'static str],
    people: &'static [&'static str],
}

fn item(f: &Fixture) -> ClusterItem {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    ClusterItem {
        id: f.id,
        source: f.source.into(),
        title: f.title.into(),
        summary: f.summary.into(),
        language: Some(f.lang.into()),
        published: f.published.parse::<DateTime<Utc>>().unwrap(),
        canonical_link: Some(f.link.into()),
        guid: None,
        tags: Tags {
            companies: names(f.companies),
            models: names(f.models),
            people: names(f.people),
            ai_topic: true,
        },
    }
}

const PHI3: Fixture = Fixture {
    id: 1,
    source: "The Verge",
    lang: "en",
    published: "2024-04-23T14:00:00Z",
    title: "Microsoft launches Phi-3, its smallest AI model yet",
    summary: "Phi-3 Mini has 3.8 billion parameters and runs on phones. Microsoft says it performs \
              like models ten times its size and is available on Azure, Hugging Face and Ollama.",
    link: "https://www.theverge.com/2024/4/23/microsoft-phi-3",
    companies: &["Microsoft"],
    models: &["Phi-3"],
    people: &[],
};

const INFLECTION_HIRE: Fixture = Fixture {
    id: 2,
    source: "Reuters",
    lang: "en",
    published: "2024-03-19T17:30:00Z",
    title: "Microsoft hires Inflection founders to run new consumer AI unit",
    summary: "Microsoft has hired Mustafa Suleyman and Karen Simonyan, co-founders of AI startup \
              Inflection, to lead a new division called Microsoft AI.",
    link: "https://www.reuters.com/technology/microsoft-hires-inflection-founders",
    companies: &["Microsoft", "Inflection AI"],
    models: &[],
    people: &["Mustafa Suleyman", "Karen Simonyan"],
};

const MAI1_SCOOP: Fixture = Fixture {
    id: 10,
    source: "The Information",
    lang: "en",
    published: "2024-05-06T05:00:00Z",
    title: "Meet MAI-1: Microsoft Readies New AI Model to Compete With Google, OpenAI",
    summary: "Microsoft is training a new in-house AI model, internally called MAI-1, large enough \
              to compete with Google and OpenAI. Mustafa Suleyman oversees the effort; the model \
              has about 500 billion parameters.",
    link: "https://www.theinformation.com/articles/meet-mai-1-microsoft-readies-new-ai-model",
    companies: &["Microsoft", "Google", "OpenAI"],
    models: &["MAI-1"],
    people: &["Mustafa Suleyman"],
};

const MAI1_VERGE: Fixture = Fixture {
    id: 11,
    source: "The Verge",
    lang: "en",
    published: "2024-05-06T10:55:00Z",
    title: "Microsoft is reportedly training its own 'MAI-1' AI model to take on Google and OpenAI",
    summary: "The model, overseen by former Inflection CEO Mustafa Suleyman, will have around 500 \
              billion parameters, according to The Information.",
    link: "https://www.theverge.com/2024/5/6/microsoft-mai-1-ai-model",
    companies: &["Microsoft", "Google", "OpenAI", "Inflection AI"],
    models: &["MAI-1"],
    people: &["Mustafa Suleyman"],
};

const MAI1_REUTERS: Fixture = Fixture {
    id: 12,
    source: "Reuters",
    lang: "en",
    published: "2024-05-06T13:42:00Z",
    title: "Microsoft readies new AI model to compete with Google, OpenAI, The Information reports",
    summary: "Microsoft is training a new, in-house AI language model large enough to compete with \
              those from Alphabet's Google and OpenAI, The Information reported on Monday.",
    link: "https://www.reuters.com/technology/microsoft-readies-new-ai-model",
    companies: &["Microsoft", "Google", "OpenAI"],
    models: &[],
    people: &[],
};

/// Reuters' copy on Yahoo: same text, different outlet and link.
const MAI1_YAHOO: Fixture = Fixture {
    id: 13,
    source: "Yahoo Finance",
    lang: "en",
    published: "2024-05-06T13:50:00Z",
    title: "Microsoft readies new AI model to compete with Google, OpenAI, The Information reports",
    summary: "Microsoft is training a new, in-house AI language model large enough to compete with \
              those from Alphabet's Google and OpenAI, The Information reported on Monday.",
    link: "https://finance.yahoo.com/news/microsoft-readies-ai-model-compete-134200.html",
    companies: &["Microsoft", "Google", "OpenAI"],
    models: &[],
    people: &[],
};

/// The aggregator links the scoop; its summary is only a comments link.
const MAI1_HN: Fixture = Fixture {
    id: 14,
    source: "Hacker News",
    lang: "en",
    published: "2024-05-06T14:05:00Z",
    title: "Microsoft readies new AI model to compete with Google, OpenAI",
    summary: "<a href=\"https://news.ycombinator.com/item?id=40271500\">Comments</a>",
    link: "https://news.ycombinator.com/item?id=40271500",
    companies: &["Microsoft", "Google", "OpenAI"],
    models: &[],
    people: &[],
};

/// German translation with misspelled names (the tagger missed the person).
const MAI1_HEISE: Fixture = Fixture {
    id: 15,
    source: "heise online",
    lang: "de",
    published: "2024-05-06T17:20:00Z",
    title: "MAI-1: Microsoft entwickelt offenbar eigenes großes KI-Modell",
    summary: "Microsoft soll an einem eigenen Sprachmodell mit rund 500 Milliarden Parametern \
              arbeiten, um mit Google und OpenAI zu konkurrieren. Verantwortlich ist Mustafa \
              Suleiman, früher Chef von Inflection.",
    link: "https://www.heise.de/news/MAI-1-Microsoft-entwickelt-eigenes-KI-Modell.html",
    companies: &["Microsoft", "Google", "OpenAI"],
    models: &["MAI-1"],
    people: &[],
};

/// Same company, same week, different event.
const MS_DATACENTER: Fixture = Fixture {
    id: 20,
    source: "CNBC",
    lang: "en",
    published: "2024-05-08T16:00:00Z",
    title: "Microsoft to invest $3.3 billion in Wisconsin data center",
    summary: "The company will build an AI data center in Mount Pleasant and train 100,000 \
              residents in AI skills by 2030, Microsoft President Brad Smith said.",
    link: "https://www.cnbc.com/2024/05/08/microsoft-wisconsin-data-center",
    companies: &["Microsoft"],
    models: &[],
    people: &["Brad Smith"],
};

/// Unrelated item sharing one entity (OpenAI), same day.
const OPENAI_MEDIA: Fixture = Fixture {
    id: 21,
    source: "TechCrunch",
    lang: "en",
    published: "2024-05-07T15:00:00Z",
    title: "OpenAI says it is building a tool to let content creators opt out of AI training",
    summary: "Media Manager will let creators and owners identify their works and specify how \
              they want them included or excluded from machine learning research and training.",
    link: "https://techcrunch.com/2024/05/07/openai-media-manager",
    companies: &["OpenAI"],
    models: &[],
    people: &[],
};

fn run(fixtures: &[&Fixture]) -> (Clusterer, Vec<Decision>) {
    let mut clusterer = Clusterer::new(ClusterConfig::default(), 1);
    let decisions = fixtures
        .iter()
        .map(|f| clusterer.assign(&item(f)))
        .collect();
    (clusterer, decisions)
}

fn all_scenario() -> Vec<&'static Fixture> {
    vec![
        &INFLECTION_HIRE,
        &PHI3,
        &MAI1_SCOOP,
        &MAI1_VERGE,
        &MAI1_REUTERS,
        &MAI1_YAHOO,
        &MAI1_HN,
        &MAI1_HEISE,
        &OPENAI_MEDIA,
        &MS_DATACENTER,
    ]
}

fn story_of(fixtures: &[&Fixture], decisions: &[Decision], id: i64) -> StoryId {
    let pos = fixtures.iter().position(|f| f.id == id).unwrap();
    decisions[pos].story
}

#[test]
fn mai1_reports_form_one_story_across_outlets_and_languages() {
    let fixtures = all_scenario();
    let (_, decisions) = run(&fixtures);
    let mai1 = story_of(&fixtures, &decisions, MAI1_SCOOP.id);
    for f in [
        &MAI1_VERGE,
        &MAI1_REUTERS,
        &MAI1_YAHOO,
        &MAI1_HN,
        &MAI1_HEISE,
    ] {
        assert_eq!(
            story_of(&fixtures, &decisions, f.id),
            mai1,
            "{} stayed out",
            f.source
        );
    }
}

#[test]
fn hard_negatives_stay_out() {
    let fixtures = all_scenario();
    let (_, decisions) = run(&fixtures);
    let mai1 = story_of(&fixtures, &decisions, MAI1_SCOOP.id);
    for f in [&PHI3, &INFLECTION_HIRE, &MS_DATACENTER, &OPENAI_MEDIA] {
        let d = &decisions[fixtures.iter().position(|x| x.id == f.id).unwrap()];
        assert_ne!(d.story, mai1, "{} joined MAI-1", f.title);
        assert_eq!(d.signal, Signal::NewStory, "{}", f.title);
    }
}

#[test]
fn syndicated_copy_is_a_near_duplicate_of_its_original() {
    let fixtures = all_scenario();
    let (_, decisions) = run(&fixtures);
    let yahoo = &decisions[fixtures.iter().position(|f| f.id == MAI1_YAHOO.id).unwrap()];
    assert_eq!(yahoo.signal, Signal::NearDuplicate);
    assert_eq!(yahoo.matched, vec![MAI1_REUTERS.id]);
}

#[test]
fn explanation_names_matched_items() {
    let fixtures = all_scenario();
    let (_, decisions) = run(&fixtures);
    let heise = &decisions[fixtures.iter().position(|f| f.id == MAI1_HEISE.id).unwrap()];
    assert_eq!(heise.signal, Signal::SimilarEvent);
    assert!(heise.score > 0.0 && !heise.matched.is_empty());
    assert!(heise.matched.iter().all(|m| (10..=14).contains(m)));
    let line = heise.to_string();
    assert!(
        line.starts_with("joined story") && line.contains("similar_event"),
        "{line}"
    );
    let phi3 = &decisions[fixtures.iter().position(|f| f.id == PHI3.id).unwrap()];
    assert!(phi3.to_string().starts_with("started story"));
}

// Issue #6: at the start of a stream every word looks rare, and two short generic headlines
// about different companies used to merge on the one word they share.
#[test]
fn generic_headlines_about_different_companies_stay_apart_in_a_cold_stream() {
    const OPENAI_MODEL: Fixture = Fixture {
        id: 30,
        source: "Example A",
        lang: "en",
        published: "2024-05-13T10:00:00Z",
        title: "OpenAI releases a new model",
        summary: "",
        link: "https://a.example/openai-model",
        companies: &["OpenAI"],
        models: &[],
        people: &[],
    };
    const MISTRAL_MODEL: Fixture = Fixture {
        id: 31,
        source: "Example B",
        lang: "en",
        published: "2024-05-13T12:00:00Z",
        title: "Mistral ships an open model",
        summary: "",
        link: "https://b.example/mistral-model",
        companies: &["Mistral AI"],
        models: &[],
        people: &[],
    };
    let (_, decisions) = run(&[&OPENAI_MODEL, &MISTRAL_MODEL]);
    assert_ne!(decisions[0].story, decisions[1].story);
    let line = decisions[1].to_string();
    assert!(line.contains("shares fewer than two"), "{line}");
}

#[test]
fn same_link_joins_regardless_of_text() {
    let mut clusterer = Clusterer::new(ClusterConfig::default(), 1);
    let first = clusterer.assign(&item(&MAI1_SCOOP));
    let mut again = item(&MAI1_VERGE);
    again.id = 99;
    again.canonical_link = item(&MAI1_SCOOP).canonical_link;
    let d = clusterer.assign(&again);
    assert_eq!((d.story, d.signal), (first.story, Signal::SameLink));
}

#[test]
fn restore_keeps_stories_and_numbering_after_restart() {
    let mut clusterer = Clusterer::new(ClusterConfig::default(), 1);
    // The store says the scoop is in story 41 and the Verge item was pinned to story 7.
    clusterer.restore(&item(&MAI1_SCOOP), 41);
    clusterer.restore(&item(&MAI1_VERGE), 7);
    assert_eq!(clusterer.story_of(MAI1_VERGE.id), Some(7));
    let reuters = clusterer.assign(&item(&MAI1_REUTERS));
    assert!([41, 7].contains(&reuters.story));
    let other = clusterer.assign(&item(&MS_DATACENTER));
    assert_eq!(
        other.story, 42,
        "new stories continue after the highest restored id"
    );
}

#[test]
fn operator_split_and_merge_are_respected() {
    let fixtures = all_scenario();
    let (mut clusterer, decisions) = run(&fixtures);
    let mai1 = story_of(&fixtures, &decisions, MAI1_SCOOP.id);
    let alone = clusterer.split(&item(&MAI1_HEISE)).unwrap();
    assert_ne!(alone, mai1);
    assert_eq!(clusterer.story_of(MAI1_HEISE.id), Some(alone));
    assert!(!clusterer.members(mai1).unwrap().contains(&MAI1_HEISE.id));

    let phi3 = story_of(&fixtures, &decisions, PHI3.id);
    clusterer.merge(mai1, phi3).unwrap();
    assert_eq!(clusterer.story_of(PHI3.id), Some(mai1));
    assert!(clusterer.members(phi3).is_none());
    assert!(clusterer.merge(mai1, 12345).is_err());
}

#[test]
fn forgotten_stories_no_longer_attract_items() {
    let mut clusterer = Clusterer::new(ClusterConfig::default(), 1);
    let scoop = clusterer.assign(&item(&MAI1_SCOOP));
    clusterer.forget_before("2024-05-06T06:00:00Z".parse().unwrap());
    assert!(clusterer.is_empty());
    let verge = clusterer.assign(&item(&MAI1_VERGE));
    assert_ne!(verge.story, scoop.story);
}

#[test]
fn same_input_gives_same_decisions() {
    let fixtures = all_scenario();
    let (_, a) = run(&fixtures);
    let (_, b) = run(&fixtures);
    assert_eq!(a, b);
}

#[test]
fn empty_text_starts_a_story_and_merging_a_story_into_itself_is_a_no_op() {
    let mut clusterer = Clusterer::new(ClusterConfig::default(), 1);
    let mut empty = item(&MAI1_SCOOP);
    empty.title.clear();
    empty.summary.clear();
    empty.canonical_link = None;
    empty.tags = Tags::default();
    let d = clusterer.assign(&empty);
    assert_eq!(d.signal, Signal::NewStory);
    clusterer.merge(d.story, d.story).unwrap();
    assert_eq!(clusterer.members(d.story), Some(&[MAI1_SCOOP.id][..]));
    let again = clusterer.assign(&empty);
    assert_eq!(
        (again.story, again.signal),
        (d.story, Signal::AlreadyAssigned)
    );
}

#[test]
fn config_defaults_validate_and_bad_values_are_named() {
    assert!(ClusterConfig::default().validate().is_ok());
    let bad = ClusterConfig {
        similarity_threshold: 1.5,
        ..ClusterConfig::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().0,
        "cluster.similarity_threshold"
    );
}
