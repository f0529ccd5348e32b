//! Bundles for another architecture, on fixture upstreams: cross-built for linux/arm64 (the
//! cgo runc fixture linked against arm64's static libseccomp from Debian's archive), laid out
//! as Docker's download tree, checked under qemu, and reproducible. Needs what `.ci/run`
//! installs: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user-static.

mod common;

use std::process::Command;

use camino::Utf8Path;
use common::{manifest, read, stderr, world, xtask};

const AARCH64: u16 = 183;

fn require_cross_tools() {
    for tool in ["aarch64-linux-gnu-gcc", "qemu-aarch64-static"] {
        assert!(
            which::which(tool).is_ok(),
            "{tool} is missing: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static (as .ci/run does)"
        );
    }
}

fn under_qemu(binary: &Utf8Path, args: &[&str]) -> String {
    let out = Command::new("qemu-aarch64-static")
        .arg(binary.as_str())
        .args(args)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn an_arm64_bundle_is_cross_built_checked_under_qemu_and_reproducible() {
    require_cross_tools();
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static", "--target", "linux/arm64"]);
    // Docker's download tree: one folder per architecture, as Docker names it.
    let dir = out.join("aarch64/docker-29.7.2");
    assert!(dir.join("docker-29.7.2.tgz").is_file());
    assert!(
        !out.join("docker-29.7.2").exists(),
        "no host bundle was asked for"
    );
    assert_eq!(manifest(&dir)["target"]["arch"], "arm64");

    let plugins = bundle::binaries_in(bundle::Archive::Plugin);
    for binary in bundle::binaries_in(bundle::Archive::Static)
        .iter()
        .chain(&plugins)
    {
        let bytes = read(&dir.join(bundle::path_of(binary).unwrap()));
        let elf = goblin::elf::Elf::parse(&bytes).unwrap();
        assert_eq!(
            (elf.header.e_machine, elf.is_64),
            (AARCH64, true),
            "{binary}"
        );
        assert!(
            elf.interpreter.is_none() && elf.libraries.is_empty(),
            "{binary} is static"
        );
    }
    let runc = under_qemu(&dir.join("docker/runc"), &["--version"]);
    assert!(runc.contains("cgo: 42"), "{runc}");
    assert!(
        runc.contains("libseccomp: 2."),
        "runc links arm64's libseccomp: {runc}"
    );
    assert!(
        runc.contains(&format!(
            "commit: {}",
            w.repo(test_fixtures::Kind::Runc).head
        )),
        "{runc}"
    );

    // The SBOM names arm64's C libraries, as the packages that provided them.
    let sbom: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("sbom.spdx.json"))).unwrap();
    let packages: Vec<String> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["sourceInfo"].as_str())
        .filter(|info| info.starts_with("From Debian's package"))
        .map(|info| info.split(' ').nth(3).unwrap().to_owned())
        .collect();
    assert_eq!(packages, ["libc6-dev-arm64-cross", "libseccomp-dev:arm64"]);

    // Two clean builds, other folders and caches: the same bytes (SBOM included).
    let again = w.root.join("again");
    let mut second = xtask();
    second
        .arg("bundle")
        .args(["--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", w.root.join("cache-2").as_str()])
        .args(["--out", again.as_str(), "--static", "--target", "aarch64"]);
    for (kind, repo) in &w.repos {
        second.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    let output = second.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        read(&again.join("aarch64/docker-29.7.2/SHA256SUMS")),
        read(&dir.join("SHA256SUMS"))
    );
}

#[test]
fn smoke_checks_a_foreign_bundle_under_qemu() {
    require_cross_tools();
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static", "--target", "linux/arm64"]);
    let dir = out.join("aarch64/docker-29.7.2");
    let smoke = xtask().args(["smoke", dir.as_str()]).output().unwrap();
    let said = stderr(&smoke);
    assert!(smoke.status.success(), "{said}");
    for check in [
        "Passed every binary is an ELF for the target",
        "Passed every binary shows its version and commit (under qemu)",
        "Passed runc features reports seccomp",
        "Passed dockerd --validate accepts an empty configuration",
    ] {
        assert!(said.contains(check), "{said}");
    }
}
