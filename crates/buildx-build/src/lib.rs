#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
use build_core::go;
pub use build_core::go::GoBinary;
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// buildx's module and version package, on every line built (0.15 to 0.34).
pub const MODULE: &str = "github.com/docker/buildx";

/// docker-buildx, as every verb sees it.
pub const COMPONENT: Component = Component::new(&build_core::component_specs::BUILDX, Upstream::Buildx, build)
    .with_recipe_version(1)
    .with_tools(&[Tool::Go])
    // The lines Docker 27 to 29 ship (docker-ce-packaging's DOCKER_BUILDX_REF: 0.15 to 0.20
    // with 27, 0.28 with 28, 0.32 to 0.34 with 29).
    .with_supported(&[
        "0.15.", "0.16.", "0.17.", "0.18.", "0.19.", "0.20.", "0.21.", "0.22.", "0.23.", "0.24.", "0.25.", "0.26.", "0.27.", "0.28.", "0.29.",
        "0.30.", "0.31.", "0.32.", "0.33.", "0.34.",
    ])
    // docker-ce-packaging's own command (buildx's Makefile needs docker buildx bake).
    .with_upstream_build(UpstreamBuild {
        command: &[
            "go",
            "build",
            "-mod=vendor",
            "-trimpath",
            "-ldflags",
            "-w -X github.com/docker/buildx/version.Version=v{version} -X github.com/docker/buildx/version.Revision={commit:7} -X github.com/docker/buildx/version.Package=github.com/docker/buildx",
            "-o",
            "bin/docker-buildx",
            "./cmd/buildx",
        ],
        env: &[("CGO_ENABLED", "0"), ("GO111MODULE", "on")],
        outputs: &[("docker-buildx", "bin/docker-buildx")],
    });

/// The `-X` stamps docker-ce-packaging passes (`BUILDX_VERSION` is the tag, with its `v`;
/// `BUILDX_GITCOMMIT` the short commit).
pub fn stamps(opts: &BuildOptions) -> Vec<(String, String)> {
    vec![
        (
            format!("{MODULE}/version.Version"),
            format!("v{}", opts.version_dirty()),
        ),
        (format!("{MODULE}/version.Revision"), opts.commit_dirty(7)),
        (format!("{MODULE}/version.Package"), MODULE.to_owned()),
    ]
}

/// The recipe, as data (docker-ce-packaging's `deb/common/rules`, at the commit that packaged
/// Docker 29.7.2 with buildx v0.34.1; the same for 0.20 and 0.28).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    vec![GoBinary {
        stamps: stamps(opts),
        ldflags: vec!["-w"],
        ..GoBinary::new("docker-buildx", "./cmd/buildx")
    }]
}

/// Builds `docker-buildx` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
