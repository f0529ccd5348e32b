//! Builds `containerd`, `containerd-shim-runc-v2` and `ctr` from a pinned (or overridden)
//! source, as containerd's `make STATIC=1 bin/containerd bin/ctr bin/containerd-shim-runc-v2`
//! does: `urfave_cli_no_docs` always, `osusergo netgo static_build` static, stripped (`-s -w`),
//! the shim with cgo off and `no_grpc`, and `version.{Version,Revision,Package}` stamped.
//!
//! See `runc_build` for a complete example; every component crate is called the same way.

pub use build_core::BuildError as Error;
use build_core::go::{self, GoBinary};
pub use build_core::prelude::*;

/// containerd, its runc shim and ctr, as every verb sees them.
pub const COMPONENT: Component = Component {
    name: "containerd",
    upstream: Upstream::Containerd,
    binaries: &["containerd", "containerd-shim-runc-v2", "ctr"],
    recipe_version: 1,
    tools: &[Tool::Go, Tool::CCompiler, Tool::StaticLibc],
    version_probes: &[
        VersionProbe {
            binary: "containerd",
            args: &["--version"],
            shows: &["v{version} {commit}"],
        },
        VersionProbe {
            binary: "containerd-shim-runc-v2",
            args: &["-v"],
            shows: &["v{version}", "{commit}"],
        },
        VersionProbe {
            binary: "ctr",
            args: &["--version"],
            shows: &["v{version}"],
        },
    ],
    build,
};

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
    go::build(opts, COMPONENT.name, &recipe(opts))
}
