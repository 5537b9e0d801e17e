//! Tidy checks on the source tree: file headers, the one-home-per-adapter-crate rule, and entry
//! HTML read only through the sanitizer.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every source file under `src/`: its path relative to `src/`, and its text.
fn sources() -> Vec<(String, String)> {
    rust_files(&src())
        .into_iter()
        .map(|file| {
            let rel = file
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&file).unwrap();
            (rel, text)
        })
        .collect()
}

#[test]
fn every_source_file_starts_with_a_module_doc() {
    let missing: Vec<_> = rust_files(&src())
        .into_iter()
        .filter(|p| !std::fs::read_to_string(p).unwrap().starts_with("//!"))
        .collect();
    assert!(
        missing.is_empty(),
        "files without a leading //! line: {missing:?}"
    );
}

#[test]
fn adapter_crates_are_used_only_in_their_home_module() {
    // crate name as written in code -> the only place (file or folder under src/) allowed to use it
    let homes = [
        ("reqwest", "fetch"),
        ("feed_rs", "parse"),
        ("rusqlite", "store"),
        ("lettre", "mail"),
        // The one HTML sanitizer, applied where entry HTML is displayed.
        ("ammonia", "digest/clean"),
        ("libc", "memory"),
    ];
    let mut offenders = Vec::new();
    for (rel, text) in sources() {
        for (krate, home) in homes {
            let at_home = rel == format!("{home}.rs") || rel.starts_with(&format!("{home}/"));
            let uses = text.lines().any(|l| {
                let l = l.trim_start();
                !l.starts_with("//")
                    && (l.contains(&format!("{krate}::")) || l.contains(&format!("use {krate}")))
            });
            if uses && !at_home {
                offenders.push(format!("{rel} uses {krate} (its home is src/{home})"));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

// Entry HTML is stored unsanitized (ARCHITECTURE.md, Invariants): outside the stages that make,
// carry or store it, code that reads `content_html` must sanitize it with `safe_html`.
#[test]
fn stored_content_html_is_read_only_through_safe_html() {
    let carriers = ["model.rs", "parse/", "store/"];
    let mut offenders = Vec::new();
    for (rel, text) in sources() {
        if carriers.iter().any(|c| rel.starts_with(c)) {
            continue;
        }
        let reads = text
            .lines()
            .any(|l| !l.trim_start().starts_with("//") && l.contains("content_html"));
        if reads && !text.contains("safe_html(") {
            offenders.push(rel);
        }
    }
    assert!(
        offenders.is_empty(),
        "these files read content_html without digest::clean::safe_html: {offenders:?}"
    );
}

#[test]
fn every_migration_is_embedded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    on_disk.sort();
    let embedded: Vec<String> = aiwire::store::migrations()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        on_disk, embedded,
        "every file in migrations/ must be a NNNN_name.sql migration"
    );
}
