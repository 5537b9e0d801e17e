//! Digest delivery against a real SMTP server (aiosmtpd) on 127.0.0.1, started by each test:
//! plain, STARTTLS + AUTH, implicit TLS + AUTH, a wrong password; the received message is
//! parsed as MIME and checked header by header.

mod support;

use std::sync::Mutex;

use aiwire::mail::Mailer;
use aiwire::send_digest::{deliver_pending, record_run};
use aiwire::store::Store;
use chrono::{Duration, TimeZone, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use support::{Auth, Mode, SmtpSink};

/// Records a run for two recipients and delivers it; returns the sink's messages.
async fn send_through(mode: Mode, tls: &str, auth: Auth) -> Option<(SmtpSink, tempfile::TempDir)> {
    let python = support::python_or_skip("mail_smtp")?;
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&python, mode, auth, &dir.path().join("inbox"));
    let config = support::config(
        dir.path(),
        &support::smtp_mail(dir.path(), sink.port, tls, auth == Auth::Required),
        "to = [\"Reader One <one@example.org>\", \"two@example.org\"]",
    );
    let seen = Utc.with_ymd_and_hms(2024, 5, 7, 4, 0, 0).unwrap();
    let now = seen + Duration::minutes(30);
    let mut store = Store::open(&config.store.path).unwrap();
    support::seed_mai1(&mut store, &config, seen);
    let store = Mutex::new(store);
    let def = &config.digests[0];
    let run = record_run(&store, &config, def, now, None, now).unwrap();
    assert!(run.is_some(), "a run is recorded");
    let mailer = Mailer::from_config(&config).unwrap();
    let report = deliver_pending(&store, &mailer, &config, now)
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.retrying, report.failed),
        (2, 0, 0),
        "{report:?}"
    );
    let again = deliver_pending(&store, &mailer, &config, now + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        again.sent + again.retrying + again.failed,
        0,
        "nothing is sent twice"
    );
    Some((sink, dir))
}

fn check_message(raw: &[u8], to: &str) {
    let text = String::from_utf8_lossy(raw);
    let msg = MessageParser::default().parse(raw).expect("message parses");
    let ct = msg.content_type().expect("Content-Type");
    assert_eq!(
        (ct.ctype(), ct.subtype()),
        ("multipart", Some("alternative")),
        "{text}"
    );
    assert!(text.contains("MIME-Version: 1.0"), "{text}");
    assert_eq!(
        msg.subject(),
        Some("aiwire daily digest, 2024-05-07: 2 stories")
    );
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!(from.address(), Some("digest@aiwire.test"));
    assert_eq!(from.name(), Some("aiwire"));
    let rcpt = msg.to().unwrap().first().unwrap();
    assert_eq!(rcpt.address(), Some(to));
    assert_eq!(
        msg.to().unwrap().iter().count(),
        1,
        "one recipient per message"
    );
    assert!(msg.date().is_some(), "Date header");
    let mid = msg.message_id().expect("Message-ID");
    assert!(
        mid.starts_with("aiwire.") && mid.ends_with("@aiwire.test"),
        "{mid}"
    );
    assert_eq!(msg.text_body_count(), 1);
    assert_eq!(msg.html_body_count(), 1);
    let parts: Vec<String> = msg
        .parts
        .iter()
        .filter_map(|p| p.content_type())
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
        .collect();
    assert_eq!(
        parts,
        vec!["multipart/alternative", "text/plain", "text/html"]
    );
    let plain = msg.body_text(0).unwrap();
    let html = msg.body_html(0).unwrap();
    // The five MAI-1 reports are ONE story, led by The Information, listing the others.
    assert!(
        plain.contains("1. Meet MAI-1: Microsoft Readies New AI Model"),
        "{plain}"
    );
    assert!(
        plain.contains("Also reported by: The Verge <https://www.theverge.com/2024/5/6/microsoft-mai-1>, Ars Technica <https://arstechnica.com/mai-1/>, heise online (de) <https://www.heise.de/news/mai-1.html>, Hacker News"),
        "{plain}"
    );
    assert!(
        plain.contains("2 stories from 6 reports by 5 outlets"),
        "{plain}"
    );
    assert_eq!(
        plain
            .matches("Microsoft is reportedly building MAI-1")
            .count(),
        0,
        "no second MAI-1 story"
    );
    assert!(html.contains("Meet MAI-1: Microsoft Readies New AI Model"));
    assert!(html.contains(">The Verge</a>"), "{html}");
    assert!(html.contains(">heise online</a> (de)"));
    assert!(html.contains("Mentions by company"));
}

fn check_delivery(sink: &SmtpSink) {
    let messages = sink.messages();
    assert_eq!(messages.len(), 2, "one message per recipient");
    let rcpts = sink.recipients();
    assert_eq!(
        rcpts,
        vec![
            vec!["one@example.org".to_string()],
            vec!["two@example.org".to_string()]
        ]
    );
    check_message(&messages[0], "one@example.org");
    check_message(&messages[1], "two@example.org");
    // The Message-ID differs per recipient and is stable per (run, recipient).
    let ids: Vec<String> = messages
        .iter()
        .map(|m| {
            MessageParser::default()
                .parse(m)
                .unwrap()
                .message_id()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
}

#[tokio::test]
async fn plain_smtp_on_localhost() {
    if let Some((sink, _dir)) = send_through(Mode::Plain, "none", Auth::None).await {
        check_delivery(&sink);
    }
}

#[tokio::test]
async fn starttls_with_auth() {
    if let Some((sink, _dir)) = send_through(Mode::Starttls, "starttls", Auth::Required).await {
        check_delivery(&sink);
    }
}

#[tokio::test]
async fn implicit_tls_with_auth() {
    if let Some((sink, _dir)) = send_through(Mode::Implicit, "tls", Auth::Required).await {
        check_delivery(&sink);
    }
}

#[tokio::test]
async fn wrong_password_is_permanent_and_reported() {
    let Some(python) = support::python_or_skip("wrong_password_is_permanent_and_reported") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(
        &python,
        Mode::Starttls,
        Auth::Required,
        &dir.path().join("inbox"),
    );
    let mut mail = support::smtp_mail(dir.path(), sink.port, "starttls", true);
    let bad = dir.path().join("bad-pass");
    std::fs::write(&bad, "wrong\n").unwrap();
    mail = mail
        .lines()
        .map(|l| {
            if l.starts_with("password_file") {
                format!("password_file = \"{}\"", bad.display())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let config = support::config(dir.path(), &mail, "to = [\"one@example.org\"]");
    let seen = Utc.with_ymd_and_hms(2024, 5, 7, 4, 0, 0).unwrap();
    let now = seen + Duration::minutes(30);
    let mut store = Store::open(&config.store.path).unwrap();
    support::seed_mai1(&mut store, &config, seen);
    let store = Mutex::new(store);
    record_run(&store, &config, &config.digests[0], now, None, now).unwrap();
    let mailer = Mailer::from_config(&config).unwrap();
    let report = deliver_pending(&store, &mailer, &config, now)
        .await
        .unwrap();
    assert_eq!(
        (report.sent, report.retrying, report.failed),
        (0, 0, 1),
        "{report:?}"
    );
    assert_eq!(store.lock().unwrap().digest_counts().unwrap(), (0, 1));
    assert!(sink.messages().is_empty());
}

#[tokio::test]
async fn untrusted_certificate_is_refused() {
    let Some(python) = support::python_or_skip("untrusted_certificate_is_refused") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(
        &python,
        Mode::Starttls,
        Auth::None,
        &dir.path().join("inbox"),
    );
    // No ca_file: the test CA is not trusted, so the handshake must fail (and not be skipped).
    let mail: String = support::smtp_mail(dir.path(), sink.port, "starttls", false)
        .lines()
        .filter(|l| !l.starts_with("ca_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    let config = support::config(dir.path(), &mail, "to = [\"one@example.org\"]");
    let seen = Utc.with_ymd_and_hms(2024, 5, 7, 4, 0, 0).unwrap();
    let now = seen + Duration::minutes(30);
    let mut store = Store::open(&config.store.path).unwrap();
    support::seed_mai1(&mut store, &config, seen);
    let store = Mutex::new(store);
    record_run(&store, &config, &config.digests[0], now, None, now).unwrap();
    let mailer = Mailer::from_config(&config).unwrap();
    let report = deliver_pending(&store, &mailer, &config, now)
        .await
        .unwrap();
    assert_eq!(report.sent, 0, "{report:?}");
    assert!(sink.messages().is_empty());
}
