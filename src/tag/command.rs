//! `aiwire tag --input ITEMS.jsonl`: prints `{"id","companies","models","people"}` per line.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::model::TagInput;

use super::Tagger;
use crate::eval_input::read_items;

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    companies: &'a [String],
    models: &'a [String],
    people: &'a [String],
}

pub fn run(input: &Path, tagger: &Tagger) -> anyhow::Result<()> {
    let items = read_items(input)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for item in &items {
        let tags = tagger.tag(TagInput {
            title: &item.title,
            summary: &item.summary,
            language: item.lang.as_deref(),
        });
        let line = Line {
            id: &item.id,
            companies: &tags.companies,
            models: &tags.models,
            people: &tags.people,
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    Ok(())
}
