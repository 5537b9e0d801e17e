//! The optional HTTP listener (off unless `[http] listen` is set; meant for 127.0.0.1):
//! `/healthz` (store reachable, scheduler alive), `/metrics` (Prometheus text) and
//! `/stories.atom` (the deduplicated story stream as Atom, filterable). It reads through a
//! connection of its own, on blocking threads, so a slow scrape never holds up the writer.

pub mod atom;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use tokio::sync::watch;

use crate::config::Config;
use crate::daemon::Shared;
use crate::daemon::metrics::StoreGauges;
use crate::store::{Store, StoryFilter};

/// Most entries `/stories.atom` returns, whatever `limit` asks for.
const MAX_ENTRIES: usize = 500;
const DEFAULT_ENTRIES: usize = 50;

#[derive(Clone)]
struct AppState {
    reader: Arc<Mutex<Store>>,
    shared: Arc<Shared>,
    base_url: String,
}

/// Binds `addr`, then serves until `shutdown` turns true. Binding errors surface at start-up.
pub async fn start(
    addr: SocketAddr,
    config: &Config,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, "The HTTP listener is not on a loopback address; it has no authentication.");
    }
    let reader = Store::open(&config.store.path).context("cannot open a reader connection")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    tracing::info!(addr = %bound, "HTTP listener up: /healthz /metrics /stories.atom");
    let state = AppState {
        reader: Arc::new(Mutex::new(reader)),
        shared,
        base_url: format!("http://{bound}"),
    };
    Ok(tokio::spawn(async move {
        let stop = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(e) = axum::serve(listener, router(state))
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(error = %e, "HTTP listener failed");
        }
    }))
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/stories.atom", get(stories_atom))
        .with_state(state)
}

/// Runs a store read on a blocking thread.
async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let reader = state.reader.clone();
    tokio::task::spawn_blocking(move || {
        let store = reader.lock().unwrap_or_else(|p| p.into_inner());
        f(&store)
    })
    .await?
}

/// 503 with the store's error, for every endpoint that reads the store.
fn store_unreachable(e: &anyhow::Error) -> Response {
    let body = format!("store unreachable: {e:#}\n");
    (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    if let Err(e) = read(&state, |s| s.schema_version()).await {
        return store_unreachable(&e);
    }
    match state.shared.liveness.check() {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(stalled) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("scheduler stalled: {stalled}\n"),
        )
            .into_response(),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let gauges = read(&state, |s| {
        let (digests_sent, digests_failed) = s.digest_counts()?;
        Ok(StoreGauges {
            feeds_by_state: s.feed_state_counts()?,
            items: s.item_total()?,
            stories: s.story_total()?,
            digests_sent,
            digests_failed,
            database_bytes: s.size_bytes()?,
        })
    })
    .await;
    match gauges {
        Ok(gauges) => {
            let alive = state.shared.liveness.check().is_ok();
            let body = state.shared.metrics.render(&gauges, alive);
            (
                [(
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                body,
            )
                .into_response()
        }
        Err(e) => store_unreachable(&e),
    }
}

/// Query parameters of `/stories.atom`.
#[derive(Debug, Default, Deserialize)]
struct AtomQuery {
    company: Option<String>,
    model: Option<String>,
    person: Option<String>,
    min_sources: Option<u32>,
    limit: Option<usize>,
}

async fn stories_atom(
    State(state): State<AppState>,
    Query(q): Query<AtomQuery>,
    uri: axum::http::Uri,
) -> Response {
    let filter = StoryFilter {
        company: q.company.filter(|s| !s.is_empty()),
        model: q.model.filter(|s| !s.is_empty()),
        person: q.person.filter(|s| !s.is_empty()),
        min_sources: q.min_sources.unwrap_or(1),
    };
    let limit = q.limit.unwrap_or(DEFAULT_ENTRIES).clamp(1, MAX_ENTRIES);
    let self_url = format!("{}{}", state.base_url, uri);
    let filter_for_title = filter.clone();
    let stories = read(&state, move |s| {
        let headers = s.recent_stories(&filter, limit)?;
        let ids: Vec<i64> = headers.iter().map(|h| h.story).collect();
        let items = s.items_of_stories(&ids)?;
        Ok(atom::group(headers, items))
    })
    .await;
    match stories {
        Ok(stories) => {
            let body = atom::render(&stories, &filter_for_title, &self_url, chrono::Utc::now());
            (
                [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
                body,
            )
                .into_response()
        }
        Err(e) => store_unreachable(&e),
    }
}
