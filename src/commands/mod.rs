//! One module per subcommand that touches the store; each reads top to bottom.

pub mod check;
pub mod digest;
pub mod feeds;
pub mod fetch;
pub mod run;
pub mod story;

use std::sync::{Arc, Mutex};

use anyhow::Context;

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
    Ok(Deps {
        fetcher: Fetcher::new(&config.fetch)?,
        store,
        tagger,
        config,
    })
}

/// A current-thread tokio runtime for one-shot commands.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
