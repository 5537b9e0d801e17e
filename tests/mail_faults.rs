//! Exactly-once delivery under faults, against a real SMTP server (aiosmtpd) on 127.0.0.1:
//! the server down at send time and up later, a 451 answer (retried), a 550 answer
//! (reported, never retried), and the process killed between recording a run and the
//! server accepting it (delivered once after restart, never twice).

mod support;

use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration as StdDuration;

use aiwire::mail::Mailer;
use aiwire::send_digest::{
    DeliveryReport, Unrecorded, deliver_pending, deliver_pending_remembering, record_run,
};
use aiwire::store::Store;
use chrono::{DateTime, Duration, TimeZone, Utc};
use support::{Auth, Mode, SmtpSink};

fn seen() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 7, 4, 0, 0).unwrap()
}

fn counts(r: &DeliveryReport) -> (usize, usize, usize) {
    (r.sent, r.retrying, r.failed)
}

/// A seeded store, a config sending to `to` through 127.0.0.1:`port` and a recorded run.
fn recorded(dir: &std::path::Path, port: u16, to: &str) -> (aiwire::config::Config, Mutex<Store>) {
    let config = support::config(
        dir,
        &support::smtp_mail(dir, port, "none", false),
        &format!("to = {to}"),
    );
    let mut store = Store::open(&config.store.path).unwrap();
    support::seed_mai1(&mut store, &config, seen());
    let store = Mutex::new(store);
    let now = seen() + Duration::minutes(30);
    assert!(
        record_run(&store, &config, &config.digests[0], now, None, now)
            .unwrap()
            .is_some()
    );
    (config, store)
}

#[tokio::test]
async fn server_down_then_up_delivers_once() {
    let Some(python) = support::python_or_skip("server_down_then_up_delivers_once") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    let (config, store) = recorded(dir.path(), port, "[\"one@example.org\"]");
    let mailer = Mailer::from_config(&config).unwrap();
    let t0 = seen() + Duration::minutes(30);
    // Nothing listens on the port: connection refused is transient.
    let r = deliver_pending(&store, &mailer, &config, t0).await.unwrap();
    assert_eq!(counts(&r), (0, 1, 0));
    let sink = SmtpSink::start_on(
        &python,
        port,
        Mode::Plain,
        Auth::None,
        &dir.path().join("inbox"),
    );
    // Back-off: not due again 30 s later.
    let r = deliver_pending(&store, &mailer, &config, t0 + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(counts(&r), (0, 0, 0));
    let r = deliver_pending(&store, &mailer, &config, t0 + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(counts(&r), (1, 0, 0));
    let r = deliver_pending(&store, &mailer, &config, t0 + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(counts(&r), (0, 0, 0));
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(store.lock().unwrap().digest_counts().unwrap(), (1, 0));
}

#[tokio::test]
async fn answer_451_is_retried_until_accepted() {
    let Some(python) = support::python_or_skip("answer_451_is_retried_until_accepted") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&python, Mode::Plain, Auth::None, &dir.path().join("inbox"));
    let (config, store) = recorded(dir.path(), sink.port, "[\"tempfail-2@example.org\"]");
    let mailer = Mailer::from_config(&config).unwrap();
    let mut t = seen() + Duration::minutes(30);
    let mut history = Vec::new();
    for _ in 0..4 {
        history.push(counts(
            &deliver_pending(&store, &mailer, &config, t).await.unwrap(),
        ));
        t += Duration::minutes(10);
    }
    assert_eq!(history, vec![(0, 1, 0), (0, 1, 0), (1, 0, 0), (0, 0, 0)]);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(
        sink.recipients(),
        vec![vec!["tempfail-2@example.org".to_string()]]
    );
}

#[tokio::test]
async fn answer_550_is_reported_and_not_retried() {
    let Some(python) = support::python_or_skip("answer_550_is_reported_and_not_retried") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(&python, Mode::Plain, Auth::None, &dir.path().join("inbox"));
    let (config, store) = recorded(
        dir.path(),
        sink.port,
        "[\"reject@example.org\", \"ok@example.org\"]",
    );
    let mailer = Mailer::from_config(&config).unwrap();
    let t = seen() + Duration::minutes(30);
    let r = deliver_pending(&store, &mailer, &config, t).await.unwrap();
    assert_eq!(counts(&r), (1, 0, 1), "the good recipient still gets it");
    for later in [Duration::minutes(5), Duration::hours(2), Duration::days(2)] {
        let r = deliver_pending(&store, &mailer, &config, t + later)
            .await
            .unwrap();
        assert_eq!(counts(&r), (0, 0, 0), "a 5xx is never retried");
    }
    assert_eq!(sink.recipients(), vec![vec!["ok@example.org".to_string()]]);
    assert_eq!(store.lock().unwrap().digest_counts().unwrap(), (1, 1));
}

/// The binary is SIGKILLed while its delivery is in flight (the server holds the RCPT, so
/// nothing was accepted); the next start delivers the recorded run once, and later starts
/// send nothing more.
#[test]
fn killed_between_recording_and_sending_delivers_once() {
    let Some(python) =
        support::python_or_skip("killed_between_recording_and_sending_delivers_once")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::write(inbox.join("hold"), "").unwrap();
    let sink = SmtpSink::start(&python, Mode::Plain, Auth::None, &inbox);
    let config = support::config(
        dir.path(),
        &support::smtp_mail(dir.path(), sink.port, "none", false),
        "to = [\"one@example.org\"]",
    );
    // Data first seen an hour ago, so the binary's real clock finds it in its period.
    let seen = Utc::now() - Duration::hours(1);
    {
        let mut store = Store::open(&config.store.path).unwrap();
        support::seed_mai1(&mut store, &config, seen);
    }
    let send = || {
        let mut cmd = Command::new(support::aiwire_bin());
        cmd.arg("--config")
            .arg(&config.source)
            .args(["digest", "--send"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    };
    let mut first = send().spawn().unwrap();
    if !support::wait_until(StdDuration::from_secs(30), || {
        inbox.join("holding").exists()
    }) {
        let _ = first.kill();
        let out = first.wait_with_output().unwrap();
        panic!(
            "the first process never reached the server: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    first.kill().unwrap(); // SIGKILL: no clean-up runs
    first.wait().unwrap();
    {
        let store = Store::open(&config.store.path).unwrap();
        assert_eq!(store.digest_counts().unwrap(), (0, 0), "recorded, not sent");
        assert_eq!(store.pending_deliveries(Utc::now()).unwrap().len(), 1);
    }
    std::fs::remove_file(inbox.join("hold")).unwrap();
    let out = send().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("nothing new to send"), "{stdout}");
    assert!(stdout.contains("1 sent"), "{stdout}");
    let out = send().output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 sent"), "{stdout}");
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
    let store = Store::open(&config.store.path).unwrap();
    assert_eq!(store.digest_counts().unwrap(), (1, 0));
}

/// The transport accepted the digest but the store could not record it as sent (a full
/// disk): the daemon's passes do not send it again, and record it once the store takes
/// writes again.
#[tokio::test]
async fn accepted_but_unrecorded_is_recorded_later_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mail = format!(
        "transport = \"file\"\ndir = \"{}\"\nfrom = \"aiwire <digest@aiwire.test>\"\n",
        outbox.display()
    );
    let config = support::config(dir.path(), &mail, "to = [\"one@example.org\"]");
    let mut store = Store::open(&config.store.path).unwrap();
    support::seed_mai1(&mut store, &config, seen());
    let store = Mutex::new(store);
    let now = seen() + Duration::minutes(30);
    let run = record_run(&store, &config, &config.digests[0], now, None, now)
        .unwrap()
        .unwrap();
    let mailer = Mailer::from_config(&config).unwrap();
    let messages = || {
        std::fs::read_dir(&outbox).map_or(0, |d| {
            d.filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "eml")
            })
            .count()
        })
    };

    aiwire::store::testing::refuse_sent_marks(&mut store.lock().unwrap());
    let mut unrecorded = Unrecorded::default();
    for pass in 0..3 {
        let at = now + Duration::seconds(20 * pass);
        let err = deliver_pending_remembering(&store, &mailer, &config, at, &mut unrecorded, || {})
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(
            text.contains("accepted for one@example.org but could not be recorded")
                && text.contains("disk is full"),
            "{text}"
        );
        assert_eq!(messages(), 1, "pass {pass}: sent once, never again");
    }
    assert_eq!(unrecorded.len(), 1);

    aiwire::store::testing::accept_sent_marks(&mut store.lock().unwrap());
    let at = now + Duration::minutes(2);
    let mut beats = 0;
    let r =
        deliver_pending_remembering(&store, &mailer, &config, at, &mut unrecorded, || beats += 1)
            .await
            .unwrap();
    assert_eq!(beats, 1, "progress is reported before each delivery");
    assert_eq!(
        (counts(&r), r.files.len()),
        ((1, 0, 0), 0),
        "recorded, not sent"
    );
    assert!(unrecorded.is_empty());
    assert_eq!(messages(), 1);
    let runs = store.lock().unwrap().digest_runs("daily").unwrap();
    let run = runs.iter().find(|r| r.id == run).unwrap();
    assert_eq!(run.state, "sent");
    let later = at + Duration::hours(1);
    let r = deliver_pending(&store, &mailer, &config, later)
        .await
        .unwrap();
    assert_eq!(counts(&r), (0, 0, 0));
}
