//! `cargo xtask`: dockyard's command line, the only part that talks to people.
//!
//! It parses flags into typed values, calls the libraries (`bundle`, `engine`, the recipe
//! crates through them), draws their progress and turns their errors into one message with
//! the fix. It is a library too, so the workspace tests can snapshot its `--help` and messages.

mod bench;
mod dev;
mod flags;
mod plan;
mod registry;
pub mod render;
mod verbs;

use camino::{Utf8Path, Utf8PathBuf};

pub use flags::{Cli, Command};

/// Runs one verb; every command it runs is recorded in `target/dockyard/commands.log`.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let _ =
        build_core::process::log_commands_to(&project_root().join("target/dockyard/commands.log"));
    match cli.command {
        Command::Bench(args) => bench::run(&args),
        Command::Bundle(args) => verbs::bundle(&args),
        Command::Doctor(args) => verbs::doctor(&args),
        Command::Fetch(args) => verbs::fetch(&args),
        Command::Down(args) => dev::down(&args),
        Command::Install(args) => verbs::install(&args),
        Command::Package(args) => verbs::package(&args),
        Command::Repo(args) => verbs::repo(&args),
        Command::Logs(args) => dev::logs(&args),
        Command::Pins(args) => verbs::pins(&args),
        Command::Plan(args) => plan::plan(&args),
        Command::Push(args) => registry::push(&args),
        Command::Pull(args) => registry::pull(&args),
        Command::GoCacheProgram(args) => registry::go_cache_program(&args),
        Command::Smoke(args) => verbs::smoke(&args),
        Command::Conformance(args) => verbs::conformance(&args),
        Command::Status(args) => dev::status(&args),
        Command::Up(args) => dev::up(args),
        Command::Verify(args) => verbs::verify(&args),
    }
}

/// The workspace root: where `pins.lock` lives by default and `target/` holds outputs.
pub(crate) fn project_root() -> Utf8PathBuf {
    Utf8Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Utf8Path::to_path_buf)
        .unwrap_or_else(|| Utf8PathBuf::from("."))
}
