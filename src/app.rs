//! Wiring: turns parsed arguments into use-case calls, sets up logging, maps errors to exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use std::sync::Arc;

use crate::cli::{Cli, Command, FeedsCommand, StoryCommand};
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
            crate::cluster::command::run(&args.input.input, &tagger, &cluster_config, args.explain)
                .context("aiwire cluster")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let config = load_config(&config_path(&cli))?;
            crate::commands::check::run(&config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(args) => {
            let path = config_path(&cli);
            let config = Arc::new(load_config(&path)?);
            let tagger = Arc::new(tagger_for(Some(&config))?);
            if args.once {
                crate::commands::run::once(config, tagger)?;
            } else {
                crate::commands::run::daemon(&path, config, tagger)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch(args) => {
            let config = Arc::new(load_config(&config_path(&cli))?);
            let tagger = Arc::new(tagger_for(Some(&config))?);
            let ok =
                crate::commands::fetch::run(config, tagger, args.feed.as_deref(), args.cluster)?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Digest(args) => {
            let config = load_config(&config_path(&cli))?;
            crate::commands::digest::run(&config, args)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Feeds(FeedsCommand::List { json }) => {
            crate::commands::feeds::list(&load_config(&config_path(&cli))?, *json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Feeds(FeedsCommand::Import { opml }) => {
            crate::commands::feeds::import(opml).map_err(Failure::Config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Feeds(FeedsCommand::Export) => {
            crate::commands::feeds::export(&load_config(&config_path(&cli))?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            crate::commands::story::explain(&load_config(&config_path(&cli))?, args.item)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Story(StoryCommand::Split { item }) => {
            crate::commands::story::split(&load_config(&config_path(&cli))?, *item)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Story(StoryCommand::Merge { into, from }) => {
            crate::commands::story::merge(&load_config(&config_path(&cli))?, *into, *from)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
