//! `cargo xtask`: dockyard's command line.
//!
//! The only place that talks to people: it parses flags, composes the component crates, draws
//! progress and turns library errors into one message with the fix.

mod bench;
mod bundle;
mod components;
mod doctor;
mod fetch;
mod flags;
mod install;
mod publish;
mod smoke;
mod status;
mod systemd;
mod verify;

use std::process::ExitCode;

use camino::{Utf8Path, Utf8PathBuf};
use clap::Parser;

fn main() -> ExitCode {
    let cli = flags::Cli::parse();
    let result = match cli.command {
        flags::Command::Bench(args) => bench::run(&args),
        flags::Command::Bundle(args) => bundle::run(&args),
        flags::Command::Doctor(args) => doctor::run(&args),
        flags::Command::Fetch(args) => fetch::run(&args),
        flags::Command::Install(args) => install::run(&args),
        flags::Command::Smoke(args) => smoke::run(&args),
        flags::Command::Verify(args) => verify::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            status::error(&e);
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: where `pins.lock` lives by default and `target/` holds outputs.
pub(crate) fn project_root() -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Utf8Path::to_path_buf)
        .unwrap_or_else(|| Utf8PathBuf::from("."))
}
