//! The `[mail]` section: how digests leave the machine. Secrets only by reference.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Which transport delivers digests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Smtp,
    Sendmail,
    File,
}

/// TLS mode of the SMTP transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587); required, not opportunistic.
    Starttls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
    /// No encryption: only sensible for a relay on localhost.
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub transport: Transport,
    /// File transport: one `.eml` file per message in this directory (default: `outbox/`
    /// beside the database).
    pub dir: Option<PathBuf>,
    /// Sender mailbox, `Name <addr@host>` or `addr@host`.
    pub from: String,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<SmtpTls>,
    pub username: Option<String>,
    /// Name of an environment variable holding the SMTP password.
    pub password_env: Option<String>,
    /// File holding the SMTP password (first line, trailing newline dropped).
    pub password_file: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust for the SMTP server, e.g. a private relay.
    pub ca_file: Option<PathBuf>,
    /// Sendmail transport: the command (default `/usr/sbin/sendmail`).
    pub sendmail_command: Option<PathBuf>,
    /// Seconds to wait for the SMTP server.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
}

fn default_timeout() -> u64 {
    30
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            transport: Transport::File,
            dir: None,
            from: "aiwire <aiwire@localhost>".into(),
            host: None,
            port: None,
            tls: None,
            username: None,
            password_env: None,
            password_file: None,
            ca_file: None,
            sendmail_command: None,
            timeout_secs: default_timeout(),
        }
    }
}
