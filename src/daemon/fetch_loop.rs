//! The feed-poll loop: refresh the feeds whose time has come, cluster what is new, count it,
//! then sleep until the next feed is due, a reload arrives or shutdown begins. On shutdown no
//! new fetch starts; the ones in flight finish (the supervisor bounds how long it waits).

use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::liveness::{Loop, wait_until};
use super::metrics::CycleSummary;
use super::{Generation, Shared, lock};
use crate::assign::Pipeline;
use crate::refresh::{RefreshResult, interleave_by_host, refresh_feed};
use crate::store::FeedRow;

/// Runs until `shutdown` turns true.
pub async fn run(
    shared: Arc<Shared>,
    mut generation: watch::Receiver<Arc<Generation>>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        shared.liveness.beat(Loop::Fetch);
        if *shutdown.borrow() {
            break;
        }
        let current = generation.borrow_and_update().clone();
        let due = lock(&shared.store).due_feeds(Utc::now());
        match due {
            Ok(due) if !due.is_empty() => cycle(&shared, &current, due, &shutdown).await,
            Ok(_) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "cannot read due feeds"),
        }
        if *shutdown.borrow() {
            break;
        }
        let next = lock(&shared.store).next_fetch_at().ok().flatten();
        tokio::select! {
            _ = tokio::time::sleep(wait_until(next, Utc::now())) => {}
            changed = generation.changed() => if changed.is_err() { break },
            _ = shutdown.changed() => {}
        }
    }
    tracing::debug!("fetch loop stopped");
}

/// One fetch cycle over the due feeds, bounded by `[fetch] concurrency`.
async fn cycle(
    shared: &Shared,
    current: &Generation,
    due: Vec<FeedRow>,
    shutdown: &watch::Receiver<bool>,
) {
    let limit = current.config.fetch.concurrency.max(1);
    let deps = &current.deps;
    // What a feed stores is clustered on the pipeline's thread while other feeds are fetched.
    let pipeline = Pipeline::start(
        shared.store.clone(),
        current.config.cluster.clone(),
        Utc::now(),
    );
    // `take_while` is polled only when a slot frees up, so after shutdown begins no new fetch
    // starts while the ones already running complete.
    let reports: Vec<_> = futures_util::stream::iter(interleave_by_host(due))
        .take_while(|_| std::future::ready(!*shutdown.borrow()))
        .map(|feed| async move {
            let now = Utc::now();
            // Until its items are stored, no digest whose fire time came after `now` fires.
            let _running = shared.in_flight.enter(now);
            refresh_feed(deps, &feed, now).await
        })
        .buffer_unordered(limit)
        .map(|mut report| {
            shared.liveness.beat(Loop::Fetch);
            tokio::task::block_in_place(|| pipeline.take_from(&mut report));
            report
        })
        .collect()
        .await;
    let failed = reports
        .iter()
        .filter(|r| matches!(r.result, RefreshResult::Failed(_)))
        .count();
    let new_items: usize = reports
        .iter()
        .map(|r| match r.result {
            RefreshResult::New(n) => n,
            _ => 0,
        })
        .sum();
    // Waiting for the last placements blocks: keep it off the async workers' backs.
    let placed = tokio::task::block_in_place(|| pipeline.finish()).unwrap_or_else(|e| {
        tracing::error!(error = %format!("{e:#}"), "cannot place new items into stories");
        0
    });
    let samples = {
        let store = lock(&shared.store);
        store.fetch_log_after(shared.metrics.last_fetch_log_id())
    };
    match samples {
        Ok(samples) => shared.metrics.observe_fetches(&samples),
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "cannot read the fetch log for metrics")
        }
    }
    shared.metrics.observe_cycle(CycleSummary {
        finished_at: Utc::now(),
        feeds: reports.len(),
        failed,
        new_items,
    });
    tracing::info!(
        feeds = reports.len(),
        failed,
        new_items,
        placed,
        "Fetch cycle done."
    );
}
