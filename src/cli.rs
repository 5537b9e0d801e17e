//! Command-line interface: the clap definitions of every subcommand. Dispatch lives in `app`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// aiwire: AI-industry news, fetched, deduplicated into stories, tagged, and mailed as a digest.
#[derive(Debug, Parser)]
#[command(name = "aiwire", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Config file (default /etc/aiwire/aiwire.toml).
    #[arg(long, global = true, env = "AIWIRE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log level or filter (error, warn, info, debug, trace, or a RUST_LOG-style filter).
    #[arg(long, global = true, value_name = "LEVEL")]
    pub log_level: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: poll feeds on their schedules and send digests on theirs.
    Run(RunArgs),
    /// Poll feeds once now and print a summary line per feed.
    Fetch(FetchArgs),
    /// Build a digest now: preview it, print it, or send it.
    Digest(DigestArgs),
    /// Validate the config, open and migrate the store, print the resolved config (secrets redacted).
    Check,
    /// List, import or export feeds.
    #[command(subcommand)]
    Feeds(FeedsCommand),
    /// Parse feed files and print what aiwire recovers from them.
    Parse(ParseArgs),
    /// Tag items of a JSONL file with companies, models and people.
    Tag(InputArgs),
    /// Cluster items of a JSONL file into stories (in memory, same code as the daemon).
    Cluster(ClusterArgs),
    /// Explain why an item joined its story, or started a new one.
    Explain(ExplainArgs),
    /// Correct the clustering: move an item out of its story, or merge two stories.
    #[command(subcommand)]
    Story(StoryCommand),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// One full cycle now (fetch all feeds, store, tag, cluster, deliver every digest that has content), then exit.
    #[arg(long)]
    pub once: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Only this feed (its URL or name).
    #[arg(long, value_name = "URL_OR_NAME")]
    pub feed: Option<String>,
    /// Also place the new items into stories before exiting (otherwise the next command that
    /// shows stories, `aiwire run` or `aiwire run --once` places them).
    #[arg(long)]
    pub cluster: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestFormat {
    Html,
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// Which digest (default: the first one in the config).
    #[arg(long)]
    pub name: Option<String>,
    /// Write what would be sent now to FILE ("-" for stdout). Nothing is recorded as sent;
    /// items not yet in a story are placed first (as the next cycle would).
    #[arg(long, value_name = "FILE")]
    pub preview: Option<PathBuf>,
    /// Output format of the preview (or of stdout when neither --preview nor --send is given).
    #[arg(long, value_enum, default_value = "html")]
    pub format: DigestFormat,
    /// Send now and record it.
    #[arg(long)]
    pub send: bool,
    /// Cover this span before now instead of "since the last digest" (e.g. 48h, 7d, 1000d).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Show each feed's state, last success, last error, next fetch and item count.
    List {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print `[[feed]]` entries for the outlines of an OPML file, to paste into the config.
    Import {
        /// The OPML file.
        opml: PathBuf,
    },
    /// Print the configured feeds as OPML.
    Export,
}

#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Feed documents to parse.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Base URL for relative links (default: the file's own file:// URL).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Print one JSON object per file per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// JSONL file of items `{id, source, lang, title, summary, link, published}` ("-" for stdin).
    #[arg(long, value_name = "ITEMS.jsonl")]
    pub input: PathBuf,
}

#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Also print why each item went where it went, as `aiwire explain` does (extra keys
    /// `signal`, `score`, `bar`, `matched` and `why` on each line; `matched` holds input ids).
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Item id (as shown by `aiwire digest --format json` or the store).
    pub item: i64,
}

#[derive(Debug, Subcommand)]
pub enum StoryCommand {
    /// Move an item out of its story into a story of its own; the decision is kept.
    Split {
        /// Item id.
        item: i64,
    },
    /// Merge story FROM into story INTO; the decision is kept.
    Merge {
        /// The story that absorbs the other.
        into: i64,
        /// The story that disappears.
        from: i64,
    },
}
