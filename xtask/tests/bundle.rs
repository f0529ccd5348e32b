//! `cargo xtask bundle` end to end, on fixture upstreams.

mod common;

use std::process::Command;

use common::{read, snapshot, tgz_entries, world, xtask};
use test_fixtures::Kind;

const BINARIES: [&str; 8] = [
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "docker",
    "docker-init",
    "docker-proxy",
    "dockerd",
    "runc",
];

#[test]
fn a_bundle_has_docker_s_layout_and_checks_out() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static"]);
    let dir = out.join("docker-29.7.2");

    for name in BINARIES {
        let meta = std::fs::metadata(dir.join("docker").join(name)).unwrap();
        assert!(meta.is_file(), "{name}");
    }
    let mut expected: Vec<(String, u32, u64, u64)> = vec![(
        "docker/".into(),
        0o755,
        0,
        test_fixtures::COMMIT_TIME as u64,
    )];
    expected.extend(BINARIES.iter().map(|n| {
        (
            format!("docker/{n}"),
            0o755,
            0,
            test_fixtures::COMMIT_TIME as u64,
        )
    }));
    assert_eq!(tgz_entries(&dir.join("docker-29.7.2.tgz")), expected);

    // The rootless extras, as Docker's download: rootlesskit and moby's two scripts, taken
    // from the pinned moby tree as they are.
    let at = |name: &str| (name.to_owned(), 0o755, 0, test_fixtures::COMMIT_TIME as u64);
    assert_eq!(
        tgz_entries(&dir.join("docker-rootless-extras-29.7.2.tgz")),
        [
            at("docker-rootless-extras/"),
            at("docker-rootless-extras/dockerd-rootless-setuptool.sh"),
            at("docker-rootless-extras/dockerd-rootless.sh"),
            at("docker-rootless-extras/rootlesskit"),
        ]
    );
    for script in ["dockerd-rootless.sh", "dockerd-rootless-setuptool.sh"] {
        assert_eq!(
            read(&dir.join("docker-rootless-extras").join(script)),
            read(&w.repo(Kind::Moby).path.join("contrib").join(script)),
            "{script}"
        );
    }
    assert_eq!(
        tgz_entries(&dir.join("docker-buildx-plugin-0.34.1.tgz")),
        [at("docker-buildx")]
    );

    // sha256sum -c accepts SHA256SUMS.
    let check = Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("manifest.json"))).unwrap();
    let runc = manifest["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "runc")
        .unwrap();
    assert_eq!(runc["commit"], w.repo(Kind::Runc).head.as_str());
    assert_eq!(runc["dirty"], false);
    assert_eq!(runc["repository"], "https://example.test/runc");
    assert!(
        runc["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "seccomp")
    );
    let files = manifest["files"].as_array().unwrap();
    assert!(
        files
            .iter()
            .any(|f| f["path"] == "docker/runc" && f["link"]["kind"] == "static-pie")
    );
    for unit in ["docker.service", "docker.socket", "containerd.service"] {
        let text = String::from_utf8(read(&dir.join("systemd").join(unit))).unwrap();
        assert!(!text.is_empty(), "{unit}");
    }
    let service = String::from_utf8(read(&dir.join("systemd/docker.service"))).unwrap();
    assert!(service.contains("ExecStart=/usr/bin/dockerd"), "{service}");

    let verify = xtask().args(["verify", dir.as_str()]).output().unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn a_second_run_with_nothing_changed_reuses_everything() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let before = read(&out.join("docker-29.7.2/SHA256SUMS"));
    let stderr = w.bundle_ok(&out, &[]);
    for component in ["tini", "runc", "proxy", "containerd", "cli", "moby"] {
        assert!(
            stderr.contains(&format!("Cached {component}")),
            "{component} not cached:\n{stderr}"
        );
    }
    assert!(stderr.contains("Fresh"), "{stderr}");
    assert!(!stderr.contains("Compiling"), "{stderr}");
    assert_eq!(before, read(&out.join("docker-29.7.2/SHA256SUMS")));
}

#[test]
fn a_change_in_one_working_tree_rebuilds_only_that_component() {
    let w = world();
    let out = w.root.join("out");
    let runc = w.repo(Kind::Runc).path.clone();
    let source = format!("runc={runc}");
    w.bundle_ok(&out, &["--source", &source]);
    let old_sums = String::from_utf8(read(&out.join("docker-29.7.2/SHA256SUMS"))).unwrap();

    let main = runc.join("main.go");
    let text = String::from_utf8(read(&main)).unwrap();
    std::fs::write(&main, format!("{text}// one line changed\n")).unwrap();
    let stderr = w.bundle_ok(&out, &["--source", &source]);
    assert!(stderr.contains("Building runc"), "{stderr}");
    for other in ["tini", "proxy", "containerd", "cli", "moby"] {
        assert!(
            stderr.contains(&format!("Cached {other}")),
            "{other} rebuilt:\n{stderr}"
        );
    }
    let new_sums = String::from_utf8(read(&out.join("docker-29.7.2/SHA256SUMS"))).unwrap();
    let changed: Vec<&str> = new_sums
        .lines()
        .zip(old_sums.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.split_once("  ").unwrap().1)
        .collect();
    // The SBOM describes runc's new bytes; nothing else changed.
    assert_eq!(
        changed,
        ["docker-29.7.2.tgz", "docker/runc", "sbom.spdx.json"]
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&read(&out.join("docker-29.7.2/manifest.json"))).unwrap();
    let entry = manifest["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "runc")
        .unwrap()
        .clone();
    assert_eq!(entry["dirty"], true);
}

#[test]
fn a_failed_component_leaves_the_previous_bundle_intact() {
    let w = world();
    let out = w.root.join("out");
    let runc = w.repo(Kind::Runc).path.clone();
    let source = format!("runc={runc}");
    w.bundle_ok(&out, &["--source", &source]);
    let before = snapshot(&out.join("docker-29.7.2"));

    std::fs::write(runc.join("broken.go"), "package main\n\nfunc broken( {\n").unwrap();
    let output = w.bundle(&out, &["--source", &source]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("runc: build failed"), "{stderr}");
    assert!(
        stderr.contains("broken.go"),
        "shows the compiler's last lines: {stderr}"
    );
    assert!(stderr.contains("runc.log"), "names the full log: {stderr}");
    assert_eq!(
        before,
        snapshot(&out.join("docker-29.7.2")),
        "the previous bundle is byte-identical"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Fixed: the next run succeeds without cleanup.
    std::fs::remove_file(runc.join("broken.go")).unwrap();
    w.bundle_ok(&out, &["--source", &source]);
}

#[test]
fn verify_names_a_flipped_byte() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let dir = out.join("docker-29.7.2");
    let target = dir.join("docker/ctr");
    let mut bytes = read(&target);
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&target, bytes).unwrap();
    let verify = xtask().args(["verify", dir.as_str()]).output().unwrap();
    assert!(!verify.status.success());
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(stderr.contains("docker/ctr: checksum mismatch"), "{stderr}");
}

/// Whether an ELF file carries DWARF (`.debug_info`, compressed or not).
fn has_dwarf(path: &camino::Utf8Path) -> bool {
    let bytes = read(path);
    let elf = goblin::elf::Elf::parse(&bytes).unwrap();
    elf.section_headers.iter().any(|h| {
        matches!(
            elf.shdr_strtab.get_at(h.sh_name),
            Some(".debug_info" | ".zdebug_info")
        )
    })
}

#[test]
fn a_debug_bundle_is_built_for_a_debugger_beside_the_release_bundle() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static"]);
    let release = snapshot(&out.join("docker-29.7.2"));
    w.bundle_ok(&out, &["--static", "--debug"]);
    let debug = out.join("docker-29.7.2-debug");

    assert_eq!(
        snapshot(&out.join("docker-29.7.2")),
        release,
        "the release bundle is untouched"
    );
    assert!(debug.join("docker-29.7.2-debug.tgz").is_file());
    assert_eq!(common::manifest(&debug)["debug"], true);
    assert!(
        common::manifest(&out.join("docker-29.7.2"))
            .get("debug")
            .is_none()
    );

    // dockerd is linked with -w for release: DWARF only in the debug build.
    assert!(!has_dwarf(&out.join("docker-29.7.2/docker/dockerd")));
    assert!(has_dwarf(&debug.join("docker/dockerd")));
    let version = Command::new(debug.join("docker/dockerd"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&version.stdout).contains("+debug"),
        "{version:?}"
    );
    let info = Command::new("go")
        .args(["version", "-m"])
        .arg(debug.join("docker/dockerd"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("-gcflags=\"all=-N -l\""),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
}
