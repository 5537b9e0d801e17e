//! `aiwire fetch [--feed URL_OR_NAME] [--cluster]`: one poll cycle now over every configured
//! feed (due or not; the daemon polls only due feeds), a summary line per feed.
//!
//! The cycle fetches, parses, tags and stores; it does not cluster unless asked. New items
//! wait in the store (`story_id` NULL) and are placed by whatever shows stories next: `aiwire
//! digest`, `aiwire explain`, `aiwire story`, `aiwire run --once`, or the daemon at its start
//! and in every cycle. Placing them is the same work either way; leaving it out keeps a poll
//! (often run by hand to check a feed) as fast as the network allows.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;

use crate::assign::Pipeline;
use crate::config::Config;
use crate::refresh::refresh_feeds_observed;
use crate::tag::Tagger;

/// Returns whether every feed was fetched without error.
pub fn run(
    config: Arc<Config>,
    tagger: Arc<Tagger>,
    only: Option<&str>,
    cluster: bool,
) -> anyhow::Result<bool> {
    let started = Instant::now();
    let mut store = super::open_store(&config)?;
    let _lock = store.lock_for_daemon()?;
    let now = Utc::now();
    let feeds = store.sync_feeds(&config.feeds, now)?;
    let chosen: Vec<_> = feeds
        .into_iter()
        .filter(|f| f.state != crate::store::FeedState::Removed)
        .filter(|f| {
            only.is_none_or(|o| f.config_url == o || f.url == o || f.name.as_deref() == Some(o))
        })
        .collect();
    if let Some(o) = only
        && chosen.is_empty()
    {
        anyhow::bail!("no configured feed has the URL or name {o:?}; see `aiwire feeds list`");
    }
    let store = Arc::new(Mutex::new(store));
    let deps = super::deps(config.clone(), store.clone(), tagger)?;
    let synced = started.elapsed();
    // With --cluster, new items are clustered on their own thread while the other feeds are
    // still fetched.
    let pipeline = cluster.then(|| Pipeline::start(store.clone(), config.cluster.clone(), now));
    let reports =
        super::runtime()?.block_on(refresh_feeds_observed(
            &deps,
            chosen,
            now,
            |r| match &pipeline {
                Some(p) => p.take_from(r),
                None => r.stored.clear(),
            },
        ));
    let fetched = started.elapsed();
    let mut ok = true;
    let mut new_items = 0;
    for r in &reports {
        ok &= !r.result.is_failure();
        if let crate::refresh::RefreshResult::New(n) = r.result {
            new_items += n;
        }
        println!("{r}");
    }
    match pipeline {
        Some(p) => {
            let placed = p.finish()?;
            tracing::info!(items = placed, "new items placed into stories");
        }
        None if new_items > 0 => tracing::info!(
            items = new_items,
            "new items stored; they are placed into stories by the next `aiwire digest`, \
             `explain`, `story`, `run` or `fetch --cluster`"
        ),
        None => {}
    }
    tracing::info!(
        feeds = reports.len(),
        open_sync_ms = synced.as_millis() as u64,
        refresh_ms = (fetched - synced).as_millis() as u64,
        store_lock_ms = deps.store_time().as_millis() as u64,
        store_writes = deps.store_writes(),
        cluster_tail_ms = (started.elapsed() - fetched).as_millis() as u64,
        "fetch cycle timing"
    );
    Ok(ok)
}
