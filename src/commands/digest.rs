//! `aiwire digest [--name NAME] [--preview FILE] [--format html|text|json] [--send] [--since DURATION]`.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use chrono::Utc;

use crate::cli::{DigestArgs, DigestFormat};
use crate::config::{Config, DigestConfig, parse_duration};
use crate::mail::Mailer;
use crate::send_digest::{deliver_pending, preview, record_run};

/// The digest named, or the first one.
pub fn pick<'a>(config: &'a Config, name: Option<&str>) -> anyhow::Result<&'a DigestConfig> {
    match name {
        Some(n) => config.digests.iter().find(|d| d.name == n).ok_or_else(|| {
            let names: Vec<&str> = config.digests.iter().map(|d| d.name.as_str()).collect();
            anyhow::anyhow!(
                "no digest named {n:?} in {}; configured: {names:?}",
                config.source.display()
            )
        }),
        None => config
            .digests
            .first()
            .ok_or_else(|| anyhow::anyhow!("{} defines no [[digest]]", config.source.display())),
    }
}

pub fn run(config: &Config, args: &DigestArgs) -> anyhow::Result<()> {
    let def = pick(config, args.name.as_deref())?;
    let since = args
        .since
        .as_deref()
        .map(parse_duration)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let now = Utc::now();
    if args.send {
        let store = Mutex::new(super::open_store(config)?);
        // Only one process delivers: a running daemon holds the lock and will deliver the
        // recorded run itself, within a minute; sending here too could send it twice.
        let lock = crate::store::lock(&store).lock_for_daemon();
        if lock.is_ok() {
            super::place_pending(&store, config)?;
        }
        let run = record_run(&store, config, def, now, since.map(|d| d.as_chrono()), now)?;
        if run.is_none() {
            println!("digest {:?}: nothing new to send", def.name);
        }
        if lock.is_err() {
            println!(
                "digest {:?}: aiwire is running on this database; it delivers the recorded run",
                def.name
            );
            return Ok(());
        }
        let mailer = Mailer::from_config(config)?;
        let report = super::runtime()?.block_on(deliver_pending(&store, &mailer, config, now))?;
        println!(
            "digest {:?}: {} sent, {} to retry, {} failed",
            def.name, report.sent, report.retrying, report.failed
        );
        if report.failed > 0 {
            anyhow::bail!(
                "{} deliveries failed permanently; see the log",
                report.failed
            );
        }
        return Ok(());
    }
    let store = super::open_placed_store(config)?;
    let (_, rendered) = preview(&store, config, def, since.map(|d| d.as_chrono()), now)?;
    let body = match args.format {
        DigestFormat::Html => rendered.html,
        DigestFormat::Text => format!("Subject: {}\n\n{}", rendered.subject, rendered.text),
        DigestFormat::Json => rendered.json + "\n",
    };
    match args.preview.as_deref() {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, body)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?;
            println!("{}", p.display());
        }
        _ => std::io::stdout().write_all(body.as_bytes())?,
    }
    Ok(())
}
