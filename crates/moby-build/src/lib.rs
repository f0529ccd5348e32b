//! Builds `dockerd` from a pinned (or overridden) moby source, as `hack/make.sh binary` does,
//! without its shell scripts: no `.git` needed, because version and commit are passed in (the
//! `DOCKER_GITCOMMIT` error cannot happen).
//!
//! See `runc_build` for a complete example; every component crate is called the same way.

pub use build_core::BuildError as Error;
use build_core::go::{self, GoBinary};
pub use build_core::prelude::*;

/// dockerd, as every verb sees it.
pub const COMPONENT: Component = Component {
    name: "moby",
    upstream: Upstream::Moby,
    binaries: &["dockerd"],
    recipe_version: 1,
    tools: &[Tool::Go, Tool::CCompiler, Tool::StaticLibc],
    version_probes: &[VersionProbe {
        binary: "dockerd",
        args: &["--version"],
        shows: &["Docker version {version}, build {commit:7}"],
    }],
    build,
};

/// The tags of every moby binary (`hack/make.sh`); the static ones are dropped for dynamic
/// builds, as `hack/make/dynbinary-daemon` does.
pub const TAGS: &[&str] = &["nri_no_wasm"];
/// Tags added to static builds.
pub const STATIC_TAGS: &[&str] = &["netgo", "osusergo", "static_build"];

/// `hack/make/.go-autogen`: the `dockerversion` variables, shared with `docker-proxy`.
/// `PlatformName`, `ProductName` and `DefaultProductLicense` stay empty, as in a from-source
/// build: they name Docker's own products.
pub fn stamps(opts: &BuildOptions) -> Vec<(&'static str, String)> {
    vec![
        (
            "github.com/moby/moby/v2/dockerversion.Version",
            opts.version_dirty(),
        ),
        (
            "github.com/moby/moby/v2/dockerversion.GitCommit",
            opts.commit_dirty(7),
        ),
        (
            "github.com/moby/moby/v2/dockerversion.BuildTime",
            opts.build_time_rfc3339(),
        ),
    ]
}

/// The recipe, as data (`hack/make.sh`, `hack/make/.binary`, `binary-daemon` at docker-v29.7.2).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let pie = !matches!(
        opts.target.arch.as_str(),
        "mips" | "mipsle" | "mips64" | "mips64le" | "ppc64"
    );
    vec![GoBinary {
        cgo: true,
        tags: TAGS.to_vec(),
        static_tags: STATIC_TAGS.to_vec(),
        stamps: stamps(opts),
        ldflags: vec!["-w"],
        static_ldflags: vec!["-extldflags -static"],
        buildmode: pie.then_some("pie"),
        ..GoBinary::new("dockerd", "./cmd/dockerd")
    }]
}

/// Builds `dockerd` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, COMPONENT.name, &recipe(opts))
}
