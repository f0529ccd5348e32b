//! Counting a suite run, comparing it with upstream's build, and `docs/conformance.md`.

use std::collections::BTreeMap;

use camino::Utf8PathBuf;

use crate::tap::{Outcome, TestResult};

/// One suite run against one set of binaries.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SuiteRun {
    /// `runc`.
    pub suite: &'static str,
    /// Whose binaries: `dockyard` or `upstream`.
    pub side: String,
    /// Every test, in order.
    pub results: Vec<TestResult>,
    /// The raw output.
    pub log: Utf8PathBuf,
    /// How long it took.
    pub seconds: f64,
}

/// Passed, failed and skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
}

impl Counts {
    /// The counts of `results`.
    pub fn of<'a>(results: impl IntoIterator<Item = &'a TestResult>) -> Counts {
        let mut counts = Counts::default();
        for r in results {
            match r.outcome {
                Outcome::Passed => counts.passed += 1,
                Outcome::Failed => counts.failed += 1,
                Outcome::Skipped => counts.skipped += 1,
            }
        }
        counts
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

impl SuiteRun {
    /// Counts per file or package, in name order.
    pub fn by_group(&self) -> BTreeMap<&str, Counts> {
        let mut groups: BTreeMap<&str, Vec<&TestResult>> = BTreeMap::new();
        for r in &self.results {
            groups.entry(r.group.as_str()).or_default().push(r);
        }
        groups
            .into_iter()
            .map(|(g, rs)| (g, Counts::of(rs)))
            .collect()
    }
}

/// A test's name as both sides' runs share it: an image digest in a subtest's name (moby's
/// `TestSaveOCI/sha256:…`) names the image a run loaded, not the test, and images made on
/// different days (a Debian root, say) have different digests.
fn comparable(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find("sha256:") {
        let (before, after) = rest.split_at(at + "sha256:".len());
        out.push_str(before);
        let hex = after.chars().take_while(char::is_ascii_hexdigit).count();
        if hex == 64 {
            out.push_str("<digest>");
            rest = &after[64..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Whether `a` and `b` are the same test.
fn same_test(a: &TestResult, b: &TestResult) -> bool {
    a.group == b.group && comparable(&a.name) == comparable(&b.name)
}

/// The tests that pass on `upstream`'s build but not on `ours` (failed, skipped or missing).
pub fn only_upstream_passes<'a>(ours: &SuiteRun, upstream: &'a SuiteRun) -> Vec<&'a TestResult> {
    upstream
        .results
        .iter()
        .filter(|theirs| theirs.outcome == Outcome::Passed)
        .filter(|theirs| {
            !ours
                .results
                .iter()
                .any(|r| same_test(r, theirs) && r.outcome == Outcome::Passed)
        })
        .collect()
}

/// The Markdown section for one suite: a row per file or package with both sides' counts, the
/// totals, and each test that passes only on upstream's build, with its explanation when
/// `explain` has one.
pub fn section(
    title: &str,
    ours: &SuiteRun,
    upstream: Option<&SuiteRun>,
    explain: &dyn Fn(&TestResult) -> Option<String>,
) -> String {
    let mut out = format!("## {title}\n\n");
    let mine = ours.by_group();
    let theirs = upstream.map(SuiteRun::by_group).unwrap_or_default();
    let cell = |c: Option<&Counts>| {
        c.map_or("–".to_owned(), |c| {
            format!("{} / {} / {}", c.passed, c.failed, c.skipped)
        })
    };
    out.push_str("| file or package | dockyard (passed / failed / skipped) | upstream's build |\n");
    out.push_str("|---|---|---|\n");
    let mut groups: Vec<&str> = mine.keys().chain(theirs.keys()).copied().collect();
    groups.sort();
    groups.dedup();
    for group in &groups {
        out.push_str(&format!(
            "| {group} | {} | {} |\n",
            cell(mine.get(group)),
            cell(theirs.get(group))
        ));
    }
    let total_theirs = upstream.map(|u| Counts::of(&u.results));
    out.push_str(&format!(
        "| **total** | **{}** | **{}** |\n\n",
        cell(Some(&Counts::of(&ours.results))),
        cell(total_theirs.as_ref())
    ));
    let time = |r: &SuiteRun| format!("{:.0}s", r.seconds);
    out.push_str(&format!(
        "dockyard: {}{}.\n\n",
        time(ours),
        upstream.map_or(String::new(), |u| format!(
            "; upstream's build: {}",
            time(u)
        ))
    ));
    let Some(upstream) = upstream else {
        out.push_str("Upstream's build was not run this time.\n");
        return out;
    };
    let only = only_upstream_passes(ours, upstream);
    if only.is_empty() {
        out.push_str("No test passes on upstream's build and fails on dockyard's.\n");
    } else {
        out.push_str("Tests that pass on upstream's build but not on dockyard's:\n\n");
        for t in only {
            // Explained by what failed on ours (upstream's passing output shows nothing wrong).
            let failed_here = ours.results.iter().find(|r| same_test(r, t));
            let why = failed_here
                .and_then(explain)
                .or_else(|| explain(t))
                .unwrap_or_else(|| "**not explained yet**".into());
            out.push_str(&format!("- `{}`: {} — {why}\n", t.group, t.name));
        }
    }
    let both: Vec<&TestResult> = ours
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .filter(|r| {
            upstream
                .results
                .iter()
                .any(|u| same_test(u, r) && u.outcome == Outcome::Failed)
        })
        .collect();
    if !both.is_empty() {
        out.push_str(&format!(
            "\n{} tests fail on both builds alike, with the check that failed:\n\n",
            both.len()
        ));
        for t in both {
            let check = t.failed_check.as_deref().unwrap_or("(no check named)");
            match explain(t) {
                Some(why) => out.push_str(&format!("- `{}`: {} — {why}\n", t.group, t.name)),
                None => out.push_str(&format!("- `{}`: {} — {check}\n", t.group, t.name)),
            }
        }
    }
    out
}

/// The report of the suites that ran (each title with its runs, `None` when it did not run),
/// on this machine.
pub fn of_runs(command: &str, bundle: &str, runs: &[(&str, Option<&crate::Runs>)]) -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("?".into(), |k| k.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let machine = format!("Linux {kernel}, {cores} cores");
    let suites: Vec<_> = runs
        .iter()
        .filter_map(|&(title, runs)| Some((title, &runs?.dockyard, runs?.upstream.as_ref())))
        .collect();
    document(command, bundle, &machine, &suites)
}

/// The report of `suites` (title, dockyard's run, upstream's), run on `machine`.
pub fn document(
    command: &str,
    bundle: &str,
    machine: &str,
    suites: &[(&str, &SuiteRun, Option<&SuiteRun>)],
) -> String {
    let mut out = format!(
        "# Conformance\n\n`{command}` against {bundle}, on {machine}: upstream's own \
         suites run as upstream runs them, against the bundle's binaries and, side by side, \
         against the binaries upstream's own entry points build from the same commits.\n\n"
    );
    for (title, ours, upstream) in suites {
        out.push_str(&section(
            title,
            ours,
            *upstream,
            &crate::explain::machine_property,
        ));
        out.push('\n');
    }
    out
}

/// Writes `document` to `doc` (docs/conformance.md), keeping the sections of the suites this
/// run did not run from the file as it was ([`merged`]).
pub fn update(doc: &camino::Utf8Path, document: &str) -> Result<(), crate::ConformanceError> {
    let previous = std::fs::read_to_string(doc).unwrap_or_default();
    std::fs::write(doc, merged(document, &previous))
        .map_err(crate::ConformanceError::io("writing", doc))
}

/// `document`'s text with the suites of `previous` (an earlier `docs/conformance.md`) that
/// this run did not run kept: a run of one suite replaces that suite's section only.
pub fn merged(document: &str, previous: &str) -> String {
    let sections = |text: &str| -> Vec<(String, String)> {
        text.split("\n## ")
            .skip(1)
            .map(|s| {
                let title = s.lines().next().unwrap_or("").to_owned();
                (title, format!("## {}\n", s.trim_end()))
            })
            .collect()
    };
    let ran = sections(document);
    let mut out = document
        .split("\n## ")
        .next()
        .unwrap_or("")
        .trim_end()
        .to_owned();
    out.push_str("\n\n");
    for (title, text) in sections(previous) {
        if !ran.iter().any(|(t, _)| *t == title) {
            out.push_str(&text);
            out.push('\n');
        }
    }
    for (_, text) in ran {
        out.push_str(&text);
        out.push('\n');
    }
    format!("{}\n", out.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(side: &str, results: &[(&str, &str, Outcome)]) -> SuiteRun {
        SuiteRun {
            suite: "runc",
            side: side.into(),
            results: results
                .iter()
                .map(|(g, n, o)| TestResult {
                    group: (*g).into(),
                    name: (*n).into(),
                    outcome: *o,
                    failed_check: None,
                    output: String::new(),
                })
                .collect(),
            log: "x.log".into(),
            seconds: 1.0,
        }
    }

    #[test]
    fn a_subtest_named_by_each_runs_own_image_digest_is_the_same_test() {
        use Outcome::*;
        let ours = format!("TestSaveOCI/sha256:{}/Config", "a".repeat(64));
        let theirs = format!("TestSaveOCI/sha256:{}/Config", "b".repeat(64));
        let ours = run(
            "dockyard",
            &[
                ("image", &ours, Passed),
                ("image", "TestShort/sha256:ab", Passed),
            ],
        );
        let upstream = run(
            "upstream",
            &[
                ("image", &theirs, Passed),
                ("image", "TestShort/sha256:cd", Passed),
            ],
        );
        let only: Vec<&str> = only_upstream_passes(&ours, &upstream)
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(only, ["TestShort/sha256:cd"], "a short hex is no digest");
    }

    #[test]
    fn a_run_of_one_suite_keeps_the_other_suites_sections() {
        let previous = "# Conformance\n\nold run\n\n## runc's suite\n\nrunc table\n\n## moby's suite\n\nold moby\n";
        let now = "# Conformance\n\nnew run\n\n## moby's suite\n\nnew moby\n";
        let text = merged(now, previous);
        assert_eq!(
            text,
            "# Conformance\n\nnew run\n\n## runc's suite\n\nrunc table\n\n## moby's suite\n\nnew moby\n"
        );
    }

    #[test]
    fn a_test_passing_only_upstream_is_named_with_its_explanation() {
        use Outcome::*;
        let ours = run(
            "dockyard",
            &[("a.bats", "one", Passed), ("a.bats", "two", Failed)],
        );
        let theirs = run(
            "upstream",
            &[("a.bats", "one", Passed), ("a.bats", "two", Passed)],
        );
        let mut ours = ours;
        ours.results[1].output = "ip link add dummy0 type dummy: failed\n".into();
        assert_eq!(only_upstream_passes(&ours, &theirs).len(), 1);
        // As `explain` does: by what the failure printed, which only our run shows.
        let text = section("runc", &ours, Some(&theirs), &|t| {
            t.output
                .contains("type dummy")
                .then(|| "needs a kernel feature".into())
        });
        assert!(
            text.contains("| a.bats | 1 / 1 / 0 | 2 / 0 / 0 |"),
            "{text}"
        );
        assert!(
            text.contains("- `a.bats`: two — needs a kernel feature"),
            "{text}"
        );
    }
}
