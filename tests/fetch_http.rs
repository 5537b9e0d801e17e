//! Fetch integration tests, status handling: the real fetch path (reqwest, the safe resolver,
//! refresh, the store's bookkeeping) against a 127.0.0.1 server that misbehaves on purpose. Time is an
//! argument (`now`), so back-off and Retry-After are checked without sleeping; no test
//! asserts on wall time and none reaches beyond 127.0.0.1.

mod fetch_server;

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aiwire::fetch::HostOverrides;
use aiwire::refresh::RefreshResult;
use aiwire::store::FeedState;
use chrono::Duration;
use fetch_server::harness::*;
use fetch_server::{Reply, Server};

#[tokio::test]
async fn ok_then_not_modified_with_validators_sent() {
    let server = Server::start(conditional(THREE, "\"v1\"")).await;
    let env = Env::new(&[server.url("/feed.xml")], PRIVATE_OK);
    assert_eq!(env.refresh(0, now()).await, RefreshResult::New(3));
    // The items and the validators that came with them are one write (one turn of a group
    // commit), so they are committed or lost together.
    assert_eq!(env.deps.store_writes(), 1);
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
async fn items_the_store_refuses_count_as_a_failure_with_back_off() {
    let server = Server::start(conditional(THREE, "\"v1\"")).await;
    let env = Env::new(
        &[server.url("/a.xml"), server.url("/b.xml")],
        &format!("{PRIVATE_OK}\nmin_backoff = \"10m\""),
    );
    let refused = env.feed(0).id;
    aiwire::store::testing::refuse_items(&mut env.deps.store.lock().unwrap(), refused);
    let r = env.refresh(0, now()).await;
    let error = failed(&r);
    assert!(
        error.contains("could not be stored") && error.contains("refused by a test"),
        "{error}"
    );
    // Counted and backed off, so the feed is not fetched again at once (where its failing
    // write would take its group commit's other writes down with it at every poll); its
    // validators are not the new ones, since its items were not stored.
    let row = env.feed(0);
    assert_eq!((row.state, row.error_count), (FeedState::Failing, 1));
    assert_eq!((row.etag.as_deref(), row.item_count), (None, 0));
    assert!(row.next_fetch_at >= now() + Duration::minutes(8), "{row:?}");
    let log = env.log(0);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, "error");
    assert_eq!(log[0].error.as_deref(), Some(error));

    // Another feed stores its items as usual.
    assert_eq!(env.refresh(1, now()).await, RefreshResult::New(3));

    // Once the store takes the items again, the retry fetches them in full.
    aiwire::store::testing::accept_items(&mut env.deps.store.lock().unwrap());
    assert_eq!(
        env.refresh(0, row.next_fetch_at).await,
        RefreshResult::New(3)
    );
    let reqs = server.requests();
    assert_eq!(reqs.last().unwrap().header("if-none-match"), None);
    let row = env.feed(0);
    assert_eq!((row.state, row.error_count), (FeedState::Active, 0));
    assert_eq!(row.etag.as_deref(), Some("\"v1\""));
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
