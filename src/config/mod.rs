//! The TOML config file: typed sections, loaded and validated once, errors that name
//! file, line, column and key. Secrets are only referenced (`password_env` /
//! `password_file`) and resolved on demand, never stored in [`Config`] or printed.

pub mod digest;
pub mod duration;
pub mod fetch;
pub mod mail;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use digest::{CatchUp, DigestConfig, DigestFilter};
pub use duration::{HumanDuration, parse_duration};
pub use fetch::{FeedConfig, FetchConfig};
pub use mail::{MailConfig, SmtpTls, Transport};

use crate::cluster::ClusterConfig;

/// Where aiwire looks for its config when neither `--config` nor `AIWIRE_CONFIG` is given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/aiwire/aiwire.toml";

/// The whole config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// OPML files whose `<outline xmlUrl=…>` entries are added as feeds.
    #[serde(default)]
    pub opml: Vec<PathBuf>,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub fetch: FetchConfig,
    #[serde(default, rename = "feed")]
    pub feeds: Vec<FeedConfig>,
    #[serde(default, rename = "digest")]
    pub digests: Vec<DigestConfig>,
    #[serde(default)]
    pub mail: MailConfig,
    #[serde(default)]
    pub cluster: ClusterConfig,
    #[serde(default)]
    pub tag: TagConfig,
    #[serde(default)]
    pub retention: RetentionConfig,
    #[serde(default)]
    pub http: HttpConfig,
    /// The file this was read from; relative paths inside were resolved against its folder.
    #[serde(skip)]
    pub source: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from("/var/lib/aiwire/aiwire.db"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TagConfig {
    /// Extra taxonomy files (same format as `config/taxonomy.toml`), merged over the built-in one.
    pub taxonomy: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Items older than this are pruned (their keys are kept so they never return as new).
    pub items: HumanDuration,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig {
            items: HumanDuration::days(90),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address of the optional health / metrics / Atom listener, e.g. `127.0.0.1:9187`; off when
    /// unset. Parsed here so a typo is a config error with a line number, not a start-up failure.
    pub listen: Option<std::net::SocketAddr>,
}

/// A config problem, located in the file when possible.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line and column.
    pub position: Option<(usize, usize)>,
    /// Dotted key path, e.g. `digest[0].schedule`.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            position: None,
            key: None,
            message: format!(
                "cannot read config file: {e}; pass --config PATH or set AIWIRE_CONFIG"
            ),
        })?;
        Config::from_str(&text, path)
    }

    /// Parses and validates config text; `path` names it in errors and anchors relative paths.
    pub fn from_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let position = e.span().map(|s| line_col(text, s.start));
            ConfigError {
                file: path.to_path_buf(),
                position,
                key: None,
                message: e.message().trim().to_string(),
            }
        })?;
        config.source = path.to_path_buf();
        let base = std::path::absolute(path.parent().unwrap_or(Path::new(".")))
            .unwrap_or_else(|_| path.parent().map(Path::to_path_buf).unwrap_or_default());
        config.resolve_paths(&base);
        config.validate().map_err(|(key, message)| ConfigError {
            file: path.to_path_buf(),
            position: locate(text, &key),
            key: Some(key),
            message,
        })?;
        config.add_opml_feeds()?;
        Ok(config)
    }

    /// Appends the feeds of the configured OPML files (a URL already configured wins).
    fn add_opml_feeds(&mut self) -> Result<(), ConfigError> {
        for path in self.opml.clone() {
            let err = |message: String| ConfigError {
                file: path.clone(),
                position: None,
                key: None,
                message,
            };
            let text = std::fs::read_to_string(&path)
                .map_err(|e| err(format!("cannot read OPML file: {e}")))?;
            let feeds = crate::opml::parse(&text).map_err(|e| err(e.to_string()))?;
            for f in feeds {
                if self.feeds.iter().any(|c| c.url == f.url) {
                    continue;
                }
                self.feeds.push(FeedConfig::new(f.url, f.title));
            }
        }
        Ok(())
    }

    /// Makes every relative path absolute against the config file's folder.
    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = normalize(&base.join(&*p));
            }
        };
        fix(&mut self.store.path);
        self.opml.iter_mut().for_each(fix);
        self.tag.taxonomy.iter_mut().for_each(fix);
        if let Some(d) = &mut self.mail.dir {
            fix(d);
        }
        // The file transport writes beside the database unless told otherwise, so a config
        // without [mail] (e.g. one that only fetches) is complete.
        if self.mail.dir.is_none() && self.mail.transport == Transport::File {
            self.mail.dir = Some(
                self.store
                    .path
                    .parent()
                    .unwrap_or(Path::new("."))
                    .join("outbox"),
            );
        }
        if let Some(p) = &mut self.mail.password_file {
            fix(p);
        }
        if let Some(p) = &mut self.mail.ca_file {
            fix(p);
        }
        for feed in &mut self.feeds {
            if !feed.url.contains("://") {
                let p = PathBuf::from(&feed.url);
                let abs = if p.is_relative() { base.join(p) } else { p };
                feed.url = url::Url::from_file_path(normalize(&abs))
                    .map(|u| u.to_string())
                    .unwrap_or_else(|_| abs.display().to_string());
            }
        }
    }

    /// Checks what serde cannot: returns the dotted key and what was expected.
    fn validate(&self) -> Result<(), (String, String)> {
        for (i, feed) in self.feeds.iter().enumerate() {
            let key = |k: &str| format!("feed[{i}].{k}");
            match url::Url::parse(&feed.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https" | "file") => {}
                Ok(u) => {
                    return Err((
                        key("url"),
                        format!(
                            "scheme {:?} is not supported; use http, https, file or a path",
                            u.scheme()
                        ),
                    ));
                }
                Err(e) => return Err((key("url"), format!("not a URL ({e}): {:?}", feed.url))),
            }
            if !(feed.weight.is_finite() && feed.weight >= 0.0) {
                return Err((key("weight"), "expected a number ≥ 0".into()));
            }
        }
        let mut names = std::collections::HashSet::new();
        for (i, d) in self.digests.iter().enumerate() {
            let key = |k: &str| format!("digest[{i}].{k}");
            if !names.insert(d.name.as_str()) {
                return Err((
                    key("name"),
                    format!(
                        "digest name {:?} is used twice; names must be unique",
                        d.name
                    ),
                ));
            }
            let schedule = crate::schedule::Schedule::parse(&d.schedule, &d.timezone).map_err(
                |e| match e {
                    crate::schedule::ScheduleError::Timezone(m) => (key("timezone"), m),
                    crate::schedule::ScheduleError::Cron(m) => (key("schedule"), m),
                },
            )?;
            if schedule.next_after(chrono::Utc::now()).is_none() {
                return Err((
                    key("schedule"),
                    format!(
                        "{:?} never fires again (its years are past); give a schedule with a future fire time",
                        d.schedule
                    ),
                ));
            }
            // Items pruned before a digest's next run would never be in it.
            let keep = self.retention.items.as_chrono();
            // A digest shows items first seen since its last run and published within its
            // max_age, so it needs them kept for the shorter of the two.
            let gap = longest_gap(&schedule);
            let needed = gap.min(d.max_age.as_chrono());
            if keep <= needed {
                return Err((
                    "retention.items".into(),
                    format!(
                        "{} does not keep items for the {} digest {:?} needs (the shorter of the {} between two of its runs and its max_age {}): they would be pruned before it sends them; keep them longer",
                        self.retention.items,
                        HumanDuration::secs(needed.num_seconds().max(0) as u64),
                        d.name,
                        HumanDuration::secs(gap.num_seconds().max(0) as u64),
                        d.max_age,
                    ),
                ));
            }
            if d.to.is_empty() {
                return Err((
                    key("to"),
                    "expected at least one recipient, e.g. `to = [\"you@example.org\"]` (without one, every run would count its stories as sent and mail nothing)".into(),
                ));
            }
            for (j, to) in d.to.iter().enumerate() {
                if let Some(problem) = crate::mail::mailbox_problem(to) {
                    return Err((
                        format!("digest[{i}].to[{j}]"),
                        format!(
                            "{to:?} is not an e-mail address that can be sent to ({problem}); write `name@example.org` or `Name <name@example.org>`, and quote a name with commas or colons: `\"Doe, Jane\" <jane@example.org>`"
                        ),
                    ));
                }
            }
            if d.max_stories == 0 {
                return Err((key("max_stories"), "expected at least 1".into()));
            }
        }
        if self.fetch.concurrency == 0 {
            return Err(("fetch.concurrency".into(), "expected at least 1".into()));
        }
        if self.fetch.per_host_concurrency == 0 {
            return Err((
                "fetch.per_host_concurrency".into(),
                "expected at least 1".into(),
            ));
        }
        if self.fetch.min_interval > self.fetch.max_interval {
            return Err((
                "fetch.min_interval".into(),
                "must not exceed fetch.max_interval".into(),
            ));
        }
        self.cluster.validate()?;
        let m = &self.mail;
        if let Some(problem) = crate::mail::mailbox_problem(&m.from) {
            return Err((
                "mail.from".into(),
                format!(
                    "{:?} is not a mailbox like `aiwire <aiwire@example.org>` ({problem}); quote a name with commas or colons: `\"AI Wire: daily\" <aiwire@example.org>`",
                    m.from
                ),
            ));
        }
        match m.transport {
            Transport::Smtp if m.host.is_none() => {
                return Err(("mail.host".into(), "the smtp transport needs `host`".into()));
            }
            _ => {}
        }
        if m.password_env.is_some() && m.password_file.is_some() {
            return Err((
                "mail.password_file".into(),
                "give either password_env or password_file, not both".into(),
            ));
        }
        if let Some(p) = &m.password_file
            && let Err(e) = std::fs::metadata(p)
        {
            return Err((
                "mail.password_file".into(),
                format!("cannot read {}: {e}", p.display()),
            ));
        }
        if let Some(var) = &m.password_env
            && std::env::var_os(var).is_none()
        {
            return Err((
                "mail.password_env".into(),
                format!("environment variable {var} is not set"),
            ));
        }
        if (m.password_env.is_some() || m.password_file.is_some()) && m.username.is_none() {
            return Err((
                "mail.username".into(),
                "a password is configured but no username".into(),
            ));
        }
        for (i, p) in self.opml.iter().enumerate() {
            if let Err(e) = std::fs::metadata(p) {
                return Err((
                    format!("opml[{i}]"),
                    format!("cannot read {}: {e}", p.display()),
                ));
            }
        }
        Ok(())
    }

    /// The SMTP password, read from the environment or the password file at the moment of use.
    pub fn smtp_password(&self) -> anyhow::Result<Option<String>> {
        if let Some(var) = &self.mail.password_env {
            return std::env::var(var).map(Some).map_err(|_| {
                anyhow::anyhow!("mail.password_env: environment variable {var} is not set")
            });
        }
        if let Some(path) = &self.mail.password_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                anyhow::anyhow!("mail.password_file: cannot read {}: {e}", path.display())
            })?;
            return Ok(Some(text.lines().next().unwrap_or_default().to_string()));
        }
        Ok(None)
    }

    /// The resolved config as TOML, for `aiwire check`. It holds no secret values: only the
    /// names of the variable or file that hold them.
    pub fn to_redacted_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}

/// The longest time between two consecutive fires of a schedule over a year from a fixed
/// instant (deterministic, so validation does not depend on the day it runs). A schedule
/// that fires more than 20,000 times a year is read up to then: its gaps are minutes.
fn longest_gap(schedule: &crate::schedule::Schedule) -> chrono::Duration {
    let start = chrono::DateTime::<chrono::Utc>::from_timestamp(1_704_067_200, 0)
        .expect("2024-01-01 is a valid time");
    let end = start + chrono::Duration::days(400);
    let Some(mut at) = schedule.next_after(start) else {
        return chrono::Duration::zero();
    };
    let mut longest = chrono::Duration::zero();
    for _ in 0..20_000 {
        let Some(next) = schedule.next_after(at) else {
            break;
        };
        longest = longest.max(next - at);
        if next > end {
            break;
        }
        at = next;
    }
    longest
}

/// Removes `.` and `..` components without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Finds the position of a dotted key path such as `digest[0].schedule` in the source text.
fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    use toml::de::{DeTable, DeValue};
    let doc = DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut span = None;
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let (k, v) = table.iter().find(|(k, _)| k.get_ref().as_ref() == name)?;
        span = Some(k.span());
        let mut value = v.get_ref();
        if let Some(i) = index {
            let DeValue::Array(items) = value else { break };
            let item = items.get(i)?;
            span = Some(item.span());
            value = item.get_ref();
        }
        match value {
            DeValue::Table(t) if parts.peek().is_some() => table = t,
            _ => break,
        }
    }
    span.map(|s| line_col(text, s.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        Config::from_str(text, Path::new("/etc/aiwire/test.toml")).unwrap_err()
    }

    const MINIMAL: &str = "[mail]\ntransport = \"file\"\ndir = \"out\"\nfrom = \"a@b.c\"\n";

    #[test]
    fn minimal_config_resolves_relative_paths() {
        let c = Config::from_str(
            &format!(
                "{MINIMAL}[store]\npath = \"db/aiwire.db\"\n[[feed]]\nurl = \"feeds/a.xml\"\n"
            ),
            Path::new("/srv/aiwire/aiwire.toml"),
        )
        .unwrap();
        assert_eq!(c.store.path, PathBuf::from("/srv/aiwire/db/aiwire.db"));
        assert_eq!(c.feeds[0].url, "file:///srv/aiwire/feeds/a.xml");
        assert_eq!(c.mail.dir.as_deref(), Some(Path::new("/srv/aiwire/out")));
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let e = err(&format!("{MINIMAL}[store]\npath = \"x\"\ncolour = 3\n"));
        let s = e.to_string();
        assert!(s.starts_with("/etc/aiwire/test.toml:7:"), "{s}");
        assert!(s.contains("colour"), "{s}");
    }

    #[test]
    fn bad_cron_names_digest_schedule_line() {
        let e = err(&format!(
            "{MINIMAL}[[digest]]\nname = \"daily\"\nschedule = \"0 25 * * *\"\ntimezone = \"UTC\"\n"
        ));
        assert_eq!(e.key.as_deref(), Some("digest[0].schedule"));
        assert_eq!(e.position.map(|p| p.0), Some(7), "{e}");
    }

    #[test]
    fn unknown_timezone_names_key() {
        let e = err(&format!(
            "{MINIMAL}[[digest]]\nname = \"daily\"\nschedule = \"0 7 * * *\"\ntimezone = \"Europe/Atlantis\"\n"
        ));
        assert_eq!(e.key.as_deref(), Some("digest[0].timezone"));
        assert_eq!(e.position.map(|p| p.0), Some(8), "{e}");
        assert!(e.message.contains("Europe/Atlantis"), "{e}");
    }

    #[test]
    fn addresses_are_checked_as_the_mailer_reads_them() {
        let digest = |to: &str| {
            format!(
                "{MINIMAL}[[digest]]\nname = \"daily\"\nschedule = \"0 7 * * *\"\nto = [{to}]\n"
            )
        };
        // Addresses a loose check let through and the mailer refused at the first send.
        for bad in [
            r#""Doe, Jane <jane@example.org>""#,
            r#""jane smith@example.org""#,
            r#""jane@""#,
            r#""jane@example..org""#,
        ] {
            let e = err(&digest(bad));
            assert_eq!(e.key.as_deref(), Some("digest[0].to[0]"), "{bad}: {e}");
            assert!(
                e.message.contains("cannot") || e.message.contains("can be sent"),
                "{e}"
            );
            assert_eq!(e.position.map(|p| p.0), Some(8), "{e}");
        }
        let ok = digest(r#""\"Doe, Jane\" <jane@example.org>", "ops@example.org""#);
        Config::from_str(&ok, Path::new("/etc/aiwire/test.toml")).unwrap();

        // A digest nobody receives would count its stories as sent and mail nothing.
        let e = err(&format!(
            "{MINIMAL}[[digest]]\nname = \"daily\"\nschedule = \"0 7 * * *\"\n"
        ));
        assert_eq!(e.key.as_deref(), Some("digest[0].to"), "{e}");
        assert!(e.message.contains("at least one recipient"), "{e}");

        let e = err(&MINIMAL.replace("a@b.c", "AI Wire: daily <a@example.org>"));
        assert_eq!(e.key.as_deref(), Some("mail.from"), "{e}");
    }

    #[test]
    fn schedules_that_cannot_work_are_config_errors() {
        let digest = |schedule: &str, extra: &str| {
            format!(
                "{MINIMAL}{extra}[[digest]]\nname = \"d\"\nschedule = \"{schedule}\"\nto = [\"a@example.org\"]\n"
            )
        };
        let e = err(&digest("0 0 7 * * * 2023", ""));
        assert_eq!(e.key.as_deref(), Some("digest[0].schedule"), "{e}");
        assert!(e.message.contains("never fires again"), "{e}");

        // A weekly digest showing a week of news, items kept for five days: pruned before the
        // next run.
        let weekly = |items: &str| {
            digest("0 7 * * 1", &format!("[retention]\nitems = \"{items}\"\n"))
                + "max_age = \"7d\"\n"
        };
        let e = err(&weekly("5d"));
        assert_eq!(e.key.as_deref(), Some("retention.items"), "{e}");
        assert_eq!(e.position.map(|p| p.0), Some(6), "{e}");
        assert!(e.message.contains("7d between two of its runs"), "{e}");
        Config::from_str(&weekly("8d"), Path::new("/etc/aiwire/test.toml")).unwrap();
        // With the default max_age (48h) the same digest needs items for two days only.
        let ok = digest("0 7 * * 1", "[retention]\nitems = \"5d\"\n");
        Config::from_str(&ok, Path::new("/etc/aiwire/test.toml")).unwrap();
        let e = err(&digest("0 7 * * *", "[retention]\nitems = \"0\"\n"));
        assert_eq!(e.key.as_deref(), Some("retention.items"), "{e}");
        // Frequent fires with a long pause (every 5 minutes on Mondays): the pause counts.
        let e = err(&digest("*/5 * * * 1", "[retention]\nitems = \"1d\"\n"));
        assert_eq!(e.key.as_deref(), Some("retention.items"), "{e}");
        // A quarterly digest with the default 90 days and max_age is fine.
        let ok = digest("0 7 1 */3 *", "");
        Config::from_str(&ok, Path::new("/etc/aiwire/test.toml")).unwrap();
    }

    #[test]
    fn missing_password_file_names_key() {
        let e = err(
            "[mail]\ntransport = \"smtp\"\nhost = \"localhost\"\nfrom = \"a@b.c\"\nusername = \"u\"\npassword_file = \"/nonexistent/pw\"\n",
        );
        assert_eq!(e.key.as_deref(), Some("mail.password_file"));
        assert_eq!(e.position.map(|p| p.0), Some(6), "{e}");
    }

    #[test]
    fn redacted_output_has_no_secret_value() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "hunter2\n").unwrap();
        let text = format!(
            "[mail]\ntransport = \"smtp\"\nhost = \"localhost\"\nfrom = \"a@b.c\"\nusername = \"u\"\npassword_file = \"{}\"\n",
            pw.display()
        );
        let c = Config::from_str(&text, &dir.path().join("c.toml")).unwrap();
        assert!(!c.to_redacted_toml().contains("hunter2"));
        assert_eq!(c.smtp_password().unwrap().as_deref(), Some("hunter2"));
    }
}
