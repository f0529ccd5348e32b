#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
pub use build_core::go::GoBinary;
use build_core::go::{self, ModuleFile};
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// The docker client, as every verb sees it.
pub const COMPONENT: Component =
    Component::new(&build_core::component_specs::CLI, Upstream::Cli, build)
        .with_recipe_version(1)
        .with_tools(&[Tool::Go, Tool::CCompiler])
        .with_supported(build_core::upstream::DOCKER_RELEASE_LINES)
        // `build/docker` is a symlink to this.
        .with_upstream_build(UpstreamBuild {
            command: &["scripts/with-go-mod.sh", "scripts/build/binary"],
            env: &[("VERSION", "{version}"), ("GITCOMMIT", "{commit:7}")],
            // `build/docker` is a symlink to this.
            outputs: &[("docker", "build/docker-linux-amd64")],
        });

/// The recipe, as data (`scripts/build/.variables` and `binary` at v29.7.2, v28.5.2, v27.5.1).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let dynamic = opts.linkage == Linkage::Dynamic;
    // 29 adds grpcnotrace; before, a cgo build adds pkcs11 (scripts/build/binary).
    let tags = match (opts.release_line().0 >= 29, dynamic) {
        (true, _) => vec!["grpcnotrace"],
        (false, true) => vec!["pkcs11"],
        (false, false) => vec![],
    };
    vec![GoBinary {
        cgo: dynamic,
        tags,
        static_tags: vec!["osusergo", "netgo"],
        stamps: vec![
            (
                "github.com/docker/cli/cli/version.Version".to_owned(),
                opts.version_dirty(),
            ),
            (
                "github.com/docker/cli/cli/version.GitCommit".to_owned(),
                opts.commit_dirty(7),
            ),
            (
                "github.com/docker/cli/cli/version.BuildTime".to_owned(),
                opts.build_time_rfc3339(),
            ),
        ],
        buildmode: dynamic.then_some("pie"),
        module_file: ModuleFile::VendorMod,
        ..GoBinary::new("docker", "./cmd/docker")
    }]
}

/// Builds `docker` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
