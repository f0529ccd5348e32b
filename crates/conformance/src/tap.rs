//! Reading bats' TAP output: one outcome per test line.

/// How one test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// `ok N name`.
    Passed,
    /// `not ok N name`.
    Failed,
    /// `ok N name # skip (reason)`.
    Skipped,
}

/// One test of a suite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The file (bats) or package (Go) it is in.
    pub group: String,
    /// Its name.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
}

/// The tests in TAP `text`, in `group`. Diagnostics (`# …`) and the plan are not tests.
pub fn parse(group: &str, text: &str) -> Vec<TestResult> {
    text.lines()
        .filter_map(|line| {
            let (failed, rest) = match line.strip_prefix("not ok ") {
                Some(rest) => (true, rest),
                None => (false, line.strip_prefix("ok ")?),
            };
            // The test number, then the name.
            let (_, name) = rest.split_once(' ').unwrap_or((rest, ""));
            let (name, skipped) = match name.split_once(" # skip") {
                Some((name, _)) => (name, true),
                None => (name, false),
            };
            let outcome = match (failed, skipped) {
                (true, _) => Outcome::Failed,
                (false, true) => Outcome::Skipped,
                (false, false) => Outcome::Passed,
            };
            Some(TestResult {
                group: group.to_owned(),
                name: name.trim().to_owned(),
                outcome,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_passes_failures_and_skips_and_ignores_diagnostics() {
        let tap = "1..3\nok 1 runc run\nnot ok 2 runc exec --cap\n# (in test file x.bats, line 3)\n\
                   ok 3 runc update # skip (requires cgroups v1)\n";
        let results = parse("x.bats", tap);
        let seen: Vec<(&str, Outcome)> = results
            .iter()
            .map(|r| (r.name.as_str(), r.outcome))
            .collect();
        assert_eq!(
            seen,
            [
                ("runc run", Outcome::Passed),
                ("runc exec --cap", Outcome::Failed),
                ("runc update", Outcome::Skipped)
            ]
        );
        assert!(results.iter().all(|r| r.group == "x.bats"));
    }
}
