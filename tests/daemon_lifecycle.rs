//! The daemon end to end, as systemd would run it: the real binary with a fake NOTIFY_SOCKET,
//! a local HTTP feed server and a real SMTP server (aiosmtpd, STARTTLS + AUTH) on 127.0.0.1.
//! READY=1, a fetch cycle, a digest received by the SMTP server, /healthz, /metrics and
//! /stories.atom, SIGHUP with a new feed, SIGHUP with a broken config, SIGTERM, then the
//! database checked. The second test runs without systemd and with the `file` transport.

mod daemon_support;
use daemon_support as support;
// Both helper modules include tests/common (this test needs the HTTP feed server and the SMTP
// server); two copies of that small module in one test crate are harmless.
#[allow(clippy::duplicate_mod)]
#[path = "support/mod.rs"]
mod mail_support;

use std::path::Path;
use std::time::Duration;

use aiwire::parse::{ParseContext, parse_feed};
use aiwire::store::Store;
use support::{Daemon, FeedServer, NotifySocket, eventually, free_port, http_get, rss};

/// What the test's config holds besides the feeds.
#[derive(Clone, Copy, PartialEq)]
enum Digest {
    None,
    EveryMinute,
}

fn config(
    dir: &Path,
    server: &FeedServer,
    http_port: u16,
    feeds: &[&str],
    digest: Digest,
    smtp: Option<&str>,
) -> String {
    let file_mail = format!(
        "transport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <aiwire@localhost>\"\n",
        dir.join("outbox").display()
    );
    let mut c = format!(
        "[store]\npath = \"{db}\"\n\n[fetch]\nallow_private_addresses = true\n\n[http]\nlisten = \"127.0.0.1:{http_port}\"\n\n\
         [mail]\n{mail}",
        db = dir.join("aiwire.db").display(),
        mail = smtp.unwrap_or(&file_mail),
    );
    if digest == Digest::EveryMinute {
        c.push_str(
            "\n[[digest]]\nname = \"minutely\"\nschedule = \"* * * * *\"\ntimezone = \"UTC\"\nto = [\"reader@example.org\"]\n",
        );
    }
    for path in feeds {
        c.push_str(&format!("\n[[feed]]\nurl = \"{}\"\n", server.url(path)));
    }
    c
}

#[test]
fn daemon_runs_reloads_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start();
    server.set(
        "/a.xml",
        rss(
            "alpha",
            &[
                ("1", "OpenAI releases GPT-5 to ChatGPT users"),
                ("2", "Anthropic raises money"),
                ("3", "Mistral ships Codestral for programmers"),
            ],
        ),
    );
    server.set(
        "/b.xml",
        rss("beta", &[("1", "Google DeepMind announces a robot")]),
    );
    let Some(python) = mail_support::python_or_skip("daemon_runs_reloads_and_stops_cleanly") else {
        return;
    };
    let smtp = mail_support::SmtpSink::start(
        &python,
        mail_support::Mode::Starttls,
        mail_support::Auth::Required,
        &dir.path().join("smtp"),
    );
    let smtp_mail = mail_support::smtp_mail(dir.path(), smtp.port, "starttls", true);
    let http_port = free_port();
    let config_path = dir.path().join("aiwire.toml");
    std::fs::write(
        &config_path,
        config(
            dir.path(),
            &server,
            http_port,
            &["/a.xml"],
            Digest::None,
            Some(&smtp_mail),
        ),
    )
    .unwrap();
    let mut notify = NotifySocket::bind(dir.path());
    let mut daemon = Daemon::start(&config_path, Some(&notify.path), &dir.path().join("log"));

    assert!(
        notify.wait_for("READY=1", Duration::from_secs(20)),
        "no READY=1; log:\n{}",
        daemon.log_text()
    );
    assert!(
        eventually(Duration::from_secs(20), || server.hits("/a.xml") >= 1),
        "feed a was not polled; log:\n{}",
        daemon.log_text()
    );
    assert!(
        notify.wait_for("WATCHDOG=1", Duration::from_secs(10)),
        "no WATCHDOG=1"
    );

    assert!(
        eventually(Duration::from_secs(20), || daemon
            .log_text()
            .contains("Fetch cycle done")),
        "log:\n{}",
        daemon.log_text()
    );

    // SIGHUP with a second feed and a digest: the feed is polled and the digest scheduled
    // without a restart. Feed a's items are stored by now, so the first run has content.
    std::fs::write(
        &config_path,
        config(
            dir.path(),
            &server,
            http_port,
            &["/a.xml", "/b.xml"],
            Digest::EveryMinute,
            Some(&smtp_mail),
        ),
    )
    .unwrap();
    notify.drain();
    daemon.signal("HUP");
    assert!(notify.wait_for("RELOADING=1", Duration::from_secs(10)));
    assert!(notify.wait_for("READY=1", Duration::from_secs(10)));
    assert!(
        eventually(Duration::from_secs(20), || server.hits("/b.xml") >= 1),
        "feed b was not polled after SIGHUP; log:\n{}",
        daemon.log_text()
    );
    // The digest fires at the next minute boundary (`* * * * *` in UTC).
    assert!(
        eventually(Duration::from_secs(75), || !smtp.messages().is_empty()),
        "no digest received by the SMTP server; log:\n{}",
        daemon.log_text()
    );
    let mail = String::from_utf8_lossy(&smtp.messages()[0]).to_string();
    assert!(mail.contains("multipart/alternative"), "{mail}");
    assert!(mail.contains("To: reader@example.org"), "{mail}");

    let (status, body) = http_get(http_port, "/healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    // STATUS= carries feeds, the last cycle and the next digest.
    assert!(
        eventually(Duration::from_secs(10), || notify.all().iter().any(|m| {
            m.contains("STATUS=2 feeds; last cycle") && m.contains("next digest minutely at")
        })),
        "{:?}",
        notify.all()
    );
    // The server accepts the message before the ledger marks the delivery sent.
    assert!(eventually(Duration::from_secs(10), || {
        http_get(http_port, "/metrics")
            .1
            .contains("\naiwire_digests_sent_total 1\n")
    }));
    let (status, metrics) = http_get(http_port, "/metrics");
    assert_eq!(status, 200);
    let scrape =
        prometheus_parse::Scrape::parse(metrics.lines().map(|l| Ok(l.to_string()))).unwrap();
    let value = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v) => v,
                prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(value("aiwire_items", None), Some(4.0), "{metrics}");
    assert_eq!(value("aiwire_feeds", Some(("state", "active"))), Some(2.0));
    assert_eq!(
        value("aiwire_fetches_total", Some(("outcome", "fetched"))),
        Some(2.0),
        "{metrics}"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "aiwire_fetch_duration_seconds"),
        "{metrics}"
    );
    let (status, atom) = http_get(http_port, "/stories.atom");
    assert_eq!(status, 200);
    let ctx = ParseContext {
        feed_url: None,
        http_charset: None,
        fetched_at: chrono::Utc::now(),
    };
    let parsed = parse_feed(atom.as_bytes(), &ctx).unwrap();
    assert_eq!(parsed.entries.len(), 4, "{atom}");
    let (status, filtered) = http_get(http_port, "/stories.atom?company=NoSuchCompany");
    assert_eq!(status, 200);
    assert_eq!(
        parse_feed(filtered.as_bytes(), &ctx).unwrap().entries.len(),
        0
    );

    // SIGHUP with a broken config: rejected, logged, the daemon keeps running.
    std::fs::write(&config_path, "[fetch]\nconcurrency = \"many\"\n").unwrap();
    daemon.signal("HUP");
    assert!(
        eventually(Duration::from_secs(10), || daemon
            .log_text()
            .contains("New config rejected")),
        "log:\n{}",
        daemon.log_text()
    );
    assert!(daemon.is_running());
    assert_eq!(http_get(http_port, "/healthz").0, 200);

    // SIGTERM: a clean exit within 5 s, the database intact.
    notify.drain();
    daemon.signal("TERM");
    let status = daemon
        .wait_exit(Duration::from_secs(5))
        .expect("no exit within 5 s of SIGTERM");
    assert!(status.success(), "{status:?}; log:\n{}", daemon.log_text());
    assert!(notify.wait_for("STOPPING=1", Duration::from_secs(1)));
    let store = Store::open(&dir.path().join("aiwire.db")).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(store.item_total().unwrap(), 4);
}

#[test]
fn daemon_without_systemd_runs_and_stops() {
    // No NOTIFY_SOCKET: every notify call is a no-op and nothing breaks.
    let dir = tempfile::tempdir().unwrap();
    let server = FeedServer::start();
    server.set("/a.xml", rss("alpha", &[("1", "One story")]));
    let config_path = dir.path().join("aiwire.toml");
    let text = config(
        dir.path(),
        &server,
        free_port(),
        &["/a.xml"],
        Digest::EveryMinute,
        None,
    );
    std::fs::write(&config_path, text).unwrap();
    let mut daemon = Daemon::start(&config_path, None, &dir.path().join("log"));
    assert!(eventually(Duration::from_secs(20), || server
        .hits("/a.xml")
        >= 1));
    assert!(eventually(Duration::from_secs(10), || daemon
        .log_text()
        .contains("Fetch cycle done")));
    daemon.signal("INT");
    let status = daemon.wait_exit(Duration::from_secs(5)).expect("no exit");
    assert!(status.success(), "log:\n{}", daemon.log_text());
}
