//! `aiwire digest` end to end through the binary: `--preview` writes what would be sent
//! without changing state (html, text, json), `--send` records and delivers once (file and
//! sendmail transports), and a definition's `templates` folder overrides the built-in ones.

mod support;

use std::path::Path;
use std::process::Command;

use aiwire::config::Config;
use aiwire::store::Store;
use chrono::{Duration, Utc};
use mail_parser::MessageParser;

fn setup(dir: &Path, mail: &str, extra: &str) -> Config {
    let config = support::config(dir, mail, &format!("to = [\"one@example.org\"]\n{extra}"));
    let mut store = Store::open(&config.store.path).unwrap();
    // The binary reads the real clock: data first seen an hour ago is in its period.
    support::seed_mai1(&mut store, &config, Utc::now() - Duration::hours(1));
    config
}

fn file_mail(dir: &Path) -> String {
    format!(
        "transport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <digest@aiwire.test>\"\n",
        dir.join("outbox").display()
    )
}

fn aiwire(config: &Config, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(support::aiwire_bin())
        .arg("--config")
        .arg(&config.source)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn runs(config: &Config) -> usize {
    Store::open(&config.store.path)
        .unwrap()
        .digest_runs("daily")
        .unwrap()
        .len()
}

#[test]
fn preview_writes_each_format_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), &file_mail(dir.path()), "");
    let html = dir.path().join("preview.html");
    let (ok, _, err) = aiwire(&config, &["digest", "--preview", html.to_str().unwrap()]);
    assert!(ok, "{err}");
    let html = std::fs::read_to_string(html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Meet MAI-1"));
    let (ok, text, _) = aiwire(&config, &["digest", "--format", "text"]);
    assert!(ok);
    assert!(text.starts_with("Subject: aiwire daily digest, "), "{text}");
    assert!(text.contains("2 stories from 6 reports by 5 outlets"));
    let (ok, json, _) = aiwire(&config, &["digest", "--format", "json", "--preview", "-"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["digest"], "daily");
    assert!(v["generated_at"].is_string());
    assert!(v["period"]["from"].is_string() && v["period"]["to"].is_string());
    let s = &v["stories"][0];
    assert_eq!(s["source"], "The Information");
    assert_eq!(s["companies"], serde_json::json!(["Microsoft", "OpenAI"]));
    assert_eq!(s["models"], serde_json::json!(["MAI-1"]));
    assert_eq!(s["people"], serde_json::json!(["Mustafa Suleyman"]));
    assert_eq!(s["items"].as_array().unwrap().len(), 5);
    for key in ["title", "link", "source", "published", "language"] {
        assert!(s["items"][3].get(key).is_some(), "items[].{key}");
    }
    let heise = s["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"] == "heise online")
        .unwrap();
    assert_eq!(heise["language"], "de");
    assert_eq!(runs(&config), 0, "previews record nothing");
    assert!(
        !dir.path().join("outbox").exists()
            || std::fs::read_dir(dir.path().join("outbox"))
                .unwrap()
                .count()
                == 0
    );
    // --since widens the period of a preview.
    let (ok, json, _) = aiwire(&config, &["digest", "--format", "json", "--since", "1000d"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let from = chrono::DateTime::parse_from_rfc3339(v["period"]["from"].as_str().unwrap()).unwrap();
    assert!(Utc::now() - from.with_timezone(&Utc) > Duration::days(999));
}

#[test]
fn send_records_and_delivers_once_through_the_file_transport() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), &file_mail(dir.path()), "");
    let (ok, out, err) = aiwire(&config, &["digest", "--send"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("1 sent"), "{out}");
    let (ok, out, _) = aiwire(&config, &["digest", "--send"]);
    assert!(ok);
    assert!(
        out.contains("nothing new to send") && out.contains("0 sent"),
        "{out}"
    );
    assert_eq!(runs(&config), 1);
    let emls: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(emls.len(), 1);
    let raw = std::fs::read(&emls[0]).unwrap();
    let msg = MessageParser::default().parse(&raw[..]).unwrap();
    assert_eq!(msg.html_body_count(), 1);
    assert_eq!(msg.text_body_count(), 1);
    // After the send, a preview of "what would be sent now" is empty.
    let (_, text, _) = aiwire(&config, &["digest", "--format", "text"]);
    assert!(text.contains("Nothing new in this period."), "{text}");
}

#[test]
fn send_through_sendmail_passes_the_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fake-sendmail.sh");
    let captured = dir.path().join("captured");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > {0}.args\ncat > {0}.eml\n",
            captured.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let mail = format!(
        "transport = \"sendmail\"\nsendmail_command = \"{}\"\nfrom = \"aiwire <digest@aiwire.test>\"\n",
        script.display()
    );
    let config = setup(dir.path(), &mail, "");
    let (ok, out, err) = aiwire(&config, &["digest", "--send"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("1 sent"), "{out}");
    let args = std::fs::read_to_string(captured.with_extension("args")).unwrap();
    assert!(
        args.contains("-f digest@aiwire.test") && args.contains("one@example.org"),
        "{args}"
    );
    let raw = std::fs::read(captured.with_extension("eml")).unwrap();
    let msg = MessageParser::default().parse(&raw[..]).unwrap();
    assert_eq!(msg.html_body_count(), 1);
}

#[test]
fn templates_folder_overrides_the_builtin_text_template() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tpl")).unwrap();
    std::fs::write(
        dir.path().join("tpl/digest.txt"),
        "CUSTOM {{ story_count }}{% for sec in sections %}{% for s in sec.stories %}|{{ s.title }}{% endfor %}{% endfor %}\n",
    )
    .unwrap();
    let config = setup(dir.path(), &file_mail(dir.path()), "templates = \"tpl\"");
    let (ok, text, err) = aiwire(&config, &["digest", "--format", "text"]);
    assert!(ok, "{err}");
    assert!(text.contains("CUSTOM 2|Meet MAI-1"), "{text}");
    // digest.html is not overridden: the built-in one is used.
    let (_, html, _) = aiwire(&config, &["digest", "--format", "html"]);
    assert!(html.contains("Mentions by company"));
}

#[test]
fn send_leaves_delivery_to_a_running_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path(), &file_mail(dir.path()), "");
    let daemon = Store::open(&config.store.path).unwrap();
    let lock = daemon.lock_for_daemon().unwrap();
    let (ok, out, err) = aiwire(&config, &["digest", "--send"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("aiwire is running on this database"), "{out}");
    assert_eq!(runs(&config), 1, "recorded for the daemon to deliver");
    assert!(
        !dir.path().join("outbox").exists(),
        "not delivered by the CLI"
    );
    drop(lock);
    let (ok, out, _) = aiwire(&config, &["digest", "--send"]);
    assert!(ok);
    assert!(out.contains("1 sent"), "{out}");
    assert_eq!(runs(&config), 1);
}
