#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
pub use build_core::go::GoBinary;
use build_core::go::{self, Modules};
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// rootlesskit, as every verb sees it.
pub const COMPONENT: Component = Component::new(
    &build_core::component_specs::ROOTLESSKIT,
    Upstream::Rootlesskit,
    build,
)
.with_recipe_version(1)
.with_tools(&[Tool::Go])
// moby's ROOTLESSKIT_VERSION: v2.0 from 27.0, v2.3 up to 29.4, v3 from 29.5.
.with_supported(&["2.0.", "2.1.", "2.2.", "2.3.", "3."])
// rootlesskit's own Makefile target, cgo off as moby's installer builds it for the static
// bundle; its modules come from Go's module cache (the bench runs it after dockyard's build).
.with_upstream_build(UpstreamBuild {
    command: &["make", "bin/rootlesskit"],
    env: &[("GOFLAGS", "-mod=readonly"), ("CGO_ENABLED", "0")],
    outputs: &[("rootlesskit", "bin/rootlesskit")],
});

/// The recipe, as data (`rootlesskit.installer` at docker-v29.7.2, v28.5.2 and v27.5.1): of
/// these, the binaries the Docker release `opts` builds for ships (moby 27's installer builds
/// both; 28 dropped the proxy).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let shipped = COMPONENT.binaries_for(opts.docker_release);
    [
        GoBinary::new("rootlesskit", "./cmd/rootlesskit"),
        GoBinary::new("rootlesskit-docker-proxy", "./cmd/rootlesskit-docker-proxy"),
    ]
    .into_iter()
    .filter(|binary| shipped.contains(&binary.name))
    .map(|binary| GoBinary {
        modules: Modules::Downloaded,
        ..binary
    })
    .collect()
}

/// Builds `rootlesskit` (and, for Docker 27, `rootlesskit-docker-proxy`) into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
