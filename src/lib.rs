//! aiwire: fetches AI-industry feeds, stores them in SQLite, tags and clusters items into
//! stories, and mails a digest. See ARCHITECTURE.md for the codemap.

pub mod app;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod eval_input;
pub mod logging;
pub mod model;
pub mod parse;
pub mod schedule;
pub mod tag;
