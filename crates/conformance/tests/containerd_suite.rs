//! containerd's client suite as dockyard runs it, on the fixture containerd tree with a tiny
//! `integration/client`: compiled offline over an overlay of the image list that names the
//! loopback registry, run in namespaces of its own with that registry serving the images made
//! here, a hang reported as that test's timeout while the rest still runs, and compared side by
//! side. (Root: the run makes mount, network and PID namespaces.)

mod common;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use build_core::progress::{Recorded, Silent};
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};
use common::tempdir;
use conformance::report::{Counts, only_upstream_passes, section};
use conformance::tap::Outcome;
use conformance::{ConformanceError, ContainerdSuite, Images};

/// The fixture containerd tree with its suite, prepared in `root/work`.
fn prepared(root: &Utf8Path) -> ContainerdSuite {
    let tree = test_fixtures::Kind::Containerd.create(root);
    for (name, text) in test_fixtures::CONTAINERD_SUITE {
        tree.write(name, text);
    }
    ContainerdSuite::prepare(
        &tree.path,
        &GoToolchain::find().expect("Go on PATH"),
        &root.join("gocache"),
        &root.join("work"),
        &Images::new(root.join("images")),
        &Silent,
    )
    .expect("the fixture suite is prepared")
    .with_test_limit(Duration::from_secs(10))
}

/// A folder of `containerd` (the fixture's, printing its version) and, with `runc`, a `runc`
/// and the shim.
fn binaries(root: &Utf8Path, name: &str, runc: bool) -> Utf8PathBuf {
    let bin = root.join(name);
    std::fs::create_dir_all(&bin).unwrap();
    let tools: &[&str] = if runc {
        &["containerd", "containerd-shim-runc-v2", "runc"]
    } else {
        &["containerd"]
    };
    for tool in tools {
        let script = format!("#!/bin/sh\necho \"{tool} fixture\"\n");
        std::fs::write(bin.join(tool), script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join(tool), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn each_test_is_counted_a_hang_is_its_timeout_and_a_test_passing_only_upstream_is_named() {
    let (_dir, root) = tempdir();
    let suite = prepared(&root);
    let overlay = std::fs::read_to_string(root.join("work/overlay/image_list.go")).unwrap();
    assert!(
        overlay.contains("BusyBox: \"127.0.0.1:5000/containerd/busybox:1.36\""),
        "{overlay}"
    );
    assert!(
        overlay.contains("Alpine:          \"ghcr.io/containerd/alpine:3.14.0\""),
        "a reference without a recipe stays upstream's: {overlay}"
    );
    std::fs::write(root.join("work/hang"), "").unwrap();
    let progress = Recorded::default();
    let stop = AtomicBool::new(false);
    let theirs = binaries(&root, "upstream-bin", true);
    let upstream = suite
        .run(
            &theirs,
            "upstream",
            None,
            &root.join("up.log"),
            &progress,
            &stop,
        )
        .unwrap();
    let outcome = |name: &str| {
        upstream
            .results
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.outcome)
    };
    assert_eq!(
        outcome("TestPullsBusyBox"),
        Some(Outcome::Passed),
        "the images were served by tag and by digest: {:?}",
        upstream.results
    );
    assert_eq!(outcome("TestRuncIsOnPath"), Some(Outcome::Passed));
    assert_eq!(outcome("TestFails"), Some(Outcome::Failed));
    assert_eq!(outcome("TestSkips"), Some(Outcome::Skipped));
    assert_eq!(outcome("TestHangs"), Some(Outcome::Failed));
    assert_eq!(
        outcome("TestAfterTheHang"),
        Some(Outcome::Passed),
        "the tests after a hang still run: {:?}",
        upstream.results
    );
    let hang = upstream
        .results
        .iter()
        .find(|r| r.name == "TestHangs")
        .unwrap();
    assert_eq!(
        hang.failed_check.as_deref(),
        Some("timed out: still running after 10s")
    );
    assert_eq!(
        Counts::of(&upstream.results),
        Counts {
            passed: 3,
            failed: 2,
            skipped: 1
        }
    );
    assert!(
        progress
            .lines()
            .iter()
            .any(|(_, l)| l.contains("attempt 2, skipping the 5 tests that ran")),
        "{:?}",
        progress.lines()
    );

    // Without runc, the test that looks for it fails on this side only, and is named.
    std::fs::remove_file(root.join("work/hang")).unwrap();
    let ours = binaries(&root, "dockyard-bin", false);
    let mine = suite
        .run(
            &ours,
            "dockyard",
            None,
            &root.join("ours.log"),
            &Silent,
            &stop,
        )
        .unwrap();
    let only = only_upstream_passes(&mine, &upstream);
    let names: Vec<&str> = only.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["TestRuncIsOnPath"]);
    let text = section("containerd", &mine, Some(&upstream), &|_| None);
    assert!(
        text.contains("| integration/client | 2 / 2 / 2 | 3 / 2 / 1 |"),
        "{text}"
    );
}

#[test]
fn a_run_in_which_no_test_ran_is_an_error() {
    let (_dir, root) = tempdir();
    let suite = prepared(&root);
    let bin = binaries(&root, "bin", true);
    let err = suite
        .run(
            &bin,
            "dockyard",
            Some("NoSuchTest"),
            &root.join("log"),
            &Silent,
            &AtomicBool::new(false),
        )
        .unwrap_err();
    assert!(matches!(err, ConformanceError::NothingRan { .. }), "{err}");
    assert!(err.to_string().contains("ran no test"), "{err}");
}

#[test]
fn containerd_1_7s_own_module_is_named_as_not_supported() {
    let (_dir, root) = tempdir();
    let tree = test_fixtures::Kind::Containerd.create(&root);
    for (name, text) in test_fixtures::CONTAINERD_SUITE {
        tree.write(name, text);
    }
    tree.write(
        "integration/client/go.mod",
        "module github.com/containerd/containerd/integration/client\n",
    );
    let err = ContainerdSuite::prepare(
        &tree.path,
        &GoToolchain::find().expect("Go on PATH"),
        &root.join("gocache"),
        &root.join("work"),
        &Images::new(root.join("images")),
        &Silent,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("1.7's is a module of its own"),
        "{err}"
    );
}

#[test]
fn containerd_is_a_suite_people_name_and_not_one_of_the_defaults() {
    let suites = conformance::select_suites(&["containerd".to_owned()]).unwrap();
    assert!(suites.containerd && !suites.runc && suites.packages.is_empty());
    assert!(!conformance::select_suites(&[]).unwrap().containerd);
    let err = conformance::select_suites(&["ctrd".to_owned()]).unwrap_err();
    assert!(
        err.to_string().contains("name runc, containerd, moby"),
        "{err}"
    );
}
