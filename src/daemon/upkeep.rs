//! Daily database upkeep: prune items past `[retention] items` (their keys stay as tombstones
//! so they never return as new) and fetch-log lines past `[fetch] log_retention`, then
//! `PRAGMA optimize` and an incremental vacuum. Runs on a blocking thread, first a few
//! minutes after start so it does not compete with the first fetch cycle.

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::{Generation, Shared, lock};
use crate::config::Config;
use crate::store::{Store, VacuumMode};

const FIRST_PASS_AFTER: StdDuration = StdDuration::from_secs(300);
const EVERY: StdDuration = StdDuration::from_secs(24 * 3600);

/// Runs until `shutdown` turns true.
pub async fn run(
    shared: Arc<Shared>,
    generation: watch::Receiver<Arc<Generation>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut wait = FIRST_PASS_AFTER;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        let config = generation.borrow().config.clone();
        let store = shared.store.clone();
        let result = tokio::task::spawn_blocking(move || pass(&store, &config, Utc::now())).await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "database upkeep failed"),
            Err(e) => tracing::error!(error = %e, "database upkeep panicked"),
        }
        wait = EVERY;
    }
}

/// One upkeep pass.
pub fn pass(store: &Mutex<Store>, config: &Config, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut store = lock(store);
    let items_before = now - config.retention.items.as_chrono();
    let log_before = now - config.fetch.log_retention.as_chrono();
    let pruned = store.prune(items_before, log_before, now)?;
    if store.ensure_incremental_vacuum()? == VacuumMode::ConvertedNow {
        tracing::info!("Database converted to incremental vacuum (one full VACUUM).");
    }
    let free_before = store.free_pages()?;
    store.optimize()?;
    tracing::info!(
        items = pruned.items,
        fetch_log = pruned.fetch_log,
        stories = pruned.stories,
        freed_pages = free_before,
        bytes = store.size_bytes()?,
        "Database upkeep done."
    );
    Ok(())
}
