//! Docker's Windows and macOS downloads, on fixture upstreams: the client and dockerd
//! cross-built for windows/amd64 into a zip (with their Windows resources), the client for
//! darwin/amd64 and darwin/arm64 into a tgz, laid out as Docker's tree; each binary a PE or
//! Mach-O for its machine, with the build settings Go recorded, the Windows ones showing their
//! version under Wine; the zip the same bytes from two clean builds; `verify` over both
//! layouts. Needs what `.ci/run` installs: wine and wine64.

mod common;

use std::process::Command;

use camino::Utf8Path;
use common::{manifest, read, stderr, tgz_entries, world_of, xtask};
use test_fixtures::Kind;

fn require_wine() {
    assert!(
        which::which("wine").is_ok(),
        "wine is missing: apt-get install wine wine64 (as .ci/run does)"
    );
}

/// What `go version -m` says of `binary`.
fn go_version_m(binary: &Utf8Path) -> String {
    let out = Command::new("go")
        .args(["version", "-m", binary.as_str()])
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `binary --version` under Wine, in the prefix dockyard made in `cache`.
fn under_wine(cache: &Utf8Path, binary: &Utf8Path) -> String {
    let out = Command::new("wine")
        .arg(binary.as_str())
        .arg("--version")
        .env("WINEPREFIX", cache.join("tools/wine"))
        .env("WINEDEBUG", "-all")
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `text` as UTF-16LE, as Windows' version resources hold their strings.
fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_windows_bundle_is_a_reproducible_zip_of_pe_binaries_that_show_their_version_under_wine() {
    require_wine();
    let w = world_of(&[Kind::Cli, Kind::Moby]);
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static", "--target", "windows/amd64"]);
    // Docker's tree: win/static/stable/x86_64/docker-VERSION.zip.
    let dir = out.join("win/x86_64/docker-29.7.2");
    let mut listed: Vec<String> = std::fs::read_to_string(dir.join("SHA256SUMS"))
        .unwrap()
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_owned())
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "docker-29.7.2.zip",
            "docker/docker.exe",
            "docker/dockerd.exe",
            "sbom.spdx.json"
        ]
    );
    assert_eq!(manifest(&dir)["target"]["os"], "windows");

    let cache = w.root.join("cache");
    let commits = [
        (
            "docker.exe",
            w.repo(Kind::Cli).head.clone(),
            "Docker Client",
        ),
        (
            "dockerd.exe",
            w.repo(Kind::Moby).head.clone(),
            "dockerd.exe",
        ),
    ];
    for (exe, commit, resource) in &commits {
        let path = dir.join("docker").join(exe);
        let bytes = read(&path);
        let pe = goblin::pe::PE::parse(&bytes).unwrap();
        assert_eq!(pe.header.coff_header.machine, 0x8664, "{exe} is for x86-64");
        // Its version resource, compiled by upstream's tool, names it and its commit.
        let resources = pe
            .header
            .optional_header
            .unwrap()
            .data_directories
            .get_resource_table()
            .map_or(0, |d| d.size);
        assert!(resources > 0, "{exe} has no resources");
        assert!(contains(&bytes, &utf16(resource)), "{exe}: {resource}");
        assert!(
            contains(&bytes, &utf16(&commit[..7])),
            "{exe}: SpecialBuild"
        );
        let settings = go_version_m(&path);
        for setting in ["GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0"] {
            assert!(settings.contains(setting), "{exe}: {settings}");
        }
        let shown = under_wine(&cache, &path);
        assert!(
            shown.contains(&format!("Docker version 29.7.2, build {}", &commit[..7])),
            "{exe} under Wine: {shown}"
        );
    }
    assert!(
        go_version_m(&dir.join("docker/dockerd.exe"))
            .contains("-tags=nri_no_wasm,osusergo,static_build")
    );
    assert!(go_version_m(&dir.join("docker/docker.exe")).contains("-tags=grpcnotrace,osusergo"));

    // The zip holds the folder as Docker's does, every file the bundle's own bytes.
    let zip_path = dir.join("docker-29.7.2.zip");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    assert_eq!(
        names,
        ["docker/", "docker/docker.exe", "docker/dockerd.exe"]
    );
    for name in &names[1..] {
        let mut entry = zip.by_name(name).unwrap();
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755), "{name}");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        assert_eq!(bytes, read(&dir.join(name)), "{name}");
    }

    let verified = xtask().args(["verify", dir.as_str()]).output().unwrap();
    assert!(verified.status.success(), "{}", stderr(&verified));
    // The resources were compiled beside the trees, never into them.
    for checkout in std::fs::read_dir(cache.join("checkouts")).unwrap() {
        let checkout = checkout.unwrap().path();
        for package in ["cmd/dockerd", "cmd/docker/winresources"] {
            let Ok(files) = std::fs::read_dir(checkout.join(package)) else {
                continue;
            };
            for file in files {
                let name = file.unwrap().file_name();
                assert!(
                    !name.to_string_lossy().ends_with(".syso"),
                    "{name:?} in {checkout:?}"
                );
            }
        }
    }

    // A second clean build (other cache, other folder): the same zip, byte for byte.
    let again = w.root.join("again");
    let mut second = xtask();
    second
        .arg("bundle")
        .args(["--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", w.root.join("cache-2").as_str()])
        .args([
            "--out",
            again.as_str(),
            "--static",
            "--target",
            "win/x86_64",
        ]);
    for (kind, repo) in &w.repos {
        second.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    let output = second.output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let twin = again.join("win/x86_64/docker-29.7.2");
    assert_eq!(read(&twin.join("docker-29.7.2.zip")), read(&zip_path));
    assert_eq!(
        read(&twin.join("SHA256SUMS")),
        read(&dir.join("SHA256SUMS"))
    );

    // A changed binary: verify names it.
    std::fs::write(dir.join("docker/dockerd.exe"), b"not dockerd").unwrap();
    let tampered = xtask().args(["verify", dir.as_str()]).output().unwrap();
    let said = stderr(&tampered);
    assert!(!tampered.status.success());
    assert!(
        said.contains("docker/dockerd.exe") && said.contains("checksum"),
        "{said}"
    );
}

#[test]
fn a_macos_bundle_is_the_client_alone_a_mach_o_for_each_architecture() {
    let w = world_of(&[Kind::Cli, Kind::Moby]);
    let out = w.root.join("out");
    let targets = ["--target", "darwin/amd64", "--target", "mac/aarch64"];
    w.bundle_ok(&out, &[&["--static"][..], &targets].concat());
    let commit = &w.repo(Kind::Cli).head;
    for (folder, goarch, cputype) in [
        ("x86_64", "amd64", 0x0100_0007),
        ("aarch64", "arm64", 0x0100_000c),
    ] {
        let dir = out.join("mac").join(folder).join("docker-29.7.2");
        let entries: Vec<String> = tgz_entries(&dir.join("docker-29.7.2.tgz"))
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(entries, ["docker/", "docker/docker"], "{folder}");
        assert!(!dir.join("systemd").exists() && !dir.join("cli-plugins").exists());
        let client = dir.join("docker/docker");
        let bytes = read(&client);
        let goblin::mach::Mach::Binary(macho) = goblin::mach::Mach::parse(&bytes).unwrap() else {
            panic!("{folder}: not a thin Mach-O");
        };
        assert_eq!(macho.header.cputype, cputype, "{folder}");
        let settings = go_version_m(&client);
        for setting in [
            "GOOS=darwin",
            &format!("GOARCH={goarch}"),
            "CGO_ENABLED=0",
            "-tags=grpcnotrace",
        ] {
            assert!(settings.contains(setting), "{folder}: {settings}");
        }
        // Nothing runs it here: its stamps are read back from its symbol table.
        let stamps = build_core::executable::go_strings(
            &client,
            &[
                "github.com/docker/cli/cli/version.Version",
                "github.com/docker/cli/cli/version.GitCommit",
            ],
        )
        .unwrap();
        assert_eq!(
            stamps,
            [Some("29.7.2".to_owned()), Some(commit[..7].to_owned())]
        );
        let verified = xtask().args(["verify", dir.as_str()]).output().unwrap();
        assert!(verified.status.success(), "{}", stderr(&verified));
    }
}

#[test]
fn what_windows_and_macos_do_not_ship_is_refused_before_anything_is_fetched() {
    let w = world_of(&[Kind::Cli, Kind::Moby]);
    let out = w.root.join("out");
    let only = w.bundle(
        &out,
        &["--static", "--target", "windows/amd64", "--only", "proxy"],
    );
    let said = stderr(&only);
    assert!(!only.status.success());
    assert!(
        said.contains("windows/amd64: Docker's win download has no proxy: it holds cli, moby"),
        "{said}"
    );
    let dynamic = w.bundle(&out, &["--dynamic", "--target", "darwin/arm64"]);
    let said = stderr(&dynamic);
    assert!(!dynamic.status.success());
    assert!(
        said.contains("statically linked only; there is no dynamic build of it"),
        "{said}"
    );
    let checkouts = std::fs::read_dir(w.root.join("cache/checkouts"));
    assert_eq!(
        checkouts.map_or(0, Iterator::count),
        0,
        "nothing was checked out"
    );
}
