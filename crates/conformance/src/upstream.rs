//! Upstream's own builds of the commits a bundle was built from, for the side of a run that
//! is not dockyard's: each component's entry point (its descriptor's `UpstreamBuild`) in a
//! scratch copy of its tree.

use build_core::component::{Component, Stamps};
use build_core::progress::Progress;
use build_core::toolchain::GoToolchain;
use bundle::{Manifest, SourcePlan};
use camino::{Utf8Path, Utf8PathBuf};

use crate::ConformanceOptions;
use crate::error::ConformanceError;

/// `components` as their own entry points build them from the commits the bundle was built
/// from, linked side by side into `bin` (made afresh).
#[allow(clippy::too_many_arguments)]
pub(crate) fn upstream_bin(
    plan: &SourcePlan,
    manifest: &Manifest,
    bundle: &Utf8Path,
    components: &[&Component],
    bin: &Utf8Path,
    go: &GoToolchain,
    gocache: &Utf8Path,
    options: &ConformanceOptions,
    progress: &dyn Progress,
) -> Result<(), ConformanceError> {
    build_core::fs::remove_dir_all_if_exists(bin).map_err(ConformanceError::io("removing", bin))?;
    std::fs::create_dir_all(bin).map_err(ConformanceError::io("creating", bin))?;
    for component in components {
        let name = component.name();
        let built = manifest
            .component(name)
            .ok_or(ConformanceError::NoPin { upstream: name })?;
        let source =
            crate::run::built_source(plan, manifest, bundle, component.upstream, name, progress)?;
        let stamps = Stamps {
            version: &built.version,
            commit: source.commit.as_str(),
        };
        let outputs = upstream_build(
            component,
            &source.dir,
            stamps,
            go,
            gocache,
            &options.work,
            progress,
        )?;
        for (name, path) in outputs {
            std::os::unix::fs::symlink(&path, bin.join(&name))
                .map_err(ConformanceError::io("linking", bin.join(&name)))?;
        }
    }
    Ok(())
}

/// `component`'s binaries as its own entry point builds them (its descriptor's), in a scratch
/// copy of `tree`: each installed name with its path.
pub(crate) fn upstream_build(
    descriptor: &build_core::component::Component,
    tree: &Utf8Path,
    stamps: Stamps<'_>,
    go: &GoToolchain,
    gocache: &Utf8Path,
    work: &Utf8Path,
    progress: &dyn Progress,
) -> Result<Vec<(String, Utf8PathBuf)>, ConformanceError> {
    let component = descriptor.name();
    let build = descriptor
        .upstream_build
        .as_ref()
        .ok_or(ConformanceError::NoPin {
            upstream: "upstream build",
        })?;
    let scratch = work.join("upstream").join(component);
    build_core::fs::remove_dir_all_if_exists(&scratch)
        .map_err(ConformanceError::io("removing", &scratch))?;
    build_core::fs::copy_tree(tree, &scratch, &[build_core::source::READY_MARKER])
        .map_err(ConformanceError::io("copying the tree to", &scratch))?;
    progress.status(
        "Building",
        &format!("{component} with its own entry point in {scratch}"),
    );
    let log = work.join(format!("upstream-{component}-build.log"));
    let _ = std::fs::remove_file(&log);
    build
        .command_in(&scratch, stamps, &go.gotoolchain, gocache)
        .run_logged(&log)?;
    Ok(build
        .outputs
        .iter()
        .map(|(name, path)| ((*name).to_owned(), scratch.join(path)))
        .collect())
}
