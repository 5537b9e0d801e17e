//! `aiwire parse FILE... --json`: one JSON line per file in input order, exit 1 if any failed.

use std::process::Command;

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/parse/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(files: &[&str]) -> (Vec<serde_json::Value>, Option<i32>) {
    let output = Command::new(env!("CARGO_BIN_EXE_aiwire"))
        .arg("parse")
        .arg("--json")
        .args(files.iter().map(|f| fixture(f)))
        .output()
        .expect("run aiwire");
    let lines = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    (lines, output.status.code())
}

#[test]
fn one_line_per_file_in_order_and_exit_1_on_failure() {
    let (lines, code) = run(&[
        "rss-no-version.xml",
        "not-a-feed-html-page.html",
        "empty-body.xml",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(lines.len(), 3);
    assert!(
        lines[0]["file"]
            .as_str()
            .unwrap()
            .ends_with("rss-no-version.xml")
    );
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["format"], "rss2");
    let entry = &lines[0]["entries"][0];
    for field in [
        "key",
        "title",
        "link",
        "canonical_link",
        "published",
        "date_source",
        "summary",
        "language",
        "authors",
    ] {
        assert!(entry.get(field).is_some(), "missing {field} in {entry}");
    }
    assert_eq!(entry["date_source"], "feed");
    assert_eq!(lines[1]["ok"], false);
    assert_eq!(
        lines[1]["error"],
        "not a feed: an HTML page (Page not found)"
    );
    assert_eq!(lines[2]["error"], "empty document");
}

#[test]
fn exit_0_when_all_parse() {
    let (lines, code) = run(&[
        "rss-no-version.xml",
        "jsonfeed-http-version-string-tags.json",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["format"], "json");
}
