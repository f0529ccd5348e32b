//! `cargo xtask package deb|rpm`: Docker's packages, made from a bundle's verified files with
//! Debian's dpkg-deb and rpm's rpmbuild. lintian finds no error in the debs, the rpms carry the
//! relations of Docker's specs, and two builds give the same bytes.

mod common;

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use common::repo::tool;
use common::{read, stderr, world, xtask};

const DEBS: [&str; 6] = [
    "containerd.io_2.3.3-1~debian.12~bookworm_amd64.deb",
    "docker-buildx-plugin_0.34.1-1~debian.12~bookworm_amd64.deb",
    "docker-ce-cli_29.7.2-1~debian.12~bookworm_amd64.deb",
    "docker-ce-rootless-extras_29.7.2-1~debian.12~bookworm_amd64.deb",
    "docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb",
    "docker-compose-plugin_5.4.0-1~debian.12~bookworm_amd64.deb",
];

fn package(bundle: &Utf8Path, format: &str, out: &Utf8Path, distro: &str) -> Utf8PathBuf {
    let output = xtask()
        .args(["package", format, bundle.as_str(), "--out", out.as_str()])
        .args(["--distro", distro])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    out.join("packages").join(distro)
}

fn sha256(path: &Utf8Path) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(read(path));
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn sorted_names(dir: &Utf8Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn debs_are_docker_s_packages_lintian_clean_and_reproducible() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static"]);
    let bundle = out.join("docker-29.7.2");
    // What a killed run left is removed, never shipped.
    let stale = w.root.join("a/packages/.tmp-debian-12-killed");
    std::fs::create_dir_all(&stale).unwrap();
    let debs = package(&bundle, "deb", &w.root.join("a"), "debian-12");
    assert_eq!(sorted_names(&debs), DEBS);
    assert!(!stale.exists(), "a killed run's staging folder is removed");

    let field = |deb: &str, name: &str| tool("dpkg-deb", &["-f", debs.join(deb).as_str(), name]);
    let engine = "docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb";
    assert_eq!(
        field(engine, "Version").trim(),
        "5:29.7.2-1~debian.12~bookworm"
    );
    assert_eq!(
        field(engine, "Depends").trim(),
        "containerd.io (>= 2.3.3), docker-ce-cli, iptables, nftables"
    );
    assert_eq!(
        field(DEBS[0], "Provides").trim(),
        "containerd, runc",
        "containerd.io replaces Debian's containerd and runc"
    );
    let contents = tool("dpkg-deb", &["-c", debs.join(engine).as_str()]);
    for path in [
        "./usr/bin/dockerd",
        "./usr/bin/docker-proxy",
        "./usr/libexec/docker/docker-init",
        "./lib/systemd/system/docker.service",
        "./lib/systemd/system/docker.socket",
        "./etc/init.d/docker",
        "./etc/default/docker",
    ] {
        let line = contents
            .lines()
            .find(|l| l.ends_with(&format!(" {path}")))
            .unwrap_or_else(|| panic!("docker-ce has no {path}:\n{contents}"));
        assert!(line.contains("root/root"), "{line}");
    }
    // The binaries are the bundle's own bytes.
    let unpacked = w.root.join("unpacked");
    tool(
        "dpkg-deb",
        &["-x", debs.join(engine).as_str(), unpacked.as_str()],
    );
    assert_eq!(
        read(&unpacked.join("usr/bin/dockerd")),
        read(&bundle.join("docker/dockerd"))
    );
    // moby's SysV init script and its defaults, as docker-ce-packaging installs them: the
    // pinned tree's own bytes, conffiles, the script executable.
    let moby = w.repo(test_fixtures::Kind::Moby);
    for (installed, in_tree, mode) in [
        (
            "etc/init.d/docker",
            "contrib/init/sysvinit-debian/docker",
            0o755,
        ),
        (
            "etc/default/docker",
            "contrib/init/sysvinit-debian/docker.default",
            0o644,
        ),
    ] {
        assert_eq!(
            read(&unpacked.join(installed)),
            read(&moby.path.join(in_tree))
        );
        let found = std::fs::metadata(unpacked.join(installed)).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&found.permissions()) & 0o777,
            mode,
            "{installed}"
        );
    }
    assert_eq!(
        read(&unpacked.join("usr/share/doc/docker-ce/README.md")),
        read(&w.repo(test_fixtures::Kind::Cli).path.join("README.md"))
    );
    assert!(unpacked.join("etc/docker").is_dir(), "docker-ce.dirs");
    // The man pages, where debhelper puts them, compressed: dockerd.8 in docker-ce, the CLI's
    // in docker-ce-cli; the bundle's own bytes inside.
    let page = unpacked.join("usr/share/man/man8/dockerd.8.gz");
    let mut text = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&page).unwrap()),
        &mut text,
    )
    .unwrap();
    assert_eq!(text, read(&bundle.join("man/man8/dockerd.8")));
    let cli_deb = debs.join("docker-ce-cli_29.7.2-1~debian.12~bookworm_amd64.deb");
    let cli_pages: Vec<String> = tool("dpkg-deb", &["-c", cli_deb.as_str()])
        .lines()
        .filter_map(|l| Some(l.split_once("./usr/share/man/")?.1.to_owned()))
        .filter(|p| p.ends_with(".gz"))
        .collect();
    assert_eq!(
        cli_pages,
        [
            "man1/docker-version.1.gz",
            "man1/docker.1.gz",
            "man5/Dockerfile.5.gz"
        ]
    );
    let conffiles = tool("dpkg-deb", &["-I", debs.join(engine).as_str(), "conffiles"]);
    assert_eq!(conffiles, "/etc/default/docker\n/etc/init.d/docker\n");
    // The group docker.socket hands the API socket to, and the units enabled.
    let postinst = tool("dpkg-deb", &["-I", debs.join(engine).as_str(), "postinst"]);
    assert!(postinst.contains("groupadd --system docker"), "{postinst}");
    assert!(postinst.contains("deb-systemd-helper enable"), "{postinst}");
    assert!(
        postinst.contains("update-rc.d docker defaults"),
        "{postinst}"
    );

    // lintian: no errors (the overrides it honours say why, in the packages themselves).
    let debs_list: Vec<String> = DEBS.iter().map(|d| debs.join(d).to_string()).collect();
    let args: Vec<&str> = debs_list.iter().map(String::as_str).collect();
    let said = tool("lintian", &args);
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{}", errors.join("\n"));
    // The client and the daemon have their pages.
    for binary in ["usr/bin/docker]", "usr/bin/dockerd]"] {
        let warned = said
            .lines()
            .find(|l| l.contains("no-manual-page") && l.ends_with(binary));
        assert_eq!(warned, None, "{said}");
    }

    // Two builds, another umask: the same bytes.
    let again = {
        let output = Command::new("sh")
            .args(["-c", "umask 077 && exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_xtask"))
            .args(["package", "deb", bundle.as_str(), "--out"])
            .arg(w.root.join("b").as_str())
            .args(["--distro", "debian-12"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        w.root.join("b/packages/debian-12")
    };
    for deb in DEBS {
        assert_eq!(sha256(&debs.join(deb)), sha256(&again.join(deb)), "{deb}");
    }
}

#[test]
fn rpms_carry_the_relations_of_docker_s_specs_and_check_out() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static"]);
    let bundle = out.join("docker-29.7.2");
    let rpms = package(&bundle, "rpm", &w.root.join("a"), "centos-9");
    let engine = rpms.join("docker-ce-29.7.2-1.el9.x86_64.rpm");
    assert_eq!(sorted_names(&rpms).len(), 6, "{:?}", sorted_names(&rpms));
    let query = |what: &str| tool("rpm", &["-qp", what, engine.as_str()]);
    assert_eq!(
        query("--qf=%{EPOCH}:%{VERSION}-%{RELEASE}").trim(),
        "3:29.7.2-1.el9"
    );
    let requires = query("--requires");
    for need in [
        "containerd.io >= 2.3.3",
        "docker-ce-cli",
        "nftables",
        "/usr/sbin/groupadd",
    ] {
        assert!(
            requires.lines().any(|l| l.trim() == need),
            "{need}:\n{requires}"
        );
    }
    let files = query("-l");
    for path in [
        "/usr/bin/dockerd",
        "/usr/libexec/docker/docker-init",
        "/usr/lib/systemd/system/docker.socket",
    ] {
        assert!(files.lines().any(|l| l == path), "{path}:\n{files}");
    }
    assert!(
        !files.contains("/etc/init.d"),
        "Docker's rpm starts dockerd through systemd alone:\n{files}"
    );
    let provides = tool(
        "rpm",
        &[
            "-qp",
            "--provides",
            rpms.join("containerd.io-2.3.3-1.el9.x86_64.rpm").as_str(),
        ],
    );
    assert!(provides.lines().any(|l| l.trim() == "runc"), "{provides}");
    for rpm in sorted_names(&rpms) {
        let checked = tool("rpm", &["-K", rpms.join(&rpm).as_str()]);
        assert!(checked.contains("digests OK"), "{checked}");
    }
    let again = package(&bundle, "rpm", &w.root.join("b"), "centos-9");
    for rpm in sorted_names(&rpms) {
        assert_eq!(sha256(&rpms.join(&rpm)), sha256(&again.join(&rpm)), "{rpm}");
    }
}

#[test]
fn a_distribution_of_the_other_format_is_refused_naming_the_choices() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let output = xtask()
        .args(["package", "deb"])
        .arg(out.join("docker-29.7.2").as_str())
        .args(["--distro", "centos-9", "--out", w.root.join("p").as_str()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains("centos-9 takes rpm packages"), "{said}");
    assert!(said.contains("debian-12"), "{said}");
    assert!(!w.root.join("p/packages").exists(), "nothing written");
}

/// The debs install with real `apt-get` into a fresh Debian root made by `mmdebstrap` from
/// Debian's archive, which resolves their dependencies (iptables, nftables, …); inside it the
/// binaries show their stamps, the docker group exists and the units are enabled.
#[test]
fn debs_install_with_apt_into_a_fresh_debian_root() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static"]);
    let bundle = out.join("docker-29.7.2");
    let debs = package(&bundle, "deb", &w.root.join("p"), "debian-12");
    let root = w.root.join("debian");
    tool(
        "mmdebstrap",
        &[
            "--quiet",
            "--variant=apt",
            "--include=man-db",
            "bookworm",
            root.as_str(),
        ],
    );
    let inside = root.join("debs");
    std::fs::create_dir_all(&inside).unwrap();
    for deb in DEBS {
        std::fs::copy(debs.join(deb), inside.join(deb)).unwrap();
    }
    std::fs::copy("/etc/resolv.conf", root.join("etc/resolv.conf")).unwrap();
    let chroot = |script: &str| tool("chroot", &[root.as_str(), "sh", "-c", script]);
    // As in any chroot: services are registered, never started (invoke-rc.d asks this).
    let policy = root.join("usr/sbin/policy-rc.d");
    std::fs::write(&policy, "#!/bin/sh\nexit 101\n").unwrap();
    std::fs::set_permissions(&policy, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let install: Vec<String> = DEBS.iter().map(|d| format!("./{d}")).collect();
    chroot(&format!(
        "cd /debs && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {}",
        install.join(" ")
    ));
    let cli = &w.repo(test_fixtures::Kind::Cli).head;
    let shown = chroot(
        "docker --version; dpkg -L docker-ce; getent group docker; ls /etc/systemd/system/sockets.target.wants /etc/systemd/system/multi-user.target.wants; dpkg -s iptables | head -2; ls /etc/rc2.d",
    );
    assert!(shown.contains(&cli[..7]), "docker --version:\n{shown}");
    for path in [
        "/usr/bin/dockerd",
        "/usr/libexec/docker/docker-init",
        "/lib/systemd/system/docker.socket",
        "docker:x:",
        "docker.socket",
        "containerd.service",
        "Package: iptables",
        "/etc/init.d/docker",
        "/etc/default/docker",
        "S01docker",
    ] {
        assert!(shown.contains(path), "{path}:\n{shown}");
    }
    // `man` finds and shows the pages the packages installed.
    let pages = chroot("man -w docker-version dockerd Dockerfile; MANWIDTH=80 man docker | cat");
    for shown in [
        "/usr/share/man/man1/docker-version.1.gz",
        "/usr/share/man/man8/dockerd.8.gz",
        "/usr/share/man/man5/Dockerfile.5.gz",
        "docker - from docker.1.md",
    ] {
        assert!(pages.contains(shown), "{shown}:\n{pages}");
    }
    let _ = std::fs::remove_dir_all(&root);
}
