//! Shared harness of the fetch integration tests: a config with the given `[fetch]` keys and
//! feeds, an in-memory store, and the real fetcher; plus fixtures and small assertions.

#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use aiwire::config::Config;
use aiwire::fetch::{Fetcher, HostOverrides};
use aiwire::refresh::{Deps, RefreshResult, refresh_feed};
use aiwire::store::{FeedRow, FetchLogEntry, Store};
use aiwire::tag::Tagger;
use chrono::{DateTime, TimeZone, Utc};

use super::Reply;

pub const THREE: &str = include_str!("../fixtures/fetch/three-items.xml");
pub const FOUR: &str = include_str!("../fixtures/fetch/four-items.xml");
pub const HTML: &str = include_str!("../fixtures/fetch/html-page.html");
pub const PRIVATE_OK: &str = "allow_private_addresses = true";

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

pub struct Env {
    pub deps: Deps,
}

impl Env {
    pub fn new(feeds: &[String], fetch_toml: &str) -> Env {
        Env::with_overrides(feeds, fetch_toml, HostOverrides::default())
    }

    pub fn with_overrides(feeds: &[String], fetch_toml: &str, overrides: HostOverrides) -> Env {
        let mut text = format!(
            "[fetch]\n{fetch_toml}\n\n[mail]\ntransport = \"file\"\ndir = \"/tmp\"\nfrom = \"a@b.c\"\n"
        );
        for f in feeds {
            text.push_str(&format!("\n[[feed]]\nurl = \"{f}\"\n"));
        }
        let config = Config::from_str(&text, Path::new("/tmp/aiwire-fetch-test.toml")).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        store.sync_feeds(&config.feeds, now()).unwrap();
        let deps = Deps::new(
            Arc::new(Mutex::new(store)),
            Fetcher::with_overrides(&config.fetch, overrides).unwrap(),
            Arc::new(Tagger::builtin().unwrap()),
            Arc::new(config),
        )
        .unwrap();
        Env { deps }
    }

    pub fn feed(&self, i: usize) -> FeedRow {
        self.deps.store.lock().unwrap().feeds().unwrap()[i].clone()
    }

    pub async fn refresh(&self, i: usize, at: DateTime<Utc>) -> RefreshResult {
        refresh_feed(&self.deps, &self.feed(i), at).await.result
    }

    pub fn log(&self, i: usize) -> Vec<FetchLogEntry> {
        let id = self.feed(i).id;
        self.deps.store.lock().unwrap().fetch_log(id, 100).unwrap()
    }
}

pub fn failed(r: &RefreshResult) -> &str {
    match r {
        RefreshResult::Failed(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// 200 with validators, then 304 when they come back.
pub fn conditional(body: &'static str, etag: &'static str) -> impl Fn(&super::Request) -> Reply {
    move |req| {
        if req.header("if-none-match") == Some(etag) {
            return Reply::status(304).header("ETag", etag);
        }
        Reply::ok(body)
            .header("Content-Type", "application/rss+xml; charset=utf-8")
            .header("ETag", etag)
            .header("Last-Modified", "Sun, 01 Mar 2026 11:00:00 GMT")
    }
}
