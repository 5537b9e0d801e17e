//! End-to-end checks of the foundation through the real binary: the shipped and demo
//! configs, config errors with exit code 2, the one-shot cycle, and store lifecycle.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn aiwire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_aiwire"))
        .args(args)
        .env_remove("AIWIRE_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run aiwire")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The demo config rewritten to keep its state in `dir`.
fn demo_config(dir: &Path) -> PathBuf {
    let fixtures = root().join("tests/fixtures/demo");
    let demo = std::fs::read_to_string(root().join("config/demo.toml"))
        .unwrap()
        .replace("../tests/fixtures/demo", fixtures.to_str().unwrap())
        .replace("../state", dir.to_str().unwrap());
    let path = dir.join("demo.toml");
    std::fs::write(&path, demo).unwrap();
    path
}

#[test]
fn shipped_config_is_valid() {
    let config = aiwire::config::Config::load(&root().join("config/aiwire.toml")).unwrap();
    assert!(config.feeds.len() >= 25, "a curated list of real feeds");
    assert!(config.feeds.iter().any(|f| f.url.contains("heise.de")));
    assert!(config.feeds.iter().any(|f| f.url.contains("arxiv.org")));
    assert!(
        config
            .feeds
            .iter()
            .any(|f| f.url.contains("news.ycombinator.com"))
    );
    assert_eq!(config.digests.len(), 1);
    assert_eq!(config.digests[0].schedule, "0 7 * * *");
    assert_eq!(config.mail.transport, aiwire::config::Transport::File);

    // `aiwire check` on it (store moved into a temp dir so the test writes nothing else).
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(root().join("config/aiwire.toml")).unwrap();
    let cfg = dir.path().join("aiwire.toml");
    std::fs::write(
        &cfg,
        shipped.replace("/var/lib/aiwire/", &format!("{}/", dir.path().display())),
    )
    .unwrap();
    let out = aiwire(&["check", "--config", cfg.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("integrity ok"), "{}", text(&out));
}

fn bad_config(dir: &Path, body: &str) -> (PathBuf, Output) {
    let path = dir.join("bad.toml");
    std::fs::write(&path, body).unwrap();
    let out = aiwire(&["check", "--config", path.to_str().unwrap()]);
    (path, out)
}

const MAIL: &str = "[mail]\ntransport = \"file\"\ndir = \"out\"\nfrom = \"a@example.org\"\n";

#[test]
fn config_errors_exit_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (format!("{MAIL}[store]\npath = \"x.db\"\ncolour = \"blue\"\n"), 7, "colour"),
        (
            format!("{MAIL}[[digest]]\nname = \"d\"\nschedule = \"0 25 * * *\"\ntimezone = \"UTC\"\n"),
            7,
            "digest[0].schedule",
        ),
        (
            format!("{MAIL}[[digest]]\nname = \"d\"\nschedule = \"0 7 * * *\"\ntimezone = \"Europe/Atlantis\"\n"),
            8,
            "digest[0].timezone",
        ),
        (
            "[mail]\ntransport = \"smtp\"\nhost = \"localhost\"\nfrom = \"a@example.org\"\nusername = \"u\"\npassword_file = \"/nonexistent/aiwire-pw\"\n".to_string(),
            6,
            "mail.password_file",
        ),
    ];
    for (body, line, key) in cases {
        let (path, out) = bad_config(dir.path(), &body);
        let msg = text(&out);
        assert_eq!(out.status.code(), Some(2), "{msg}");
        assert!(
            msg.contains(&format!("{}:{line}:", path.display())),
            "expected line {line}: {msg}"
        );
        assert!(msg.contains(key), "expected key {key}: {msg}");
    }
}

#[test]
fn check_builds_the_mailer_and_names_a_bad_ca_file() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate\n").unwrap();
    let body = format!(
        "[store]\npath = \"{}\"\n[mail]\ntransport = \"smtp\"\nhost = \"mail.example.org\"\nfrom = \"a@example.org\"\nca_file = \"{}\"\n",
        dir.path().join("a.db").display(),
        ca.display()
    );
    let (path, out) = bad_config(dir.path(), &body);
    let msg = text(&out);
    assert!(!out.status.success(), "{msg}");
    assert!(msg.contains(path.to_str().unwrap()), "{msg}");
    assert!(
        msg.contains("mail.ca_file") && msg.contains("not a PEM certificate"),
        "{msg}"
    );
    assert!(
        !dir.path().join("a.db").exists(),
        "checked before the store is opened"
    );
}

#[test]
fn missing_config_file_exits_2_and_says_how_to_fix() {
    let out = aiwire(&["check", "--config", "/nonexistent/aiwire.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("--config"), "{}", text(&out));
}

#[test]
fn demo_run_once_writes_a_digest_with_the_mai1_reports() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = demo_config(dir.path());
    let out = aiwire(&["--config", cfg.to_str().unwrap(), "run", "--once"]);
    let msg = text(&out);
    assert!(out.status.success(), "{msg}");
    let eml = msg
        .lines()
        .find_map(|l| l.strip_prefix("digest written to "))
        .and_then(|l| l.split(" (HTML copy").next())
        .unwrap_or_else(|| panic!("no digest path printed: {msg}"));
    let mail = std::fs::read_to_string(eml).unwrap();
    assert!(mail.contains("multipart/alternative"));
    let html = std::fs::read_to_string(Path::new(eml).with_extension("html")).unwrap();
    for outlet in [
        "The Information",
        "The Verge",
        "Ars Technica",
        "heise online",
    ] {
        assert!(html.contains(outlet), "{outlet} missing from the digest");
    }
    assert!(html.contains("MAI-1"));

    // A second cycle finds nothing new and sends nothing twice.
    let out = aiwire(&["--config", cfg.to_str().unwrap(), "run", "--once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("digest written to"), "{}", text(&out));
    let files = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .count();
    assert_eq!(files, 2, "one .eml and its .html copy");
}

#[test]
fn deleted_database_is_recreated_and_newer_schema_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = demo_config(dir.path());
    let cfg = cfg.to_str().unwrap();
    assert!(aiwire(&["--config", cfg, "check"]).status.success());
    let db = dir.path().join("demo.db");
    assert!(db.exists());
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let out = aiwire(&["--config", cfg, "check"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(db.exists());

    // Pretend a newer aiwire wrote the database.
    let store = aiwire::store::Store::open(&db).unwrap();
    drop(store);
    let newer = aiwire::store::latest_version() + 1;
    aiwire::store::testing::set_user_version(&db, newer).unwrap();
    let out = aiwire(&["--config", cfg, "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("newer aiwire"), "{}", text(&out));
}

#[test]
fn second_daemon_on_one_database_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = demo_config(dir.path());
    let store = aiwire::store::Store::open(&dir.path().join("demo.db")).unwrap();
    let _held = store.lock_for_daemon().unwrap();
    let out = aiwire(&["--config", cfg.to_str().unwrap(), "run", "--once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("already running"), "{}", text(&out));
}

#[test]
fn fetch_stores_and_the_next_digest_places_what_it_left_unclustered() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = demo_config(dir.path());
    let cfg = cfg.to_str().unwrap();
    let db = dir.path().join("demo.db");

    let out = aiwire(&["--config", cfg, "fetch"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 5, "a line per feed: {stdout}");
    let store = aiwire::store::Store::open(&db).unwrap();
    let pending = store.unclustered_items().unwrap().len();
    assert!(
        pending >= 5,
        "fetch stores the items and leaves them unplaced ({pending})"
    );
    drop(store);

    // The digest shows stories as they are: it places the pending items first.
    let out = aiwire(&["--config", cfg, "digest", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mai1 = json["stories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.to_string().contains("MAI-1"))
        .unwrap_or_else(|| panic!("no MAI-1 story: {json}"));
    assert!(mai1.to_string().contains("heise online"), "{mai1}");
    let store = aiwire::store::Store::open(&db).unwrap();
    assert!(store.unclustered_items().unwrap().is_empty());

    // `fetch --cluster` places them before it exits.
    let dir = tempfile::tempdir().unwrap();
    let cfg = demo_config(dir.path());
    let out = aiwire(&["--config", cfg.to_str().unwrap(), "fetch", "--cluster"]);
    assert!(out.status.success(), "{}", text(&out));
    let store = aiwire::store::Store::open(&dir.path().join("demo.db")).unwrap();
    assert!(store.item_counts().unwrap().values().sum::<i64>() >= 5);
    assert!(store.unclustered_items().unwrap().is_empty());
}

#[test]
fn cluster_command_prints_each_items_story_and_explains_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("items.jsonl");
    let line = |id: &str, source: &str, title: &str, summary: &str, at: &str| {
        serde_json::json!({
            "id": id, "source": source, "lang": "en", "title": title, "summary": summary,
            "link": "", "published": at,
        })
        .to_string()
    };
    let rows = [
        line(
            "verge-1",
            "The Verge",
            "Microsoft is training its own 500B-parameter AI model, MAI-1",
            "Microsoft is working on MAI-1, led by Mustafa Suleyman, to rival GPT-4 and Gemini.",
            "2024-05-06T10:00:00Z",
        ),
        line(
            "ars-1",
            "Ars Technica",
            "Microsoft's MAI-1: a 500B-parameter model to compete with GPT-4",
            "Mustafa Suleyman leads Microsoft's work on MAI-1, meant to rival GPT-4 and Google's Gemini.",
            "2024-05-06T12:00:00Z",
        ),
        line(
            "other-1",
            "Reuters",
            "Nvidia ships its first Blackwell B200 GPUs to cloud providers",
            "The B200 accelerators start shipping to data centers this quarter.",
            "2024-05-06T11:00:00Z",
        ),
    ];
    std::fs::write(&input, rows.join("\n") + "\n").unwrap();
    let run = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["cluster", "--input", input.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = aiwire(&args);
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    // One line per item in order of `published`, with exactly the keys of the contract.
    let plain = run(&[]);
    let ids: Vec<&str> = plain.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["verge-1", "other-1", "ars-1"]);
    for v in &plain {
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["cluster", "id"], "{v}");
    }
    assert_eq!(plain[0]["cluster"], plain[2]["cluster"]);
    assert_ne!(plain[0]["cluster"], plain[1]["cluster"]);

    // `--explain` adds how each item was placed; matched items are named by input id.
    let explained = run(&["--explain"]);
    assert_eq!(explained[0]["signal"], "new_story");
    assert_eq!(explained[2]["signal"], "similar_event", "{}", explained[2]);
    assert_eq!(explained[2]["matched"], serde_json::json!(["verge-1"]));
    assert!(explained[2]["score"].as_f64() >= explained[2]["bar"].as_f64());
    let why = explained[2]["why"].as_str().unwrap();
    assert!(why.starts_with("joined story"), "{why}");
    for (a, b) in plain.iter().zip(&explained) {
        assert_eq!((&a["id"], &a["cluster"]), (&b["id"], &b["cluster"]));
    }
}
