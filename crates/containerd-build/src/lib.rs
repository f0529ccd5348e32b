#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
use build_core::go;
pub use build_core::go::GoBinary;
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// containerd, its runc shim and ctr, as every verb sees them.
pub const COMPONENT: Component = Component::new(
    &build_core::component_specs::CONTAINERD,
    Upstream::Containerd,
    build,
)
.with_recipe_version(1)
.with_tools(&[Tool::Go, Tool::CCompiler, Tool::StaticLibc])
.with_supported(&["1.7.", "2."])
.with_upstream_build(UpstreamBuild {
    command: &[
        "make",
        "STATIC=1",
        "bin/containerd",
        "bin/ctr",
        "bin/containerd-shim-runc-v2",
        "VERSION=v{version}",
        "REVISION={commit}",
    ],
    env: &[],
    outputs: &[
        ("containerd", "bin/containerd"),
        ("ctr", "bin/ctr"),
        ("containerd-shim-runc-v2", "bin/containerd-shim-runc-v2"),
    ],
});

/// The Go module of a release line: `github.com/containerd/containerd/v2` from 2.0, without
/// `/v2` in 1.7. Its `version` package holds the stamped variables.
pub fn module(opts: &BuildOptions) -> &'static str {
    if opts.release_line().0 >= 2 {
        "github.com/containerd/containerd/v2"
    } else {
        "github.com/containerd/containerd"
    }
}

/// The recipe, as data (containerd's Makefile and Makefile.linux at v2.3.3 and v1.7.28).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let module = module(opts);
    let stamps = vec![
        (
            format!("{module}/version.Version"),
            format!("v{}", opts.version_dirty()),
        ),
        (format!("{module}/version.Revision"), opts.commit_dirty(40)),
        (format!("{module}/version.Package"), module.to_owned()),
    ];
    let pie = !matches!(
        opts.target.arch.as_str(),
        "mips" | "mipsle" | "mips64" | "mips64le" | "ppc64"
    );
    // cgo is optional for containerd (pkcs11, btrfs): off where static cgo binaries do not start.
    let cgo = opts.linkage == Linkage::Dynamic || opts.target.static_cgo();
    let daemon = |name, package| GoBinary {
        cgo,
        tags: vec!["urfave_cli_no_docs"],
        static_tags: vec!["osusergo", "netgo", "static_build"],
        stamps: stamps.clone(),
        ldflags: vec!["-s", "-w"],
        static_ldflags: vec!["-extldflags -static"],
        buildmode: pie.then_some("pie"),
        ..GoBinary::new(name, package)
    };
    // 2.x builds the shim without gRPC (SHIM_GO_BUILDTAGS); 1.7 with the common tags.
    let shim_tags = if opts.release_line().0 >= 2 {
        vec!["urfave_cli_no_docs", "no_grpc"]
    } else {
        vec!["urfave_cli_no_docs"]
    };
    vec![
        daemon("containerd", "./cmd/containerd"),
        // Cgo off and no PIE: the shim is static in every build (Makefile, golang/go#17789).
        GoBinary {
            cgo: false,
            tags: shim_tags,
            buildmode: None,
            ..daemon("containerd-shim-runc-v2", "./cmd/containerd-shim-runc-v2")
        },
        daemon("ctr", "./cmd/ctr"),
    ]
}

/// Builds the three binaries into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
