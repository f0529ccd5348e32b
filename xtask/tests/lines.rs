//! Release lines: older lines' recipes, the supported range, the pinned Go, and tags that
//! do not name the pinned commit.

mod common;

use common::{
    component, docker_27_world, manifest, read, snapshot, stderr, tgz_entries, tgz_file, world,
    world_28, xtask,
};
use test_fixtures::Kind;

#[test]
fn a_28_line_set_builds_and_every_binary_shows_its_own_stamps() {
    let w = world_28();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let dir = out.join("docker-28.5.2");
    let manifest = manifest(&dir);
    let version = |name: &str| component(&manifest, name)["version"].clone();
    assert_eq!(version("moby"), "28.5.2");
    assert_eq!(version("containerd"), "1.7.28");
    assert_eq!(version("runc"), "1.2.4");
    // Docker 28's rootless extras carry rootlesskit 2.3 (module `…/rootlesskit/v2`).
    assert_eq!(version("rootlesskit"), "2.3.6");
    let run = |binary: &str, args: &[&str]| {
        let out = std::process::Command::new(dir.join("docker").join(binary))
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let moby = &w.repo(Kind::Moby28).head;
    assert!(
        run("dockerd", &[]).starts_with(&format!("Docker version 28.5.2, build {}", &moby[..7]))
    );
    let containerd = &w.repo(Kind::Containerd17).head;
    assert!(run("containerd", &[]).contains(&format!(
        "github.com/containerd/containerd v1.7.28 {containerd}"
    )),);
    assert!(run("runc", &["--version"]).contains("runc version 1.2.4\n"));
    // Docker 28 ships compose 2, whose module path carries its major.
    let compose = std::process::Command::new(dir.join("cli-plugins/docker-compose"))
        .arg("version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&compose.stdout),
        "Docker Compose version v2.39.4\n"
    );
    assert!(dir.join("docker-compose-plugin-2.39.4.tgz").is_file());
    // Docker 28 dropped Docker 27's rootlesskit-docker-proxy, though rootlesskit 2.3 has it.
    assert_eq!(
        component(&manifest, "rootlesskit")["binaries"],
        serde_json::json!(["rootlesskit"])
    );
    assert!(
        !dir.join("docker-rootless-extras/rootlesskit-docker-proxy")
            .exists()
    );
}

#[test]
fn docker_27_s_rootless_extras_ship_rootlesskit_docker_proxy_in_the_bundle_and_the_package() {
    let w = docker_27_world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let dir = out.join("docker-27.5.1");
    let manifest = manifest(&dir);
    assert_eq!(
        component(&manifest, "rootlesskit")["binaries"],
        serde_json::json!(["rootlesskit", "rootlesskit-docker-proxy"])
    );
    // Beside rootlesskit in the folder and in Docker's rootless extras download.
    let proxy = "docker-rootless-extras/rootlesskit-docker-proxy";
    assert!(dir.join(proxy).is_file());
    let tgz = dir.join("docker-rootless-extras-27.5.1.tgz");
    let entries: Vec<String> = tgz_entries(&tgz).into_iter().map(|e| e.0).collect();
    assert!(entries.iter().any(|e| e == proxy), "{entries:?}");
    assert_eq!(tgz_file(&tgz, proxy), read(&dir.join(proxy)));
    // Its usage is what it shows: it has no version.
    let usage = std::process::Command::new(dir.join(proxy))
        .arg("-h")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&usage.stderr).contains("-container-ip"));
    // The SBOM's rootless extras tarball contains it, and `verify` holds the bundle to it.
    let sbom: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("sbom.spdx.json"))).unwrap();
    let contains = sbom["relationships"].as_array().unwrap().iter().any(|r| {
        r["relationshipType"] == "CONTAINS"
            && r["relatedSpdxElement"] == "SPDXRef-Binary-rootlesskit-docker-proxy"
    });
    assert!(contains, "no package contains rootlesskit-docker-proxy");
    let verify = xtask().args(["verify", dir.as_str()]).output().unwrap();
    assert!(verify.status.success(), "{}", stderr(&verify));

    // docker-ce-rootless-extras installs it, as docker-ce-packaging's 27.x does.
    let packages = w.root.join("packages");
    let made = xtask()
        .args(["package", "deb", dir.as_str(), "--out", packages.as_str()])
        .args(["--distro", "debian-12"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let deb = packages
        .join("packages/debian-12/docker-ce-rootless-extras_27.5.1-1~debian.12~bookworm_amd64.deb");
    let listed = std::process::Command::new("dpkg-deb")
        .args(["-c", deb.as_str()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("./usr/bin/rootlesskit-docker-proxy"),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
}

#[test]
fn a_27_bundle_whose_record_lacks_rootlesskit_docker_proxy_fails_verify() {
    let w = docker_27_world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &[]);
    let dir = out.join("docker-27.5.1");
    // A bundle published before Docker 27's proxy was built: its manifest, SHA256SUMS and
    // folder agree with each other, and lack it.
    let proxy = "docker-rootless-extras/rootlesskit-docker-proxy";
    std::fs::remove_file(dir.join(proxy)).unwrap();
    for file in ["manifest.json", "SHA256SUMS"] {
        let text = String::from_utf8(read(&dir.join(file))).unwrap();
        let text = match file {
            "SHA256SUMS" => text
                .lines()
                .filter(|l| !l.ends_with(proxy))
                .map(|l| format!("{l}\n"))
                .collect(),
            _ => {
                let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
                m["files"]
                    .as_array_mut()
                    .unwrap()
                    .retain(|f| f["path"] != proxy);
                for c in m["components"].as_array_mut().unwrap() {
                    if c["name"] == "rootlesskit" {
                        c["binaries"] = serde_json::json!(["rootlesskit"]);
                    }
                }
                serde_json::to_string_pretty(&m).unwrap()
            }
        };
        std::fs::write(dir.join(file), text).unwrap();
    }
    let verify = xtask().args(["verify", dir.as_str()]).output().unwrap();
    assert!(!verify.status.success());
    assert!(
        stderr(&verify).contains(
            "its rootlesskit has rootlesskit, where Docker 27.5.1 ships rootlesskit, rootlesskit-docker-proxy"
        ),
        "{}",
        stderr(&verify)
    );
}

#[test]
fn a_version_outside_the_supported_lines_is_refused_before_anything_is_fetched() {
    let w = world();
    let pins = w.root.join("pins.lock");
    let text = String::from_utf8(read(&pins)).unwrap();
    std::fs::write(
        &pins,
        text.replace("version = \"2.3.3\"", "version = \"1.6.9\""),
    )
    .unwrap();
    let out = w.root.join("out");
    let output = w.bundle(&out, &[]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("containerd 1.6.9 is not supported") && err.contains("1.7.x, 2.x"),
        "{err}"
    );
    assert!(
        !err.contains("Reading") && !err.contains("Fetching"),
        "{err}"
    );
    assert!(snapshot(&w.root.join("cache/checkouts")).is_empty());
}

#[test]
fn offline_without_the_pinned_go_fails_fast_naming_go_local() {
    let w = world();
    let pins = w.root.join("pins.lock");
    let text = String::from_utf8(read(&pins)).unwrap();
    let go_line = text.lines().next().unwrap().to_owned();
    std::fs::write(&pins, text.replace(&go_line, "go = \"1.19.13\"")).unwrap();
    let output = w.bundle(&w.root.join("out"), &["--offline"]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("Go 1.19.13") && err.contains("offline") && err.contains("--go local"),
        "{err}"
    );
    // Fast, because before anything else: no source was checked out, nothing built.
    assert!(!err.contains("Building"), "{err}");
    assert!(
        snapshot(&w.root.join("cache/checkouts")).is_empty(),
        "{err}"
    );

    // With the go on PATH it builds, and the manifest says which Go that was.
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--offline", "--go", "local"]);
    let runc = component(&manifest(&out.join("docker-29.7.2")), "runc");
    assert_eq!(runc["go"], test_fixtures::local_go());
}

#[test]
fn a_tag_that_names_another_commit_is_a_warning_and_not_recorded() {
    let w = world();
    // runc's pinned commit stays; its tag moves to a later commit in the mirror.
    let mut runc = test_fixtures::FixtureRepo {
        path: w.repo(Kind::Runc).path.clone(),
        head: w.repo(Kind::Runc).head.clone(),
    };
    let pinned = runc.head.clone();
    runc.write("NEWS", "after the pin\n");
    let moved = runc.commit("after the pin");
    runc.tag("v1.4.3", true);
    let out = w.root.join("out");
    let err = w.bundle_ok(&out, &[]);
    assert!(
        err.contains("Warning")
            && err.contains(&format!(
                "tag v1.4.3 names {moved}, not the pinned {pinned}"
            )),
        "{err}"
    );
    // `fetch` says so too.
    let mut fetch = xtask();
    fetch
        .arg("fetch")
        .args(["--pins", w.root.join("pins.lock").as_str()])
        .args(["--cache", w.root.join("cache").as_str()]);
    for (kind, repo) in &w.repos {
        fetch.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    let fetched = fetch.output().unwrap();
    let said = stderr(&fetched);
    assert!(fetched.status.success(), "{said}");
    assert!(
        said.contains(&format!(
            "Warning runc: tag v1.4.3 names {moved}, not the pinned {pinned}"
        )),
        "{said}"
    );
    let manifest = manifest(&out.join("docker-29.7.2"));
    assert_eq!(component(&manifest, "runc")["commit"], pinned.as_str());
    let runc = component(&manifest, "runc");
    assert!(runc["ref"].is_null(), "{runc}");
    assert_eq!(component(&manifest, "containerd")["ref"], "v2.3.3");
}
