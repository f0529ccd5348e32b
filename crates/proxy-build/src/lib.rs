//! Builds `docker-proxy` from the pinned moby source (`./cmd/docker-proxy`, in moby since 25.0),
//! as `hack/make/binary-proxy` does: cgo off, so it is static in every build, with moby's tags
//! and `dockerversion` stamps (`docker-proxy --version` prints them).
//!
//! See `runc_build` for a complete example; every component crate is called the same way.

pub use build_core::BuildError as Error;
use build_core::go::{self, GoBinary};
pub use build_core::prelude::*;

/// docker-proxy, as every verb sees it.
pub const COMPONENT: Component = Component {
    name: "proxy",
    upstream: Upstream::Moby,
    binaries: &["docker-proxy"],
    recipe_version: 1,
    tools: &[Tool::Go, Tool::CCompiler],
    version_probes: &[VersionProbe {
        binary: "docker-proxy",
        args: &["--version"],
        shows: &["docker-proxy (commit {commit:7}) version {version}"],
    }],
    build,
};

/// moby's tags (`hack/make.sh`), static ones included: cgo is off, so the binary is static in
/// every build. A test checks they agree with `moby-build`'s.
pub const TAGS: &[&str] = &["nri_no_wasm", "netgo", "osusergo", "static_build"];

/// `hack/make/.go-autogen`: the `dockerversion` variables `docker-proxy --version` prints.
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

/// The recipe, as data (`hack/make/binary-proxy` at docker-v29.7.2).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    vec![GoBinary {
        cgo: false,
        tags: TAGS.to_vec(),
        stamps: stamps(opts),
        ldflags: vec!["-w"],
        ..GoBinary::new("docker-proxy", "./cmd/docker-proxy")
    }]
}

/// Builds `docker-proxy` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, COMPONENT.name, &recipe(opts))
}
