//! The digest loop: record a run for every digest whose fire time has come, deliver whatever
//! is pending (including retries), then sleep until the next fire time, a reload (which
//! reschedules every digest) or shutdown. Planning and delivery are `send_digest`'s; this
//! loop only decides when to call them.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::liveness::{Loop, wait_until};
use super::{Generation, Shared, lock};
use crate::send_digest::{
    PLACEMENT_GRACE, Unrecorded, deliver_pending_remembering, plan, record_due_runs_settled,
};

/// How often a due digest waiting for refreshes to store and place their items looks again.
const SETTLE_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs until `shutdown` turns true.
pub async fn run(
    shared: Arc<Shared>,
    mut generation: watch::Receiver<Arc<Generation>>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut current = generation.borrow_and_update().clone();
    let mut next = schedule(&shared, &current);
    let mut reloaded = false;
    // Accepted deliveries the store could not record yet: recorded, never sent again.
    let mut unrecorded = Unrecorded::default();
    loop {
        shared.liveness.beat(Loop::Digest);
        if *shutdown.borrow() {
            break;
        }
        // `changed()` below marks the new value seen, hence the flag beside `has_changed`.
        if reloaded || generation.has_changed().unwrap_or(false) {
            current = generation.borrow_and_update().clone();
            next = schedule(&shared, &current);
            reloaded = false;
        }
        tokio::task::block_in_place(|| {
            let now = Utc::now();
            let running = shared.in_flight.oldest_since(now - PLACEMENT_GRACE);
            record_due_runs_settled(&shared.store, &current.config, &mut next, now, running)
        });
        publish_next(&shared, &next);
        let pass = deliver_pending_remembering(
            &shared.store,
            &current.mailer,
            &current.config,
            Utc::now(),
            &mut unrecorded,
            || shared.liveness.beat(Loop::Digest),
        );
        match pass.await {
            Ok(r) if r.sent + r.retrying + r.failed > 0 => tracing::info!(
                sent = r.sent,
                retrying = r.retrying,
                failed = r.failed,
                "Digest deliveries done."
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "digest delivery pass failed"),
        }
        // A fire time that has come but waits for refreshes to settle is looked at again in a
        // moment, not in a tight loop.
        let now = Utc::now();
        let wait = match next.values().min().copied() {
            Some(t) if t <= now => SETTLE_POLL,
            soonest => wait_until(soonest, now),
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            changed = generation.changed() => match changed {
                Ok(()) => reloaded = true,
                Err(_) => break,
            },
            _ = shutdown.changed() => {}
        }
    }
    tracing::debug!("digest loop stopped");
}

/// Next fire time of every digest of this config (a reload reschedules them all).
fn schedule(shared: &Shared, current: &Generation) -> HashMap<String, DateTime<Utc>> {
    let planned = plan(&lock(&shared.store), &current.config, Utc::now());
    let next = planned.unwrap_or_else(|e| {
        tracing::error!(error = %format!("{e:#}"), "cannot plan digests; none will be sent until a reload");
        HashMap::new()
    });
    for (name, at) in &next {
        tracing::info!(digest = %name, next = %at.to_rfc3339(), "Digest scheduled.");
    }
    publish_next(shared, &next);
    next
}

fn publish_next(shared: &Shared, next: &HashMap<String, DateTime<Utc>>) {
    let soonest = next
        .iter()
        .min_by_key(|(_, at)| **at)
        .map(|(name, at)| (name.clone(), *at));
    *shared.next_digest.lock().unwrap_or_else(|p| p.into_inner()) = soonest;
}
