//! `aiwire run`: the daemon. One tokio runtime; a supervisor owns signals, config reloads,
//! the systemd notify protocol and shutdown, and runs the feed-poll loop, the digest loop,
//! the daily upkeep and the optional HTTP listener side by side.
//!
//! SIGTERM/SIGINT: no new work starts, in-flight fetches and deliveries get [`SHUTDOWN_GRACE`]
//! to finish, then the refreshes' queued store writes are run, the WAL is checkpointed and the
//! database closed. SIGHUP: the config is loaded and checked off to the side; only a config
//! that loads, validates and builds its fetcher and mailer replaces the running one (feeds
//! synced, digests rescheduled).
//! The store mutex is never held across an `.await`.

pub mod digest_loop;
pub mod fetch_loop;
pub mod in_flight;
pub mod liveness;
pub mod metrics;
pub mod notify;
pub mod upkeep;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::config::Config;
use crate::mail::Mailer;
use crate::refresh::Deps;
use crate::store::Store;
use crate::tag::Tagger;

use liveness::{BEAT_EVERY, Liveness};
use metrics::{Metrics, ReloadOutcome};

/// How long in-flight work may run after SIGTERM (the unit's TimeoutStopSec is 30 s).
pub const SHUTDOWN_GRACE: StdDuration = StdDuration::from_secs(20);

/// State every task of the daemon shares.
#[derive(Debug)]
pub struct Shared {
    /// The writer connection. Lock it only in plain (non-async) code.
    pub store: Arc<Mutex<Store>>,
    pub metrics: Metrics,
    pub liveness: Liveness,
    /// The digest that fires next, for the status line.
    pub next_digest: Mutex<Option<(String, DateTime<Utc>)>>,
    /// Refreshes running now, for the digest loop (see [`in_flight`]).
    pub in_flight: in_flight::InFlight,
}

/// One accepted config and what was built from it; replaced whole on reload.
pub struct Generation {
    pub config: Arc<Config>,
    pub deps: Arc<Deps>,
    pub mailer: Arc<Mailer>,
}

impl Generation {
    /// Builds the fetcher and mailer of a config; fails without side effects on the store.
    fn build(
        config: Arc<Config>,
        tagger: Arc<Tagger>,
        store: &Arc<Mutex<Store>>,
    ) -> anyhow::Result<Generation> {
        let deps = crate::commands::deps(config.clone(), store.clone(), tagger)?;
        let mailer = Mailer::from_config(&config).context("cannot set up the mail transport")?;
        Ok(Generation {
            config,
            deps: Arc::new(deps),
            mailer: Arc::new(mailer),
        })
    }
}

pub(crate) use crate::store::lock;

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(config_path: &Path, config: Arc<Config>, tagger: Arc<Tagger>) -> anyhow::Result<()> {
    let started = Instant::now();
    let rt = crate::commands::runtime()?;
    let result = rt.block_on(supervise(config_path, config, tagger, started));
    // Blocking upkeep work, if any is still running, is not waited for beyond this.
    rt.shutdown_timeout(StdDuration::from_secs(2));
    result
}

async fn supervise(
    config_path: &Path,
    config: Arc<Config>,
    tagger: Arc<Tagger>,
    started: Instant,
) -> anyhow::Result<()> {
    // Signals first, so a SIGTERM during start-up is not lost.
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;

    let mut store = crate::commands::open_store(&config)?;
    let daemon_lock = store.lock_for_daemon()?;
    store.sync_feeds(&config.feeds, Utc::now())?;
    let metrics = Metrics::default();
    metrics.start_after(store.max_fetch_log_id()?);
    let shared = Arc::new(Shared {
        store: Arc::new(Mutex::new(store)),
        metrics,
        liveness: Liveness::default(),
        next_digest: Mutex::new(None),
        in_flight: in_flight::InFlight::default(),
    });
    // Items stored but not yet in a story (`aiwire fetch` leaves them; so does an interrupted
    // cycle) are placed before any loop starts: a digest due before the first fetch cycle
    // would otherwise leave them out of its period for good.
    if let Err(e) =
        tokio::task::block_in_place(|| crate::commands::place_pending(&shared.store, &config))
    {
        tracing::error!(error = %format!("{e:#}"), "placing pending items into stories failed; the next fetch cycle tries again");
    }
    let first = Generation::build(config.clone(), tagger, &shared.store)?;
    let (generation_tx, generation_rx) = watch::channel(Arc::new(first));
    let (stop_tx, stop_rx) = watch::channel(false);

    let http = match config.http.listen {
        Some(addr) => {
            let task = crate::http::start(addr, &config, shared.clone(), stop_rx.clone())
                .await
                .with_context(|| format!("[http] listen = \"{addr}\""))?;
            Some(task)
        }
        None => None,
    };
    let mut tasks = vec![
        tokio::spawn(fetch_loop::run(
            shared.clone(),
            generation_rx.clone(),
            stop_rx.clone(),
        )),
        tokio::spawn(digest_loop::run(
            shared.clone(),
            generation_rx.clone(),
            stop_rx.clone(),
        )),
        tokio::spawn(upkeep::run(shared.clone(), generation_rx, stop_rx)),
    ];
    tasks.extend(http);

    notify::ready(&status_line(&shared, &generation_tx.borrow().config));
    tracing::info!(
        feeds = config.feeds.len(),
        digests = config.digests.len(),
        start_ms = started.elapsed().as_millis() as u64,
        "aiwire ready."
    );

    let watchdog = notify::watchdog_interval();
    let mut tick = tokio::time::interval(watchdog.unwrap_or(BEAT_EVERY));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let status = status_line(&shared, &generation_tx.borrow().config);
                match shared.liveness.check() {
                    Ok(()) if watchdog.is_some() => notify::watchdog(&status),
                    Ok(()) => notify::status(&status),
                    Err(stalled) => tracing::error!(
                        reason = %stalled,
                        "Scheduler stalled; withholding the watchdog ping so systemd restarts aiwire."
                    ),
                }
            }
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down."); break; }
            _ = int.recv() => { tracing::info!("SIGINT: shutting down."); break; }
            _ = hup.recv() => {
                let outcome = reload(config_path, &shared, &generation_tx).await;
                shared.metrics.observe_reload(outcome);
            }
        }
    }

    notify::stopping();
    let _ = stop_tx.send(true);
    let deadline = tokio::time::Instant::now() + SHUTDOWN_GRACE;
    for task in tasks {
        let abort = task.abort_handle();
        if tokio::time::timeout_at(deadline, task).await.is_err() {
            tracing::warn!(
                grace_s = SHUTDOWN_GRACE.as_secs(),
                "Work still running after the shutdown grace period; abandoning it (it is retried at the next start)."
            );
            abort.abort();
        }
    }
    let deps = generation_tx.borrow().deps.clone();
    if let Err(e) = deps.flush_writes().await {
        tracing::warn!(error = %format!("{e:#}"), "finishing the queued store writes at shutdown failed");
    }
    {
        let mut store = lock(&shared.store);
        if let Err(e) = store.checkpoint() {
            tracing::warn!(error = %format!("{e:#}"), "WAL checkpoint at shutdown failed");
        }
    }
    drop(daemon_lock);
    tracing::info!("aiwire stopped.");
    Ok(())
}

/// Loads, checks and applies a new config; the old one stays on any failure.
async fn reload(
    path: &Path,
    shared: &Arc<Shared>,
    generation_tx: &watch::Sender<Arc<Generation>>,
) -> ReloadOutcome {
    notify::reloading();
    let current = generation_tx.borrow().config.clone();
    let outcome = match load_and_build(path.to_path_buf(), current.clone(), shared.clone()).await {
        Ok(next) => {
            tracing::info!(
                feeds = next.config.feeds.len(),
                digests = next.config.digests.len(),
                "Config reloaded."
            );
            generation_tx.send_replace(Arc::new(next));
            ReloadOutcome::Accepted
        }
        Err(e) => {
            tracing::error!(
                error = %format!("{e:#}"),
                "New config rejected; keeping the old one."
            );
            ReloadOutcome::Rejected
        }
    };
    notify::reloaded(&status_line(shared, &generation_tx.borrow().config));
    outcome
}

async fn load_and_build(
    path: PathBuf,
    current: Arc<Config>,
    shared: Arc<Shared>,
) -> anyhow::Result<Generation> {
    tokio::task::spawn_blocking(move || {
        let mut config = Config::load(&path)?;
        let tagger = Tagger::load(&config.tag.taxonomy)?;
        if config.store.path != current.store.path {
            tracing::warn!(
                old = %current.store.path.display(),
                new = %config.store.path.display(),
                "[store] path changes only with a restart; keeping the open database."
            );
            config.store.path = current.store.path.clone();
        }
        if config.http.listen != current.http.listen {
            tracing::warn!("[http] listen changes only with a restart; keeping the old listener.");
            config.http.listen = current.http.listen;
        }
        let next = Generation::build(Arc::new(config), Arc::new(tagger), &shared.store)?;
        // The only side effect, last: the feeds table follows the accepted config.
        lock(&shared.store).sync_feeds(&next.config.feeds, Utc::now())?;
        Ok(next)
    })
    .await?
}

/// The `STATUS=` line: feeds, the last cycle, the next digest.
fn status_line(shared: &Shared, config: &Config) -> String {
    let mut status = format!("{} feeds", config.feeds.len());
    match shared.metrics.last_cycle() {
        Some(c) => status.push_str(&format!(
            "; last cycle {}: {} polled, {} failed, {} new",
            c.finished_at.format("%H:%M:%SZ"),
            c.feeds,
            c.failed,
            c.new_items
        )),
        None => status.push_str("; first cycle running"),
    }
    let next = shared
        .next_digest
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    match next {
        Some((name, at)) => status.push_str(&format!(
            "; next digest {name} at {}",
            at.format("%Y-%m-%d %H:%MZ")
        )),
        None => status.push_str("; no digest scheduled"),
    }
    status
}
