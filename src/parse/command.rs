//! `aiwire parse FILE... [--base-url URL] --json`: one JSON object per input file per line.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;
use url::Url;

use crate::model::ParsedEntry;

use super::{ParseContext, parse_feed};

/// One output line; field names are the `aiwire parse --json` contract.
#[derive(Debug, Serialize)]
struct Line<'a> {
    file: String,
    ok: bool,
    error: Option<String>,
    format: Option<&'a str>,
    title: Option<&'a str>,
    language: Option<&'a str>,
    entries: &'a [ParsedEntry],
}

/// Parses each file, prints a line per file, returns whether all parsed.
pub fn run(
    files: &[impl AsRef<Path>],
    base_url: Option<&str>,
    json: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let base = base_url.map(Url::parse).transpose()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut all_ok = true;
    for file in files {
        let file = file.as_ref();
        let file_url = std::fs::canonicalize(file)
            .ok()
            .and_then(|p| Url::from_file_path(p).ok());
        let result = std::fs::read(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))
            .and_then(|bytes| {
                let ctx = ParseContext {
                    feed_url: base.as_ref().or(file_url.as_ref()),
                    http_charset: None,
                    fetched_at: now,
                };
                parse_feed(&bytes, &ctx).map_err(|e| e.to_string())
            });
        let name = file.display().to_string();
        match &result {
            Ok(feed) => {
                if json {
                    let line = Line {
                        file: name,
                        ok: true,
                        error: None,
                        format: Some(&feed.format),
                        title: feed.title.as_deref(),
                        language: feed.language.as_deref(),
                        entries: &feed.entries,
                    };
                    writeln!(out, "{}", serde_json::to_string(&line)?)?;
                } else {
                    writeln!(
                        out,
                        "{name}: {} ({}), {} entries",
                        feed.title.as_deref().unwrap_or("untitled"),
                        feed.format,
                        feed.entries.len()
                    )?;
                    for e in &feed.entries {
                        writeln!(
                            out,
                            "  {}  {}  {}",
                            e.published.format("%Y-%m-%d %H:%M"),
                            e.title,
                            e.link.as_deref().unwrap_or("")
                        )?;
                    }
                }
            }
            Err(error) => {
                all_ok = false;
                if json {
                    let line = Line {
                        file: name,
                        ok: false,
                        error: Some(error.clone()),
                        format: None,
                        title: None,
                        language: None,
                        entries: &[],
                    };
                    writeln!(out, "{}", serde_json::to_string(&line)?)?;
                } else {
                    writeln!(out, "{name}: error: {error}")?;
                }
            }
        }
    }
    Ok(all_ok)
}
