//! The runc suite harness on a fixture tree: it builds the helpers, makes the busybox image,
//! gives the tests a terminal, counts each file's passes, failures and skips, and names what
//! passes only on upstream's build.

mod common;

use std::sync::atomic::AtomicBool;

use build_core::progress::Recorded;
use common::*;
use conformance::report::{self, Counts};

#[test]
fn each_file_is_counted_and_a_test_passing_only_upstream_is_named() {
    let (_dir, root) = tempdir();
    let suite = prepared(&root);
    let ours = fake_runc(&root, "runc-dockyard", false);
    let theirs = fake_runc(&root, "runc-upstream", true);
    let progress = Recorded::default();
    let stop = AtomicBool::new(false);
    let log = root.join("dockyard.log");
    let mine = suite
        .run(&ours, "dockyard", None, &log, &progress, &stop)
        .unwrap();
    let upstream = suite
        .run(
            &theirs,
            "upstream",
            None,
            &root.join("upstream.log"),
            &progress,
            &stop,
        )
        .unwrap();

    let count = |p: usize, f: usize, s: usize| Counts {
        passed: p,
        failed: f,
        skipped: s,
    };
    let groups = mine.by_group();
    assert_eq!(groups["pass.bats"], count(2, 0, 0), "{:?}", mine.results);
    assert_eq!(groups["fail.bats"], count(1, 1, 0));
    assert_eq!(groups["skip.bats"], count(0, 0, 1));
    assert_eq!(upstream.by_group()["fail.bats"], count(2, 0, 0));

    let only = report::only_upstream_passes(&mine, &upstream);
    let names: Vec<&str> = only.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["runc features succeeds"]);
    let text = report::section("runc", &mine, Some(&upstream), &|_| None);
    assert!(
        text.contains("| fail.bats | 1 / 1 / 0 | 2 / 0 / 0 |"),
        "{text}"
    );
    assert!(
        text.contains("| **total** | **3 / 1 / 1** | **4 / 0 / 1** |"),
        "{text}"
    );
    assert!(
        text.contains("runc features succeeds — **not explained yet**"),
        "{text}"
    );

    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("not ok 1 runc features succeeds"),
        "the raw output is kept"
    );
    let lines = progress.lines();
    assert!(
        lines.iter().any(|(verb, line)| verb == "Ran"
            && line.contains("3/3 skip.bats")
            && line.contains("so far 3 passed, 1 failed, 1 skipped")),
        "progress names the file and the count so far: {lines:?}"
    );
}

#[test]
fn a_filter_runs_only_the_tests_it_names() {
    let (_dir, root) = tempdir();
    let suite = prepared(&root);
    let runc = fake_runc(&root, "runc-fake", true);
    let run = suite
        .run(
            &runc,
            "dockyard",
            Some("version"),
            &root.join("log"),
            &Recorded::default(),
            &AtomicBool::new(false),
        )
        .unwrap();
    let names: Vec<&str> = run.results.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["runc --version names runc"]);
}
