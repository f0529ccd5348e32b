//! Cargo-style status lines on stderr, and a spinner while components build.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use build_core::progress::Progress;
use build_core::url::redact;
use indicatif::{ProgressBar, ProgressStyle};

/// Prints `   Fetching runc …` lines, the verb right-aligned and coloured on a terminal. On a
/// terminal, a spinner under them names what is building and for how long.
#[derive(Debug, Default)]
pub(crate) struct StatusLines {
    spinner: Mutex<Option<Spinner>>,
}

#[derive(Debug)]
struct Spinner {
    bar: ProgressBar,
    building: Vec<String>,
}

impl Progress for StatusLines {
    fn status(&self, verb: &str, message: &str) {
        let message = redact(message);
        let text = if std::io::stderr().is_terminal() {
            format!("\x1b[1;32m{verb:>12}\x1b[0m {message}")
        } else {
            format!("{verb:>12} {message}")
        };
        let Ok(mut guard) = self.spinner.lock() else {
            return;
        };
        match guard.as_ref() {
            Some(spinner) => spinner.bar.println(text),
            None => {
                let _ = writeln!(std::io::stderr().lock(), "{text}");
            }
        }
        // "Building runc 1.4.3 (…)" starts a component; "Built runc …" or "Cached runc …" ends it.
        let component = message.split_whitespace().next().unwrap_or("").to_owned();
        match verb {
            "Building" if std::io::stderr().is_terminal() => {
                let spinner = guard.get_or_insert_with(|| {
                    let bar = ProgressBar::new_spinner();
                    bar.set_style(
                        ProgressStyle::with_template("{spinner:.cyan} building {msg} ({elapsed})")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    Spinner {
                        bar,
                        building: Vec::new(),
                    }
                });
                spinner.building.push(component);
                spinner.bar.set_message(spinner.building.join(", "));
            }
            "Built" | "Cached" => {
                if let Some(spinner) = guard.as_mut() {
                    spinner.building.retain(|c| *c != component);
                    spinner.bar.set_message(spinner.building.join(", "));
                    if spinner.building.is_empty() {
                        spinner.bar.finish_and_clear();
                        *guard = None;
                    }
                }
            }
            _ => {}
        }
    }
}

impl StatusLines {
    /// Clears the spinner (before an error is printed).
    pub(crate) fn finish(&self) {
        if let Ok(mut guard) = self.spinner.lock()
            && let Some(spinner) = guard.take()
        {
            spinner.bar.finish_and_clear();
        }
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
