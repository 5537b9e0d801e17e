//! SIGTERM in the middle of a fetch: the fetch in flight completes and its items are stored,
//! no new fetch starts, the process exits 0 and the database is intact.

mod daemon_support;
use daemon_support as support;

use std::time::Duration;

use aiwire::store::Store;
use support::{Daemon, FeedServer, eventually, rss};

#[test]
fn sigterm_lets_the_fetch_in_flight_finish_and_starts_no_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start();
    let paths = ["/1.xml", "/2.xml", "/3.xml"];
    for (i, path) in paths.iter().enumerate() {
        let name = format!("outlet{i}");
        server.set_slow(
            path,
            rss(&name, &[("a", "First story"), ("b", "Second story")]),
            Duration::from_secs(2),
        );
    }
    let mut config = format!(
        "[store]\npath = \"{}\"\n\n[fetch]\nallow_private_addresses = true\nconcurrency = 1\n\n\
         [mail]\ntransport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <aiwire@localhost>\"\n",
        dir.path().join("aiwire.db").display(),
        dir.path().join("outbox").display()
    );
    for path in paths {
        config.push_str(&format!("\n[[feed]]\nurl = \"{}\"\n", server.url(path)));
    }
    let config_path = dir.path().join("aiwire.toml");
    std::fs::write(&config_path, config).unwrap();

    let mut daemon = Daemon::start(&config_path, None, &dir.path().join("log"));
    let hits = || paths.iter().map(|p| server.hits(p)).sum::<usize>();
    assert!(
        eventually(Duration::from_secs(20), || hits() == 1),
        "log:\n{}",
        daemon.log_text()
    );
    daemon.signal("TERM");
    let status = daemon
        .wait_exit(Duration::from_secs(5))
        .expect("no exit within 5 s of SIGTERM");
    assert!(status.success(), "log:\n{}", daemon.log_text());
    assert_eq!(hits(), 1, "a new fetch started after SIGTERM");

    let store = Store::open(&dir.path().join("aiwire.db")).unwrap();
    assert_eq!(
        store.item_total().unwrap(),
        2,
        "log:\n{}",
        daemon.log_text()
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
}
