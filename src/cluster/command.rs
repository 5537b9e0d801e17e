//! `aiwire cluster --input ITEMS.jsonl`: feeds items in order of `published` through the same
//! tagger and clusterer the daemon uses, in memory, and prints `{"id","cluster"}` per line
//! (each item's story once all are placed: a story may absorb another later on).

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::eval_input::read_items;
use crate::model::{ClusterItem, TagInput};
use crate::tag::Tagger;

use super::{ClusterConfig, Clusterer};

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    cluster: String,
}

pub fn run(input: &Path, tagger: &Tagger, config: &ClusterConfig) -> anyhow::Result<()> {
    let mut items = read_items(input)?;
    items.sort_by_key(|i| i.published);
    let mut clusterer = Clusterer::new(config.clone(), 1);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (n, item) in items.iter().enumerate() {
        let tags = tagger.tag(TagInput {
            title: &item.title,
            summary: &item.summary,
            language: item.lang.as_deref(),
        });
        let citem = ClusterItem {
            id: n as i64,
            source: item.source.clone(),
            title: item.title.clone(),
            summary: item.summary.clone(),
            language: item.lang.clone(),
            published: item.published,
            canonical_link: item.link.clone(),
            guid: None,
            tags,
        };
        clusterer.assign(&citem);
    }
    // Stories may merge later on, so an item's story is read once every item is placed.
    for (n, item) in items.iter().enumerate() {
        let story = clusterer.story_of(n as i64).unwrap_or_default();
        let line = Line {
            id: &item.id,
            cluster: format!("s{story}"),
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    Ok(())
}
