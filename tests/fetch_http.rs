//! Fetch integration tests: the real fetch path (reqwest, the safe resolver, refresh, the
//! store's bookkeeping) against a 127.0.0.1 server that misbehaves on purpose. Time is an
//! argument (`now`), so back-off and Retry-After are checked without sleeping; no test
//! asserts on wall time and none reaches beyond 127.0.0.1.
//!
//! Tests allow private addresses (the server is on loopback), except the refusal test. That
//! one needs a "public" first hop on loopback: the fetcher's resolver takes
//! [`HostOverrides`], where `trust("public.test", 127.0.0.1)` stands for a public host and
//! `resolve("evil.test", 127.0.0.1)` is a name whose DNS answer is loopback and is checked like
//! any other. Redirects from public.test to `127.0.0.1` (literal, checked per hop) and to
//! `evil.test` (checked on the resolved address at connect time) must both be refused.

mod fetch_server;

use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use aiwire::config::Config;
use aiwire::fetch::{Fetcher, HostOverrides};
use aiwire::refresh::{Deps, RefreshResult, refresh_feed, refresh_feeds};
use aiwire::store::{FeedRow, FeedState, FetchLogEntry, Store};
use aiwire::tag::Tagger;
use chrono::{DateTime, Duration, TimeZone, Utc};
use fetch_server::{Reply, Server};

const THREE: &str = include_str!("fixtures/fetch/three-items.xml");
const FOUR: &str = include_str!("fixtures/fetch/four-items.xml");
const HTML: &str = include_str!("fixtures/fetch/html-page.html");
const PRIVATE_OK: &str = "allow_private_addresses = true";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

struct Env {
    deps: Deps,
}

impl Env {
    fn new(feeds: &[String], fetch_toml: &str) -> Env {
        Env::with_overrides(feeds, fetch_toml, HostOverrides::default())
    }

    fn with_overrides(feeds: &[String], fetch_toml: &str, overrides: HostOverrides) -> Env {
        let mut text = format!(
            "[fetch]\n{fetch_toml}\n\n[mail]\ntransport = \"file\"\ndir = \"/tmp\"\nfrom = \"a@b.c\"\n"
        );
        for f in feeds {
            text.push_str(&format!("\n[[feed]]\nurl = \"{f}\"\n"));
        }
        let config = Config::from_str(&text, Path::new("/tmp/aiwire-fetch-test.toml")).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        store.sync_feeds(&config.feeds, now()).unwrap();
        let deps = Deps {
            fetcher: Fetcher::with_overrides(&config.fetch, overrides).unwrap(),
            store: Arc::new(Mutex::new(store)),
            tagger: Arc::new(Tagger::builtin().unwrap()),
            config: Arc::new(config),
        };
        Env { deps }
    }

    fn feed(&self, i: usize) -> FeedRow {
        self.deps.store.lock().unwrap().feeds().unwrap()[i].clone()
    }

    async fn refresh(&self, i: usize, at: DateTime<Utc>) -> RefreshResult {
        refresh_feed(&self.deps, &self.feed(i), at).await.result
    }

    fn log(&self, i: usize) -> Vec<FetchLogEntry> {
        let id = self.feed(i).id;
        self.deps.store.lock().unwrap().fetch_log(id, 100).unwrap()
    }
}

fn failed(r: &RefreshResult) -> &str {
    match r {
        RefreshResult::Failed(e) => e,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// 200 with validators, then 304 when they come back.
fn conditional(body: &'static str, etag: &'static str) -> impl Fn(&fetch_server::Request) -> Reply {
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

#[tokio::test]
async fn ok_then_not_modified_with_validators_sent() {
    let server = Server::start(conditional(THREE, "\"v1\"")).await;
    let env = Env::new(&[server.url("/feed.xml")], PRIVATE_OK);
    assert_eq!(env.refresh(0, now()).await, RefreshResult::New(3));
    let row = env.feed(0);
    assert_eq!(row.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        row.last_modified.as_deref(),
        Some("Sun, 01 Mar 2026 11:00:00 GMT")
    );
    assert_eq!(row.item_count, 3);
    assert!(row.next_fetch_at > now());

    let later = now() + Duration::hours(1);
    assert_eq!(env.refresh(0, later).await, RefreshResult::NotModified);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("if-none-match"), None);
    assert_eq!(reqs[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        reqs[1].header("if-modified-since"),
        Some("Sun, 01 Mar 2026 11:00:00 GMT")
    );
    let ua = reqs[0].header("user-agent").unwrap();
    assert!(
        ua.starts_with("aiwire/") && ua.contains("github.com/aiwire"),
        "{ua}"
    );
    assert!(reqs[0].header("accept-encoding").unwrap().contains("gzip"));
    let row = env.feed(0);
    assert_eq!(row.last_success_at, Some(later));
    assert!(row.next_fetch_at > later);
    let outcomes: Vec<String> = env.log(0).into_iter().map(|l| l.outcome).collect();
    assert_eq!(outcomes, ["not_modified", "fetched"]);

    // A day later a full fetch is forced: no validators are sent.
    let day_later = now() + Duration::hours(25);
    assert_eq!(env.refresh(0, day_later).await, RefreshResult::New(0));
    assert_eq!(server.requests()[2].header("if-none-match"), None);
}

#[tokio::test]
async fn changed_etag_fetches_the_new_document() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = Server::start(move |req| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::ok(THREE).header("ETag", "\"v1\"");
        }
        if req.header("if-none-match") == Some("\"v2\"") {
            return Reply::status(304);
        }
        Reply::ok(FOUR).header("ETag", "\"v2\"")
    })
    .await;
    let env = Env::new(&[server.url("/feed.xml")], PRIVATE_OK);
    assert_eq!(env.refresh(0, now()).await, RefreshResult::New(3));
    assert_eq!(
        env.refresh(0, now() + Duration::hours(1)).await,
        RefreshResult::New(1)
    );
    assert_eq!(env.feed(0).etag.as_deref(), Some("\"v2\""));
    assert_eq!(server.requests()[1].header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        env.refresh(0, now() + Duration::hours(2)).await,
        RefreshResult::NotModified
    );
}

#[tokio::test]
async fn permanent_redirect_chain_updates_the_url_after_three_fetches() {
    let server = Server::start(|req| match req.path.as_str() {
        "/old" => Reply::redirect(301, "/middle"),
        "/middle" => Reply::redirect(308, "/new"),
        "/new" => Reply::ok(THREE),
        "/temporary" => Reply::redirect(302, "/new"),
        _ => Reply::status(404),
    })
    .await;
    let env = Env::new(&[server.url("/old"), server.url("/temporary")], PRIVATE_OK);
    for n in 1..=2u32 {
        env.refresh(0, now() + Duration::hours(i64::from(n))).await;
        let row = env.feed(0);
        assert_eq!(row.url, server.url("/old"));
        assert_eq!(row.redirect_to, Some(server.url("/new")));
        assert_eq!(row.redirect_count, n);
    }
    env.refresh(0, now() + Duration::hours(3)).await;
    let row = env.feed(0);
    assert_eq!(row.url, server.url("/new"));
    assert_eq!(row.config_url, server.url("/old"));
    assert_eq!(row.redirect_to, None);
    env.refresh(0, now() + Duration::hours(4)).await;
    assert_eq!(server.paths().last().map(String::as_str), Some("/new"));
    assert_eq!(server.paths().iter().filter(|p| *p == "/old").count(), 3);

    // 302 is followed but never moves the feed.
    for n in 1..=4 {
        assert!(matches!(
            env.refresh(1, now() + Duration::hours(n)).await,
            RefreshResult::New(_)
        ));
    }
    assert_eq!(env.feed(1).url, server.url("/temporary"));
    assert_eq!(env.feed(1).redirect_to, None);
}

#[tokio::test]
async fn redirect_loop_and_too_long_chain_are_errors() {
    let server = Server::start(|req| {
        let path = req.path.as_str();
        match path {
            "/a" => Reply::redirect(302, "/b"),
            "/b" => Reply::redirect(301, "/a"),
            _ => {
                // /hop/N redirects to /hop/N+1, forever.
                let n: u32 = path.trim_start_matches("/hop/").parse().unwrap_or(0);
                Reply::redirect(302, &format!("/hop/{}", n + 1))
            }
        }
    })
    .await;
    let env = Env::new(&[server.url("/a"), server.url("/hop/0")], PRIVATE_OK);
    let r = env.refresh(0, now()).await;
    assert!(failed(&r).contains("redirect loop"), "{r:?}");
    let r = env.refresh(1, now()).await;
    assert!(failed(&r).contains("more than 5 redirects"), "{r:?}");
    assert_eq!(
        server
            .paths()
            .iter()
            .filter(|p| p.starts_with("/hop/"))
            .count(),
        6
    );
    assert_eq!(env.feed(1).state, FeedState::Failing);
}

#[tokio::test]
async fn gone_marks_the_feed_and_polls_it_rarely() {
    let server = Server::start(|_| Reply::status(410)).await;
    let env = Env::new(&[server.url("/feed.xml")], PRIVATE_OK);
    assert_eq!(env.refresh(0, now()).await, RefreshResult::Gone);
    let row = env.feed(0);
    assert_eq!(row.state, FeedState::Gone);
    assert!(
        row.next_fetch_at >= now() + Duration::days(6),
        "{}",
        row.next_fetch_at
    );
    assert!(row.last_error.unwrap().contains("410"));
    assert_eq!(env.log(0)[0].outcome, "gone");
}

#[tokio::test]
async fn not_found_then_recovery() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let server = Server::start(move |_| {
        if c.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::status(404)
        } else {
            Reply::ok(THREE)
        }
    })
    .await;
    let env = Env::new(&[server.url("/feed.xml")], PRIVATE_OK);
    let r = env.refresh(0, now()).await;
    assert!(failed(&r).contains("404"), "{r:?}");
    let t2 = env.feed(0).next_fetch_at;
    env.refresh(0, t2).await;
    let row = env.feed(0);
    assert_eq!((row.state, row.error_count), (FeedState::Failing, 2));
    assert_eq!(row.failing_since, Some(now()));
    assert_eq!(
        env.refresh(0, row.next_fetch_at).await,
        RefreshResult::New(3)
    );
    let row = env.feed(0);
    assert_eq!((row.state, row.error_count), (FeedState::Active, 0));
    assert_eq!((row.last_error, row.failing_since), (None, None));
}

#[tokio::test]
async fn server_error_backoff_grows_and_is_capped() {
    let server = Server::start(|_| Reply::status(500)).await;
    let env = Env::new(
        &[server.url("/feed.xml")],
        &format!("{PRIVATE_OK}\nmin_backoff = \"10m\"\nmax_backoff = \"24h\""),
    );
    let mut at = now();
    let mut delays = Vec::new();
    for _ in 0..12 {
        let r = env.refresh(0, at).await;
        assert!(failed(&r).contains("500"), "{r:?}");
        let next = env.feed(0).next_fetch_at;
        delays.push((next - at).num_seconds());
        at = next;
    }
    for (i, d) in delays.iter().enumerate() {
        let expected = (600i64 << i).min(86_400) as f64;
        let ratio = *d as f64 / expected;
        assert!(
            (0.89..=1.0001).contains(&ratio) || (i < 8 && (0.89..=1.11).contains(&ratio)),
            "attempt {i}: {d}s vs {expected}s"
        );
        assert!(*d <= 86_400, "attempt {i}: {d}s is above the cap");
    }
    assert!(delays[7] > delays[3] && delays[3] > delays[0]);
    let row = env.feed(0);
    assert_eq!(row.error_count, 12);
    assert_eq!(row.state, FeedState::Failing);
    assert_eq!(env.log(0).len(), 12);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_seconds_and_date() {
    let date = (now() + Duration::hours(2))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let server = Server::start(move |req| match req.path.as_str() {
        "/seconds" => Reply::status(429).header("Retry-After", "120"),
        "/date" => Reply::status(429).header("Retry-After", &date),
        "/huge" => Reply::status(503).header("Retry-After", "99999999"),
        _ => Reply::status(503),
    })
    .await;
    // One host name per feed (all resolving to the test server), so the host-wide 429 pause
    // (tested below) does not kick in.
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    let names = ["a.test", "b.test", "c.test", "d.test"];
    let overrides = names
        .iter()
        .fold(HostOverrides::default(), |o, n| o.resolve(n, lo));
    let urls: Vec<String> = ["/seconds", "/date", "/huge", "/plain503"]
        .iter()
        .zip(names)
        .map(|(p, n)| format!("http://{n}:{}{p}", server.port()))
        .collect();
    let env = Env::with_overrides(&urls, PRIVATE_OK, overrides);
    let r = env.refresh(0, now()).await;
    assert_eq!(
        r,
        RefreshResult::RateLimited(now() + Duration::seconds(120))
    );
    assert_eq!(env.feed(0).next_fetch_at, now() + Duration::seconds(120));
    assert_eq!(env.log(0)[0].outcome, "rate_limited");
    let r = env.refresh(1, now()).await;
    assert_eq!(r, RefreshResult::RateLimited(now() + Duration::hours(2)));
    // Capped at max_backoff (24 h).
    let r = env.refresh(2, now()).await;
    assert_eq!(r, RefreshResult::RateLimited(now() + Duration::hours(24)));
    // 503 without Retry-After is an ordinary error with back-off.
    let r = env.refresh(3, now()).await;
    assert!(failed(&r).contains("503"), "{r:?}");
}

#[tokio::test]
async fn repeated_429_slow_the_whole_host() {
    let server = Server::start(|_| Reply::status(429)).await;
    let urls: Vec<String> = (0..3).map(|i| server.url(&format!("/f{i}"))).collect();
    let env = Env::new(&urls, PRIVATE_OK);
    assert!(matches!(
        env.refresh(0, now()).await,
        RefreshResult::RateLimited(_)
    ));
    assert!(matches!(
        env.refresh(1, now()).await,
        RefreshResult::RateLimited(_)
    ));
    let r = env.refresh(2, now()).await;
    let RefreshResult::Deferred(until) = r else {
        panic!("expected the host to be paused, got {r:?}")
    };
    assert!(until > now());
    assert_eq!(
        server.requests().len(),
        2,
        "the third feed must not be requested"
    );
    assert_eq!(env.feed(2).next_fetch_at, until);
    assert!(env.log(2).is_empty());
}

#[tokio::test]
async fn slow_server_times_out() {
    let server =
        Server::start(|_| Reply::Delay(StdDuration::from_secs(5), Box::new(Reply::ok(THREE))))
            .await;
    let env = Env::new(
        &[server.url("/slow")],
        &format!("{PRIVATE_OK}\ntimeout = \"1s\""),
    );
    let r = env.refresh(0, now()).await;
    assert!(failed(&r).contains("timed out"), "{r:?}");
    assert_eq!(env.feed(0).state, FeedState::Failing);
}

#[tokio::test]
async fn body_over_the_cap_plain_and_as_gzip_bomb() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![b' '; 64 << 20]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(
        bomb.len() < 1 << 20,
        "the bomb itself is small: {}",
        bomb.len()
    );
    let server = Server::start(move |req| match req.path.as_str() {
        "/big" => Reply::ok(vec![b'x'; 3 << 20]),
        _ => Reply::ok(bomb.clone()).header("Content-Encoding", "gzip"),
    })
    .await;
    let env = Env::new(
        &[server.url("/big"), server.url("/bomb")],
        &format!("{PRIVATE_OK}\nmax_body_bytes = {}", 1 << 20),
    );
    for i in 0..2 {
        let r = env.refresh(i, now()).await;
        assert!(
            failed(&r).contains("exceeds the limit of 1048576 bytes"),
            "{r:?}"
        );
        assert!(env.log(i)[0].bytes <= 1 << 20);
    }
}

#[tokio::test]
async fn connection_reset_mid_body() {
    let server = Server::start(|_| Reply::CutBody {
        declared: 10_000,
        sent: THREE.as_bytes()[..200].to_vec(),
    })
    .await;
    let env = Env::new(&[server.url("/cut")], PRIVATE_OK);
    let r = env.refresh(0, now()).await;
    assert!(failed(&r).contains("network error"), "{r:?}");
    assert_eq!(env.feed(0).item_count, 0);
}

#[tokio::test]
async fn wrong_content_type_on_a_valid_feed_is_fine_and_html_is_a_clear_error() {
    let server = Server::start(|req| match req.path.as_str() {
        "/feed" => Reply::ok(THREE).header("Content-Type", "text/html; charset=iso-8859-1"),
        _ => Reply::ok(HTML).header("Content-Type", "text/html"),
    })
    .await;
    let env = Env::new(&[server.url("/feed"), server.url("/blog")], PRIVATE_OK);
    assert_eq!(env.refresh(0, now()).await, RefreshResult::New(3));
    let r = env.refresh(1, now()).await;
    assert!(failed(&r).contains("is an HTML page, not a feed"), "{r:?}");
}

#[tokio::test]
async fn private_addresses_are_refused_unless_allowed() {
    let server = Server::start(|req| match req.path.as_str() {
        "/to-literal" => Reply::redirect(
            302,
            &format!(
                "http://127.0.0.1:{}/secret",
                req.headers["host"].rsplit(':').next().unwrap()
            ),
        ),
        "/to-name" => Reply::redirect(
            301,
            &format!(
                "http://evil.test:{}/secret",
                req.headers["host"].rsplit(':').next().unwrap()
            ),
        ),
        _ => Reply::ok(THREE),
    })
    .await;
    let lo: IpAddr = "127.0.0.1".parse().unwrap();
    let port = server.port();
    // `public.test` stands for a public host (trusted by the test resolver); `evil.test` is a
    // name whose DNS answer is 127.0.0.1 and is checked like any other.
    let overrides = HostOverrides::default()
        .trust("public.test", lo)
        .resolve("evil.test", lo);
    let feeds = [
        server.url("/direct"),
        format!("http://localhost:{port}/direct"),
        format!("http://public.test:{port}/to-literal"),
        format!("http://public.test:{port}/to-name"),
        format!("http://public.test:{port}/direct"),
    ];
    let env = Env::with_overrides(&feeds, "allow_private_addresses = false", overrides);
    for i in 0..4 {
        let r = env.refresh(i, now()).await;
        assert!(failed(&r).contains("refused"), "feed {i}: {r:?}");
    }
    assert_eq!(env.refresh(4, now()).await, RefreshResult::New(3));
    assert_eq!(
        server.paths(),
        ["/to-literal", "/to-name", "/direct"],
        "no request may reach /secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_host_limit_is_never_exceeded() {
    let server =
        Server::start(|_| Reply::Delay(StdDuration::from_millis(100), Box::new(Reply::ok(THREE))))
            .await;
    let urls: Vec<String> = (0..12).map(|i| server.url(&format!("/f{i}"))).collect();
    let env = Env::new(
        &urls,
        &format!("{PRIVATE_OK}\nconcurrency = 16\nper_host_concurrency = 2"),
    );
    let feeds = env.deps.store.lock().unwrap().feeds().unwrap();
    let reports = refresh_feeds(&env.deps, feeds, now()).await;
    assert!(
        reports.iter().all(|r| r.result == RefreshResult::New(3)),
        "{reports:?}"
    );
    assert_eq!(server.requests().len(), 12);
    assert_eq!(
        server.max_in_flight(),
        2,
        "the per-host limit is used and never exceeded"
    );
}

#[tokio::test]
async fn one_failing_feed_never_stops_the_others() {
    let server = Server::start(|req| match req.path.as_str() {
        "/good" => Reply::ok(THREE),
        "/cut" => Reply::CutBody {
            declared: 500,
            sent: b"<rss".to_vec(),
        },
        _ => Reply::status(500),
    })
    .await;
    let urls = [
        server.url("/bad"),
        server.url("/good"),
        server.url("/cut"),
        "file:///nonexistent/feed.xml".to_string(),
    ];
    let env = Env::new(&urls, PRIVATE_OK);
    let feeds = env.deps.store.lock().unwrap().feeds().unwrap();
    let reports = refresh_feeds(&env.deps, feeds, now()).await;
    let new: Vec<_> = reports
        .iter()
        .filter(|r| r.result == RefreshResult::New(3))
        .collect();
    assert_eq!(new.len(), 1, "{reports:?}");
    assert_eq!(reports.iter().filter(|r| r.result.is_failure()).count(), 3);
}

#[tokio::test]
async fn local_file_feed_then_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, THREE).unwrap();
    let env = Env::new(&[path.display().to_string()], "");
    assert_eq!(env.refresh(0, now()).await, RefreshResult::New(3));
    assert_eq!(
        env.refresh(0, now() + Duration::hours(1)).await,
        RefreshResult::NotModified
    );
    std::fs::write(&path, FOUR).unwrap();
    assert_eq!(
        env.refresh(0, now() + Duration::hours(2)).await,
        RefreshResult::New(1)
    );
}

#[tokio::test]
async fn user_agent_is_configurable_per_feed() {
    use aiwire::fetch::{FetchOutcome, FetchRequest};
    let server = Server::start(|_| Reply::ok(THREE)).await;
    let env = Env::new(
        &[],
        &format!("{PRIVATE_OK}\nuser_agent = \"global-agent/1\""),
    );
    let mut req = FetchRequest {
        url: server.url("/feed"),
        etag: None,
        last_modified: None,
        user_agent: None,
        now: now(),
    };
    let a = env.deps.fetcher.fetch(&req).await;
    assert!(matches!(a.outcome, FetchOutcome::Fetched(_)), "{a:?}");
    req.user_agent = Some("per-feed-agent/2 (+https://example.org/bot)".into());
    env.deps.fetcher.fetch(&req).await;
    let agents: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.header("user-agent").unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        agents,
        [
            "global-agent/1",
            "per-feed-agent/2 (+https://example.org/bot)"
        ]
    );
}
