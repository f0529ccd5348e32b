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
#[non_exhaustive]
pub struct TestResult {
    /// The file (bats) or package (Go) it is in.
    pub group: String,
    /// Its name.
    pub name: String,
    /// How it ended.
    pub outcome: Outcome,
    /// For a failure, the check that failed, as bats reports it (`` `[ "$status" -eq 0 ]' failed ``).
    pub failed_check: Option<String>,
    /// Everything bats printed about it (its `# …` lines).
    pub output: String,
}

/// The tests in TAP `text`, in `group`. Diagnostics (`# …`) and the plan are not tests.
pub fn parse(group: &str, text: &str) -> Vec<TestResult> {
    let mut results: Vec<TestResult> = Vec::new();
    for line in text.lines() {
        if let (Some(text), Some(last)) = (line.strip_prefix('#'), results.last_mut()) {
            last.output.push_str(text.trim());
            last.output.push('\n');
        }
        if let Some(diagnostic) = line.strip_prefix("#   `") {
            // bats names the failing check first: keep that one.
            if let Some(last) = results.last_mut()
                && last.outcome == Outcome::Failed
                && last.failed_check.is_none()
            {
                last.failed_check = Some(format!("`{}", diagnostic.trim()));
            }
            continue;
        }
        let (failed, rest) = match line.strip_prefix("not ok ") {
            Some(rest) => (true, rest),
            None => match line.strip_prefix("ok ") {
                Some(rest) => (false, rest),
                None => continue,
            },
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
        results.push(TestResult {
            group: group.to_owned(),
            name: name.trim().to_owned(),
            outcome,
            failed_check: None,
            output: String::new(),
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_passes_failures_and_skips_and_ignores_diagnostics() {
        let tap = "1..3\nok 1 runc run\nnot ok 2 runc exec --cap\n# (in test file x.bats, line 3)\n\
                   #   `[ \"$status\" -eq 0 ]' failed\n# runc exec (status=1)\n\
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
        assert_eq!(
            results[1].failed_check.as_deref(),
            Some("`[ \"$status\" -eq 0 ]' failed")
        );
        assert_eq!(results[0].failed_check, None);
    }
}
