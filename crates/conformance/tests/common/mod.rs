//! A runc-shaped tree with a tiny integration suite, and fake `runc`s to run it against.

#![allow(dead_code, unreachable_pub)]

use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};
use conformance::{Images, RuncSuite};

/// The fixture runc tree with its suite, prepared in `root/work`.
pub fn prepared(root: &Utf8Path) -> RuncSuite {
    let tree = test_fixtures::Kind::Runc.create(root);
    for (name, text) in test_fixtures::RUNC_SUITE {
        tree.write(name, text);
    }
    let script = tree.path.join("tests/integration/get-images.sh");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let go = GoToolchain::find().expect("Go on PATH");
    RuncSuite::prepare(
        &tree.path,
        &go,
        &root.join("gocache"),
        &root.join("work"),
        &Images::new(root.join("images")),
        &build_core::progress::Silent,
    )
    .expect("the fixture suite is prepared")
}

/// A `runc` that names itself and whose `features` succeeds or not.
pub fn fake_runc(root: &Utf8Path, name: &str, features_ok: bool) -> Utf8PathBuf {
    let path = root.join(name);
    let code = if features_ok { 0 } else { 1 };
    std::fs::write(
        &path,
        format!("#!/bin/sh\ncase \"$1\" in\n--version) echo 'runc version 1.4.3';;\nfeatures) exit {code};;\nesac\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

pub fn tempdir() -> (tempfile::TempDir, Utf8PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    (dir, root)
}
