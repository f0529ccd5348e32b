#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
use build_core::go;
pub use build_core::go::GoBinary;
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
pub use build_core::clib::CLibrarySpec;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// libseccomp, which runc links for its seccomp support (cgo finds it through pkg-config).
pub const LIBSECCOMP: CLibrarySpec = CLibrarySpec {
    name: "libseccomp",
    static_name: "libseccomp (static)",
    pkg_config: "libseccomp",
    archive: "libseccomp.a",
    dev_package: "libseccomp-dev",
    runtime_package: "libseccomp2",
    why: "runc links it for seccomp support",
};

/// runc, as every verb sees it.
pub const COMPONENT: Component =
    Component::new(&build_core::component_specs::RUNC, Upstream::Runc, build)
        .with_recipe_version(1)
        .with_tools(&[
            Tool::Go,
            Tool::CCompiler,
            Tool::PkgConfig,
            Tool::CLibrary(&LIBSECCOMP),
            Tool::StaticLibc,
        ])
        .with_supported(&["1.1.", "1.2.", "1.3.", "1.4."])
        .with_upstream_build(UpstreamBuild {
            command: &["make", "static", "COMMIT={commit}"],
            env: &[],
            outputs: &[("runc", "runc")],
        });

/// The recipe, as data (runc's Makefile at v1.4.3, v1.3.3, v1.2.4 and v1.1.13).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let arch = opts.target.arch.as_str();
    let line_1_1 = opts.release_line() < (1, 2);
    let pie = matches!(
        arch,
        "386" | "amd64" | "arm" | "arm64" | "ppc64le" | "riscv64" | "s390x"
    ) || (arch == "loong64" && !line_1_1);
    let static_pie = matches!(arch, "amd64" | "arm64");
    let mut stamps = vec![("main.gitCommit".to_owned(), opts.commit_dirty(40))];
    // Before 1.3 main.go does not embed VERSION: the Makefile passes it as main.version.
    // Since, VERSION is embedded and the Makefile's EXTRA_VERSION becomes main.extraVersion.
    if opts.release_line() < (1, 3) {
        stamps.push(("main.version".to_owned(), opts.version_dirty()));
    } else if !opts.version_suffix().is_empty() {
        stamps.push(("main.extraVersion".to_owned(), opts.version_suffix()));
    }
    vec![GoBinary {
        cgo: true,
        // 1.1's urfave/cli has no docs to leave out: its Makefile's tags are `seccomp` alone.
        tags: if line_1_1 {
            vec!["seccomp"]
        } else {
            vec!["seccomp", "urfave_cli_no_docs"]
        },
        static_tags: vec!["netgo", "osusergo"],
        stamps,
        buildmode: pie.then_some("pie"),
        static_buildmode: static_pie.then_some("pie"),
        static_ldflags: if static_pie {
            // 1.1's Makefile spells it `--static-pie` (gcc takes both).
            let static_pie = if line_1_1 {
                "-extldflags --static-pie"
            } else {
                "-extldflags -static-pie"
            };
            vec!["-linkmode external", static_pie]
        } else {
            vec!["-extldflags -static"]
        },
        ..GoBinary::new("runc", ".")
    }]
}

/// Builds `runc` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
