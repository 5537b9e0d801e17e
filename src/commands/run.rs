//! `aiwire run [--once]`: one full cycle now, or the daemon (which lives in [`crate::daemon`]:
//! scheduler loops, signals, reloads, systemd notify, upkeep, the HTTP listener).

use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::Utc;

use crate::assign::Pipeline;
use crate::config::Config;
use crate::mail::Mailer;
use crate::refresh::refresh_feeds_observed;
use crate::send_digest::{deliver_pending, record_run};
use crate::tag::Tagger;

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
    let pipeline = Pipeline::start(store.clone(), config.cluster.clone(), now);
    let reports = rt.block_on(refresh_feeds_observed(&deps, feeds, now, |r| {
        pipeline.take_from(r)
    }));
    let placed = pipeline.finish()?;
    for r in &reports {
        println!("{r}");
    }
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

/// The daemon: see [`crate::daemon`].
pub fn daemon(config_path: &Path, config: Arc<Config>, tagger: Arc<Tagger>) -> anyhow::Result<()> {
    crate::daemon::run(config_path, config, tagger)
}
