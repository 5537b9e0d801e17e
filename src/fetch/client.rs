//! The HTTP exchange of one attempt: follows redirects itself (each hop checked by
//! [`super::safety::check_url`], loops and over-long chains stopped, permanent moves noted),
//! holds a per-host slot per request, sends validators, reads the body under the cap and
//! turns the final status into a [`FetchOutcome`].

use reqwest::header::{self, HeaderMap};
use url::Url;

use super::policy::{self, CacheHints};
use super::safety::{self, Refusal};
use super::{Attempt, FetchError, FetchOutcome, FetchRequest, Fetched, Inner};

/// Feed types first; anything else is still accepted, since many servers mislabel feeds.
const ACCEPT_FEEDS: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8";

fn host_key(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

pub(super) async fn fetch(inner: &Inner, start: Url, req: &FetchRequest) -> Attempt {
    let limits = &inner.limits;
    if let Some(until) = inner.hosts.paused_until(&host_key(&start), req.now) {
        return outcome(FetchOutcome::HostPaused { until }, None);
    }
    let mut url = start;
    let mut seen: Vec<Url> = Vec::new();
    let mut moved_to: Option<String> = None;
    let mut permanent_so_far = true;
    for _hop in 0..=limits.max_redirects {
        if let Err(refusal) = safety::check_url(&url, limits.allow_private) {
            return failed(refused(&url, refusal), None, moved_to);
        }
        if seen.contains(&url) {
            return failed(FetchError::RedirectLoop { url: url.into() }, None, moved_to);
        }
        seen.push(url.clone());
        let host = host_key(&url);
        let slot = inner.hosts.acquire(&host).await;
        let resp = match request(inner, &url, req).send().await {
            Ok(resp) => resp,
            Err(e) => return failed(classify(&url, &e, inner), None, moved_to),
        };
        let status = resp.status().as_u16();
        if status != 429 {
            inner.hosts.note_answer(&host);
        }
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            drop(slot);
            let Some(next) = location(resp.headers(), &url) else {
                let err = FetchError::BadRedirect {
                    url: url.into(),
                    status,
                };
                return failed(err, Some(status), moved_to);
            };
            if permanent_so_far && matches!(status, 301 | 308) {
                moved_to = Some(next.to_string());
            } else {
                permanent_so_far = false;
            }
            url = next;
            continue;
        }
        let mut attempt = respond(inner, &host, url, resp, req).await;
        attempt.moved_to = moved_to;
        return attempt;
    }
    let err = FetchError::TooManyRedirects {
        url: url.into(),
        limit: limits.max_redirects,
    };
    failed(err, None, moved_to)
}

fn request(inner: &Inner, url: &Url, req: &FetchRequest) -> reqwest::RequestBuilder {
    let mut rb = inner
        .client
        .get(url.clone())
        .header(header::ACCEPT, ACCEPT_FEEDS);
    if let Some(ua) = &req.user_agent {
        rb = rb.header(header::USER_AGENT, ua);
    }
    if let Some(etag) = &req.etag {
        rb = rb.header(header::IF_NONE_MATCH, etag);
    }
    if let Some(lm) = &req.last_modified {
        rb = rb.header(header::IF_MODIFIED_SINCE, lm);
    }
    rb
}

fn location(headers: &HeaderMap, base: &Url) -> Option<Url> {
    let loc = headers.get(header::LOCATION)?.to_str().ok()?;
    base.join(loc.trim()).ok()
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn hints(headers: &HeaderMap, req: &FetchRequest) -> CacheHints {
    policy::cache_hints(
        text(headers, header::CACHE_CONTROL).as_deref(),
        text(headers, header::EXPIRES).as_deref(),
        text(headers, header::DATE).as_deref(),
        req.now,
    )
}

/// Turns the final (non-redirect) response into an outcome, reading the body for a 2xx.
async fn respond(
    inner: &Inner,
    host: &str,
    url: Url,
    mut resp: reqwest::Response,
    req: &FetchRequest,
) -> Attempt {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    match status {
        200..=299 => {}
        304 => {
            let o = FetchOutcome::NotModified {
                hints: hints(&headers, req),
                etag: text(&headers, header::ETAG),
                last_modified: text(&headers, header::LAST_MODIFIED),
            };
            return outcome(o, Some(status));
        }
        410 => return outcome(FetchOutcome::Gone, Some(status)),
        429 | 503 => {
            let retry_after = text(&headers, header::RETRY_AFTER)
                .and_then(|v| policy::parse_retry_after(&v, req.now));
            if status == 503 && retry_after.is_none() {
                let err = FetchError::Status {
                    url: url.into(),
                    status,
                };
                return failed(err, Some(status), None);
            }
            if status == 429 {
                inner.hosts.note_rate_limited(host, req.now, retry_after);
            }
            let o = FetchOutcome::RateLimited {
                status,
                retry_after,
            };
            return outcome(o, Some(status));
        }
        _ => {
            let err = FetchError::Status {
                url: url.into(),
                status,
            };
            return failed(err, Some(status), None);
        }
    };
    let max = inner.limits.max_body;
    // Without content coding the length is known before reading: refuse at once.
    if resp.content_length().is_some_and(|n| n > max) {
        let err = FetchError::TooLarge {
            url: url.into(),
            limit: max,
        };
        return failed(err, Some(status), None);
    }
    let mut body = Vec::with_capacity(resp.content_length().unwrap_or(16 * 1024).min(max) as usize);
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                // Chunks arrive decompressed, so a compression bomb stops at the cap.
                if (body.len() + chunk.len()) as u64 > max {
                    let err = FetchError::TooLarge {
                        url: url.into(),
                        limit: max,
                    };
                    let mut a = failed(err, Some(status), None);
                    a.bytes = body.len() as u64;
                    return a;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                let mut a = failed(classify(&url, &e, inner), Some(status), None);
                a.bytes = body.len() as u64;
                return a;
            }
        }
    }
    let charset = text(&headers, header::CONTENT_TYPE).and_then(|ct| {
        ct.split(';').find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| v.trim().trim_matches('"').to_string())
        })
    });
    let bytes = body.len() as u64;
    let fetched = Fetched {
        body,
        final_url: url.to_string(),
        status,
        charset,
        etag: text(&headers, header::ETAG),
        last_modified: text(&headers, header::LAST_MODIFIED),
        hints: hints(&headers, req),
    };
    let mut a = outcome(FetchOutcome::Fetched(fetched), Some(status));
    a.bytes = bytes;
    a
}

fn outcome(outcome: FetchOutcome, status: Option<u16>) -> Attempt {
    Attempt::new(outcome, status)
}

fn failed(error: FetchError, status: Option<u16>, moved_to: Option<String>) -> Attempt {
    let mut a = Attempt::failed(error, status);
    a.moved_to = moved_to;
    a
}

fn refused(url: &Url, refusal: Refusal) -> FetchError {
    FetchError::Refused {
        url: url.to_string(),
        refusal,
    }
}

/// Names what went wrong with a request: a refused address (found in the error's source
/// chain, where the resolver put it), a timeout, a connection failure or a broken transfer.
fn classify(url: &Url, e: &reqwest::Error, inner: &Inner) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut parts: Vec<String> = Vec::new();
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refusal>() {
            return refused(url, r.clone());
        }
        let msg = s.to_string();
        if !msg.starts_with("error sending request") && parts.last() != Some(&msg) {
            parts.push(msg);
        }
        source = s.source();
    }
    let detail = if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    };
    let url = url.to_string();
    if e.is_timeout() {
        let detail = format!(
            "no complete answer within the {}s timeout",
            inner.limits.timeout.as_secs_f64()
        );
        FetchError::Timeout { url, detail }
    } else if e.is_connect() {
        FetchError::Connect { url, detail }
    } else {
        FetchError::Network { url, detail }
    }
}
