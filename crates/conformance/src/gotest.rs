//! Reading `go tool test2json` events: one outcome per test and subtest.

use std::collections::BTreeMap;

use crate::tap::{Outcome, TestResult};

/// One line of test2json's output.
#[derive(serde::Deserialize)]
struct Event {
    #[serde(rename = "Action")]
    action: String,
    #[serde(rename = "Test", default)]
    test: Option<String>,
    #[serde(rename = "Output", default)]
    output: Option<String>,
}

/// The tests in `events` (test2json lines), in `package`, in the order they started. A test
/// that started and never ended (a panic, a timeout) failed; a package that failed outside
/// every test (its `TestMain`) is one failed result named `(package)`.
pub fn parse(package: &str, events: &str) -> Vec<TestResult> {
    let mut order: Vec<String> = Vec::new();
    let mut tests: BTreeMap<String, TestResult> = BTreeMap::new();
    let mut package_output = String::new();
    let mut package_failed = false;
    for event in events
        .lines()
        .filter_map(|l| serde_json::from_str::<Event>(l).ok())
    {
        let Some(name) = event.test else {
            match event.action.as_str() {
                "output" => package_output.push_str(event.output.as_deref().unwrap_or("")),
                "fail" => package_failed = true,
                _ => {}
            }
            continue;
        };
        let test = tests.entry(name.clone()).or_insert_with(|| {
            order.push(name.clone());
            TestResult {
                group: package.to_owned(),
                name,
                // Until it says otherwise: a test that never ends failed.
                outcome: Outcome::Failed,
                failed_check: None,
                output: String::new(),
            }
        });
        match event.action.as_str() {
            "output" => {
                let text = event.output.unwrap_or_default();
                // Go names the failing check by its file and line first: keep that one.
                if test.failed_check.is_none() && text.contains("_test.go:") {
                    test.failed_check = Some(text.trim().to_owned());
                }
                test.output.push_str(&text);
            }
            "pass" => test.outcome = Outcome::Passed,
            "skip" => test.outcome = Outcome::Skipped,
            "fail" => test.outcome = Outcome::Failed,
            _ => {}
        }
    }
    let mut results: Vec<TestResult> = order
        .into_iter()
        .filter_map(|name| tests.remove(&name))
        .map(|mut t| {
            if t.outcome != Outcome::Failed {
                t.failed_check = None;
            }
            t
        })
        .collect();
    let any_failed = results.iter().any(|r| r.outcome == Outcome::Failed);
    if package_failed && !any_failed {
        results.push(TestResult {
            group: package.to_owned(),
            name: "(package)".to_owned(),
            outcome: Outcome::Failed,
            failed_check: package_output.lines().last().map(str::to_owned),
            output: package_output,
        });
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(action: &str, test: &str, output: &str) -> String {
        serde_json::json!({"Action": action, "Package": "p", "Test": test, "Output": output})
            .to_string()
    }

    #[test]
    fn reads_passes_failures_skips_subtests_and_a_test_that_never_ended() {
        let events = [
            line("run", "TestA", ""),
            line("pass", "TestA", ""),
            line("run", "TestB", ""),
            line("run", "TestB/sub", ""),
            line(
                "output",
                "TestB/sub",
                "    b_test.go:12: assertion failed: 1 != 2\n",
            ),
            line("fail", "TestB/sub", ""),
            line("fail", "TestB", ""),
            line("run", "TestC", ""),
            line("skip", "TestC", ""),
            line("run", "TestD", ""),
            "not json: panic".to_owned(),
        ]
        .join("\n");
        let results = parse("integration/x", &events);
        let seen: Vec<(&str, Outcome)> = results
            .iter()
            .map(|r| (r.name.as_str(), r.outcome))
            .collect();
        use Outcome::*;
        assert_eq!(
            seen,
            [
                ("TestA", Passed),
                ("TestB", Failed),
                ("TestB/sub", Failed),
                ("TestC", Skipped),
                ("TestD", Failed)
            ]
        );
        assert_eq!(
            results[2].failed_check.as_deref(),
            Some("b_test.go:12: assertion failed: 1 != 2")
        );
        assert!(results.iter().all(|r| r.group == "integration/x"));
    }

    #[test]
    fn a_package_failing_outside_its_tests_is_one_failure() {
        let events = [
            serde_json::json!({"Action": "output", "Package": "p", "Output": "error loading frozen images\n"})
                .to_string(),
            serde_json::json!({"Action": "fail", "Package": "p"}).to_string(),
        ]
        .join("\n");
        let results = parse("integration/x", &events);
        assert_eq!(results.len(), 1);
        assert_eq!(results[0].name, "(package)");
        assert_eq!(
            results[0].failed_check.as_deref(),
            Some("error loading frozen images")
        );
    }
}
