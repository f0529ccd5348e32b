//! One attempt at a Go test binary that may hang: a watchdog over its test2json events as they
//! are written, which stops the attempt when a test has run longer than allowed, and the
//! reading of what the attempt ran. Go has one timeout for the whole binary, and a test that
//! hangs stops the tests after it too; here a hang is that test's failure, and the next attempt
//! skips what ran.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::time::{Duration, Instant};

use camino::Utf8Path;

use crate::tap::{Outcome, TestResult};

/// The tests running now, read from a growing test2json file.
pub(crate) struct Watch {
    file: Option<std::fs::File>,
    partial: String,
    /// Each test running (not waiting its turn after `t.Parallel`), since when.
    open: BTreeMap<String, Instant>,
}

impl Watch {
    /// A watch on `json`, which may not exist yet.
    pub(crate) fn new() -> Watch {
        Watch {
            file: None,
            partial: String::new(),
            open: BTreeMap::new(),
        }
    }

    /// Reads what was added to `json`; returns the tests that have run, without pausing, for
    /// longer than `limit`.
    pub(crate) fn hung(&mut self, json: &Utf8Path, limit: Duration) -> BTreeSet<String> {
        if self.file.is_none() {
            self.file = std::fs::File::open(json).ok();
        }
        if let Some(file) = self.file.as_mut() {
            let mut bytes = Vec::new();
            let _ = file.read_to_end(&mut bytes);
            self.partial.push_str(&String::from_utf8_lossy(&bytes));
        }
        let complete = self.partial.rfind('\n').map_or(0, |i| i + 1);
        let lines: String = self.partial.drain(..complete).collect();
        let now = Instant::now();
        for event in lines
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        {
            let Some(test) = event["Test"].as_str() else {
                continue;
            };
            match event["Action"].as_str() {
                Some("run" | "cont") => {
                    self.open.insert(test.to_owned(), now);
                }
                Some("pause" | "pass" | "fail" | "skip") => {
                    self.open.remove(test);
                }
                _ => {}
            }
        }
        self.open
            .iter()
            .filter(|(_, since)| now.duration_since(**since) > limit)
            .map(|(test, _)| test.clone())
            .collect()
    }
}

/// `TestA` of `TestA/sub`.
pub(crate) fn top_level(name: &str) -> &str {
    name.split('/').next().unwrap_or(name)
}

/// `-test.skip`'s pattern for the top-level tests in `done`, or nothing.
pub(crate) fn skip_pattern(done: &BTreeSet<String>) -> String {
    if done.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = done.iter().map(String::as_str).collect();
    format!("^({})$", names.join("|"))
}

/// One attempt's outcome.
pub(crate) struct Attempt {
    /// The tests that ended, and those that hung (failed, saying so).
    pub(crate) results: Vec<TestResult>,
    /// Whether the attempt was stopped by a hang: the tests it did not reach are still to run.
    pub(crate) stopped: bool,
}

/// Reads one attempt's test2json `events` in `package`. `hung` are the tests the watchdog
/// stopped the attempt for; when Go's own `-test.timeout` stopped it instead, the tests it
/// names as running then (`panic: test timed out after …`, `running tests:`) hung. Either
/// way each is a failure saying it ran longer than `limit`, and tests that started and neither
/// ended nor hung were waiting their turn: the next attempt runs them.
pub(crate) fn read_attempt(
    package: &str,
    events: &str,
    hung: &BTreeSet<String>,
    limit: &str,
) -> Attempt {
    let all = crate::gotest::parse(package, events);
    // Ends test2json reports after Go's timeout panic are its own (every test still open
    // ends then, also those waiting their turn): only the ends before it count.
    let mut ended: BTreeSet<String> = BTreeSet::new();
    let mut output = String::new();
    let mut panicked = false;
    for event in events
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    {
        if let Some(text) = event["Output"].as_str() {
            output.push_str(text);
            panicked |= text.contains("panic: test timed out after");
        }
        let end = matches!(event["Action"].as_str(), Some("pass" | "fail" | "skip"));
        if let (true, false, Some(test)) = (end, panicked, event["Test"].as_str()) {
            ended.insert(test.to_owned());
        }
    }
    let mut hung = hung.clone();
    if let Some((_, rest)) = output.split_once("running tests:") {
        hung.extend(
            rest.lines()
                .map(str::trim)
                .skip_while(|l| l.is_empty())
                .take_while(|l| l.starts_with("Test"))
                .filter_map(|l| l.split_whitespace().next().map(str::to_owned)),
        );
    }
    let stopped = panicked || !hung.is_empty();
    let results = all
        .into_iter()
        .filter_map(|mut r| {
            if hung.contains(&r.name) {
                r.outcome = Outcome::Failed;
                r.failed_check = Some(format!("timed out: still running after {limit}"));
                return Some(r);
            }
            if ended.contains(&r.name) || r.name == "(package)" || !stopped {
                return Some(r);
            }
            None
        })
        .collect();
    Attempt { results, stopped }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(action: &str, test: &str, output: &str) -> String {
        serde_json::json!({"Action": action, "Test": test, "Output": output}).to_string()
    }

    #[test]
    fn go_s_timeout_fails_the_tests_running_then_and_leaves_the_waiting_for_the_next_attempt() {
        let events = [
            line("run", "TestA", ""),
            line("pass", "TestA", ""),
            line("run", "TestWaiting", ""),
            line("pause", "TestWaiting", ""),
            line("run", "TestHangs", ""),
            serde_json::json!({"Action": "output", "Output": "panic: test timed out after 1m0s\n\trunning tests:\n\t\tTestHangs (1m0s)\n\ngoroutine 1\n"}).to_string(),
            // test2json ends what is still open when the binary exits.
            line("fail", "TestWaiting", ""),
            line("fail", "TestHangs", ""),
        ]
        .join("\n");
        let attempt = read_attempt("p", &events, &BTreeSet::new(), "1m");
        assert!(attempt.stopped);
        let seen: Vec<(&str, Outcome)> = attempt
            .results
            .iter()
            .map(|r| (r.name.as_str(), r.outcome))
            .collect();
        assert_eq!(
            seen,
            [("TestA", Outcome::Passed), ("TestHangs", Outcome::Failed)]
        );
        assert_eq!(
            attempt.results[1].failed_check.as_deref(),
            Some("timed out: still running after 1m")
        );
        let done: BTreeSet<String> = ["TestA".to_owned(), "TestHangs".to_owned()].into();
        assert_eq!(skip_pattern(&done), "^(TestA|TestHangs)$");
    }

    #[test]
    fn the_watch_sees_a_test_running_too_long_but_not_one_waiting_its_turn() {
        let dir = tempfile::tempdir().unwrap();
        let json = Utf8Path::from_path(dir.path()).unwrap().join("test.json");
        let events = [
            line("run", "TestWaiting", ""),
            line("pause", "TestWaiting", ""),
            line("run", "TestDone", ""),
            line("pass", "TestDone", ""),
            line("run", "TestHangs", ""),
        ]
        .join("\n");
        // The last line is not complete yet: it is read once it is.
        std::fs::write(&json, format!("{events}\n{{\"Action\":\"ru")).unwrap();
        let mut watch = Watch::new();
        assert!(watch.hung(&json, Duration::from_secs(60)).is_empty());
        let hung = watch.hung(&json, Duration::ZERO);
        assert_eq!(hung, BTreeSet::from(["TestHangs".to_owned()]));
        let attempt = read_attempt("p", &events, &hung, "0s");
        assert!(attempt.stopped);
        let names: Vec<&str> = attempt.results.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["TestDone", "TestHangs"]);
    }
}
