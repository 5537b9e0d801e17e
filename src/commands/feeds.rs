//! `aiwire feeds list | import OPML | export`. The list shows per feed: state, item count,
//! last success, next fetch, how long and how often it has been failing, the last error.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::opml::{self, OpmlFeed};

fn ago(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        None => "never".into(),
        Some(t) => {
            let d = now - t;
            if d.num_seconds() < 0 {
                format!("in {}", human(-d))
            } else {
                format!("{} ago", human(d))
            }
        }
    }
}

fn human(d: chrono::Duration) -> String {
    let s = d.num_seconds();
    match s {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

pub fn list(config: &Config, json: bool) -> anyhow::Result<()> {
    let mut store = super::open_store(config)?;
    let now = Utc::now();
    let feeds = store.sync_feeds(&config.feeds, now)?;
    for f in feeds {
        if json {
            println!("{}", serde_json::to_string(&f)?);
            continue;
        }
        println!(
            "{:<8} {:<40} items {:>5}  last ok {:<10} next {}\n         {}",
            f.state.as_str(),
            f.display_name(),
            f.item_count,
            ago(f.last_success_at, now),
            ago(Some(f.next_fetch_at), now),
            f.url,
        );
        if let (Some(since), Some(error)) = (f.failing_since, &f.last_error) {
            println!(
                "         failing for {} ({} errors in a row); last error: {error}",
                human(now - since),
                f.error_count
            );
        }
        if let Some(to) = &f.redirect_to {
            println!(
                "         moved permanently to {to} (seen {} times; the URL is updated once the move holds)",
                f.redirect_count
            );
        }
    }
    Ok(())
}

pub fn import(path: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let feeds = opml::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    println!(
        "# {} feeds from {}; add these to your config, or name the file in `opml = [...]`",
        feeds.len(),
        path.display()
    );
    for f in feeds {
        println!("\n[[feed]]\nurl = {}", toml_str(&f.url));
        if let Some(t) = f.title {
            println!("name = {}", toml_str(&t));
        }
    }
    Ok(())
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

pub fn export(config: &Config) -> anyhow::Result<()> {
    let feeds: Vec<OpmlFeed> = config
        .feeds
        .iter()
        .map(|f| OpmlFeed {
            url: f.url.clone(),
            title: f.name.clone(),
        })
        .collect();
    print!("{}", opml::write("aiwire feeds", &feeds));
    Ok(())
}
