//! Runs killed or racing lose nothing: a killed build or publish neither blocks nor breaks
//! the next run, two runs sharing a cache or an output folder both succeed and never mix, and
//! the previous bundle stays byte-identical.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use camino::Utf8PathBuf;
use common::{published, read, snapshot, stderr, world, xtask};
use test_fixtures::Kind;

// 9 and 16. A run killed mid-build: the next run proceeds at once and succeeds; temps cleaned.
#[test]
fn a_killed_run_neither_blocks_nor_breaks_the_next() {
    let (w, out, _) = published();
    let runc = w.repo(Kind::Runc).path.clone();
    std::fs::write(runc.join("extra.go"), "package main\n\nvar extra = 1\n").unwrap();
    let source = format!("runc={runc}");
    let mut child = w
        .bundle_command(&out, &["--source", &source])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stderr.take().unwrap());
    for line in lines.lines() {
        if line.unwrap().contains("Compiling runc") {
            break;
        }
    }
    child.kill().unwrap();
    let killed = child.wait().unwrap();
    assert_eq!(killed.signal(), Some(9), "the run was killed, not finished");

    let again = w.bundle(&out, &["--source", &source]);
    let err = stderr(&again);
    assert!(again.status.success(), "{err}");
    // Had the kill landed after runc's build was done, its build would be in the cache now.
    assert!(
        err.contains("Compiling runc"),
        "the killed run had not finished building runc: {err}"
    );
    assert!(
        !err.contains("Waiting"),
        "a dead run's lock is gone with it: {err}"
    );
    let verify = xtask()
        .args(["verify", out.join("docker-29.7.2").as_str()])
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", stderr(&verify));
    let leftovers = |dir: Utf8PathBuf| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp"))
            .collect()
    };
    assert_eq!(leftovers(out.clone()), Vec::<String>::new());
    assert_eq!(
        leftovers(w.root.join("cache/artifacts")),
        Vec::<String>::new()
    );
}

// 14. Two runs sharing a cache: one waits for the other and says so; both succeed.
#[test]
fn two_runs_sharing_a_cache_both_succeed() {
    let w = world();
    let (a, b) = (w.root.join("out-a"), w.root.join("out-b"));
    let first = w
        .bundle_command(&a, &[])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = w
        .bundle_command(&b, &[])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second.status.success(), "{}", stderr(&second));
    let both = stderr(&first) + &stderr(&second);
    assert!(both.contains("Waiting"), "one run said it waits: {both}");
    assert_eq!(
        read(&a.join("docker-29.7.2/SHA256SUMS")),
        read(&b.join("docker-29.7.2/SHA256SUMS"))
    );
}

// 15. Two runs into one output folder never mix their files.
#[test]
fn two_runs_into_one_output_folder_never_mix() {
    let w = world();
    let out = w.root.join("out");
    let runc = w.repo(Kind::Runc).path.clone();
    let other = w.root.join("runc-b");
    let status = std::process::Command::new("git")
        .args(["clone", "-q", runc.as_str(), other.as_str()])
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(other.join("extra.go"), "package main\n\nvar extra = 2\n").unwrap();
    let (sa, sb) = (format!("runc={runc}"), format!("runc={other}"));
    let first = w
        .bundle_command(&out, &["--source", &sa])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let second = w
        .bundle_command(&out, &["--source", &sb])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (first, second) = (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    );
    assert!(
        first.status.success() && second.status.success(),
        "{}{}",
        stderr(&first),
        stderr(&second)
    );
    let dir = out.join("docker-29.7.2");
    let verify = xtask().args(["verify", dir.as_str()]).output().unwrap();
    assert!(verify.status.success(), "{}", stderr(&verify));
    // The tgz holds the same runc as docker/.
    let sums = String::from_utf8(read(&dir.join("SHA256SUMS"))).unwrap();
    let runc_sum = sums.lines().find(|l| l.ends_with("  docker/runc")).unwrap();
    let from_tgz = common::tgz_file(&dir.join("docker-29.7.2.tgz"), "docker/runc");
    assert!(runc_sum.starts_with(&build_core::digest::hex(&sha2_digest(&from_tgz))));
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

// 9. A run killed while writing the tgz or the checksums leaves only its staging folder behind;
// the previous bundle is untouched and the next run removes the leftover.
#[test]
fn a_staging_folder_left_by_a_killed_publish_is_removed_by_the_next_run() {
    let (w, out, before) = published();
    let staging = out.join(".tmp-docker-29.7.2-killed");
    std::fs::create_dir_all(staging.join("docker")).unwrap();
    std::fs::write(
        staging.join("docker-29.7.2.tgz"),
        b"\x1f\x8b half a tarball",
    )
    .unwrap();
    std::fs::write(staging.join("SHA256SUMS"), b"0000  docker/r").unwrap();
    let runc = w.repo(Kind::Runc).path.clone();
    std::fs::write(runc.join("extra.go"), "package main\n\nvar extra = 3\n").unwrap();
    let source = format!("runc={runc}");
    w.bundle_ok(&out, &["--source", &source]);
    assert!(!staging.exists());
    assert_ne!(
        snapshot(&out),
        before,
        "the new bundle replaced the old one"
    );
    let verify = xtask()
        .args(["verify", out.join("docker-29.7.2").as_str()])
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", stderr(&verify));
}
