//! Whether the running bundle says what its manifest says: each binary's own version output
//! (as its component's spec describes it) and `docker version`'s view of the engine.

use build_core::process::Captured;
use bundle_format::{Manifest, ReleaseLine, Stamps};

use crate::{Engine, EngineError};

/// Runs one binary of a bundle with arguments (natively, or under an emulator).
pub(crate) type RunBinary<'a> = dyn Fn(&str, &[&str]) -> Result<Captured, EngineError> + 'a;

/// Each binary's version command, as its component's spec says, shows the manifest's
/// version and commit; `run` runs one binary of the bundle with arguments.
pub(crate) fn binaries_show_stamps(
    run: &RunBinary<'_>,
    manifest: &Manifest,
) -> Result<String, EngineError> {
    let release = release_of(manifest)?;
    let mut problems = Vec::new();
    let mut checked = 0;
    for component in bundle_format::COMPONENTS {
        let Some(recorded) = manifest.component(component.name) else {
            problems.push(format!("the manifest has no {}", component.name));
            continue;
        };
        let version = recorded.stamped_version();
        let stamps = Stamps {
            version: &version,
            commit: &recorded.commit,
        };
        // The binaries its release ships (Docker 27's rootlesskit-docker-proxy).
        for probe in component.probes_for(release) {
            let out = run(probe.binary, probe.args)?;
            let missing = probe.missing(stamps, &format!("{}{}", out.stdout, out.stderr));
            if missing.is_empty() {
                checked += 1;
            } else {
                problems.push(format!(
                    "{} {} does not show {}",
                    probe.binary,
                    probe.args.join(" "),
                    missing.join(", ")
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(EngineError::Check(problems.join("; ")));
    }
    Ok(format!("{checked} binaries stamped as the manifest says"))
}

/// The Docker release line of the bundle `manifest` describes, which decides the binaries it
/// holds.
pub(crate) fn release_of(manifest: &Manifest) -> Result<ReleaseLine, EngineError> {
    manifest.release().ok_or_else(|| {
        EngineError::Check(format!(
            "the manifest's version {} is not a Docker release",
            manifest.version
        ))
    })
}

pub(crate) fn check_versions(e: &Engine, manifest: &Manifest) -> Result<String, EngineError> {
    let json = e.docker_ok(&["version", "--format", "{{json .}}"])?;
    let report: serde_json::Value = serde_json::from_str(&json)
        .map_err(|_| EngineError::Check(format!("docker version printed no JSON: {json}")))?;
    let problems = version_mismatches(&report, manifest);
    if !problems.is_empty() {
        return Err(EngineError::Check(problems.join("; ")));
    }
    Ok(format!(
        "client and engine {}, containerd, runc and docker-init as built",
        manifest.version
    ))
}

/// What `docker version` says that the manifest does not.
fn version_mismatches(report: &serde_json::Value, manifest: &Manifest) -> Vec<String> {
    // Looked up by the binary docker version reports on, not by component name.
    let component = |binary: &str| manifest.component_of(binary);
    let short = |name: &str| {
        component(name)
            // docker prints seven characters; a shorter commit in the manifest is compared whole.
            .map(|c| c.commit.chars().take(7).collect::<String>())
            .unwrap_or_default()
    };
    let full = |name: &str| {
        component(name)
            .map(|c| c.commit.clone())
            .unwrap_or_default()
    };
    let version_of = |name: &str| {
        component(name)
            .map(|c| c.stamped_version())
            .unwrap_or_default()
    };
    let mut problems = Vec::new();
    let mut expect = |what: &str, got: &serde_json::Value, want: &str| {
        let got = got.as_str().unwrap_or("(missing)");
        if got.trim_end_matches("-dirty") != want {
            problems.push(format!("{what} is {got}, the manifest says {want}"));
        }
    };
    expect(
        "client version",
        &report["Client"]["Version"],
        &version_of("docker"),
    );
    expect(
        "client commit",
        &report["Client"]["GitCommit"],
        &short("docker"),
    );
    let components = report["Server"]["Components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let find = |name: &str| {
        components
            .iter()
            .find(|c| c["Name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    // The engine's own component entry is where every supported API version reports it; the
    // top-level `Version` and `GitCommit` are older duplicates (29.0.0 has no `GitCommit` there).
    let engine = find("Engine");
    let engine_field = |component: &serde_json::Value, legacy: &str| {
        if component.is_null() {
            report["Server"][legacy].clone()
        } else {
            component.clone()
        }
    };
    expect(
        "engine version",
        &engine_field(&engine["Version"], "Version"),
        &version_of("dockerd"),
    );
    expect(
        "engine commit",
        &engine_field(&engine["Details"]["GitCommit"], "GitCommit"),
        &short("dockerd"),
    );
    expect(
        "containerd version",
        &find("containerd")["Version"],
        &format!("v{}", version_of("containerd")),
    );
    expect(
        "containerd commit",
        &find("containerd")["Details"]["GitCommit"],
        &full("containerd"),
    );
    expect(
        "runc version",
        &find("runc")["Version"],
        &version_of("runc"),
    );
    expect(
        "runc commit",
        &find("runc")["Details"]["GitCommit"],
        &full("runc"),
    );
    expect(
        "docker-init version",
        &find("docker-init")["Version"],
        &version_of("docker-init"),
    );
    expect(
        "docker-init commit",
        &find("docker-init")["Details"]["GitCommit"],
        &short("docker-init"),
    );
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        serde_json::from_value(serde_json::json!({
            "format": 1, "version": "29.7.2", "linkage": "static",
            "target": {"os": "linux", "arch": "amd64"}, "source_date_epoch": 0, "bundle_key": "k",
            "files": [],
            "components": [
                comp("cli", "cli", "29.7.2", "a7dcaa6fdb6ed04aacbfdc76357fdae01605609e"),
                comp("moby", "moby", "29.7.2", "6a43e3d5afddf4111da0f864bbc7cae5d7e95001"),
                comp("containerd", "containerd", "2.3.3", "aad11006b869517fcd3009450b6f82da282e1a9b"),
                comp("runc", "runc", "1.4.3", "bb14dabeb7185bb72c8c86735d090dcb20f36587"),
                comp("tini", "tini", "0.19.0", "de40ad007797e0dcd8b7126f27bb87401d224240"),
            ]
        }))
        .unwrap()
    }

    fn comp(name: &str, upstream: &str, version: &str, commit: &str) -> serde_json::Value {
        let binaries = match name {
            "cli" => vec!["docker"],
            "moby" => vec!["dockerd"],
            "containerd" => vec!["containerd", "containerd-shim-runc-v2", "ctr"],
            "runc" => vec!["runc"],
            _ => vec!["docker-init"],
        };
        serde_json::json!({"name": name, "upstream": upstream, "source": "pin", "repository": "", "ref": "", "version": version,
            "commit": commit, "dirty": false, "go": null, "tags": [], "binaries": binaries})
    }

    fn report() -> serde_json::Value {
        serde_json::json!({
            "Client": {"Version": "29.7.2", "GitCommit": "a7dcaa6"},
            "Server": {"Version": "29.7.2", "GitCommit": "6a43e3d", "Components": [
                {"Name": "Engine", "Version": "29.7.2", "Details": {"GitCommit": "6a43e3d"}},
                {"Name": "containerd", "Version": "v2.3.3", "Details": {"GitCommit": "aad11006b869517fcd3009450b6f82da282e1a9b"}},
                {"Name": "runc", "Version": "1.4.3", "Details": {"GitCommit": "bb14dabeb7185bb72c8c86735d090dcb20f36587"}},
                {"Name": "docker-init", "Version": "0.19.0", "Details": {"GitCommit": "de40ad0"}}
            ]}
        })
    }

    #[test]
    fn a_matching_docker_version_has_no_mismatches() {
        assert_eq!(
            version_mismatches(&report(), &manifest()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_manifest_commit_shorter_than_seven_characters_is_compared_whole() {
        let mut m = manifest();
        m.components[0].commit = "a7dc".into();
        let problems = version_mismatches(&report(), &m);
        assert_eq!(
            problems,
            ["client commit is a7dcaa6, the manifest says a7dc"],
            "{problems:?}"
        );
    }

    #[test]
    fn the_engine_is_read_from_its_component_entry_when_the_server_has_no_top_level_commit() {
        // docker 29.0.0's `/version`: no `Server.GitCommit`, the commit in the Engine entry.
        let mut r = report();
        r["Server"].as_object_mut().unwrap().remove("GitCommit");
        assert_eq!(version_mismatches(&r, &manifest()), Vec::<String>::new());
        r["Server"]["Components"][0]["Details"]["GitCommit"] = "1234567".into();
        assert_eq!(
            version_mismatches(&r, &manifest()),
            ["engine commit is 1234567, the manifest says 6a43e3d"]
        );
    }

    #[test]
    fn an_engine_without_component_entries_is_read_from_the_top_level_fields() {
        // Older API versions report the engine only at the top level.
        let mut r = report();
        r["Server"]["Components"].as_array_mut().unwrap().remove(0);
        assert_eq!(version_mismatches(&r, &manifest()), Vec::<String>::new());
        r["Server"]["GitCommit"] = "1234567".into();
        assert_eq!(
            version_mismatches(&r, &manifest()),
            ["engine commit is 1234567, the manifest says 6a43e3d"]
        );
    }

    #[test]
    fn each_wrong_or_missing_field_is_named() {
        let mut r = report();
        r["Server"]["Components"][2]["Details"]["GitCommit"] = "v1.4.3-0-gbb14dab".into();
        r["Client"]["Version"] = "28.0.0".into();
        r["Server"]["Components"].as_array_mut().unwrap().remove(3);
        let problems = version_mismatches(&r, &manifest());
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(
            problems[0].starts_with("client version is 28.0.0"),
            "{problems:?}"
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("runc commit is v1.4.3-0-gbb14dab"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("docker-init version is (missing)"))
        );
    }
}
