//! Builds `runc` from a pinned (or overridden) source, as runc's own `make static` does:
//! cgo with static libseccomp, tags `seccomp urfave_cli_no_docs` (+ `netgo osusergo` static),
//! `-static-pie` on amd64/arm64, `main.gitCommit` stamped. The version comes from runc's own
//! `VERSION` file, which is part of the source.
//!
//! ```no_run
//! use build_core::progress::Silent;
//! use build_core::source::{Mirror, SourceCache, SourceRequest};
//! use build_core::{pins::Pins, BuildOptions, Upstream};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pin = Pins::load("pins.lock".into())?.get(Upstream::Runc).cloned().expect("pinned");
//! let cache = SourceCache::new("/tmp/dockyard-cache".into())?;
//! let request = SourceRequest::Pinned { mirror: Some(Mirror::Path("/srv/runc.git".into())), pin: pin.clone() };
//! let source = cache.prepare(&request, &Silent)?;
//! let artifacts = runc_build::build(&BuildOptions::new(source, pin.version, "out".into(), "work".into()))?;
//! println!("{}", artifacts.binaries[0].path);
//! # Ok(()) }
//! ```

use build_core::go::{self, GoBinary};
pub use build_core::{Artifacts, BuildError as Error, BuildOptions};

/// The component's name in logs and messages.
pub const COMPONENT: &str = "runc";
/// What this crate builds.
pub const BINARIES: &[&str] = &["runc"];
/// Bumped whenever the recipe changes what it produces (part of the bundle's cache key).
pub const RECIPE_VERSION: u32 = 1;

/// The recipe, as data (runc's Makefile at v1.4.3).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let arch = opts.target.arch.as_str();
    let pie = matches!(
        arch,
        "386" | "amd64" | "arm" | "arm64" | "loong64" | "ppc64le" | "riscv64" | "s390x"
    );
    let static_pie = matches!(arch, "amd64" | "arm64");
    vec![GoBinary {
        cgo: true,
        tags: vec!["seccomp", "urfave_cli_no_docs"],
        static_tags: vec!["netgo", "osusergo"],
        stamps: vec![("main.gitCommit", opts.commit_dirty(40))],
        buildmode: pie.then_some("pie"),
        static_buildmode: static_pie.then_some("pie"),
        static_ldflags: if static_pie {
            vec!["-linkmode external", "-extldflags -static-pie"]
        } else {
            vec!["-extldflags -static"]
        },
        ..GoBinary::new("runc", ".")
    }]
}

/// Builds `runc` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build(opts, COMPONENT, &recipe(opts))
}
