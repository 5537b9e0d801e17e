//! Command-line interface: argument parsing (clap) and dispatch to the use cases.
