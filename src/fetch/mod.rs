//! Fetching feed documents over HTTP(S) and from local files: the only reqwest user.
//!
//! Returns raw bytes (the parser decides the encoding) or a classified outcome; never parses
//! and never writes the store. Scheduling rules are pure functions in [`policy`], address
//! filtering is [`safety`], per-host limits are [`hosts`], the HTTP exchange is `client`.

mod client;
mod file;
pub mod hosts;
pub mod policy;
pub mod safety;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::FetchConfig;
pub use policy::CacheHints;
pub use safety::{HostOverrides, Refusal};

/// The default User-Agent: names aiwire, its version and project URL.
pub fn default_user_agent() -> String {
    format!(
        "aiwire/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// What to fetch, with the validators to send (none for a forced full fetch).
#[derive(Debug, Clone)]
pub struct FetchRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Per-feed User-Agent override.
    pub user_agent: Option<String>,
    /// The time of the attempt (for Retry-After dates and host pauses).
    pub now: DateTime<Utc>,
}

/// A body that arrived (2xx).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Raw bytes after content decoding (gzip, br, deflate), never re-encoded.
    pub body: Vec<u8>,
    pub final_url: String,
    pub status: u16,
    /// The charset parameter of `Content-Type`, a hint for the parser.
    pub charset: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub hints: CacheHints,
}

/// How one attempt ended.
#[derive(Debug)]
pub enum FetchOutcome {
    Fetched(Fetched),
    /// 304: the stored copy is current. Validators are updated when the server sent new ones.
    NotModified {
        hints: CacheHints,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    /// 410: the publisher removed the feed.
    Gone,
    /// 429, or 503 with Retry-After.
    RateLimited {
        status: u16,
        retry_after: Option<chrono::Duration>,
    },
    /// No request was made: the host is paused after repeated 429s.
    HostPaused {
        until: DateTime<Utc>,
    },
    Failed(FetchError),
}

/// One attempt: the outcome plus what the fetch log records.
#[derive(Debug)]
pub struct Attempt {
    pub outcome: FetchOutcome,
    /// Status of the last response, if one arrived.
    pub status: Option<u16>,
    /// Body bytes received (after decoding).
    pub bytes: u64,
    pub duration: Duration,
    /// Where a leading chain of permanent redirects (301/308) from the request URL led.
    pub moved_to: Option<String>,
}

/// Why an attempt failed. Messages are written for the operator reading `aiwire feeds list`.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("bad URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("{url}: {refusal}")]
    Refused { url: String, refusal: Refusal },
    #[error("{url} answered {status}")]
    Status { url: String, status: u16 },
    #[error("{url} timed out ({detail})")]
    Timeout { url: String, detail: String },
    #[error("cannot connect to {url}: {detail}")]
    Connect { url: String, detail: String },
    #[error("network error reading {url}: {detail}")]
    Network { url: String, detail: String },
    #[error("{url}: body exceeds the limit of {limit} bytes (counted after decompression)")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },
    #[error("{url}: redirect loop")]
    RedirectLoop { url: String },
    #[error("{url} answered {status} without a usable Location header")]
    BadRedirect { url: String, status: u16 },
    #[error("cannot read {path}: {detail}")]
    File { path: String, detail: String },
}

impl FetchError {
    pub fn is_timeout(&self) -> bool {
        matches!(self, FetchError::Timeout { .. })
    }
}

/// The limits the client enforces, copied out of the config.
#[derive(Debug, Clone)]
struct Limits {
    max_body: u64,
    max_redirects: usize,
    allow_private: bool,
    timeout: Duration,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    limits: Limits,
    hosts: hosts::Hosts,
}

/// A configured fetcher; cheap to clone (clones share connections and per-host state).
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> anyhow::Result<Fetcher> {
        Fetcher::with_overrides(cfg, HostOverrides::default())
    }

    /// A fetcher whose resolver answers some names itself (for tests: made-up names that
    /// point at a 127.0.0.1 server; see [`HostOverrides`]).
    pub fn with_overrides(cfg: &FetchConfig, overrides: HostOverrides) -> anyhow::Result<Fetcher> {
        let resolver = safety::SafeResolver::new(cfg.allow_private_addresses, overrides);
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone().unwrap_or_else(default_user_agent))
            .connect_timeout(cfg.connect_timeout.as_std())
            .timeout(cfg.timeout.as_std())
            // Redirects are followed by `client` itself, so every hop is checked and seen.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the feed's host itself, out of reach of the address check.
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .pool_max_idle_per_host(cfg.per_host_concurrency.max(1))
            .build()?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                limits: Limits {
                    max_body: cfg.max_body_bytes,
                    max_redirects: cfg.max_redirects,
                    allow_private: cfg.allow_private_addresses,
                    timeout: cfg.timeout.as_std(),
                },
                hosts: hosts::Hosts::new(cfg.per_host_concurrency, cfg.max_backoff.as_chrono()),
            }),
        })
    }

    /// Fetches one document. Never panics and never returns early with `Err`: every failure
    /// is an [`Attempt`] whose outcome says what happened.
    pub async fn fetch(&self, req: &FetchRequest) -> Attempt {
        let start = Instant::now();
        let mut attempt = match url::Url::parse(&req.url) {
            Err(e) => Attempt::failed(
                FetchError::BadUrl {
                    url: req.url.clone(),
                    reason: e.to_string(),
                },
                None,
            ),
            Ok(url) if url.scheme() == "file" => {
                file::fetch(&url, req, self.inner.limits.max_body).await
            }
            Ok(url) => client::fetch(&self.inner, url, req).await,
        };
        attempt.duration = start.elapsed();
        attempt
    }
}

impl Attempt {
    fn new(outcome: FetchOutcome, status: Option<u16>) -> Attempt {
        Attempt {
            outcome,
            status,
            bytes: 0,
            duration: Duration::ZERO,
            moved_to: None,
        }
    }

    fn failed(error: FetchError, status: Option<u16>) -> Attempt {
        Attempt::new(FetchOutcome::Failed(error), status)
    }
}

/// Whether a body looks like an HTML page (after a BOM, whitespace and comments), used to
/// explain a parse failure: "this URL is a web page, not a feed".
pub fn looks_like_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with("<!doctype html")
        || t.starts_with("<html")
        || (t.contains("<html")
            && !t.contains("<rss")
            && !t.contains("<feed")
            && !t.contains("<rdf"))
}
