//! Cargo-style status lines on stderr.

use std::io::{IsTerminal, Write};

use build_core::progress::Progress;
use build_core::url::redact;

/// Prints `   Fetching runc …` lines, the verb right-aligned and coloured on a terminal.
#[derive(Debug, Default)]
pub(crate) struct StatusLines;

impl Progress for StatusLines {
    fn status(&self, verb: &str, message: &str) {
        line(verb, &redact(message), "32");
    }
}

fn line(verb: &str, message: &str, colour: &str) {
    let mut err = std::io::stderr().lock();
    if std::io::stderr().is_terminal() {
        let _ = writeln!(err, "\x1b[1;{colour}m{verb:>12}\x1b[0m {message}");
    } else {
        let _ = writeln!(err, "{verb:>12} {message}");
    }
}

/// Prints an error and its causes as one message.
pub(crate) fn error(e: &anyhow::Error) {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    let mut err = std::io::stderr().lock();
    let text = redact(&text);
    if std::io::stderr().is_terminal() {
        let _ = writeln!(err, "\x1b[1;31merror\x1b[0m: {text}");
    } else {
        let _ = writeln!(err, "error: {text}");
    }
}
