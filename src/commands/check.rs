//! `aiwire check`: validate the config, build the mailer, open and migrate the store, print
//! the resolved config.

use crate::config::Config;

pub fn run(config: &Config) -> anyhow::Result<()> {
    // What only building the mailer finds (an unreadable password file, a CA file that is no
    // certificate, a password in clear to a remote host) is found here, not at the first send.
    crate::mail::Mailer::from_config(config)
        .map_err(|e| anyhow::anyhow!("{}: [mail]: {e:#}", config.source.display()))?;
    let store = super::open_store(config)?;
    println!("# config {} is valid", config.source.display());
    println!(
        "# store {}: schema version {}, {} bytes, integrity {}, {} feeds, {} items, {} stories",
        config.store.path.display(),
        store.schema_version()?,
        store.size_bytes()?,
        store.integrity_check()?,
        config.feeds.len(),
        store.item_total()?,
        store.story_total()?,
    );
    print!("{}", config.to_redacted_toml());
    Ok(())
}
