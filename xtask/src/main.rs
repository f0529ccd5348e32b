//! `cargo xtask`: dockyard's command line. See the library half (`xtask::run`) for the verbs.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A private engine's dockerd starts this program by that name as its userland proxy.
    let args: Vec<String> = std::env::args().collect();
    if let [argv0, rest @ ..] = args.as_slice()
        && argv0.rsplit('/').next() == Some(engine::PORT_PROXY_PROGRAM)
    {
        return ExitCode::from(engine::userland_proxy(argv0, rest).clamp(0, 255) as u8);
    }
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
