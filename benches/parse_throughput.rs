//! Throughput of `parse_feed` against raw feed-rs (default builder) over a corpus, same run.
//!
//! usage: cargo bench --bench parse_throughput -- [CORPUS_DIR] [ROUNDS]
//! Default corpus: ../shared/corpus/feeds. Prints MB/s for both and the fix-up overhead.
//! Rounds alternate the two parsers so that machine load hits both alike. The body lives in
//! parse_bench/throughput.rs, shared with the stand-alone build in parse_bench/.

use aiwire::parse::{ParseContext, parse_feed};

include!("parse_bench/throughput.rs");
