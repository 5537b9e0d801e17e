//! `aiwire run [--once]`: the daemon loop, or one full cycle. Feed polls and digest jobs run
//! side by side on one tokio runtime; SIGTERM/SIGINT stop after the current step, SIGHUP
//! reloads the config (a bad one is rejected and the old one kept); systemd is told READY,
//! STATUS and WATCHDOG when it is listening (a no-op elsewhere).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};

use crate::config::Config;
use crate::mail::Mailer;
use crate::refresh::refresh_feeds;
use crate::send_digest::{deliver_pending, record_run};
use crate::store::Store;
use crate::tag::Tagger;

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// One full cycle: fetch every feed, store, tag, cluster, deliver every digest with content.
pub fn once(config: Arc<Config>, tagger: Arc<Tagger>) -> anyhow::Result<()> {
    let mut store = super::open_store(&config)?;
    let _lock = store.lock_for_daemon()?;
    let now = Utc::now();
    let feeds: Vec<_> = store
        .sync_feeds(&config.feeds, now)?
        .into_iter()
        .filter(|f| f.state != crate::store::FeedState::Removed)
        .collect();
    let store = Arc::new(Mutex::new(store));
    let deps = super::deps(config.clone(), store.clone(), tagger)?;
    let rt = super::runtime()?;
    let reports = rt.block_on(refresh_feeds(&deps, feeds, now));
    for r in &reports {
        println!("{r}");
    }
    let placed = crate::assign::assign_pending(&mut lock(&store), &config.cluster, now)?;
    println!("{placed} new items placed into stories");
    let mailer = Mailer::from_config(&config)?;
    for def in &config.digests {
        record_run(&store, &config, def, now, None, now)?;
    }
    let report = rt.block_on(deliver_pending(&store, &mailer, &config, now))?;
    for f in &report.files {
        println!(
            "digest written to {} (HTML copy: {})",
            f.display(),
            f.with_extension("html").display()
        );
    }
    println!(
        "digests: {} sent, {} to retry, {} failed",
        report.sent, report.retrying, report.failed
    );
    Ok(())
}

/// The daemon.
pub fn daemon(config_path: &Path, config: Arc<Config>, tagger: Arc<Tagger>) -> anyhow::Result<()> {
    let rt = super::runtime()?;
    rt.block_on(daemon_loop(config_path, config, tagger))
}

fn notify(states: &[sd_notify::NotifyState<'_>]) {
    let _ = sd_notify::notify(states);
}

async fn daemon_loop(
    config_path: &Path,
    mut config: Arc<Config>,
    mut tagger: Arc<Tagger>,
) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut store = super::open_store(&config)?;
    let _lock = store.lock_for_daemon()?;
    store.sync_feeds(&config.feeds, Utc::now())?;
    let mut next_digest = crate::send_digest::plan(&store, &config, Utc::now())?;
    let store = Arc::new(Mutex::new(store));
    let mut deps = super::deps(config.clone(), store.clone(), tagger.clone())?;
    let mut mailer = Mailer::from_config(&config)?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    let watchdog = sd_notify::watchdog_enabled().map(|d| d / 2);
    let mut last_maintenance: Option<DateTime<Utc>> = None;
    tracing::info!(
        feeds = config.feeds.len(),
        digests = config.digests.len(),
        "aiwire started"
    );
    notify(&[
        sd_notify::NotifyState::Ready,
        sd_notify::NotifyState::Status(&format!("{} feeds", config.feeds.len())),
    ]);
    loop {
        let now = Utc::now();
        // Feeds whose time has come.
        let due = lock(&store).due_feeds(now)?;
        if !due.is_empty() {
            let reports = refresh_feeds(&deps, due, now).await;
            let failed = reports
                .iter()
                .filter(|r| matches!(r.result, crate::refresh::RefreshResult::Failed(_)))
                .count();
            let placed =
                crate::assign::assign_pending(&mut lock(&store), &config.cluster, Utc::now())?;
            tracing::info!(feeds = reports.len(), failed, placed, "fetch cycle done");
        }
        // Digests whose time has come: record the run (once per scheduled time), then deliver.
        crate::send_digest::record_due_runs(&store, &config, &mut next_digest, Utc::now());
        match deliver_pending(&store, &mailer, &config, Utc::now()).await {
            Ok(r) if r.sent + r.retrying + r.failed > 0 => tracing::info!(
                sent = r.sent,
                retrying = r.retrying,
                failed = r.failed,
                "digest deliveries"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %format!("{e:#}"), "digest delivery pass failed"),
        }
        // Daily upkeep.
        if last_maintenance.is_none_or(|t| Utc::now() - t > Duration::hours(24)) {
            let now = Utc::now();
            let mut s = lock(&store);
            match s.prune(
                now - config.retention.items.as_chrono(),
                now - config.fetch.log_retention.as_chrono(),
                now,
            ) {
                Ok(r) => tracing::info!(
                    items = r.items,
                    fetch_log = r.fetch_log,
                    stories = r.stories,
                    "retention pass"
                ),
                Err(e) => tracing::error!(error = %format!("{e:#}"), "retention pass failed"),
            }
            let _ = s.optimize();
            last_maintenance = Some(now);
        }
        // Sleep until the next feed or digest is due (at most a minute), or a signal.
        let next_feed = lock(&store).next_fetch_at()?;
        let wake = next_digest
            .values()
            .copied()
            .chain(next_feed)
            .min()
            .unwrap_or(Utc::now() + Duration::minutes(1));
        let wait = (wake - Utc::now())
            .to_std()
            .unwrap_or(StdDuration::ZERO)
            .clamp(StdDuration::from_millis(200), StdDuration::from_secs(60));
        let wait = watchdog.map_or(wait, |w| wait.min(w));
        let status = format!(
            "{} feeds; next digest {}",
            config.feeds.len(),
            next_digest
                .values()
                .min()
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "none".into())
        );
        notify(&[
            sd_notify::NotifyState::Watchdog,
            sd_notify::NotifyState::Status(&status),
        ]);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = term.recv() => { tracing::info!("SIGTERM: shutting down"); break; }
            _ = int.recv() => { tracing::info!("SIGINT: shutting down"); break; }
            _ = hup.recv() => {
                notify(&[sd_notify::NotifyState::Reloading]);
                match reload(config_path) {
                    Ok((c, t)) => {
                        config = Arc::new(c);
                        tagger = Arc::new(t);
                        lock(&store).sync_feeds(&config.feeds, Utc::now())?;
                        next_digest = crate::send_digest::plan(&lock(&store), &config, Utc::now())?;
                        deps = super::deps(config.clone(), store.clone(), tagger.clone())?;
                        mailer = Mailer::from_config(&config)?;
                        tracing::info!(feeds = config.feeds.len(), digests = config.digests.len(), "config reloaded");
                    }
                    Err(e) => tracing::error!(error = %format!("{e:#}"), "new config rejected; keeping the old one"),
                }
                notify(&[sd_notify::NotifyState::Ready]);
            }
        }
    }
    notify(&[sd_notify::NotifyState::Stopping]);
    let s = lock(&store);
    let _ = s.optimize();
    tracing::info!("aiwire stopped");
    Ok(())
}

fn reload(path: &Path) -> anyhow::Result<(Config, Tagger)> {
    let config = Config::load(path)?;
    let tagger = Tagger::load(&config.tag.taxonomy)?;
    Ok((config, tagger))
}
