#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
use build_core::cmake;
pub use build_core::cmake::CmakeTarget;
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// docker-init, as every verb sees it.
pub const COMPONENT: Component = Component::new(&build_core::component_specs::TINI, Upstream::Tini, build)
    .with_recipe_version(2)
    .with_tools(&[Tool::CMake, Tool::Make, Tool::CCompiler, Tool::StaticLibc])
    .with_supported(&["0.19."])
    .with_upstream_build(UpstreamBuild {
        command: &[
            "sh",
            "-c",
            "cmake -S . -B build -DCMAKE_POLICY_VERSION_MINIMUM=3.5 >/dev/null && make -C build tini-static",
        ],
        env: &[],
        outputs: &[("docker-init", "build/tini-static")],
    });

/// The recipe, as data (tini's CMakeLists.txt at v0.19.0).
///
/// Always `tini-static`, in dynamic builds too: dockerd bind-mounts docker-init into containers
/// as their PID 1, where the image may have no libc at all.
pub fn recipe(opts: &BuildOptions) -> CmakeTarget {
    let mut header_strings = vec![(
        "tiniConfig.h",
        "TINI_GIT",
        format!(" - git.{}", opts.commit_dirty(7)),
    )];
    // A patched tini says so where every patched binary does: right after its version.
    if let Some(marker) = opts.source.patch_marker() {
        header_strings.push((
            "tiniConfig.h",
            "TINI_VERSION",
            format!("{}{marker}", opts.version),
        ));
    }
    CmakeTarget {
        target: "tini-static",
        name: "docker-init",
        defines: Vec::new(),
        header_strings,
    }
}

/// Builds `docker-init` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    cmake::build(opts, &COMPONENT, &recipe(opts))
}
