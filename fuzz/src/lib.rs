//! The parse module and the model it fills, compiled on their own for fuzzing.

#[path = "../../src/model.rs"]
pub mod model;
#[path = "../../src/parse/mod.rs"]
pub mod parse;
