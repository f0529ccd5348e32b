//! `plan`: a bundle's builds as jobs for a team's CI, each with the key its build will have,
//! and the CI files that run them, checked by the ecosystem's own validators.

mod common;

use std::process::{Command, Output};

use camino::Utf8Path;
use common::{World, stderr, world, xtask};
use engine::Registry;

fn registry() -> Registry {
    Registry::start(None).expect("Debian's docker-registry must be installed (.ci/run installs it)")
}

/// `plan` run from the fixture world's root (where a team's CI checks its repository out).
fn plan(w: &World, extra: &[&str]) -> Output {
    let mut cmd = xtask();
    cmd.current_dir(&w.root)
        .arg("plan")
        .args(["--pins", "pins.lock"])
        .args(["--cache", w.root.join("planner-cache").as_str()])
        .env("DOCKER_CONFIG", w.root.join("planner-docker"));
    for (kind, repo) in &w.repos {
        cmd.args(["--mirror", &format!("{}={}", kind.name(), repo.path)]);
    }
    cmd.args(extra).output().unwrap()
}

fn jobs(output: &Output) -> Vec<serde_json::Value> {
    assert!(output.status.success(), "{}", stderr(output));
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    plan["jobs"].as_array().unwrap().clone()
}

/// A tool the tests need, found on PATH or where `go install` puts it.
fn tool(name: &str, install: &str) -> std::path::PathBuf {
    if let Ok(path) = which::which(name) {
        return path;
    }
    let gopath = Command::new("go").args(["env", "GOPATH"]).output().unwrap();
    let gobin = Utf8Path::new(String::from_utf8(gopath.stdout).unwrap().trim())
        .join("bin")
        .join(name);
    assert!(
        gobin.is_file(),
        "{name} is missing: {install} (as .ci/run does)"
    );
    gobin.into_std_path_buf()
}

fn validate(file: &Utf8Path, tool_name: &str, install: &str, args: &[&str]) {
    let out = Command::new(tool(tool_name, install))
        .args(args)
        .arg(file.as_str())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{tool_name} refused {file}:\n{}{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(file).unwrap()
    );
}

#[test]
fn a_plan_has_a_job_per_component_and_target_with_the_key_its_build_pushes() {
    let w = world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());
    let planned = jobs(&plan(
        &w,
        &[
            "--cache-from",
            &team,
            "--target",
            "linux/amd64",
            "--target",
            "linux/arm64",
        ],
    ));
    assert_eq!(planned.len(), 18, "{planned:#?}");
    assert!(
        planned.iter().all(|j| j["held_by"].is_null()),
        "{planned:#?}"
    );
    let runc = planned
        .iter()
        .find(|j| j["component"] == "runc" && j["target"] == "linux/amd64")
        .unwrap();

    // The job itself, on a machine of its own: it pushes runc under the planned key.
    let out = w.root.join("job-out");
    let job = w
        .bundle_command(
            &out,
            &[
                "--only",
                "runc",
                "--target",
                "linux/amd64",
                "--cache-to",
                &team,
            ],
        )
        .output()
        .unwrap();
    assert!(job.status.success(), "{}", stderr(&job));
    let tag = format!("runc-{}", runc["key"].as_str().unwrap());
    let tags = registry
        .storage()
        .join("docker/registry/v2/repositories/team/dockyard/_manifests/tags");
    let pushed: Vec<String> = std::fs::read_dir(&tags)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(pushed, [tag]);

    // Planned again: that job is left out, held by the team's cache.
    let again = jobs(&plan(
        &w,
        &[
            "--cache-from",
            &team,
            "--target",
            "linux/amd64",
            "--target",
            "linux/arm64",
        ],
    ));
    let held: Vec<_> = again.iter().filter(|j| !j["held_by"].is_null()).collect();
    assert_eq!(held.len(), 1, "{again:#?}");
    assert_eq!(
        (held[0]["component"].as_str(), held[0]["target"].as_str()),
        (Some("runc"), Some("linux/amd64"))
    );
}

#[test]
fn the_ci_files_pass_actionlint_and_check_jsonschema() {
    let w = world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());
    let go = format!("{}/team/go", registry.address());
    let common = [
        "--cache-from",
        &team,
        "--go-cache",
        &go,
        "--target",
        "linux/amd64",
        "--target",
        "linux/arm64",
        "--push",
        "registry.example/team/docker:29.7.2",
        "--package",
        "deb",
        "--package",
        "rpm",
    ];
    let workflow = w.root.join(".github/workflows/dockyard.yml");
    std::fs::create_dir_all(workflow.parent().unwrap()).unwrap();
    let out = plan(
        &w,
        &[
            &common[..],
            &["--format", "github", "--output", workflow.as_str()],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&workflow).unwrap();
    // Every job of the plan is in the matrix, and the assembler needs them.
    assert_eq!(text.matches("- component: ").count(), 18, "{text}");
    assert!(text.contains("--cache-required"), "{text}");
    validate(
        &workflow,
        "actionlint",
        "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12",
        &[],
    );
    let schema = "python3 -m pip install check-jsonschema";
    validate(
        &workflow,
        "check-jsonschema",
        schema,
        &["--builtin-schema", "vendor.github-workflows"],
    );

    let pipeline = w.root.join(".gitlab-ci.yml");
    let out = plan(
        &w,
        &[
            &common[..],
            &["--format", "gitlab", "--output", pipeline.as_str()],
        ]
        .concat(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    validate(
        &pipeline,
        "check-jsonschema",
        schema,
        &["--builtin-schema", "vendor.gitlab-ci"],
    );
}

#[test]
fn a_working_tree_cannot_go_into_a_ci_file() {
    let w = world();
    let runc = w.repo(test_fixtures::Kind::Runc).path.to_string();
    let out = plan(
        &w,
        &[
            "--cache-from",
            "127.0.0.1:1/team/c",
            "--format",
            "github",
            "--source",
            &format!("runc={runc}"),
        ],
    );
    assert!(!out.status.success());
    let text = stderr(&out);
    assert!(
        text.contains("working tree") && text.contains("URL@REF"),
        "{text}"
    );
}

/// After a change in one component's tree, the plan holds that component's jobs alone: the
/// team's cache holds every other one.
#[test]
fn a_plan_after_a_change_in_one_tree_lists_only_that_components_jobs() {
    let w = world();
    let registry = registry();
    let team = format!("{}/team/dockyard", registry.address());
    let out = w.root.join("ci-out");
    w.bundle_ok(&out, &["--cache-to", &team]);
    let held = jobs(&plan(&w, &["--cache-from", &team]));
    assert_eq!(held.len(), 9, "{held:#?}");
    assert!(
        held.iter().all(|j| j["held_by"] == team.as_str()),
        "{held:#?}"
    );

    w.pin_a_later_commit(test_fixtures::Kind::Runc);
    let again = jobs(&plan(&w, &["--cache-from", &team]));
    let to_run: Vec<(&str, &str)> = again
        .iter()
        .filter(|j| j["held_by"].is_null())
        .map(|j| {
            (
                j["component"].as_str().unwrap(),
                j["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(to_run, [("runc", "linux/amd64")], "{again:#?}");
    // And the workflow's matrix has that one job.
    let workflow = w.root.join("dockyard.yml");
    let out = plan(
        &w,
        &[
            "--cache-from",
            &team,
            "--format",
            "github",
            "--output",
            workflow.as_str(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&workflow).unwrap();
    assert_eq!(text.matches("- component: ").count(), 1, "{text}");
    assert!(text.contains("- component: \"runc\""), "{text}");
}
