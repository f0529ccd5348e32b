//! `sbom.spdx.json`: every bundle's bill of materials. SPDX's own validator and the NTIA
//! minimum-elements checker accept it, and it is true to the binaries it describes: their
//! checksums, the Go modules `go version -m` reads from each, their sources and patches, and
//! the C libraries with the Debian packages that provided them.

mod common;

use std::process::Command;

use camino::Utf8Path;
use common::{read, world, xtask};
use serde_json::Value;
use sha2::{Digest, Sha256};
use test_fixtures::Kind;

/// Runs an independent validator; CI installs them (`pip install spdx-tools ntia-conformance-checker`).
fn validator(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed ({e}): pip install spdx-tools ntia-conformance-checker")
        });
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "{program} rejects the SBOM:\n{said}"
    );
    said
}

fn sha256(path: &Utf8Path) -> String {
    Sha256::digest(read(path))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The elements `from` points to with a relationship of `kind`.
fn related<'a>(sbom: &'a Value, from: &str, kind: &str) -> Vec<&'a str> {
    sbom["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["spdxElementId"] == from && r["relationshipType"] == kind)
        .map(|r| r["relatedSpdxElement"].as_str().unwrap())
        .collect()
}

fn package<'a>(sbom: &'a Value, id: &str) -> &'a Value {
    sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["SPDXID"] == id)
        .unwrap_or_else(|| panic!("no package {id}"))
}

fn installed_version(package: &str) -> String {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_patched_bundle_s_sbom_names_every_binary_module_source_patch_and_c_library() {
    let mut w = world();
    let patch = w.root.join("0001-say-patched.patch");
    {
        let (_, runc) = w.repos.iter_mut().find(|(k, _)| *k == Kind::Runc).unwrap();
        let main = String::from_utf8(read(&runc.path.join("main.go"))).unwrap();
        runc.write(
            "main.go",
            &main.replace("\"fixture runc\"", "\"patched runc\""),
        );
        runc.commit("Say patched");
        std::fs::write(&patch, runc.format_patch()).unwrap();
    }
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static", "--patch", &format!("runc={patch}")]);
    let dir = out.join("docker-29.7.2");
    let path = dir.join("sbom.spdx.json");
    let sums = String::from_utf8(read(&dir.join("SHA256SUMS"))).unwrap();
    assert!(
        sums.contains(&format!("{}  sbom.spdx.json\n", sha256(&path))),
        "{sums}"
    );

    validator("pyspdxtools", &["-i", path.as_str()]);
    let ntia: Value =
        serde_json::from_str(&validator("ntia-checker", &["-r", "json", path.as_str()])).unwrap();
    assert_eq!(ntia["isNtiaConformant"], true, "{ntia:#}");
    assert_eq!(
        ntia["graphValidation"]["floatingComponents"]["floatingComponentCount"], 0,
        "every package hangs off what the document describes: {ntia:#}"
    );

    let sbom: Value = serde_json::from_slice(&read(&path)).unwrap();
    assert_eq!(sbom["spdxVersion"], "SPDX-2.3");
    let described = related(&sbom, "SPDXRef-DOCUMENT", "DESCRIBES");
    let tarball = package(&sbom, described[0]);
    assert_eq!(tarball["packageFileName"], "docker-29.7.2.tgz");
    assert_eq!(
        tarball["checksums"][0]["checksumValue"],
        sha256(&dir.join("docker-29.7.2.tgz"))
    );
    let contained = related(&sbom, described[0], "CONTAINS");
    let engine = bundle::binaries_in(bundle::Archive::Static, common::FIXTURES_RELEASE);
    assert_eq!(contained.len(), engine.len());
    // Each plugin's tarball is described too, and contains its plugin alone.
    for (plugin, tgz) in [
        ("docker-buildx", "docker-buildx-plugin-0.34.1.tgz"),
        ("docker-compose", "docker-compose-plugin-5.4.0.tgz"),
    ] {
        let archive = described
            .iter()
            .find(|id| package(&sbom, id)["packageFileName"] == tgz)
            .unwrap_or_else(|| panic!("no package for {tgz}"));
        assert_eq!(
            package(&sbom, archive)["checksums"][0]["checksumValue"],
            sha256(&dir.join(tgz))
        );
        let id = format!("SPDXRef-Binary-{plugin}");
        assert_eq!(related(&sbom, archive, "CONTAINS"), [id.as_str()]);
    }

    for binary in engine.iter().chain(&bundle::binaries_in(
        bundle::Archive::Plugin,
        common::FIXTURES_RELEASE,
    )) {
        let path = bundle::path_of(binary).unwrap();
        let file = dir.join(&path);
        let id = format!("SPDXRef-Binary-{binary}");
        let p = package(&sbom, &id);
        assert_eq!(p["packageFileName"], path);
        assert_eq!(
            p["checksums"][0]["checksumValue"],
            sha256(&file),
            "{binary}"
        );
        if *binary == "docker-init" {
            continue;
        }
        // Every module Go itself reads from the binary, each once, with its version.
        let go = Command::new("go")
            .args(["version", "-m", "-json", file.as_str()])
            .output()
            .unwrap();
        let info: Value = serde_json::from_slice(&go.stdout).unwrap();
        let mut expected: Vec<(String, String)> = info["Deps"]
            .as_array()
            .map(|deps| {
                deps.iter()
                    .map(|d| {
                        (
                            d["Path"].as_str().unwrap().into(),
                            d["Version"].as_str().unwrap().into(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut listed: Vec<(String, String)> = related(&sbom, &id, "STATIC_LINK")
            .into_iter()
            .filter(|to| to.starts_with("SPDXRef-GoModule-"))
            .map(|to| {
                let m = package(&sbom, to);
                (
                    m["name"].as_str().unwrap().into(),
                    m["versionInfo"].as_str().unwrap().into(),
                )
            })
            .collect();
        expected.sort();
        listed.sort();
        assert_eq!(listed, expected, "{binary}'s Go modules");
        let stdlib = related(&sbom, &id, "STATIC_LINK")
            .into_iter()
            .find(|to| to.starts_with("SPDXRef-GoStdlib-"))
            .map(|to| package(&sbom, to)["versionInfo"].clone());
        assert_eq!(stdlib.as_ref(), Some(&info["GoVersion"]), "{binary}");
    }
    let runc_modules: Vec<&str> = related(&sbom, "SPDXRef-Binary-runc", "STATIC_LINK");
    assert!(
        runc_modules.contains(&"SPDXRef-GoModule-example.com-fixture-units-v0.3.1"),
        "the fixture's vendored module: {runc_modules:?}"
    );

    // dockerd and docker-proxy come from moby's one tree; runc from its patched pin.
    assert_eq!(
        related(&sbom, "SPDXRef-Binary-dockerd", "GENERATED_FROM"),
        related(&sbom, "SPDXRef-Binary-docker-proxy", "GENERATED_FROM")
    );
    let runc_source = related(&sbom, "SPDXRef-Binary-runc", "GENERATED_FROM")[0];
    let source = package(&sbom, runc_source);
    let pinned = common::component(&common::manifest(&dir), "runc");
    assert!(
        source["versionInfo"]
            .as_str()
            .unwrap()
            .starts_with("1.4.3+patches."),
        "{source}"
    );
    assert_eq!(
        source["downloadLocation"],
        format!(
            "git+https://example.test/runc@{}",
            pinned["commit"].as_str().unwrap()
        )
    );
    let applied = sbom["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| related(&sbom, f["SPDXID"].as_str().unwrap(), "PATCH_APPLIED") == [runc_source])
        .expect("the patch is a file applied to runc's source");
    assert_eq!(applied["fileName"], "./patches/runc/0001-say-patched.patch");
    assert!(
        applied["checksums"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["checksumValue"] == sha256(&patch))
    );

    // The C libraries runc links statically, as the packages that provided them.
    let libraries: Vec<(String, String)> = related(&sbom, "SPDXRef-Binary-runc", "STATIC_LINK")
        .into_iter()
        .filter(|to| to.starts_with("SPDXRef-CLibrary-"))
        .map(|to| {
            let p = package(&sbom, to);
            (
                p["name"].as_str().unwrap().into(),
                p["sourceInfo"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        libraries,
        [
            (
                "glibc".to_owned(),
                format!(
                    "From Debian's package libc6-dev {}.",
                    installed_version("libc6-dev")
                )
            ),
            (
                "libseccomp".to_owned(),
                format!(
                    "From Debian's package libseccomp-dev {}.",
                    installed_version("libseccomp-dev")
                )
            ),
        ]
    );
    let init_libraries = related(&sbom, "SPDXRef-Binary-docker-init", "STATIC_LINK");
    assert_eq!(
        init_libraries.len(),
        1,
        "tini links glibc alone: {init_libraries:?}"
    );
    assert!(
        related(&sbom, "SPDXRef-Binary-docker-proxy", "STATIC_LINK")
            .iter()
            .all(|to| !to.starts_with("SPDXRef-CLibrary-")),
        "docker-proxy is built without cgo"
    );
}

#[test]
fn verify_names_an_sbom_that_disagrees_with_a_binary() {
    let w = world();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--static"]);
    let dir = out.join("docker-29.7.2");
    let path = dir.join("sbom.spdx.json");
    let mut sbom: Value = serde_json::from_slice(&read(&path)).unwrap();
    for p in sbom["packages"].as_array_mut().unwrap() {
        if p["SPDXID"] == "SPDXRef-Binary-runc" {
            p["checksums"][0]["checksumValue"] = Value::from("0".repeat(64));
        }
    }
    std::fs::write(&path, serde_json::to_vec_pretty(&sbom).unwrap()).unwrap();
    // As a faulty producer would write it: the SBOM's own checksum recorded everywhere, so
    // only reading the SBOM can find the problem.
    let sha = sha256(&path);
    let mut manifest = common::manifest(&dir);
    for f in manifest["files"].as_array_mut().unwrap() {
        if f["path"] == "sbom.spdx.json" {
            f["sha256"] = Value::from(sha.clone());
            f["size"] = Value::from(read(&path).len());
        }
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let sums: String = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}  {}\n",
                f["sha256"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect();
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();

    let verify = xtask().args(["verify", dir.as_str()]).output().unwrap();
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(!verify.status.success(), "{said}");
    assert!(said.contains("sbom.spdx.json"), "{said}");
    assert!(
        said.contains(&format!("its SHA-256 of docker/runc is {}", "0".repeat(64))),
        "{said}"
    );
}

#[test]
fn a_dynamic_bundle_from_a_working_tree_has_a_valid_sbom_too() {
    let w = world();
    let runc = w.repo(Kind::Runc).path.clone();
    let main = runc.join("main.go");
    let text = String::from_utf8(read(&main)).unwrap();
    std::fs::write(&main, format!("{text}// an uncommitted change\n")).unwrap();
    let out = w.root.join("out");
    w.bundle_ok(&out, &["--dynamic", "--source", &format!("runc={runc}")]);
    let path = out.join("docker-29.7.2/sbom.spdx.json");
    validator("pyspdxtools", &["-i", path.as_str()]);
    let ntia: Value =
        serde_json::from_str(&validator("ntia-checker", &["-r", "json", path.as_str()])).unwrap();
    assert_eq!(ntia["isNtiaConformant"], true, "{ntia:#}");

    let sbom: Value = serde_json::from_slice(&read(&path)).unwrap();
    // Linked at run time: the C libraries are dynamic links; Go's modules are always static.
    let dynamic = related(&sbom, "SPDXRef-Binary-runc", "DYNAMIC_LINK");
    let names: Vec<&str> = dynamic
        .iter()
        .map(|id| package(&sbom, id)["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["glibc", "libseccomp"]);
    assert!(
        related(&sbom, "SPDXRef-Binary-runc", "STATIC_LINK")
            .iter()
            .all(|id| id.starts_with("SPDXRef-Go"))
    );
    // A working tree has no download location and its binaries say they are dirty.
    let source = package(
        &sbom,
        related(&sbom, "SPDXRef-Binary-runc", "GENERATED_FROM")[0],
    );
    assert_eq!(source["downloadLocation"], "NOASSERTION");
    assert!(
        source["sourceInfo"]
            .as_str()
            .unwrap()
            .contains("with uncommitted changes"),
        "{source}"
    );
    assert_eq!(
        package(&sbom, "SPDXRef-Binary-runc")["versionInfo"],
        "1.4.3-dirty"
    );
}
