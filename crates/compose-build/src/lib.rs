#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
pub use build_core::go::GoBinary;
use build_core::go::{self, Modules};
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// docker-compose, as every verb sees it.
pub const COMPONENT: Component = Component::new(
    &build_core::component_specs::COMPOSE,
    Upstream::Compose,
    build,
)
.with_recipe_version(1)
.with_tools(&[Tool::Go])
// The lines Docker 27 to 29 ship (docker-ce-packaging's DOCKER_COMPOSE_REF: v2 with 27 and
// 28, v5 with 29).
.with_supported(&["2.", "5."])
// What docker-ce-packaging runs; its modules come from Go's module cache (nothing is
// vendored), cgo off as compose's release builds have it.
.with_upstream_build(UpstreamBuild {
    command: &["make", "build", "VERSION=v{version}"],
    env: &[("GOFLAGS", "-mod=readonly"), ("CGO_ENABLED", "0")],
    outputs: &[("docker-compose", "bin/build/docker-compose")],
});

/// compose's module path, which carries its major version (`github.com/docker/compose/v5`).
pub fn module(opts: &BuildOptions) -> String {
    format!("github.com/docker/compose/v{}", opts.release_line().0)
}

/// The recipe, as data (compose's `Makefile` `build` target at v5.4.0, v2.39.4 and v2.32.4).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    vec![GoBinary {
        tags: vec!["e2e"],
        stamps: vec![(
            format!("{}/internal.Version", module(opts)),
            format!("v{}", opts.version_dirty()),
        )],
        ldflags: vec!["-w"],
        modules: Modules::Downloaded,
        ..GoBinary::new("docker-compose", "./cmd")
    }]
}

/// Builds `docker-compose` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
