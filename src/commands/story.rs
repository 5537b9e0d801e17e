//! `aiwire explain ITEM`, `aiwire story split ITEM`, `aiwire story merge INTO FROM`.

use chrono::Utc;

use super::open_placed_store as placed_store;
use crate::config::Config;

pub fn explain(config: &Config, item: i64) -> anyhow::Result<()> {
    let store = placed_store(config)?;
    let it = store
        .item(item)?
        .ok_or_else(|| anyhow::anyhow!("no item with id {item}"))?;
    println!(
        "item {}: {:?} ({}, {})",
        it.id,
        it.title,
        it.source,
        it.published.format("%Y-%m-%d %H:%M UTC")
    );
    let Some(story) = it.story_id else {
        println!(
            "not yet placed in a story: another aiwire process holds the database; the daemon, \
             `aiwire run --once`, `aiwire digest` or `aiwire fetch --cluster` places it"
        );
        return Ok(());
    };
    let signal = it.cluster_signal.as_deref().unwrap_or("unknown");
    if let Some(note) = &it.cluster_note
        && !signal.starts_with("operator")
    {
        println!("{note}");
    }
    match signal {
        _ if it.cluster_note.is_some() && !signal.starts_with("operator") => {}
        "new_story" => println!("started story {story}: no story in the window was similar enough"),
        "operator_split" | "operator_merge" => println!(
            "placed in story {story} by an operator ({signal}); clustering will not move it"
        ),
        _ => println!(
            "joined story {story} by {signal}, score {:.3}",
            it.cluster_score.unwrap_or(0.0)
        ),
    }
    for m in &it.cluster_matched {
        if let Some(o) = store.item(*m)? {
            println!("  matched item {}: {:?} ({})", o.id, o.title, o.source);
        }
    }
    let members = store.items_of_stories(&[story])?;
    println!("story {story} has {} items:", members.len());
    for m in members {
        println!(
            "  {} {} [{}] {}",
            m.id,
            m.published.format("%Y-%m-%d %H:%M"),
            m.source,
            m.title
        );
    }
    Ok(())
}

pub fn split(config: &Config, item: i64) -> anyhow::Result<()> {
    let mut store = placed_store(config)?;
    let story = store.split_item(item, Utc::now())?;
    println!("item {item} is now alone in story {story}");
    Ok(())
}

pub fn merge(config: &Config, into: i64, from: i64) -> anyhow::Result<()> {
    let mut store = placed_store(config)?;
    let moved = store.merge_stories(into, from)?;
    println!("moved {moved} items from story {from} into story {into}");
    Ok(())
}
