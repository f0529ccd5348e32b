//! Bundles for other architectures, on fixture upstreams: cross-built for linux/arm64 and
//! linux/riscv64 (the cgo runc fixture linked against the target's static libseccomp from
//! Debian's archive: arm64's from the host's release, riscv64's from Debian 13), laid out as
//! Docker's download tree, checked under qemu, and reproducible. Needs what `.ci/run`
//! installs: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, gcc-riscv64-linux-gnu,
//! libc6-dev-riscv64-cross, qemu-user-static.

mod common;

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use common::{World, manifest, read, stderr, world, xtask};

/// What a bundle for one architecture must be, written out here rather than read from the
/// table under test, so a wrong entry there fails.
struct Cross {
    platform: &'static str,
    /// Docker's download folder.
    folder: &'static str,
    goarch: &'static str,
    /// The cross compiler and the emulator, and the packages that provide them.
    tools: [&'static str; 2],
    apt: &'static str,
    qemu: &'static str,
    elf_machine: u16,
    /// The packages of its C libraries, as the SBOM names them.
    c_packages: [&'static str; 2],
}

const ARM64: Cross = Cross {
    platform: "linux/arm64",
    folder: "aarch64",
    goarch: "arm64",
    tools: ["aarch64-linux-gnu-gcc", "qemu-aarch64-static"],
    apt: "gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static",
    qemu: "qemu-aarch64-static",
    elf_machine: 183,
    c_packages: ["libc6-dev-arm64-cross", "libseccomp-dev:arm64"],
};

const RISCV64: Cross = Cross {
    platform: "linux/riscv64",
    folder: "riscv64",
    goarch: "riscv64",
    tools: ["riscv64-linux-gnu-gcc", "qemu-riscv64-static"],
    apt: "gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user-static",
    qemu: "qemu-riscv64-static",
    // EM_RISCV.
    elf_machine: 243,
    c_packages: ["libc6-dev-riscv64-cross", "libseccomp-dev:riscv64"],
};

impl Cross {
    /// The SHA-256 Debian's archive index (the package lists apt fetched into the sysroots'
    /// folder) gives the target's `libseccomp-dev` at `version`.
    fn archive_sha256(&self, w: &World, version: &str) -> String {
        let sysroots = build_core::cache::CacheLayout::new(w.root.join("cache")).sysroots();
        let binary = format!("_binary-{}_Packages", self.goarch);
        for lists in std::fs::read_dir(&sysroots).unwrap() {
            let lists = lists.unwrap().path();
            if !lists
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("apt-lists")
            {
                continue;
            }
            for file in std::fs::read_dir(&lists).unwrap() {
                let file = file.unwrap().path();
                if !file
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .contains(&binary)
                {
                    continue;
                }
                // apt keeps its lists compressed; its helper reads them as apt does.
                let out = std::process::Command::new("/usr/lib/apt/apt-helper")
                    .arg("cat-file")
                    .arg(&file)
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                let stanza = text.split("\n\n").find(|s| {
                    s.lines().any(|l| l == "Package: libseccomp-dev")
                        && s.lines().any(|l| l == format!("Version: {version}"))
                });
                if let Some(stanza) = stanza {
                    let sha = stanza.lines().find_map(|l| l.strip_prefix("SHA256: "));
                    return sha.unwrap().to_owned();
                }
            }
        }
        panic!("no package list under {sysroots} has libseccomp-dev {version}")
    }

    fn require_tools(&self) {
        for tool in self.tools {
            assert!(
                which::which(tool).is_ok(),
                "{tool} is missing: apt-get install {} (as .ci/run does)",
                self.apt
            );
        }
    }

    fn under_qemu(&self, binary: &Utf8Path, args: &[&str]) -> String {
        let out = Command::new(self.qemu)
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

    /// Builds the fixtures' bundle for it into `out` and checks what every cross bundle must
    /// be: Docker's folder, static ELFs for it, runc's cgo and libseccomp under qemu, the
    /// SBOM's C packages. Returns the bundle's folder.
    fn bundle_checked(&self, w: &World, out: &Utf8Path) -> Utf8PathBuf {
        self.require_tools();
        w.bundle_ok(out, &["--static", "--target", self.platform]);
        // Docker's download tree: one folder per architecture, as Docker names it.
        let dir = out.join(self.folder).join("docker-29.7.2");
        assert!(dir.join("docker-29.7.2.tgz").is_file());
        assert!(
            !out.join("docker-29.7.2").exists(),
            "no host bundle was asked for"
        );
        assert_eq!(manifest(&dir)["target"]["arch"], self.goarch);

        let plugins = bundle::binaries_in(bundle::Archive::Plugin, common::FIXTURES_RELEASE);
        for binary in bundle::binaries_in(bundle::Archive::Static, common::FIXTURES_RELEASE)
            .iter()
            .chain(&plugins)
        {
            let bytes = read(&dir.join(bundle::path_of(binary).unwrap()));
            let elf = goblin::elf::Elf::parse(&bytes).unwrap();
            assert_eq!(
                (elf.header.e_machine, elf.is_64),
                (self.elf_machine, true),
                "{binary}"
            );
            assert!(
                elf.interpreter.is_none() && elf.libraries.is_empty(),
                "{binary} is static"
            );
        }

        // The SBOM names its C libraries, as the packages that provided them.
        let sbom: serde_json::Value =
            serde_json::from_slice(&read(&dir.join("sbom.spdx.json"))).unwrap();
        let packages: Vec<(String, String)> = sbom["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["sourceInfo"].as_str())
            .filter_map(|info| info.strip_prefix("From Debian's package "))
            .map(|info| {
                let (name, version) = info.trim_end_matches('.').split_once(' ').unwrap();
                (name.to_owned(), version.to_owned())
            })
            .collect();
        let names: Vec<&str> = packages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, self.c_packages);
        // The target's libseccomp .deb dockyard downloaded is named by its SHA-256: the one
        // Debian's archive index gives for that package and version.
        let seccomp = (sbom["packages"].as_array().unwrap().iter())
            .find(|p| {
                p["sourceInfo"]
                    .as_str()
                    .unwrap_or("")
                    .contains(self.c_packages[1])
            })
            .unwrap();
        assert_eq!(
            seccomp["checksums"][0]["checksumValue"].as_str(),
            Some(self.archive_sha256(w, &packages[1].1).as_str()),
            "{seccomp}"
        );
        // The C compiler that linked runc is recorded with it: the target's cross gcc.
        let runc = (manifest(&dir)["components"].as_array().unwrap().iter())
            .find(|c| c["name"] == "runc")
            .cloned()
            .unwrap();
        let cc = runc["c_compiler"].as_str().unwrap_or("");
        assert!(cc.starts_with(self.tools[0]), "{runc}");

        let runc = self.under_qemu(&dir.join("docker/runc"), &["--version"]);
        assert!(runc.contains("cgo: 42"), "{runc}");
        // The libseccomp runc links is the one the sysroot's package holds (`2.5.4-1+deb12u1`
        // shows as `2.5.4`).
        let seccomp = &packages[1].1;
        let upstream = seccomp.split(['-', '+', '~']).next().unwrap();
        assert!(
            runc.contains(&format!("libseccomp: {upstream}\n")),
            "runc links {} {seccomp}: {runc}",
            self.c_packages[1]
        );
        assert!(
            runc.contains(&format!(
                "commit: {}",
                w.repo(test_fixtures::Kind::Runc).head
            )),
            "{runc}"
        );
        dir
    }
}

fn smoke_passes_under_qemu(dir: &Utf8Path) {
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

#[test]
fn an_arm64_bundle_is_cross_built_checked_under_qemu_and_reproducible() {
    let w = world();
    let dir = ARM64.bundle_checked(&w, &w.root.join("out"));

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
    let w = world();
    let dir = ARM64.bundle_checked(&w, &w.root.join("out"));
    smoke_passes_under_qemu(&dir);
}

#[test]
fn a_riscv64_bundle_links_debian_13_s_libseccomp_and_passes_smoke_under_qemu() {
    // Debian 12 has no riscv64 archive: the sysroot's libseccomp is Debian 13's, and the
    // static cgo dockerd and containerd fixtures start under qemu-riscv64.
    let w = world();
    let dir = RISCV64.bundle_checked(&w, &w.root.join("out"));
    let lists = build_core::cache::CacheLayout::new(w.root.join("cache"))
        .sysroots()
        .join("apt-lists-trixie");
    let lists: Vec<String> = std::fs::read_dir(&lists)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("_Packages"))
        .collect();
    assert!(
        !lists.is_empty()
            && lists
                .iter()
                .all(|name| name.contains("_dists_trixie_main_binary-riscv64_Packages")),
        "trixie's riscv64 packages alone: {lists:?}"
    );
    smoke_passes_under_qemu(&dir);
}
