//! The `aiwire` binary: parses arguments and hands over to [`aiwire::app::main`], which maps
//! errors to exit codes (0 ok, 1 runtime failure, 2 usage or config error).

use clap::Parser;

fn main() -> std::process::ExitCode {
    aiwire::memory::tune_allocator();
    aiwire::app::main(aiwire::cli::Cli::parse())
}
