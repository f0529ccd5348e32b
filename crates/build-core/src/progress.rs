//! How long-running work tells a person what it is doing.
//!
//! Libraries only report; `xtask` decides how to draw it (cargo-style status lines, a spinner).

/// Receives status lines such as `Fetching runc from mirror /srv/runc`.
pub trait Progress: Send + Sync {
    /// A step started or finished. `verb` is one capitalised word (`Fetching`, `Building`,
    /// `Waiting`, `Cached`); `message` says what, with credentials already redacted.
    fn status(&self, verb: &str, message: &str);
}

/// Drops every status line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn status(&self, _verb: &str, _message: &str) {}
}

/// Collects status lines in memory (tests assert on what a person would have been told).
#[derive(Debug, Default)]
pub struct Recorded(std::sync::Mutex<Vec<(String, String)>>);

impl Recorded {
    /// The lines so far, as `(verb, message)`.
    pub fn lines(&self) -> Vec<(String, String)> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Progress for Recorded {
    fn status(&self, verb: &str, message: &str) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push((verb.to_owned(), message.to_owned()));
        }
    }
}
