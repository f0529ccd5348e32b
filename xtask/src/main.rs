//! `cargo xtask`: dockyard's command line. See the library half (`xtask::run`) for the verbs.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match xtask::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap repeats the value it refused: never let a credential in it reach the screen.
            eprint!("{}", build_core::url::redact(&e.to_string()));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    match xtask::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            xtask::render::print_error(&e);
            ExitCode::FAILURE
        }
    }
}
