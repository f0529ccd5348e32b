//! Builds `containerd`, `containerd-shim-runc-v2` and `ctr` from a pinned (or overridden)
//! source, as containerd's `make STATIC=1 bin/containerd bin/ctr bin/containerd-shim-runc-v2`
//! does: `urfave_cli_no_docs` always, `osusergo netgo static_build` static, stripped (`-s -w`),
//! the shim with cgo off and `no_grpc`, and `version.{Version,Revision,Package}` stamped.
//!
//! See `runc_build` for a complete example; every component crate is called the same way.

use build_core::go::{self, GoBinary};
pub use build_core::{Artifacts, BuildError as Error, BuildOptions};

/// The component's name in logs and messages.
pub const COMPONENT: &str = "containerd";
/// What this crate builds.
pub const BINARIES: &[&str] = &["containerd", "containerd-shim-runc-v2", "ctr"];
/// Bumped whenever the recipe changes what it produces (part of the bundle's cache key).
pub const RECIPE_VERSION: u32 = 1;

const PACKAGE: &str = "github.com/containerd/containerd/v2";

/// The recipe, as data (containerd's Makefile and Makefile.linux at v2.3.3).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let stamps = vec![
        (
            "github.com/containerd/containerd/v2/version.Version",
            format!("v{}", opts.version_dirty()),
        ),
        (
            "github.com/containerd/containerd/v2/version.Revision",
            opts.commit_dirty(40),
        ),
        (
            "github.com/containerd/containerd/v2/version.Package",
            PACKAGE.to_owned(),
        ),
    ];
    let pie = !matches!(
        opts.target.arch.as_str(),
        "mips" | "mipsle" | "mips64" | "mips64le" | "ppc64"
    );
    let daemon = |name, package| GoBinary {
        cgo: true,
        tags: vec!["urfave_cli_no_docs"],
        static_tags: vec!["osusergo", "netgo", "static_build"],
        stamps: stamps.clone(),
        ldflags: vec!["-s", "-w"],
        static_ldflags: vec!["-extldflags -static"],
        buildmode: pie.then_some("pie"),
        ..GoBinary::new(name, package)
    };
    vec![
        daemon("containerd", "./cmd/containerd"),
        // Cgo off and no PIE: the shim is static in every build (Makefile, golang/go#17789).
        GoBinary {
            cgo: false,
            tags: vec!["urfave_cli_no_docs", "no_grpc"],
            buildmode: None,
            ..daemon("containerd-shim-runc-v2", "./cmd/containerd-shim-runc-v2")
        },
        daemon("ctr", "./cmd/ctr"),
    ]
}

/// Builds the three binaries into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, COMPONENT, &recipe(opts))
}
