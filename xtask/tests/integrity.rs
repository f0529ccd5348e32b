//! Nothing stale is trusted, every failure says where it happened, and --only builds what the
//! bundle uses.

mod common;

use std::io::{Seek, SeekFrom, Write};

use camino::{Utf8Path, Utf8PathBuf};
use common::{World, component, read, stderr, world, xtask};
use test_fixtures::Kind;

/// Flips one byte in the middle of `path`, keeping its size (and, with `keep_mtime`, its mtime).
fn flip_byte(path: &Utf8Path, keep_mtime: bool) {
    let before = std::fs::metadata(path).unwrap().modified().unwrap();
    let len = std::fs::metadata(path).unwrap().len();
    let mut bytes = vec![0u8; 1];
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    f.seek(SeekFrom::Start(len / 2)).unwrap();
    std::io::Read::read_exact(&mut f, &mut bytes).unwrap();
    f.seek(SeekFrom::Start(len / 2)).unwrap();
    f.write_all(&[bytes[0] ^ 0xff]).unwrap();
    if keep_mtime {
        f.set_modified(before).unwrap();
    }
}

fn verify(dir: &Utf8Path) -> std::process::Output {
    xtask().arg("verify").arg(dir.as_str()).output().unwrap()
}

#[test]
fn a_damaged_bundle_is_not_fresh_and_is_republished_from_the_cache() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let dir = out.join("docker-29.7.2");
    for keep_mtime in [false, true] {
        flip_byte(&dir.join("docker/runc"), keep_mtime);
        assert!(!verify(&dir).status.success(), "verify sees the damage");
        let err = w.bundle_ok(&out, &[]);
        assert!(!err.contains("Fresh"), "keep_mtime={keep_mtime}: {err}");
        assert!(err.contains("Assembling"), "{err}");
        assert!(verify(&dir).status.success(), "republished intact");
    }
    // And an intact bundle is fresh again, without a rebuild.
    let err = w.bundle_ok(&out, &[]);
    assert!(err.contains("Fresh"), "{err}");
}

#[test]
fn verify_names_a_damaged_or_extra_file_of_the_packaging_folder() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let dir = out.join("docker-29.7.2");
    assert_eq!(
        read(&dir.join("packaging/docker.init")),
        read(
            &w.repo(Kind::Moby)
                .path
                .join("contrib/init/sysvinit-debian/docker")
        ),
        "moby's SysV init script, as its tree has it"
    );
    flip_byte(&dir.join("packaging/docker.default"), true);
    let said = stderr(&verify(&dir));
    assert!(said.contains("packaging/docker.default"), "{said}");
    w.bundle_ok(&out, &[]);
    std::fs::write(dir.join("packaging/docker.old"), "left by hand\n").unwrap();
    let said = stderr(&verify(&dir));
    assert!(
        said.contains("packaging/docker.old") && said.contains("an extra file"),
        "{said}"
    );
}

#[test]
fn a_damaged_binary_is_never_linked_into_the_next_bundle() {
    let w = world();
    let out = w.root.join("out");
    let runc = w.repo(Kind::Runc).path.clone();
    let source = format!("runc={runc}");
    w.bundle_ok(&out, &["--source", &source]);
    let dir = out.join("docker-29.7.2");
    flip_byte(&dir.join("docker/containerd"), true);
    // A change elsewhere makes a new bundle, which would link unchanged binaries.
    std::fs::write(runc.join("NOTES"), "a local change\n").unwrap();
    w.bundle_ok(&out, &["--source", &source]);
    let checked = verify(&dir);
    assert!(checked.status.success(), "{}", stderr(&checked));
}

#[test]
fn only_builds_exactly_what_the_full_bundle_uses() {
    let w = world();
    // tini pinned at a newer commit: the set's epoch (the tarballs') is tini's; runc's build,
    // stamped with its own commit's time, is the same alone and in the full bundle.
    w.pin_a_later_commit(Kind::Tini);
    let out = w.root.join("out");
    let only = w.bundle(&out, &["--only", "runc"]);
    assert!(only.status.success(), "{}", stderr(&only));
    let full = w.bundle_ok(&out, &[]);
    assert!(
        full.contains("Cached runc"),
        "the full bundle reuses --only's runc: {full}"
    );
    assert!(full.contains("Building moby"), "{full}");
}

#[test]
fn the_manifest_says_what_a_component_was_really_built_from() {
    let w = world();
    let out = w.root.join("out");
    let runc = w.repo(Kind::Runc).path.clone();
    std::fs::write(runc.join("NOTES"), "a local change\n").unwrap();
    w.bundle_ok(&out, &["--source", &format!("runc={runc}")]);
    let text = String::from_utf8(read(&out.join("docker-29.7.2/manifest.json"))).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    let runc_entry = component(&manifest, "runc");
    assert_eq!(runc_entry["source"], "working-tree");
    assert!(runc_entry["repository"].is_null(), "{runc_entry}");
    assert!(runc_entry["ref"].is_null(), "{runc_entry}");
    assert_eq!(runc_entry["dirty"], true);
    assert_eq!(runc_entry["commit"], w.repo(Kind::Runc).head.as_str());
    assert!(
        runc_entry["content_id"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        !text.contains(runc.as_str()),
        "no local path in the manifest"
    );
    assert_eq!(component(&manifest, "containerd")["source"], "pin");

    // A fork: its own URL and ref.
    let fork = format!("runc=file://{runc}@HEAD");
    w.bundle_ok(&out, &["--source", &fork]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&out.join("docker-29.7.2/manifest.json"))).unwrap();
    let runc_entry = component(&manifest, "runc");
    assert_eq!(runc_entry["source"], "fork");
    assert_eq!(runc_entry["repository"], format!("file://{runc}"));
    assert_eq!(runc_entry["ref"], "HEAD");
}

/// A small tmpfs at `dir` for the test's lifetime. Mounting needs root: without it the test
/// fails saying so, never passes unchecked (CI runs as root).
struct SmallDisk(Utf8PathBuf);

impl SmallDisk {
    fn mount(dir: Utf8PathBuf, size: &str) -> SmallDisk {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        assert!(
            root,
            "this test mounts a tmpfs, which needs root: run it as root (.ci/run does)"
        );
        std::fs::create_dir_all(&dir).unwrap();
        let status = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size}"),
                "tmpfs",
                dir.as_str(),
            ])
            .status()
            .unwrap();
        assert!(status.success(), "cannot mount a tmpfs at {dir}");
        SmallDisk(dir)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.0.as_str())
            .status();
    }
}

fn assert_full_disk_message(err: &str, place: &Utf8Path) {
    let line = err.lines().find(|l| l.starts_with("error:")).unwrap_or("");
    assert!(
        line.contains(place.as_str()),
        "names a path under {place}: {err}"
    );
    assert!(line.contains("No space left on device"), "{err}");
    assert!(
        line.contains("free space") && line.contains("--out") && line.contains("--cache"),
        "{err}"
    );
}

#[test]
fn a_full_output_disk_is_named_with_the_path_the_step_and_the_fix() {
    let w = world();
    let small = w.root.join("small-out");
    let _disk = SmallDisk::mount(small.clone(), "256k");
    let output = w.bundle(&small, &[]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert_full_disk_message(&err, &small);
    assert!(
        err.contains("copying") || err.contains("writing"),
        "says the step: {err}"
    );
    let left: Vec<_> = std::fs::read_dir(&small)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != ".dockyard.lock")
        .collect();
    assert!(left.is_empty(), "nothing half-written: {left:?}");
}

#[test]
fn a_full_cache_disk_is_named_with_the_path_the_step_and_the_fix() {
    let w = world();
    let small = w.root.join("small-cache");
    let _disk = SmallDisk::mount(small.clone(), "64k");
    let output = cached_in(&w, &small).output().unwrap();
    assert!(!output.status.success());
    assert_full_disk_message(&stderr(&output), &small);
}

/// `bundle` with its cache in `cache`.
fn cached_in(w: &World, cache: &Utf8Path) -> std::process::Command {
    let mut cmd = xtask();
    cmd.arg("bundle")
        .args(["--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", cache.as_str()])
        .args(["--out", w.root.join("out").as_str()]);
    for (kind, repo) in &w.repos {
        cmd.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    cmd
}
