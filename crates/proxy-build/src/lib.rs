#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
pub use build_core::go::GoBinary;
use build_core::go::{self, ModuleFile};
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::toolchain::Tool;

/// docker-proxy, as every verb sees it.
pub const COMPONENT: Component =
    Component::new(&build_core::component_specs::PROXY, Upstream::Moby, build)
        .with_recipe_version(1)
        .with_tools(&[Tool::Go, Tool::CCompiler])
        .with_supported(build_core::upstream::DOCKER_RELEASE_LINES);

/// moby's module and the tags of its builds, static ones included (cgo is off, so the binary
/// is static in every build). From 29 `go.mod` declares `github.com/moby/moby/v2` and the tags
/// add `nri_no_wasm`; before, `vendor.mod` declares `github.com/docker/docker`. A test checks
/// this agrees with `moby-build`.
pub fn line(opts: &BuildOptions) -> (&'static str, ModuleFile, Vec<&'static str>) {
    if opts.release_line().0 >= 29 {
        (
            "github.com/moby/moby/v2",
            ModuleFile::GoMod,
            vec!["nri_no_wasm", "netgo", "osusergo", "static_build"],
        )
    } else {
        (
            "github.com/docker/docker",
            ModuleFile::VendorMod,
            vec!["netgo", "osusergo", "static_build"],
        )
    }
}

/// `hack/make/.go-autogen`: the `dockerversion` variables `docker-proxy --version` prints.
pub fn stamps(opts: &BuildOptions) -> Vec<(String, String)> {
    let (module, _, _) = line(opts);
    vec![
        (
            format!("{module}/dockerversion.Version"),
            opts.version_dirty(),
        ),
        (
            format!("{module}/dockerversion.GitCommit"),
            opts.commit_dirty(7),
        ),
        (
            format!("{module}/dockerversion.BuildTime"),
            opts.build_time_rfc3339(),
        ),
    ]
}

/// The recipe, as data (`hack/make/binary-proxy` at docker-v29.7.2, v28.5.2 and v27.5.1).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let (_, module_file, tags) = line(opts);
    vec![GoBinary {
        cgo: false,
        tags,
        stamps: stamps(opts),
        ldflags: vec!["-w"],
        module_file,
        ..GoBinary::new("docker-proxy", "./cmd/docker-proxy")
    }]
}

/// Builds `docker-proxy` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
