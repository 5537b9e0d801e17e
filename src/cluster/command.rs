//! `aiwire cluster --input ITEMS.jsonl`: feeds items in order of `published` through the same
//! tagger and clusterer the daemon uses, in memory, and prints `{"id","cluster"}` per line
//! (each item's story once all are placed: a story may absorb another later on). With
//! `--explain`, each line also says how the item was placed when it arrived.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::eval_input::read_items;
use crate::model::{ClusterItem, TagInput};
use crate::tag::Tagger;

use super::{ClusterConfig, Clusterer, Signal};

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    cluster: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    explained: Option<Explained<'a>>,
}

/// The decision taken when the item arrived (its story may have been absorbed since).
#[derive(Serialize)]
struct Explained<'a> {
    signal: Signal,
    score: f32,
    bar: f32,
    /// Input ids of the items the decision rested on.
    matched: Vec<&'a str>,
    why: String,
}

pub fn run(
    input: &Path,
    tagger: &Tagger,
    config: &ClusterConfig,
    explain: bool,
) -> anyhow::Result<()> {
    let mut items = read_items(input)?;
    items.sort_by_key(|i| i.published);
    let mut clusterer = Clusterer::new(config.clone(), 1);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut decisions = Vec::with_capacity(if explain { items.len() } else { 0 });
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
        let decision = clusterer.assign(&citem);
        if explain {
            decisions.push(decision);
        }
    }
    // Stories may merge later on, so an item's story is read once every item is placed.
    for (n, item) in items.iter().enumerate() {
        let story = clusterer.story_of(n as i64).unwrap_or_default();
        let explained = decisions.get(n).map(|d| Explained {
            signal: d.signal,
            score: d.score,
            bar: d.bar,
            matched: d
                .matched
                .iter()
                .filter_map(|&m| items.get(usize::try_from(m).ok()?))
                .map(|i| i.id.as_str())
                .collect(),
            why: d.to_string(),
        });
        let line = Line {
            id: &item.id,
            cluster: format!("s{story}"),
            explained,
        };
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
    }
    Ok(())
}
