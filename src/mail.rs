//! Delivers messages: the only lettre user. SMTP (STARTTLS, implicit TLS, plain), sendmail,
//! or one `.eml` file per message in a directory.

use std::path::PathBuf;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{
    AsyncFileTransport, AsyncSendmailTransport, AsyncSmtpTransport, AsyncTransport, Message,
    Tokio1Executor,
};

use crate::config::{Config, SmtpTls, Transport};

/// One message to one recipient.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Message-ID without angle brackets; stable per run and recipient so a retry is recognisable.
    pub message_id: String,
}

/// How a delivery attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later (connection refused, timeouts, 4xx).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying will not help (5xx, bad address).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

/// Why lettre cannot send to or from `address` (`local@domain` or `Name <local@domain>`), or
/// `None` when it can. The config checks its addresses with this when it loads, so that a
/// digest does not fail for good at its first send.
pub fn mailbox_problem(address: &str) -> Option<String> {
    address.parse::<Mailbox>().err().map(|e| e.to_string())
}

/// A configured transport.
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Sendmail(AsyncSendmailTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        let m = &config.mail;
        Ok(match m.transport {
            Transport::File => {
                let dir = m.dir.clone().ok_or_else(|| {
                    anyhow::anyhow!("mail.dir is required for the file transport")
                })?;
                std::fs::create_dir_all(&dir).map_err(|e| {
                    anyhow::anyhow!("cannot create mail.dir {}: {e}", dir.display())
                })?;
                Mailer::File(AsyncFileTransport::new(&dir), dir)
            }
            Transport::Sendmail => Mailer::Sendmail(match &m.sendmail_command {
                Some(cmd) => AsyncSendmailTransport::new_with_command(cmd),
                None => AsyncSendmailTransport::new(),
            }),
            Transport::Smtp => {
                let host = m
                    .host
                    .clone()
                    .ok_or_else(|| anyhow::anyhow!("mail.host is required for smtp"))?;
                let tls_mode = m.tls.unwrap_or(SmtpTls::Starttls);
                let mut params = TlsParameters::builder(host.clone());
                if let Some(ca) = &m.ca_file {
                    let pem = std::fs::read(ca)
                        .map_err(|e| anyhow::anyhow!("mail.ca_file {}: {e}", ca.display()))?;
                    // lettre takes a file with no certificate in it without a word, and
                    // the first send fails the TLS handshake.
                    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                        anyhow::bail!(
                            "mail.ca_file {}: not a PEM certificate (no BEGIN CERTIFICATE block); give the CA that signed the server's certificate, in PEM",
                            ca.display()
                        );
                    }
                    let cert = Certificate::from_pem(&pem).map_err(|e| {
                        anyhow::anyhow!(
                            "mail.ca_file {}: not a PEM certificate ({e}); give the CA that signed the server's certificate, in PEM",
                            ca.display()
                        )
                    })?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build()?;
                let (tls, default_port) = match tls_mode {
                    SmtpTls::Starttls => (Tls::Required(params), 587),
                    SmtpTls::Tls => (Tls::Wrapper(params), 465),
                    SmtpTls::None => (Tls::None, 25),
                };
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
                    .port(m.port.unwrap_or(default_port))
                    .tls(tls)
                    .timeout(Some(std::time::Duration::from_secs(m.timeout_secs)));
                if tls_mode == SmtpTls::None && m.username.is_some() && !is_loopback(&host) {
                    anyhow::bail!(
                        "mail.tls = \"none\" would send the SMTP password in clear to {host}; \
                         use tls = \"starttls\" or \"tls\" (\"none\" is for a relay on localhost)"
                    );
                }
                if let (Some(user), Some(pw)) = (&m.username, config.smtp_password()?) {
                    b = b.credentials(Credentials::new(user.clone(), pw));
                }
                Mailer::Smtp(b.build())
            }
        })
    }

    /// Sends one message; the caller records success only when this returns Ok. The file
    /// transport returns the path of the `.eml` it wrote (an `.html` copy of the body is
    /// written beside it, for reading in a browser).
    pub async fn send(&self, from: &str, msg: &Outgoing) -> Result<Option<PathBuf>, SendError> {
        let email = build_message(from, msg).map_err(|e| SendError::Permanent(e.to_string()))?;
        match self {
            Mailer::File(t, dir) => {
                let id = t.send(email).await.map_err(|e| {
                    SendError::Transient(format!("cannot write to {}: {e}", dir.display()))
                })?;
                let eml = dir.join(format!("{id}.eml"));
                let html = eml.with_extension("html");
                std::fs::write(&html, &msg.html).map_err(|e| {
                    SendError::Transient(format!("cannot write {}: {e}", html.display()))
                })?;
                Ok(Some(eml))
            }
            Mailer::Sendmail(t) => t
                .send(email)
                .await
                .map(|_| None)
                .map_err(|e| SendError::Transient(e.to_string())),
            Mailer::Smtp(t) => t.send(email).await.map(|_| None).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
        }
    }
}

/// True for `localhost` and loopback addresses, where an unencrypted relay is acceptable.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A multipart/alternative message with text and HTML parts.
pub fn build_message(from: &str, msg: &Outgoing) -> anyhow::Result<Message> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| anyhow::anyhow!("mail.from {from:?}: {e}"))?;
    let to: Mailbox = msg
        .to
        .parse()
        .map_err(|e| anyhow::anyhow!("recipient {:?}: {e}", msg.to))?;
    Ok(Message::builder()
        .from(from)
        .to(to)
        .subject(&msg.subject)
        .message_id(Some(format!("<{}>", msg.message_id)))
        .date_now()
        .multipart(MultiPart::alternative_plain_html(
            msg.text.clone(),
            msg.html.clone(),
        ))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["mail.example.org", "10.0.0.1", "192.168.1.1"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn password_in_clear_to_a_remote_host_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "secret").unwrap();
        let text = format!(
            "[mail]\ntransport = \"smtp\"\nfrom = \"a@example.org\"\nhost = \"mail.example.org\"\ntls = \"none\"\nusername = \"u\"\npassword_file = \"{}\"\n",
            pw.display()
        );
        let config = Config::from_str(&text, &dir.path().join("c.toml")).unwrap();
        let err = Mailer::from_config(&config).err().unwrap().to_string();
        assert!(err.contains("in clear"), "{err}");
    }
}
