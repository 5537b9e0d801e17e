//! aiwire: fetches AI-industry feeds, stores them in SQLite, tags and clusters items into
//! stories, and mails a digest. See ARCHITECTURE.md for the codemap.

pub mod app;
pub mod assign;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod daemon;
pub mod digest;
pub mod eval_input;
pub mod fetch;
pub mod http;
pub mod logging;
pub mod mail;
pub mod memory;
pub mod model;
pub mod opml;
pub mod parse;
pub mod refresh;
pub mod schedule;
pub mod send_digest;
pub mod store;
pub mod tag;
