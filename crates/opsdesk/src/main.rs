//! The `opsdesk` binary: parses the command line and hands over to the library.
#![forbid(unsafe_code)]

use clap::Parser;
use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: see docs/PERFORMANCE.md (list and search at 32
/// clients spent a tenth of the server's time in malloc and free).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = opsdesk::cli::Cli::parse();
    let runtime = match cli.runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("opsdesk: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(opsdesk::cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // One line, the whole chain of causes: what failed and why.
            eprintln!("opsdesk: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
}
