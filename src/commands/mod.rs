//! One module per subcommand that touches the store; each reads top to bottom.

pub mod check;
pub mod digest;
pub mod feeds;
pub mod fetch;
pub mod run;
pub mod story;

use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::Utc;

use crate::assign::Placer;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::refresh::Deps;
use crate::store::Store;
use crate::tag::Tagger;

/// Opens the store named by the config.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(&config.store.path).with_context(|| {
        format!(
            "[store] path = {:?} in {}",
            config.store.path,
            config.source.display()
        )
    })
}

/// Everything a fetch cycle needs.
pub fn deps(
    config: Arc<Config>,
    store: Arc<Mutex<Store>>,
    tagger: Arc<Tagger>,
) -> anyhow::Result<Deps> {
    Deps::new(store, Fetcher::new(&config.fetch)?, tagger, config)
}

/// Places the items stored but not yet in a story (what `aiwire fetch` leaves), so a command
/// that shows stories shows them current. Skipped while another aiwire process holds the
/// database (a daemon places them itself; an `aiwire fetch` leaves them to whatever runs
/// next): clustering in two processes at once could give one event two stories.
pub fn place_pending_if_idle(store: &Mutex<Store>, config: &Config) -> anyhow::Result<()> {
    let Ok(_lock) = crate::store::lock(store).lock_for_daemon() else {
        return Ok(());
    };
    place_pending(store, config)
}

/// The store named by the config, with the items `aiwire fetch` left unplaced placed first
/// (see [`place_pending_if_idle`]), so what a command shows or corrects is current.
pub fn open_placed_store(config: &Config) -> anyhow::Result<Store> {
    let store = Mutex::new(open_store(config)?);
    place_pending_if_idle(&store, config)?;
    Ok(store.into_inner().unwrap_or_else(|p| p.into_inner()))
}

/// [`place_pending_if_idle`] for a caller that already holds the daemon lock.
pub fn place_pending(store: &Mutex<Store>, config: &Config) -> anyhow::Result<()> {
    let placed = Placer::new(config.cluster.clone(), Utc::now()).place_pending(store)?;
    if placed > 0 {
        tracing::info!(items = placed, "placed pending items into stories");
    }
    Ok(())
}

/// Threads for blocking work (parsing and tagging a feed, SQLite reads, DNS lookups; a fetch
/// cycle's writes run on the refreshes' writer thread). More threads than this only add
/// stacks and malloc arenas: tokio's default of 512 let a 1,000-feed cycle start about 25.
const BLOCKING_THREADS: usize = 8;

/// The tokio runtime of every command, the daemon included: two workers (fetching is I/O).
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()?)
}
