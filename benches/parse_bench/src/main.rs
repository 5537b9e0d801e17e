//! Release build of the parse throughput benchmark without the daemon's other dependencies.

#[allow(dead_code)]
#[path = "../../../src/model.rs"]
mod model;
#[allow(dead_code, unused_imports)]
#[path = "../../../src/parse/mod.rs"]
mod parse;

use parse::{ParseContext, parse_feed};

include!("../throughput.rs");
