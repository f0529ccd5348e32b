//! Builds `docker-init` (tini) from a pinned (or overridden) source with CMake, out of the
//! source tree. tini reads its ` - git.<short>` suffix from `.git`, which a pinned tree lacks,
//! so the recipe sets it in the configured header; dockerd parses it from
//! `docker-init --version` for `docker info`.
//!
//! See `runc_build` for a complete example; every component crate is called the same way.

use build_core::cmake::{self, CmakeTarget};
pub use build_core::{Artifacts, BuildError as Error, BuildOptions};

/// The component's name in logs and messages.
pub const COMPONENT: &str = "tini";
/// What this crate builds.
pub const BINARIES: &[&str] = &["docker-init"];
/// Bumped whenever the recipe changes what it produces (part of the bundle's cache key).
pub const RECIPE_VERSION: u32 = 2;

/// The recipe, as data (tini's CMakeLists.txt at v0.19.0).
///
/// Always `tini-static`, in dynamic builds too: dockerd bind-mounts docker-init into containers
/// as their PID 1, where the image may have no libc at all.
pub fn recipe(opts: &BuildOptions) -> CmakeTarget {
    CmakeTarget {
        target: "tini-static",
        name: "docker-init",
        defines: Vec::new(),
        header_strings: vec![(
            "tiniConfig.h",
            "TINI_GIT",
            format!(" - git.{}", opts.commit_dirty(7)),
        )],
    }
}

/// Builds `docker-init` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    cmake::build(opts, COMPONENT, &recipe(opts))
}
