//! moby's API integration suite as dockyard runs it, on a fixture moby tree with a tiny
//! `integration/fixture` package and a fixture engine: each package compiled with `go test
//! -c`, run in namespaces of its own against the engine's `dockerd` with the frozen images
//! loaded, counted from test2json's events, compared side by side, and cleaned up after an
//! interrupt. (Root: the run makes mount, network and PID namespaces.)

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use build_core::progress::{Recorded, Silent};
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};
use common::tempdir;
use conformance::report::{Counts, only_upstream_passes, section};
use conformance::tap::Outcome;
use conformance::{ConformanceError, MobySuite, SavedImage, write_save_archive};

const PACKAGE: &str = "integration/fixture";

fn go() -> GoToolchain {
    GoToolchain::find().expect("Go on PATH")
}

/// The fixture moby tree with its suite, prepared in `root/work`.
fn prepared(root: &Utf8Path) -> MobySuite {
    let tree = test_fixtures::Kind::Moby.create(root);
    for (name, text) in test_fixtures::MOBY_SUITE {
        tree.write(name, text);
    }
    MobySuite::prepare(
        &tree.path,
        &[PACKAGE.to_owned()],
        &go(),
        &root.join("gocache"),
        &root.join("work"),
        &Silent,
    )
    .expect("the fixture suite is prepared")
}

/// The fixture engine's `dockerd` and `docker` in `root/bin`.
fn engine(root: &Utf8Path) -> Utf8PathBuf {
    let src = root.join("engine-src");
    let bin = root.join("bin");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(src.join("main.go"), test_fixtures::MOBY_ENGINE).unwrap();
    let built = std::process::Command::new("go")
        .args(["build", "-o"])
        .arg(bin.join("dockerd"))
        .arg("main.go")
        .current_dir(&src)
        .env("GO111MODULE", "off")
        .env("GOCACHE", root.join("gocache"))
        .status()
        .unwrap();
    assert!(built.success());
    std::os::unix::fs::symlink("dockerd", bin.join("docker")).unwrap();
    bin
}

/// A `docker save` archive at `root/frozen.tar` of a one-file image tagged `busybox:latest`
/// and `busybox:also`.
fn busybox(root: &Utf8Path) -> Utf8PathBuf {
    let rootfs = root.join("busybox.tar.xz");
    if !rootfs.exists() {
        let fs = root.join("busybox-fs");
        std::fs::create_dir_all(&fs).unwrap();
        std::fs::write(fs.join("hello"), "hello\n").unwrap();
        let packed = std::process::Command::new("tar")
            .args(["-cJf", rootfs.as_str(), "-C", fs.as_str(), "."])
            .status()
            .unwrap();
        assert!(packed.success());
    }
    let archive = root.join("frozen.tar");
    let image = SavedImage {
        rootfs,
        tags: vec!["busybox:latest", "busybox:also"],
        architecture: "amd64",
        cmd: &["sh"],
    };
    write_save_archive(&[image], &archive).unwrap();
    archive
}

#[test]
fn the_frozen_images_archive_is_the_same_bytes_each_time_it_is_made() {
    let (_dir, root) = tempdir();
    let first = std::fs::read(busybox(&root)).unwrap();
    let second = std::fs::read(busybox(&root)).unwrap();
    assert_eq!(first, second);
    assert!(
        root.join("busybox.tar.xz").is_file(),
        "the cached file system is kept"
    );
    let listed = std::process::Command::new("tar")
        .args(["-tf", root.join("frozen.tar").as_str()])
        .output()
        .unwrap();
    let names = String::from_utf8(listed.stdout).unwrap();
    let names: Vec<&str> = names.lines().collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].ends_with("/layer.tar") && names[1].ends_with(".json"));
    assert_eq!(names[2], "manifest.json");
    let leftovers: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        3,
        "nothing but the file system, its folder and the archive: {leftovers:?}"
    );
}

/// Processes started from `bin` or the suite's test binaries (what a run leaves, if anything).
fn left_running(root: &Utf8Path) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok())
        .filter_map(|exe| exe.to_str().map(str::to_owned))
        .filter(|exe| exe.starts_with(root.as_str()))
        .collect()
}

#[test]
fn each_test_is_counted_and_a_test_failing_only_on_ours_is_named() {
    let (_dir, root) = tempdir();
    let suite = prepared(&root);
    let bin = engine(&root);
    let progress = Recorded::default();
    let stop = AtomicBool::new(false);
    let images = busybox(&root);
    let upstream = suite
        .run(
            &bin,
            "upstream",
            &images,
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
        outcome("TestTheDaemonAnswersWithTheFrozenImages"),
        Some(Outcome::Passed),
        "the test reached the daemon and saw the imported image: {:?}",
        upstream.results
    );
    assert_eq!(outcome("TestADaemonOfItsOwn"), Some(Outcome::Passed));
    assert_eq!(outcome("TestFails"), Some(Outcome::Failed));
    assert_eq!(outcome("TestSkips"), Some(Outcome::Skipped));
    assert_eq!(
        Counts::of(&upstream.results),
        Counts {
            passed: 2,
            failed: 1,
            skipped: 2
        }
    );
    let fails = upstream
        .results
        .iter()
        .find(|r| r.name == "TestFails")
        .unwrap();
    assert!(
        fails
            .failed_check
            .as_deref()
            .unwrap_or("")
            .contains("this test fails"),
        "{fails:?}"
    );
    assert!(
        progress
            .lines()
            .iter()
            .any(|(_, l)| l.contains("1/1 integration/fixture: 2 passed, 1 failed, 2 skipped")),
        "{:?}",
        progress.lines()
    );
    assert!(
        std::fs::read_to_string(root.join("up.log"))
            .unwrap()
            .contains("TestSkips")
    );

    // Without the images, the test that needs them fails on this side only, and is named.
    let no_images = root.join("none.tar");
    write_save_archive(&[], &no_images).unwrap();
    let ours = suite
        .run(
            &bin,
            "dockyard",
            &no_images,
            None,
            &root.join("ours.log"),
            &Silent,
            &stop,
        )
        .unwrap();
    let only = only_upstream_passes(&ours, &upstream);
    let names: Vec<&str> = only.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["TestTheDaemonAnswersWithTheFrozenImages"]);
    let text = section("moby", &ours, Some(&upstream), &|_| None);
    assert!(
        text.contains("| integration/fixture | 1 / 2 / 2 | 2 / 1 / 2 |"),
        "{text}"
    );
    assert!(
        text.contains("- `integration/fixture`: TestTheDaemonAnswersWithTheFrozenImages — **not explained yet**"),
        "{text}"
    );
    assert!(left_running(&root).is_empty(), "{:?}", left_running(&root));
}

#[test]
fn an_interrupted_run_reports_nothing_and_leaves_no_daemon_or_mount() {
    let (_dir, root) = tempdir();
    let suite = prepared(&root);
    let bin = engine(&root);
    std::fs::write(root.join("work/bin/wait"), "").unwrap();
    let stop = AtomicBool::new(false);
    let images = busybox(&root);
    let run = std::thread::scope(|scope| {
        let running = scope.spawn(|| {
            suite
                .run(
                    &bin,
                    "dockyard",
                    &images,
                    None,
                    &root.join("log"),
                    &Silent,
                    &stop,
                )
                .map_err(|e| e.to_string())
        });
        // The waiting test runs (it would for two minutes), beside its daemon.
        let test_binary = root.join("work/bin/integration-fixture.test");
        while !left_running(&root)
            .iter()
            .any(|exe| *exe == test_binary.as_str())
        {
            assert!(
                !running.is_finished(),
                "the run ended before the waiting test"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            left_running(&root)
                .iter()
                .any(|exe| exe.ends_with("bin/dockerd")),
            "{:?}",
            left_running(&root)
        );
        stop.store(true, Ordering::SeqCst);
        running.join().unwrap().unwrap()
    });
    assert!(
        run.results.is_empty(),
        "a part of a package is no result: {:?}",
        run.results
    );
    assert!(left_running(&root).is_empty(), "{:?}", left_running(&root));
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(root.as_str()), "{mounts}");
}

#[test]
fn a_package_the_tree_lacks_is_named() {
    let (_dir, root) = tempdir();
    let tree = test_fixtures::Kind::Moby.create(&root);
    for (name, text) in test_fixtures::MOBY_SUITE {
        tree.write(name, text);
    }
    let err = MobySuite::prepare(
        &tree.path,
        &["integration/nothing".to_owned()],
        &go(),
        &root.join("gocache"),
        &root.join("work"),
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, ConformanceError::NoPackage { .. }), "{err}");
    assert!(err.to_string().contains("integration/nothing"), "{err}");
}
