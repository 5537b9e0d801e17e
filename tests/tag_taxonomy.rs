//! User taxonomy files: extending, replacing and removing built-in entries; errors name
//! file and line.

use std::io::Write;
use std::path::PathBuf;

use aiwire::model::TagInput;
use aiwire::tag::Tagger;

fn file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    p
}

fn tags(t: &Tagger, title: &str) -> aiwire::model::Tags {
    t.tag(TagInput {
        title,
        summary: "",
        language: Some("en"),
    })
}

#[test]
fn user_file_adds_companies_models_and_people() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "mine.toml",
        r#"
[[company]]
name = "Acme Robotics"
aliases = ["Acme"]

[[model]]
name = "RoboLM"
owner = "Acme Robotics"
adds_owner = true

[[person]]
name = "Zed Quux"
surnames = ["Quux"]
"#,
    );
    let t = Tagger::load(&[p]).unwrap();
    let got = tags(&t, "RoboLM is out, says Quux");
    assert_eq!(got.models, ["RoboLM"]);
    assert_eq!(got.companies, ["Acme Robotics"]);
    assert_eq!(got.people, ["Zed Quux"]);
    // the built-in taxonomy is still there
    assert_eq!(tags(&t, "OpenAI ships GPT-4o").models, ["GPT-4o"]);
}

#[test]
fn user_file_extends_replaces_and_disables() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "over.toml",
        r#"
[[company]]
name = "OpenAI"
aliases = ["the ChatGPT maker"]

[[company]]
name = "Anthropic"
disabled = true

[[family]]
name = "GPT"
tiers = ["ultra-max"]
"#,
    );
    let t = Tagger::load(&[p]).unwrap();
    assert_eq!(tags(&t, "the ChatGPT maker said").companies, ["OpenAI"]);
    assert_eq!(tags(&t, "OpenAI said").companies, ["OpenAI"]);
    assert!(tags(&t, "Anthropic said").companies.is_empty());
    assert_eq!(tags(&t, "GPT-9 ultra-max").models, ["GPT-9 ultra-max"]);
}

#[test]
fn errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = file(
        &dir,
        "bad.toml",
        "[[company]]\nname = \"A\"\n\n[[company]]\nnmae = \"B\"\n",
    );
    let err = Tagger::load(&[p]).unwrap_err().to_string();
    assert!(
        err.contains("bad.toml:4") || err.contains("bad.toml:5"),
        "{err}"
    );

    let p = file(
        &dir,
        "empty.toml",
        "\n\n[[model]]\nname = \"M\"\naliases = [\"\"]\n",
    );
    let err = Tagger::load(&[p]).unwrap_err().to_string();
    assert!(err.contains("empty.toml:4"), "{err}");

    let p = file(
        &dir,
        "owner.toml",
        "[[model]]\nname = \"M\"\nowner = \"Nobody Inc\"\n",
    );
    let err = Tagger::load(&[p]).unwrap_err().to_string();
    assert!(
        err.contains("owner.toml:2") && err.contains("Nobody Inc"),
        "{err}"
    );

    let missing = dir.path().join("missing.toml");
    let err = format!("{:#}", Tagger::load(&[missing]).unwrap_err());
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn tagger_is_shared_across_threads() {
    let t = std::sync::Arc::new(Tagger::builtin().unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let t = t.clone();
            std::thread::spawn(move || tags(&t, "Anthropic ships Claude 3.5 Sonnet").models)
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), ["Claude 3.5 Sonnet"]);
    }
}
