//! dockerd's userland proxy for a private engine (see `engine::userland_proxy`), as a program
//! of its own for the tests; `cargo xtask` is the same program when started by this name.

fn main() {
    let mut args = std::env::args();
    let argv0 = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    std::process::exit(engine::userland_proxy(&argv0, &rest));
}
