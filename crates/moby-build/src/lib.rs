#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
pub use build_core::go::GoBinary;
use build_core::go::{self, ModuleFile};
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// dockerd, as every verb sees it.
pub const COMPONENT: Component =
    Component::new(&build_core::component_specs::MOBY, Upstream::Moby, build)
        // 2: ships the rootless scripts.
        .with_recipe_version(2)
        .with_tools(&[Tool::Go, Tool::CCompiler, Tool::StaticLibc])
        .with_supported(build_core::upstream::DOCKER_RELEASE_LINES)
        // One entry point builds dockerd and docker-proxy.
        .with_upstream_build(UpstreamBuild {
            command: &["hack/make.sh", "binary"],
            env: &[("DOCKER_GITCOMMIT", "{commit:7}"), ("VERSION", "{version}")],
            outputs: &[
                ("dockerd", "bundles/binary-daemon/dockerd"),
                ("docker-proxy", "bundles/binary-daemon/docker-proxy"),
            ],
        });

/// What differs between moby's release lines.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Line {
    /// The Go module (`go.mod` from 29: `github.com/moby/moby/v2`; before, `vendor.mod`:
    /// `github.com/docker/docker`, which upstream links to `go.mod` with `hack/with-go-mod.sh`).
    pub module: &'static str,
    /// Which file declares it.
    pub module_file: ModuleFile,
    /// Tags of every build (`hack/make.sh`); `nri_no_wasm` from 29.
    pub tags: &'static [&'static str],
}

/// The line `opts.version` belongs to.
pub fn line(opts: &BuildOptions) -> Line {
    if opts.release_line().0 >= 29 {
        Line {
            module: "github.com/moby/moby/v2",
            module_file: ModuleFile::GoMod,
            tags: &["nri_no_wasm"],
        }
    } else {
        Line {
            module: "github.com/docker/docker",
            module_file: ModuleFile::VendorMod,
            tags: &[],
        }
    }
}

/// Tags added to static builds; dropped for dynamic ones, as `hack/make/dynbinary-daemon` does.
pub const STATIC_TAGS: &[&str] = &["netgo", "osusergo", "static_build"];

/// `hack/make/.go-autogen`: the `dockerversion` variables, shared with `docker-proxy`.
/// `PlatformName`, `ProductName` and `DefaultProductLicense` stay empty, as in a from-source
/// build: they name Docker's own products.
pub fn stamps(opts: &BuildOptions) -> Vec<(String, String)> {
    let module = line(opts).module;
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

/// The recipe, as data (`hack/make.sh`, `hack/make/.binary`, `binary-daemon` at docker-v29.7.2,
/// v28.5.2 and v27.5.1).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let line = line(opts);
    let pie = !matches!(
        opts.target.arch.as_str(),
        "mips" | "mipsle" | "mips64" | "mips64le" | "ppc64"
    );
    // cgo is optional for dockerd (btrfs and quota helpers): off where static cgo binaries do
    // not start.
    vec![GoBinary {
        cgo: opts.linkage == Linkage::Dynamic || opts.target.static_cgo(),
        tags: line.tags.to_vec(),
        static_tags: STATIC_TAGS.to_vec(),
        stamps: stamps(opts),
        ldflags: vec!["-w"],
        static_ldflags: vec!["-extldflags -static"],
        buildmode: pie.then_some("pie"),
        module_file: line.module_file,
        ..GoBinary::new("dockerd", "./cmd/dockerd")
    }]
}

/// Builds `dockerd` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, &COMPONENT, &recipe(opts))
}
