//! The `aiwire` binary: parses arguments, maps errors to exit codes (0 ok, 1 failure, 2 usage/config).

fn main() {}
