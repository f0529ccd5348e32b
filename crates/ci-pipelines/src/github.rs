//! The GitHub Actions workflow.

use crate::Pipeline;
use crate::commands::{self, COMPONENT, OUT, TARGET};
use crate::yaml::{Entry, Yaml, commented, document, entry};

const HEADER: &str = "\
dockyard's scale-out build, rendered by the ci-pipelines crate: one job per component and
target fills the team's component cache, then one job assembles every target's bundle from
that cache alone, pushes and packages it. The runners need what a dockyard build needs
(Rust, Go, a C toolchain, libseccomp; qemu-user for other architectures' checks).";

const LOGIN: &str = "\
Registry login is the team's: add a step before the first dockyard command, such as
docker/login-action with the registry's host and a username and password from secrets,
or a run step piping a secret to `docker login HOST --password-stdin`; or set DOCKER_CONFIG
to a folder whose config.json comes from a secret.";

/// The workflow's text.
pub(crate) fn render(p: &Pipeline) -> String {
    let mut jobs = Vec::new();
    if !p.jobs.is_empty() {
        jobs.push(entry("component", component(p)));
    }
    jobs.push(entry("assemble", assemble(p)));
    document(
        HEADER,
        &[
            entry("name", "dockyard"),
            entry(
                "on",
                vec![Yaml::from("push"), Yaml::from("workflow_dispatch")],
            ),
            entry("permissions", vec![entry("contents", "read")]),
            entry("jobs", jobs),
        ],
    )
}

fn checkout() -> Yaml {
    Yaml::Map(vec![entry("uses", "actions/checkout@v4")])
}

fn step(name: &str, run: String) -> Yaml {
    Yaml::Map(vec![entry("name", name), entry("run", run)])
}

fn component(p: &Pipeline) -> Vec<Entry> {
    let include: Vec<Yaml> = p
        .jobs
        .iter()
        .map(|j| {
            Yaml::Map(vec![
                entry("component", j.component.as_str()),
                entry("target", j.target.as_str()),
                entry("key", j.key.as_str()),
            ])
        })
        .collect();
    // The matrix reaches the shell through the environment, never pasted into the script.
    let build = Yaml::Map(vec![
        entry("name", "Build into the cache"),
        entry(
            "env",
            vec![
                entry(COMPONENT, "${{ matrix.component }}"),
                entry(TARGET, "${{ matrix.target }}"),
            ],
        ),
        entry("run", commands::component(p)),
    ]);
    vec![
        entry(
            "name",
            "${{ matrix.component }} ${{ matrix.target }} ${{ matrix.key }}",
        ),
        entry("runs-on", "ubuntu-latest"),
        entry(
            "strategy",
            vec![
                entry("fail-fast", false),
                entry("matrix", vec![entry("include", include)]),
            ],
        ),
        commented(LOGIN, "steps", vec![checkout(), build]),
    ]
}

fn assemble(p: &Pipeline) -> Vec<Entry> {
    let mut steps = vec![
        checkout(),
        step("Assemble the bundles", commands::assemble(p)),
    ];
    if let Some(reference) = &p.push {
        steps.push(step("Push the bundles", commands::push(reference)));
    }
    for format in &p.packages {
        steps.push(step(
            &format!("Package ({format})"),
            commands::package(format),
        ));
    }
    steps.push(Yaml::Map(vec![
        entry("uses", "actions/upload-artifact@v4"),
        entry(
            "with",
            vec![entry("name", "dockyard"), entry("path", format!("{OUT}/"))],
        ),
    ]));
    let mut job = Vec::new();
    if !p.jobs.is_empty() {
        job.push(entry("needs", vec![Yaml::from("component")]));
    }
    job.extend([
        entry("runs-on", "ubuntu-latest"),
        commented(LOGIN, "steps", steps),
    ]);
    job
}
