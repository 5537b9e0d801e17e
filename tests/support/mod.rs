//! Shared helpers of the digest and mail integration tests: a real SMTP server (aiosmtpd,
//! `smtp_sink.py` beside this file) started on 127.0.0.1 by the test, a store seeded with the
//! MAI-1 reports assigned to one story directly (no dependence on clustering), and configs.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration as StdDuration;

use aiwire::config::Config;
use aiwire::model::{DateSource, ParsedEntry, Tags};
use aiwire::store::Store;
use chrono::{DateTime, Duration, Utc};

/// The Python that runs `smtp_sink.py`: `AIWIRE_TEST_PYTHON`, else `.venv/bin/python` at the
/// top of the repository (`.ci/run` prepares it with `pip install aiosmtpd==1.4.6`), provided
/// it can import aiosmtpd.
pub fn python() -> Result<PathBuf, String> {
    let candidate = std::env::var_os("AIWIRE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        Ok(candidate)
    } else {
        Err(format!(
            "{} cannot import aiosmtpd; run `python3 -m venv .venv && .venv/bin/pip install aiosmtpd==1.4.6` \
             or set AIWIRE_TEST_PYTHON",
            candidate.display()
        ))
    }
}

/// The Python for the SMTP server, or `None` after saying loudly why the test is skipped.
/// Under CI (`CI` set) a missing server is a failure, not a skip.
pub fn python_or_skip(test: &str) -> Option<PathBuf> {
    match python() {
        Ok(p) => Some(p),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("{test}: the SMTP test server is unavailable under CI: {why}")
        }
        Err(why) => {
            // Written to the stderr handle directly: libtest captures eprintln! of passing
            // tests, and a skip must be seen.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n!!! SKIPPED {test}: no SMTP test server: {why} !!!\n"
            );
            None
        }
    }
}

#[allow(unused_imports)]
pub use common::free_port;

pub fn tls_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/digest/tls")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plain,
    Starttls,
    Implicit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    Required,
}

/// A running aiosmtpd server; killed when dropped.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl SmtpSink {
    pub fn start(python: &Path, mode: Mode, auth: Auth, dir: &Path) -> SmtpSink {
        SmtpSink::start_on(python, free_port(), mode, auth, dir)
    }

    pub fn start_on(python: &Path, port: u16, mode: Mode, auth: Auth, dir: &Path) -> SmtpSink {
        use std::io::BufRead;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_sink.py");
        let mut cmd = Command::new(python);
        cmd.arg(script)
            .args(["--port", &port.to_string(), "--outdir"])
            .arg(dir)
            .args([
                "--mode",
                match mode {
                    Mode::Plain => "plain",
                    Mode::Starttls => "starttls",
                    Mode::Implicit => "implicit",
                },
            ])
            .arg("--cert")
            .arg(tls_dir().join("cert.pem"))
            .arg("--key")
            .arg(tls_dir().join("key.pem"))
            .env("PYTHONWARNINGS", "ignore")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if auth == Auth::Required {
            cmd.arg("--auth");
        }
        let mut child = cmd.spawn().expect("start smtp_sink.py");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read smtp_sink.py readiness line");
        assert!(
            line.starts_with("listening"),
            "smtp_sink.py did not start: {line:?}"
        );
        SmtpSink {
            child,
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// Messages received so far, in arrival order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let mut files: Vec<(u32, PathBuf)> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                let n = p
                    .file_name()?
                    .to_str()?
                    .strip_suffix(".eml")?
                    .parse()
                    .ok()?;
                Some((n, p))
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read(p).unwrap())
            .collect()
    }

    /// Envelope recipients of each message, in arrival order.
    pub fn recipients(&self) -> Vec<Vec<String>> {
        let n = self.messages().len();
        (1..=n)
            .map(|i| {
                let v: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(self.dir.join(format!("{i}.json"))).unwrap(),
                )
                .unwrap();
                v["rcpt_tos"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r.as_str().unwrap().to_string())
                    .collect()
            })
            .collect()
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `cond` every 20 ms for at most `limit`.
pub fn wait_until(limit: StdDuration, cond: impl FnMut() -> bool) -> bool {
    common::poll_until(limit, StdDuration::from_millis(20), cond)
}

/// The demo outlets: (name, weight).
pub const FEEDS: &[(&str, f64)] = &[
    ("The Information", 1.5),
    ("The Verge", 1.0),
    ("Ars Technica", 1.0),
    ("heise online", 1.0),
    ("Hacker News", 0.5),
];

fn feed_url(name: &str) -> String {
    format!(
        "https://{}.example/feed.xml",
        name.to_lowercase().replace(' ', "-")
    )
}

/// `[[feed]]` entries for [`FEEDS`].
pub fn feeds_toml() -> String {
    FEEDS
        .iter()
        .map(|(name, weight)| {
            format!(
                "[[feed]]\nurl = \"{}\"\nname = \"{name}\"\nweight = {weight}\n\n",
                feed_url(name)
            )
        })
        .collect()
}

/// A config with the demo feeds, one digest and the given `[mail]` and digest lines.
pub fn config(dir: &Path, mail: &str, digest_extra: &str) -> Config {
    let text = format!(
        "[store]\npath = \"{}\"\n\n{}[[digest]]\nname = \"daily\"\nschedule = \"0 7 * * *\"\ntimezone = \"Europe/Berlin\"\n{digest_extra}\n\n[mail]\n{mail}\n",
        dir.join("aiwire.db").display(),
        feeds_toml()
    );
    let path = dir.join("aiwire.toml");
    std::fs::write(&path, &text).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// `[mail]` lines for an SMTP server on 127.0.0.1.
pub fn smtp_mail(dir: &Path, port: u16, tls: &str, auth: bool) -> String {
    let mut s = format!(
        "transport = \"smtp\"\nfrom = \"aiwire <digest@aiwire.test>\"\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"{tls}\"\ntimeout_secs = 10\nca_file = \"{}\"\n",
        tls_dir().join("ca.pem").display()
    );
    if auth {
        let pw = dir.join("smtp-password");
        std::fs::write(&pw, "secret\n").unwrap();
        s.push_str(&format!(
            "username = \"digest\"\npassword_file = \"{}\"\n",
            pw.display()
        ));
    }
    s
}

/// A parsed entry (the one place tests build `ParsedEntry`, so a new field is one fix).
pub fn entry(
    key: &str,
    title: &str,
    link: &str,
    summary: &str,
    lang: &str,
    published: DateTime<Utc>,
) -> ParsedEntry {
    ParsedEntry {
        key: key.into(),
        title: title.into(),
        link: Some(link.into()),
        canonical_link: Some(link.into()),
        published,
        date_source: DateSource::Feed,
        summary: summary.into(),
        language: Some(lang.into()),
        authors: vec![],
        content_html: None,
        guid: Some(key.into()),
    }
}

/// Seeds the store with the MAI-1 reports of five outlets (assigned to story 1 directly) and
/// one unrelated story (2), all first seen at `seen` and published shortly before it.
pub fn seed_mai1(store: &mut Store, config: &Config, seen: DateTime<Utc>) {
    let rows = store.sync_feeds(&config.feeds, seen).unwrap();
    let id = |name: &str| {
        rows.iter()
            .find(|r| r.name.as_deref() == Some(name))
            .unwrap()
            .id
    };
    let ms = Tags {
        companies: vec!["Microsoft".into(), "OpenAI".into()],
        models: vec!["MAI-1".into()],
        people: vec!["Mustafa Suleyman".into()],
        ai_topic: true,
    };
    let t = |h: i64| seen - Duration::hours(h);
    let reports = [
        (
            "The Information",
            "ti-1",
            "Meet MAI-1: Microsoft Readies New AI Model to Compete With Google, OpenAI",
            "https://www.theinformation.com/articles/meet-mai-1",
            "Microsoft is training an in-house model of roughly 500 billion parameters.",
            "en",
            10,
        ),
        (
            "The Verge",
            "tv-1",
            "Microsoft is reportedly building MAI-1, a 500B-parameter model",
            "https://www.theverge.com/2024/5/6/microsoft-mai-1",
            "Microsoft is working on MAI-1.",
            "en",
            8,
        ),
        (
            "Ars Technica",
            "ars-1",
            "Microsoft is reportedly training MAI-1, a homegrown AI model",
            "https://arstechnica.com/mai-1/",
            "The roughly 500B-parameter MAI-1 model.",
            "en",
            6,
        ),
        (
            "heise online",
            "heise-1",
            "MAI-1: Microsoft entwickelt eigenes großes KI-Modell",
            "https://www.heise.de/news/mai-1.html",
            "Microsofts neues Sprachmodell MAI-1.",
            "de",
            6,
        ),
        (
            "Hacker News",
            "hn-1",
            "Microsoft readies new AI model to compete with Google, OpenAI",
            "https://www.theinformation.com/articles/meet-mai-1",
            "Comments",
            "en",
            7,
        ),
    ];
    let mut assignments = Vec::new();
    for (feed, key, title, link, summary, lang, hours) in reports {
        let ids = store
            .insert_items(
                id(feed),
                &[(entry(key, title, link, summary, lang, t(hours)), ms.clone())],
                seen,
            )
            .unwrap();
        assignments.extend(
            ids.into_iter()
                .map(|item| aiwire::store::testing::placement(item, 1)),
        );
    }
    let apple = Tags {
        companies: vec!["Apple".into()],
        ai_topic: true,
        ..Tags::default()
    };
    let ids = store
        .insert_items(
            id("The Verge"),
            &[(
                entry(
                    "tv-2",
                    "Apple unveils the M4 chip",
                    "https://www.theverge.com/m4",
                    "Apple's new M4 chip.",
                    "en",
                    t(3),
                ),
                apple,
            )],
            seen,
        )
        .unwrap();
    assignments.extend(
        ids.into_iter()
            .map(|item| aiwire::store::testing::placement(item, 2)),
    );
    store.assign_stories(&assignments, seen).unwrap();
}

/// The path of the built `aiwire` binary.
pub fn aiwire_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_aiwire"))
}
