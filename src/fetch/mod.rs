//! HTTP and file fetching of feed documents: the only reqwest user.
//!
//! Returns raw bytes (the parser decides the encoding) or a classified failure; never parses.

use std::time::{Duration, Instant};

use crate::config::FetchConfig;

/// The default User-Agent: names aiwire, its version and project URL.
pub fn default_user_agent() -> String {
    format!(
        "aiwire/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// What to fetch, with the validators from the last successful fetch.
#[derive(Debug, Clone, Default)]
pub struct FetchRequest {
    pub url: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub user_agent: Option<String>,
}

/// A body that arrived.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub final_url: String,
    pub status: u16,
    pub charset: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// The result of one attempt.
#[derive(Debug, Clone)]
pub enum FetchOutcome {
    Fetched(Fetched),
    NotModified,
    Failed { status: Option<u16>, error: String },
}

/// A configured HTTP client.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_body: u64,
}

impl Fetcher {
    pub fn new(cfg: &FetchConfig) -> anyhow::Result<Fetcher> {
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone().unwrap_or_else(default_user_agent))
            .connect_timeout(cfg.connect_timeout.as_std())
            .timeout(cfg.timeout.as_std())
            .redirect(reqwest::redirect::Policy::limited(cfg.max_redirects))
            .build()?;
        Ok(Fetcher {
            client,
            max_body: cfg.max_body_bytes,
        })
    }

    /// Fetches one document; `duration` of the attempt is returned beside the outcome.
    pub async fn fetch(&self, req: &FetchRequest) -> (FetchOutcome, Duration) {
        let start = Instant::now();
        let outcome = self.fetch_inner(req).await;
        (outcome, start.elapsed())
    }

    async fn fetch_inner(&self, req: &FetchRequest) -> FetchOutcome {
        let url = match url::Url::parse(&req.url) {
            Ok(u) => u,
            Err(e) => {
                return FetchOutcome::Failed {
                    status: None,
                    error: format!("bad URL {}: {e}", req.url),
                };
            }
        };
        if url.scheme() == "file" {
            let path = match url.to_file_path() {
                Ok(p) => p,
                Err(()) => {
                    return FetchOutcome::Failed {
                        status: None,
                        error: format!("bad file URL {url}"),
                    };
                }
            };
            return match tokio::fs::read(&path).await {
                Ok(body) => FetchOutcome::Fetched(Fetched {
                    body,
                    final_url: req.url.clone(),
                    status: 200,
                    charset: None,
                    etag: None,
                    last_modified: None,
                }),
                Err(e) => FetchOutcome::Failed {
                    status: None,
                    error: format!("cannot read {}: {e}", path.display()),
                },
            };
        }
        let mut rb = self.client.get(url);
        if let Some(ua) = &req.user_agent {
            rb = rb.header(reqwest::header::USER_AGENT, ua);
        }
        if let Some(e) = &req.etag {
            rb = rb.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(l) = &req.last_modified {
            rb = rb.header(reqwest::header::IF_MODIFIED_SINCE, l);
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                return FetchOutcome::Failed {
                    status: None,
                    error: format!("{e:#}"),
                };
            }
        };
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return FetchOutcome::NotModified;
        }
        if !status.is_success() {
            return FetchOutcome::Failed {
                status: Some(status.as_u16()),
                error: format!("server answered {status}"),
            };
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let charset = header(reqwest::header::CONTENT_TYPE).and_then(|ct| {
            ct.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix("charset=")
                    .map(|c| c.trim_matches('"').to_string())
            })
        });
        let final_url = resp.url().to_string();
        let mut body = Vec::new();
        let mut resp = resp;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    body.extend_from_slice(&chunk);
                    if body.len() as u64 > self.max_body {
                        return FetchOutcome::Failed {
                            status: Some(status.as_u16()),
                            error: format!("body exceeds {} bytes", self.max_body),
                        };
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return FetchOutcome::Failed {
                        status: Some(status.as_u16()),
                        error: format!("{e:#}"),
                    };
                }
            }
        }
        FetchOutcome::Fetched(Fetched {
            body,
            final_url,
            status: status.as_u16(),
            charset,
            etag,
            last_modified,
        })
    }
}
