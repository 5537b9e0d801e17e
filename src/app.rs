//! Wiring: turns parsed arguments into use-case calls, sets up logging, maps errors to exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Cli, Command};
use crate::config::{Config, ConfigError, DEFAULT_CONFIG_PATH};
use crate::tag::Tagger;

/// A failure and the exit code it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Usage or config error: exit 2.
    Config(anyhow::Error),
    /// Runtime failure: exit 1.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::Config(e.into())
    }
}

/// Entry point of the binary after argument parsing.
pub fn main(cli: Cli) -> ExitCode {
    crate::logging::init(cli.log_level.as_deref());
    match dispatch(cli) {
        Ok(code) => code,
        Err(Failure::Config(e)) => {
            eprintln!("aiwire: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("aiwire: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn config_path(cli: &Cli) -> PathBuf {
    cli.config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_PATH))
}

fn load_config(path: &Path) -> Result<Config, Failure> {
    Ok(Config::load(path)?)
}

fn tagger_for(config: Option<&Config>) -> Result<Tagger, Failure> {
    let extra: &[PathBuf] = config.map(|c| c.tag.taxonomy.as_slice()).unwrap_or(&[]);
    Tagger::load(extra).map_err(Failure::Config)
}

fn not_yet(what: &str, issue: u32) -> Result<ExitCode, Failure> {
    Err(Failure::Runtime(anyhow::anyhow!(
        "{what}: not implemented yet (issue {issue})"
    )))
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let now = chrono::Utc::now();
    match &cli.command {
        Command::Parse(args) => {
            let ok =
                crate::parse::command::run(&args.files, args.base_url.as_deref(), args.json, now)
                    .map_err(Failure::Config)?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Tag(args) => {
            let config = cli.config.as_deref().map(load_config).transpose()?;
            let tagger = tagger_for(config.as_ref())?;
            crate::tag::command::run(&args.input, &tagger).context("aiwire tag")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Cluster(args) => {
            let config = cli.config.as_deref().map(load_config).transpose()?;
            let tagger = tagger_for(config.as_ref())?;
            let cluster_config = config.map(|c| c.cluster).unwrap_or_default();
            crate::cluster::command::run(&args.input, &tagger, &cluster_config)
                .context("aiwire cluster")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let path = config_path(&cli);
            let config = load_config(&path)?;
            println!("# config {} is valid", path.display());
            print!("{}", config.to_redacted_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(_) => not_yet("aiwire run", 2),
        Command::Fetch(_) => not_yet("aiwire fetch", 3),
        Command::Digest(_) => not_yet("aiwire digest", 7),
        Command::Feeds(_) => not_yet("aiwire feeds", 3),
        Command::Explain(_) => not_yet("aiwire explain", 6),
        Command::Story(_) => not_yet("aiwire story", 6),
    }
}
