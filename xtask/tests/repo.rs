//! `cargo xtask repo apt`: a signed apt repository of package sets, laid out as Docker's, that
//! a fresh Debian root installs Docker from with `apt-get`, release after release, and refuses
//! when its key is not the one trusted; hostile package sets and keys change nothing.

mod common;

use std::os::unix::fs::MetadataExt;
use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use common::repo::{Served, TestKey, count, repo, repo_ok, tool, two_releases};
use common::{read, snapshot, stderr};
use test_fixtures::Kind;

const INSTALL: &str =
    "docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin";

fn debian_root(root: &Utf8Path) {
    tool(
        "mmdebstrap",
        &["--quiet", "--variant=apt", "bookworm", root.as_str()],
    );
    std::fs::copy("/etc/resolv.conf", root.join("etc/resolv.conf")).unwrap();
    // As in any chroot: services are registered, never started (invoke-rc.d asks this).
    let policy = root.join("usr/sbin/policy-rc.d");
    std::fs::write(&policy, "#!/bin/sh\nexit 101\n").unwrap();
    std::fs::set_permissions(&policy, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// Runs `script` in the root; its output, and whether it succeeded.
fn chroot(root: &Utf8Path, script: &str) -> (bool, String) {
    let output = Command::new("chroot")
        .args([root.as_str(), "sh", "-c", script])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    (output.status.success(), said)
}

fn chroot_ok(root: &Utf8Path, script: &str) -> String {
    let (ok, said) = chroot(root, script);
    assert!(ok, "{script}:\n{said}");
    said
}

#[test]
fn an_apt_repository_of_two_releases_installs_each_with_apt_and_refuses_a_wrong_key() {
    let releases = two_releases("deb", "debian-12");
    let root = releases.worlds[0].root.clone();
    let key = TestKey::new(&root.join("keys"), "signer");
    let other = TestKey::new(&root.join("keys"), "other");
    let out = root.join("repo");

    // The first release, then the second added to the same repository.
    repo_ok("apt", &[&releases.sets[0]], &key.secret, &out);
    let suite = out.join("linux/debian/dists/bookworm");
    for file in [
        "InRelease",
        "Release",
        "Release.gpg",
        "stable/binary-amd64/Packages.gz",
    ] {
        assert!(suite.join(file).is_file(), "{file}");
    }
    assert_eq!(read(&out.join("linux/debian/gpg")), read(&key.public));
    let engine = suite.join("pool/stable/amd64/docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb");
    let inode = std::fs::metadata(&engine).unwrap().ino();
    let said = repo_ok("apt", &[&releases.sets[1]], &key.secret, &out);
    assert!(said.contains("6 packages added"), "{said}");
    assert_eq!(
        std::fs::metadata(&engine).unwrap().ino(),
        inode,
        "a published package is never rewritten"
    );
    let packages = String::from_utf8(read(&suite.join("stable/binary-amd64/Packages"))).unwrap();
    assert_eq!(count(&packages, "Package: "), 12, "{packages}");
    let release = String::from_utf8(read(&suite.join("Release"))).unwrap();
    for field in [
        "Suite: bookworm",
        "Codename: bookworm",
        "Components: stable",
        "Architectures: amd64",
    ] {
        assert!(release.lines().any(|l| l == field), "{field}:\n{release}");
    }
    // The same sets again: nothing to add, nothing written.
    let before = snapshot(&out.join("linux"));
    let sets = [releases.sets[0].as_path(), releases.sets[1].as_path()];
    let said = repo_ok("apt", &sets, &key.secret, &out);
    assert!(said.contains("Unchanged"), "{said}");
    assert!(before == snapshot(&out.join("linux")));

    // A fresh Debian root whose only Docker source is the repository, on the loopback.
    let debian = root.join("debian");
    debian_root(&debian);
    let served = Served::start(&out);
    let keyring = debian.join("etc/apt/keyrings/dockyard.asc");
    std::fs::create_dir_all(keyring.parent().unwrap()).unwrap();
    std::fs::write(
        debian.join("etc/apt/sources.list.d/dockyard.list"),
        format!(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/dockyard.asc] {}/linux/debian bookworm stable\n",
            served.url
        ),
    )
    .unwrap();
    // Another key than the repository's: apt refuses the repository.
    std::fs::copy(&other.public, &keyring).unwrap();
    let (ok, said) = chroot(&debian, "apt-get update");
    assert!(
        !ok,
        "apt-get update took a repository signed by another key:\n{said}"
    );
    assert!(
        said.contains("NO_PUBKEY") && said.contains("is not signed"),
        "{said}"
    );
    let policy = chroot_ok(&debian, "apt-cache policy docker-ce");
    assert!(!policy.contains("Candidate: 5:"), "{policy}");

    // The repository's key: the newest release installs.
    std::fs::copy(out.join("linux/debian/gpg"), &keyring).unwrap();
    chroot_ok(
        &debian,
        &format!("apt-get update -qq && apt-get install -y -qq {INSTALL}"),
    );
    let cli = &releases.worlds[0].repo(Kind::Cli).head;
    let shown = chroot_ok(
        &debian,
        "docker --version; dpkg-query -W docker-ce containerd.io; apt-cache policy docker-ce",
    );
    assert!(shown.contains(&format!("build {}", &cli[..7])), "{shown}");
    assert!(
        shown.contains("docker-ce\t5:29.7.2-1~debian.12~bookworm"),
        "{shown}"
    );
    assert!(
        shown.contains("containerd.io\t2.3.3-1~debian.12~bookworm"),
        "{shown}"
    );
    // The older release is still there, and installs.
    assert!(
        shown.contains("5:28.5.2-1~debian.12~bookworm 500"),
        "{shown}"
    );
    let older: Vec<String> = [
        ("docker-ce", "5:28.5.2"),
        ("docker-ce-cli", "5:28.5.2"),
        ("containerd.io", "1.7.28"),
        ("docker-buildx-plugin", "0.28.0"),
        ("docker-compose-plugin", "2.39.4"),
    ]
    .iter()
    .map(|(p, v)| format!("{p}={v}-1~debian.12~bookworm"))
    .collect();
    chroot_ok(
        &debian,
        &format!(
            "apt-get install -y -qq --allow-downgrades {}",
            older.join(" ")
        ),
    );
    let moby = &releases.worlds[1].repo(Kind::Moby28).head;
    let shown = chroot_ok(
        &debian,
        "dockerd --version; dpkg-query -W docker-ce containerd.io docker-buildx-plugin",
    );
    assert!(
        shown.contains(&format!("Docker version 28.5.2, build {}", &moby[..7])),
        "{shown}"
    );
    assert!(
        shown.contains("containerd.io\t1.7.28-1~debian.12~bookworm"),
        "{shown}"
    );
    assert!(
        shown.contains("docker-buildx-plugin\t0.28.0-1~debian.12~bookworm"),
        "{shown}"
    );
    drop(served);
    let _ = std::fs::remove_dir_all(&debian);
}

/// The regular files under `dir` and their bytes (a gpg home also holds its agent's sockets).
fn regular_files(dir: &Utf8Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = Utf8PathBuf::from_path_buf(entry.unwrap().path()).unwrap();
        let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
        if kind.is_dir() {
            found.extend(regular_files(&path));
        } else if kind.is_file() {
            found.push((path.to_string(), read(&path)));
        }
    }
    found.sort();
    found
}

/// A deb of `package` at `version` for `arch` as `dpkg-deb` builds it, named as its fields
/// say, in `dir`; `text` makes its bytes differ.
fn tiny_deb(dir: &Utf8Path, package: &str, version: &str, arch: &str, text: &str) -> Utf8PathBuf {
    let tree = dir.join(format!("tree-{package}-{version}-{arch}"));
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(tree.join("usr/share/doc").join(package)).unwrap();
    std::fs::write(tree.join("usr/share/doc").join(package).join("note"), text).unwrap();
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!("Package: {package}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: t <t@dockyard.invalid>\nDescription: t\n t\n"),
    )
    .unwrap();
    let without_epoch = version.split_once(':').map_or(version, |(_, v)| v);
    let file = dir.join(format!("{package}_{without_epoch}_{arch}.deb"));
    tool(
        "dpkg-deb",
        &[
            "--root-owner-group",
            "--build",
            tree.as_str(),
            file.as_str(),
        ],
    );
    std::fs::remove_dir_all(&tree).unwrap();
    file
}

#[test]
fn hostile_package_sets_and_keys_are_refused_naming_the_problem_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap();
    let key = TestKey::new(&root.join("keys"), "signer");
    let other = TestKey::new(&root.join("keys"), "other");
    let (good, out) = (root.join("good"), root.join("repo"));
    std::fs::create_dir_all(&good).unwrap();
    let version = "5:29.7.2-1~debian.12~bookworm";
    tiny_deb(&good, "docker-ce", version, "amd64", "a");
    tiny_deb(&good, "docker-ce", version, "arm64", "a");
    // What a killed run left beside the repository is removed by the next.
    let killed = out.join("linux/.tmp-killed/trees/debian");
    std::fs::create_dir_all(&killed).unwrap();
    repo_ok("apt", &[&good], &key.secret, &out);
    assert!(!out.join("linux/.tmp-killed").exists());
    let suite = out.join("linux/debian/dists/bookworm");
    let packages = suite.join("stable/binary-arm64/Packages");
    assert!(read(&packages).starts_with(b"Package: docker-ce\n"));
    let release = String::from_utf8(read(&suite.join("Release"))).unwrap();
    assert!(
        release.lines().any(|l| l == "Architectures: amd64 arm64"),
        "{release}"
    );
    let before = snapshot(&out);

    let refused = |name: &str, make: &dyn Fn(&Utf8Path), key: &Utf8Path, expected: &[&str]| {
        let set = root.join(name);
        std::fs::create_dir_all(&set).unwrap();
        make(&set);
        let output = repo("apt", &[&set], key, &out);
        let said = stderr(&output);
        assert!(!output.status.success(), "{name}: {said}");
        for words in expected {
            assert!(said.contains(words), "{name}: {words}:\n{said}");
        }
        assert!(before == snapshot(&out), "{name} changed the repository");
        assert!(
            std::fs::read_dir(out.join("linux")).unwrap().count() == 1,
            "{name} left a staging folder"
        );
    };
    let secret = key.secret.as_path();
    refused(
        "link",
        &|s| std::os::unix::fs::symlink("/etc/passwd", s.join("docker-ce_1_amd64.deb")).unwrap(),
        secret,
        &["docker-ce_1_amd64.deb", "not a regular file"],
    );
    refused(
        "stray",
        &|s| std::fs::write(s.join("notes.txt"), "x").unwrap(),
        secret,
        &["`notes.txt`", "not a package file's name"],
    );
    refused(
        "control",
        &|s| std::fs::write(s.join("a\u{1b}[2J.deb"), "x").unwrap(),
        secret,
        &["a\\u{1b}[2J.deb"],
    );
    refused(
        "large",
        &|s| {
            let f = std::fs::File::create(s.join("docker-ce_1_amd64.deb")).unwrap();
            f.set_len((1 << 30) + 1).unwrap();
        },
        secret,
        &[
            "1073741825 bytes",
            "more than the 1073741824 a package may be",
        ],
    );
    refused(
        "foreign",
        &|s| {
            tiny_deb(s, "libc6", version, "amd64", "x");
        },
        secret,
        &["the package `libc6`, which is none of Docker's packages"],
    );
    refused(
        "release",
        &|s| {
            tiny_deb(s, "docker-ce", "5:29.7.2-1", "amd64", "x");
        },
        secret,
        &[
            "version 5:29.7.2-1, which names none of the releases",
            "debian-12",
        ],
    );
    refused(
        "arch",
        &|s| {
            tiny_deb(s, "docker-ce", version, "m68k", "x");
        },
        secret,
        &["architecture `m68k`"],
    );
    refused(
        "misnamed",
        &|s| {
            let deb = tiny_deb(s, "docker-ce", version, "amd64", "x");
            std::fs::rename(
                &deb,
                s.join("docker-ce_30.0.0-1~debian.12~bookworm_amd64.deb"),
            )
            .unwrap();
        },
        secret,
        &["whose file is named docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb"],
    );
    refused(
        "republished",
        &|s| {
            tiny_deb(s, "docker-ce", version, "amd64", "other bytes");
        },
        secret,
        &["published before under the same name and version"],
    );
    // Keys: another one than the repository's, one that is no key, and a home of two.
    let fresh = |s: &Utf8Path| {
        tiny_deb(
            s,
            "docker-ce",
            "5:29.7.3-1~debian.12~bookworm",
            "amd64",
            "x",
        );
    };
    refused(
        "other-key",
        &fresh,
        &other.secret,
        &[&format!(
            "is signed with the key {}, not {}",
            key.fingerprint, other.fingerprint
        )],
    );
    refused(
        "public-key",
        &fresh,
        &key.public,
        &["holds no secret key that can sign"],
    );
    let two = root.join("two");
    std::fs::create_dir(&two).unwrap();
    std::fs::set_permissions(&two, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for secret in [&key.secret, &other.secret] {
        tool(
            "gpg",
            &[
                "--batch",
                "--homedir",
                two.as_str(),
                "--import",
                secret.as_str(),
            ],
        );
    }
    refused(
        "two-keys",
        &fresh,
        &two,
        &[
            "holds 2 secret keys that can sign",
            &key.fingerprint,
            &other.fingerprint,
        ],
    );
    common::repo::stop_agent(&two);
    // The gpg home given is read, never written; and what a run writes is readable by the
    // web server whatever the umask.
    let home_before = regular_files(&key.home);
    let output = Command::new("sh")
        .args(["-c", "umask 077 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_xtask"))
        .args(["repo", "apt", root.join("other-key").as_str(), "--key"])
        .args([key.home.as_str(), "--out", out.as_str()])
        .output()
        .unwrap();
    let said = stderr(&output);
    assert!(
        output.status.success() && said.contains("1 packages added"),
        "{said}"
    );
    for (path, mode) in [
        ("linux/debian", 0o755),
        ("linux/debian/gpg", 0o644),
        ("linux/debian/dists/bookworm/InRelease", 0o644),
        (
            "linux/debian/dists/bookworm/stable/binary-amd64/Packages.xz",
            0o644,
        ),
        ("linux/debian/dists/bookworm/pool/stable/amd64", 0o755),
        (
            "linux/debian/dists/bookworm/pool/stable/amd64/docker-ce_29.7.3-1~debian.12~bookworm_amd64.deb",
            0o644,
        ),
    ] {
        let meta = std::fs::metadata(out.join(path)).unwrap();
        assert_eq!(meta.mode() & 0o777, mode, "{path}");
    }
    assert!(
        home_before == regular_files(&key.home),
        "the gpg home given was written"
    );
    // apt-ftparchive's cache of package fields stays in the run's work folder (by default it
    // is written to `/`, and trusted for a file of the same name in another repository).
    assert!(!Utf8Path::new("/packages-amd64.db").exists());
}
