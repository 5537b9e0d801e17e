//! kill -9 in the middle of a fetch cycle, then a restart: every item that was stored before
//! the kill is still there, the interrupted feeds are fetched again, no item is stored twice,
//! every item ends up in a story, and `PRAGMA integrity_check` says ok.

mod daemon_support;
use daemon_support as support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use aiwire::store::Store;
use support::{Daemon, FeedServer, eventually, rss};

const FEEDS: usize = 40;
const ITEMS_PER_FEED: usize = 5;

fn config(dir: &Path, server: &FeedServer) -> String {
    let mut c = format!(
        "[store]\npath = \"{}\"\n\n[fetch]\nallow_private_addresses = true\nconcurrency = 4\n\n\
         [mail]\ntransport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <aiwire@localhost>\"\n",
        dir.join("aiwire.db").display(),
        dir.join("outbox").display()
    );
    for i in 0..FEEDS {
        c.push_str(&format!(
            "\n[[feed]]\nurl = \"{}\"\n",
            server.url(&feed_path(i))
        ));
    }
    c
}

fn feed_path(i: usize) -> String {
    format!("/feed{i}.xml")
}

fn serve_all(server: &FeedServer, delay: Duration) {
    for i in 0..FEEDS {
        let name = format!("outlet{i}");
        let titles: Vec<(String, String)> = (0..ITEMS_PER_FEED)
            .map(|j| (j.to_string(), format!("Story {j} of outlet {i}")))
            .collect();
        let items: Vec<(&str, &str)> = titles
            .iter()
            .map(|(g, t)| (g.as_str(), t.as_str()))
            .collect();
        server.set_slow(&feed_path(i), rss(&name, &items), delay);
    }
}

fn items_per_feed(db: &Path) -> HashMap<String, i64> {
    let store = Store::open(db).unwrap();
    store
        .feeds()
        .unwrap()
        .into_iter()
        .map(|f| (f.config_url, f.item_count))
        .collect()
}

fn total_hits(server: &FeedServer) -> usize {
    (0..FEEDS).map(|i| server.hits(&feed_path(i))).sum()
}

#[test]
fn kill_9_mid_cycle_loses_and_doubles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("aiwire.db");
    let server = FeedServer::start();
    // Slow answers (4 at a time, 1 s each): the cycle takes about 10 s, the kill lands inside it.
    serve_all(&server, Duration::from_secs(1));
    let config_path = dir.path().join("aiwire.toml");
    std::fs::write(&config_path, config(dir.path(), &server)).unwrap();

    let mut daemon = Daemon::start(&config_path, None, &dir.path().join("log1"));
    assert!(
        eventually(Duration::from_secs(30), || total_hits(&server) >= 12),
        "log:\n{}",
        daemon.log_text()
    );
    daemon.child.kill().unwrap(); // SIGKILL
    daemon.child.wait().unwrap();
    assert!(
        total_hits(&server) < FEEDS,
        "the cycle finished before the kill"
    );

    let before = items_per_feed(&db);
    let stored_before: i64 = before.values().sum();
    assert!(stored_before > 0, "nothing stored before the kill");
    assert!(stored_before < (FEEDS * ITEMS_PER_FEED) as i64);
    for n in before.values() {
        assert!(
            *n == 0 || *n == ITEMS_PER_FEED as i64,
            "partial feed: {before:?}"
        );
    }

    // Restart with fast answers: the feeds that were not finished are still due.
    serve_all(&server, Duration::ZERO);
    let mut daemon = Daemon::start(&config_path, None, &dir.path().join("log2"));
    let all = (FEEDS * ITEMS_PER_FEED) as i64;
    assert!(
        eventually(Duration::from_secs(30), || {
            let store = Store::open(&db).unwrap();
            store.item_total().unwrap() == all && store.unclustered_items().unwrap().is_empty()
        }),
        "log:\n{}",
        daemon.log_text()
    );
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(5)).is_some());

    let after = items_per_feed(&db);
    for (url, n) in &after {
        assert_eq!(*n, ITEMS_PER_FEED as i64, "{url}");
        assert!(before.get(url).is_none_or(|b| b <= n), "{url} lost items");
    }
    let store = Store::open(&db).unwrap();
    assert_eq!(store.item_total().unwrap(), all);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}
