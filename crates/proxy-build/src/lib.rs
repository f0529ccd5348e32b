//! Builds `docker-proxy` from the pinned moby source (`./cmd/docker-proxy`, in moby since 25.0),
//! as `hack/make/binary-proxy` does: cgo off, so it is static in every build, with moby's tags
//! and `dockerversion` stamps (`docker-proxy --version` prints them).
//!
//! See `runc_build` for a complete example; every component crate is called the same way.

use build_core::go::{self, GoBinary};
pub use build_core::{Artifacts, BuildError as Error, BuildOptions};

/// The component's name in logs and messages.
pub const COMPONENT: &str = "docker-proxy";
/// What this crate builds.
pub const BINARIES: &[&str] = &["docker-proxy"];
/// Bumped whenever the recipe changes what it produces (part of the bundle's cache key).
pub const RECIPE_VERSION: u32 = 1;

/// The recipe, as data.
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let mut tags = moby_build::TAGS.to_vec();
    tags.extend(moby_build::STATIC_TAGS);
    vec![GoBinary {
        cgo: false,
        tags,
        stamps: moby_build::stamps(opts),
        ldflags: vec!["-w"],
        ..GoBinary::new("docker-proxy", "./cmd/docker-proxy")
    }]
}

/// Builds `docker-proxy` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, COMPONENT, &recipe(opts))
}
