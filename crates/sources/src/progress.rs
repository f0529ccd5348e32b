//! How long-running work tells a person what it is doing.
//!
//! Libraries only report; `xtask` decides how to draw it (cargo-style status lines, a spinner).

/// Receives status lines such as `Fetching runc from mirror /srv/runc`, and the long work
/// under way (what a spinner shows).
pub trait Progress: Send + Sync {
    /// A step started or finished. `verb` is one capitalised word (`Fetching`, `Building`,
    /// `Waiting`, `Cached`); `message` says what, with credentials already redacted.
    fn status(&self, verb: &str, message: &str);

    /// Long work began or ended. Its status lines come through [`Progress::status`] as well:
    /// this is for drawing what is under way, never for reading messages apart.
    fn work(&self, _work: Work<'_>) {}
}

/// Long work, by the name of what it works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work<'a> {
    /// A component's build started (`runc`).
    Started(&'a str),
    /// It ended, built or failed.
    Ended(&'a str),
}

/// Reports `Work::Ended(name)` when dropped: the end of work is reported on every way out,
/// an error's too.
pub struct Underway<'a> {
    progress: &'a dyn Progress,
    name: &'a str,
}

impl<'a> Underway<'a> {
    /// Reports `Work::Started(name)`.
    pub fn start(progress: &'a dyn Progress, name: &'a str) -> Underway<'a> {
        progress.work(Work::Started(name));
        Underway { progress, name }
    }
}

impl Drop for Underway<'_> {
    fn drop(&mut self) {
        self.progress.work(Work::Ended(self.name));
    }
}

/// Drops every status line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {
    fn status(&self, _verb: &str, _message: &str) {}
}

/// Collects status lines and work in memory (tests assert on what a person would have been
/// told).
#[derive(Debug, Default)]
pub struct Recorded {
    lines: std::sync::Mutex<Vec<(String, String)>>,
    work: std::sync::Mutex<Vec<String>>,
}

impl Recorded {
    /// The lines so far, as `(verb, message)`.
    pub fn lines(&self) -> Vec<(String, String)> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The work reported so far, as `started NAME` and `ended NAME`.
    pub fn work(&self) -> Vec<String> {
        self.work.lock().map(|w| w.clone()).unwrap_or_default()
    }
}

impl Progress for Recorded {
    fn status(&self, verb: &str, message: &str) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push((verb.to_owned(), message.to_owned()));
        }
    }

    fn work(&self, work: Work<'_>) {
        if let Ok(mut all) = self.work.lock() {
            all.push(match work {
                Work::Started(name) => format!("started {name}"),
                Work::Ended(name) => format!("ended {name}"),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_under_way_ends_on_every_way_out() {
        let progress = Recorded::default();
        let failing = || -> Result<(), ()> {
            let _underway = Underway::start(&progress, "runc");
            Err(())
        };
        assert!(failing().is_err());
        assert_eq!(progress.work(), ["started runc", "ended runc"]);
        assert!(progress.lines().is_empty(), "work is not a status line");
    }
}
