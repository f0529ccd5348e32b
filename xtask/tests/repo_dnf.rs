//! `cargo xtask repo dnf`: a signed dnf repository of rpm sets, laid out as Docker's, whose
//! `repomd.xml` signature gpg accepts and dnf checks before installing from it.
//!
//! Debian's dnf installs into a root of its own (`--installroot`), checking the repository's
//! signature as it would on CentOS; no CentOS repository is reachable here, so what it installs
//! are the packages that need nothing of CentOS's (the CLI plugins), and docker-ce's
//! relations are read from the metadata.

mod common;

use std::process::Command;

use camino::{Utf8Path, Utf8PathBuf};
use common::repo::{Served, TestKey, count, repo_ok, stop_agent, tool, two_releases};
use common::{read, stderr};

/// `dnf` on the root `root`, with the repositories of its own `etc/yum.repos.d` alone.
fn dnf(root: &Utf8Path, args: &[&str]) -> (bool, String) {
    let output = Command::new("dnf")
        .args(["-y", "--installroot", root.as_str(), "--releasever", "9"])
        .arg(format!("--setopt=reposdir={root}/etc/yum.repos.d"))
        .arg(format!("--setopt=cachedir={root}/var/cache/dnf"))
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("dnf is needed ({e}): .ci/run installs it"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    (output.status.success(), said)
}

/// A root whose one repository is the served one, trusting `key_url`'s key; the gpg agents
/// dnf's librepo starts for its keyrings are stopped on drop.
struct DnfRoot(Utf8PathBuf);

impl DnfRoot {
    fn new(root: Utf8PathBuf, url: &str, key_url: &str) -> DnfRoot {
        std::fs::create_dir_all(root.join("etc/yum.repos.d")).unwrap();
        std::fs::write(
            root.join("etc/yum.repos.d/docker-ce.repo"),
            format!(
                "[docker-ce-stable]\nname=Docker CE Stable - $basearch\n\
                 baseurl={url}/linux/centos/$releasever/$basearch/stable\n\
                 enabled=1\ngpgcheck=0\nrepo_gpgcheck=1\nskip_if_unavailable=0\ngpgkey={key_url}\n"
            ),
        )
        .unwrap();
        DnfRoot(root)
    }
}

impl Drop for DnfRoot {
    fn drop(&mut self) {
        let cache = self.0.join("var/cache/dnf");
        for entry in std::fs::read_dir(&cache).into_iter().flatten().flatten() {
            let pubring = entry.path().join("pubring");
            if pubring.is_dir() {
                stop_agent(&Utf8PathBuf::from_path_buf(pubring).unwrap());
            }
        }
    }
}

#[test]
fn a_dnf_repository_of_two_releases_is_signed_and_dnf_installs_from_it_and_refuses_a_wrong_key() {
    let releases = two_releases("rpm", "centos-9");
    let root = releases.worlds[0].root.clone();
    let key = TestKey::new(&root.join("keys"), "signer");
    let other = TestKey::new(&root.join("keys"), "other");
    let out = root.join("repo");
    repo_ok("dnf", &[&releases.sets[0]], &key.secret, &out);
    let said = repo_ok("dnf", &[&releases.sets[1]], &key.secret, &out);
    assert!(said.contains("6 packages added"), "{said}");

    // Docker's layout, and createrepo_c's metadata listing both releases.
    let stable = out.join("linux/centos/9/x86_64/stable");
    assert!(
        stable
            .join("Packages/docker-ce-29.7.2-1.el9.x86_64.rpm")
            .is_file()
    );
    assert!(
        stable
            .join("Packages/docker-ce-28.5.2-1.el9.x86_64.rpm")
            .is_file()
    );
    let repomd = String::from_utf8(read(&stable.join("repodata/repomd.xml"))).unwrap();
    assert!(repomd.contains("<data type=\"primary\">"), "{repomd}");
    // The signature, checked by gpgv against the published key alone.
    let keyring = root.join("published.gpg");
    tool(
        "gpg",
        &[
            "--batch",
            "--yes",
            "--output",
            keyring.as_str(),
            "--dearmor",
            out.join("linux/centos/gpg").as_str(),
        ],
    );
    let checked = Command::new("gpgv")
        .args(["--keyring", keyring.as_str()])
        .arg(stable.join("repodata/repomd.xml.asc").as_str())
        .arg(stable.join("repodata/repomd.xml").as_str())
        .output()
        .unwrap();
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(stderr(&checked).contains(&format!("using EDDSA key {}", key.fingerprint)));

    // dnf, trusting the repository's key: the metadata is checked, every release listed, and
    // packages install.
    let served = Served::start(&out);
    let key_url = format!("{}/linux/centos/gpg", served.url);
    let trusting = DnfRoot::new(root.join("centos"), &served.url, &key_url);
    let trusting = &trusting.0;
    let (ok, said) = dnf(trusting, &["makecache"]);
    assert!(
        ok && said.contains(&format!("From       : {}/linux/centos/gpg", served.url)),
        "{said}"
    );
    let (ok, listed) = dnf(
        trusting,
        &["repoquery", "--show-duplicates", "--qf", "%{name}-%{evr}"],
    );
    assert!(ok, "{listed}");
    for nevr in [
        "docker-ce-3:29.7.2-1.el9",
        "docker-ce-3:28.5.2-1.el9",
        "containerd.io-1.7.28-1.el9",
        "docker-buildx-plugin-0.28.0-1.el9",
    ] {
        assert!(listed.lines().any(|l| l == nevr), "{nevr}:\n{listed}");
    }
    assert_eq!(count(&listed, "docker-"), 10, "{listed}");
    let (ok, requires) = dnf(
        trusting,
        &["repoquery", "--requires", "docker-ce-3:28.5.2-1.el9"],
    );
    assert!(
        ok && requires.lines().any(|l| l == "containerd.io >= 1.7.28"),
        "{requires}"
    );
    let (ok, said) = dnf(
        trusting,
        &[
            "install",
            "docker-buildx-plugin",
            "docker-compose-plugin-2.39.4",
        ],
    );
    assert!(ok, "{said}");
    let installed = tool(
        "rpm",
        &[
            "--root",
            trusting.as_str(),
            "-q",
            "docker-buildx-plugin",
            "docker-compose-plugin",
        ],
    );
    assert_eq!(
        installed,
        "docker-buildx-plugin-0.34.1-1.el9.x86_64\ndocker-compose-plugin-2.39.4-1.el9.x86_64\n"
    );
    assert!(
        trusting
            .join("usr/libexec/docker/cli-plugins/docker-buildx")
            .is_file()
    );

    // dnf trusting another key refuses the repository's metadata.
    let wary = DnfRoot::new(
        root.join("wary"),
        &served.url,
        &format!("file://{}", other.public),
    );
    let wary = &wary.0;
    let (ok, said) = dnf(wary, &["makecache"]);
    assert!(!ok, "dnf took metadata signed by another key:\n{said}");
    assert!(
        said.contains("repomd.xml GPG signature verification error: Bad GPG signature"),
        "{said}"
    );
}
