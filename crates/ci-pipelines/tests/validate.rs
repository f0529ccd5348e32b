//! The rendered files checked by the real validators: actionlint for the GitHub workflow (with
//! shellcheck on PATH, which it runs on every `run:` script), and check-jsonschema's vendored
//! schemas (SchemaStore's) for both files. A missing validator fails the test, naming how to
//! install it: `.ci/run` installs them.

use std::path::{Path, PathBuf};
use std::process::Command;

use ci_pipelines::{Job, Pipeline};

const COMPONENTS: [&str; 9] = [
    "runc",
    "containerd",
    "moby",
    "proxy",
    "cli",
    "tini",
    "buildx",
    "compose",
    "rootlesskit",
];

/// Nine components for two targets, every option set, and arguments that need quoting.
fn full() -> Pipeline {
    let targets = ["linux/amd64", "linux/arm64"];
    let mut p = Pipeline::new("registry.example.com:5000/team/components", targets);
    for (i, component) in COMPONENTS.iter().enumerate() {
        for (j, target) in targets.iter().enumerate() {
            p.jobs
                .push(Job::new(*component, *target, format!("{:064x}", i * 7 + j)));
        }
    }
    p.build_args = [
        "--static",
        "--pins",
        "pins.lock",
        "--patch",
        r#"runc=patches/it's a "fix" $HOME \n.patch"#,
    ]
    .map(String::from)
    .to_vec();
    p.go_cache = Some("registry.example.com:5000/team/go".into());
    p.push = Some("registry.example.com:5000/team/docker:nightly".into());
    p.packages = vec!["deb".into(), "rpm".into()];
    p
}

/// The registry already holds every component: the assembler alone.
fn empty() -> Pipeline {
    let mut p = full();
    p.jobs.clear();
    p.go_cache = None;
    p.push = None;
    p.packages.clear();
    p
}

fn write(name: &str, text: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ci-pipelines");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, text).unwrap();
    file
}

/// actionlint: on PATH, else where `go install` puts it.
fn actionlint() -> std::path::PathBuf {
    let package = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12";
    test_fixtures::go_installed("actionlint", package).into()
}

/// Runs a validator on `file`, failing with its output unless it succeeds.
fn passes(mut validator: Command, file: &Path) {
    let shown = format!("{validator:?} {}", file.display());
    let out = validator
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("{shown}: {e}"));
    let text = std::fs::read_to_string(file).unwrap();
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{}{}\n--- the file ---\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

fn schema(name: &str) -> Command {
    let mut c = test_fixtures::check_jsonschema();
    c.args(["--builtin-schema", name]);
    c
}

#[test]
fn github_workflows_pass_actionlint_and_the_workflow_schema() {
    // Without shellcheck actionlint silently leaves the scripts unchecked.
    assert!(
        test_fixtures::on_path("shellcheck").is_some(),
        "shellcheck is not on PATH, and actionlint checks run: scripts with it: install it with \
         `apt-get install shellcheck` (.ci/run does)"
    );
    for (name, p) in [("github-full.yml", full()), ("github-empty.yml", empty())] {
        let file = write(name, &ci_pipelines::github(&p).unwrap());
        passes(Command::new(actionlint()), &file);
        passes(schema("vendor.github-workflows"), &file);
    }
}

#[test]
fn gitlab_files_pass_gitlab_s_schema() {
    for (name, p) in [("gitlab-full.yml", full()), ("gitlab-empty.yml", empty())] {
        let file = write(name, &ci_pipelines::gitlab(&p).unwrap());
        passes(schema("vendor.gitlab-ci"), &file);
    }
}

#[test]
fn full_matrix_has_every_job() {
    let p = full();
    let gh = ci_pipelines::github(&p).unwrap();
    let gl = ci_pipelines::gitlab(&p).unwrap();
    assert_eq!(gh.matches("          - component: ").count(), 18);
    assert_eq!(gl.matches("      - COMPONENT: ").count(), 18);
}
