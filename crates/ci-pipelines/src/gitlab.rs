//! The `.gitlab-ci.yml`.

use crate::Pipeline;
use crate::commands::{self, COMPONENT, OUT, TARGET};
use crate::yaml::{Entry, Yaml, commented, document, entry};

const HEADER: &str = "\
dockyard's scale-out build, rendered by the ci-pipelines crate: one job per component and
target fills the team's component cache, then one job assembles every target's bundle from
that cache alone, pushes and packages it.

Registry login is the team's: add a before_script piping a masked CI/CD variable to
`docker login HOST --password-stdin` (for GitLab's own registry: -u \"$CI_REGISTRY_USER\"
with $CI_REGISTRY_PASSWORD, host $CI_REGISTRY), or set DOCKER_CONFIG to a folder whose
config.json comes from a file variable.";

const IMAGE: &str = "\
image: the team's build image, with what a dockyard build needs (Rust, Go, a C toolchain,
libseccomp; qemu-user for other architectures' checks), for example:
image: registry.example.com/team/dockyard-builder:latest";

/// The file's text.
pub(crate) fn render(p: &Pipeline) -> String {
    let mut top = vec![commented(
        IMAGE,
        "stages",
        vec![Yaml::from("build"), Yaml::from("assemble")],
    )];
    if !p.jobs.is_empty() {
        top.push(commented(
            "One job per component and target.",
            "component",
            component(p),
        ));
    }
    top.push(commented(
        "Every target's bundle, from the cache alone.",
        "assemble",
        assemble(p),
    ));
    document(HEADER, &top)
}

fn component(p: &Pipeline) -> Vec<Entry> {
    let matrix: Vec<Yaml> = p
        .jobs
        .iter()
        .map(|j| {
            Yaml::Map(vec![
                entry(COMPONENT, j.component.as_str()),
                entry(TARGET, j.target.as_str()),
                entry("KEY", j.key.as_str()),
            ])
        })
        .collect();
    vec![
        entry("stage", "build"),
        entry("parallel", vec![entry("matrix", matrix)]),
        entry("script", vec![Yaml::from(commands::component(p))]),
    ]
}

fn assemble(p: &Pipeline) -> Vec<Entry> {
    let mut script = vec![Yaml::from(commands::assemble(p))];
    script.extend(p.push.as_deref().map(|r| Yaml::from(commands::push(r))));
    script.extend(p.packages.iter().map(|f| Yaml::from(commands::package(f))));
    let mut job = vec![entry("stage", "assemble")];
    if !p.jobs.is_empty() {
        job.push(entry("needs", vec![Yaml::from("component")]));
    }
    job.extend([
        entry("script", script),
        entry(
            "artifacts",
            vec![entry("paths", vec![Yaml::from(format!("{OUT}/"))])],
        ),
    ]);
    job
}
