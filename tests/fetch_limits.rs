//! Fetch integration tests, limits and safety: timeouts, body caps, broken transfers, content
//! sniffing, private-address refusal, the per-host limit, isolation of failures, local files
//! and the User-Agent, against the misbehaving 127.0.0.1 server of `fetch_server`.
//!
//! Tests allow private addresses (the server is on loopback), except the refusal test. That
//! one needs a "public" first hop on loopback: the fetcher's resolver takes
//! [`HostOverrides`], where `trust("public.test", 127.0.0.1)` stands for a public host and
//! `resolve("evil.test", 127.0.0.1)` is a name whose DNS answer is loopback and is checked like
//! any other. Redirects from public.test to `127.0.0.1` (literal, checked per hop) and to
//! `evil.test` (checked on the resolved address at connect time) must both be refused.

mod fetch_server;

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use aiwire::fetch::HostOverrides;
use aiwire::refresh::{RefreshResult, refresh_feeds};
use aiwire::store::FeedState;
use chrono::Duration;
use fetch_server::harness::*;
use fetch_server::{Reply, Server};

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
