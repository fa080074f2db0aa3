//! The `vipseg` binary: parses the command line and maps the outcome to the exit status.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let status = vipseg::cli::execute(vipseg::cli::Cli::parse());
    std::process::ExitCode::from(status.code() as u8)
}
