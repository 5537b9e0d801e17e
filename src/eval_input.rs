//! Reads the JSONL item files of `aiwire tag` / `aiwire cluster` (`{id, source, lang, title,
//! summary, link, published}`; extra fields such as gold labels are ignored).

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// One input line.
#[derive(Debug, Clone, Deserialize)]
pub struct InputItem {
    #[serde(deserialize_with = "id_as_string")]
    pub id: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub link: Option<String>,
    pub published: DateTime<Utc>,
}

fn id_as_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Reads all items; a bad line is an error naming file and line.
pub fn read_items(path: &Path) -> anyhow::Result<Vec<InputItem>> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        ))
    };
    let mut items = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let item: InputItem = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}:{}: not an item object {{id, title, published, …}}",
                path.display(),
                n + 1
            )
        })?;
        items.push(item);
    }
    Ok(items)
}
