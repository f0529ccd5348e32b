//! A conformance run: the pinned runc tree prepared from the bundle's pins, its suite run
//! against the bundle's `runc` and, when asked, against the `runc` that runc's own `make
//! static` builds from the same commit in a scratch copy.

use std::sync::atomic::AtomicBool;

use build_core::Upstream;
use build_core::component::Stamps;
use build_core::progress::Progress;
use build_core::toolchain::GoToolchain;
use bundle::{Manifest, SourcePlan};
use camino::{Utf8Path, Utf8PathBuf};

use crate::error::ConformanceError;
use crate::report::SuiteRun;
use crate::{Images, RuncSuite};

/// What to run, and where.
#[derive(Clone, Debug)]
pub struct ConformanceOptions {
    /// The work folder (suites' copies, scratch trees, logs, a Go build cache).
    pub work: Utf8PathBuf,
    /// Where the test images are kept.
    pub images: Utf8PathBuf,
    /// Only tests whose names match this regular expression.
    pub filter: Option<String>,
    /// Also run the suite against upstream's own build of the same commits.
    pub against_upstream: bool,
}

/// The runs of one suite: dockyard's, and upstream's build's when asked.
#[derive(Clone, Debug)]
pub struct Runs {
    /// Against the bundle's binaries.
    pub dockyard: SuiteRun,
    /// Against upstream's build of the same commits.
    pub upstream: Option<SuiteRun>,
}

/// runc's suite from `plan`'s runc against `bundle`'s runc (and upstream's build).
pub fn run_runc(
    plan: &SourcePlan,
    bundle: &Utf8Path,
    options: &ConformanceOptions,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<Runs, ConformanceError> {
    let manifest = Manifest::read(bundle)?;
    let request = plan
        .requests
        .iter()
        .find(|r| r.upstream() == Upstream::Runc)
        .ok_or(ConformanceError::NoPin { upstream: "runc" })?;
    let source = plan.cache.prepare(request, progress)?;
    let built = manifest.component("runc").map(|c| c.commit.as_str());
    if built != Some(source.commit.as_str()) {
        return Err(ConformanceError::OtherCommit {
            bundle: bundle.to_owned(),
            built: built.unwrap_or("nothing").to_owned(),
            pinned: source.commit.as_str().to_owned(),
        });
    }
    let go = GoToolchain::release(&plan.pins.go, plan.cache.is_offline())?;
    let gocache = options.work.join("gocache");
    let images = Images::new(&options.images);
    let suite = RuncSuite::prepare(
        &source.dir,
        &go,
        &gocache,
        &options.work.join("runc"),
        &images,
        progress,
    )?;
    let filter = options.filter.as_deref();
    let log = |side: &str| options.work.join(format!("runc-{side}.log"));
    let ours = bundle.join("docker/runc");
    let dockyard = suite.run(
        &ours,
        "dockyard",
        filter,
        &log("dockyard"),
        progress,
        interrupted,
    )?;
    // A part of a suite is no result to report.
    let stopped = || interrupted.load(std::sync::atomic::Ordering::SeqCst);
    if stopped() {
        return Err(ConformanceError::Interrupted);
    }
    if !options.against_upstream {
        return Ok(Runs {
            dockyard,
            upstream: None,
        });
    }
    let stamps = Stamps {
        version: &manifest
            .component("runc")
            .map(|c| c.version.clone())
            .unwrap_or_default(),
        commit: source.commit.as_str(),
    };
    let theirs = upstream_build(&source.dir, stamps, &go, &gocache, &options.work, progress)?;
    let upstream = suite.run(
        &theirs,
        "upstream",
        filter,
        &log("upstream"),
        progress,
        interrupted,
    )?;
    if stopped() {
        return Err(ConformanceError::Interrupted);
    }
    Ok(Runs {
        dockyard,
        upstream: Some(upstream),
    })
}

/// runc as runc's own entry point builds it (its descriptor's), in a scratch copy of `tree`.
fn upstream_build(
    tree: &Utf8Path,
    stamps: Stamps<'_>,
    go: &GoToolchain,
    gocache: &Utf8Path,
    work: &Utf8Path,
    progress: &dyn Progress,
) -> Result<Utf8PathBuf, ConformanceError> {
    let component = bundle::building("runc").ok_or(ConformanceError::NoPin { upstream: "runc" })?;
    let build = component
        .upstream_build
        .as_ref()
        .ok_or(ConformanceError::NoPin { upstream: "runc" })?;
    let scratch = work.join("upstream/runc");
    build_core::fs::remove_dir_all_if_exists(&scratch)
        .map_err(ConformanceError::io("removing", &scratch))?;
    build_core::fs::copy_tree(tree, &scratch, &[build_core::source::READY_MARKER])
        .map_err(ConformanceError::io("copying the tree to", &scratch))?;
    progress.status(
        "Building",
        &format!("runc with its own entry point in {scratch}"),
    );
    let log = work.join("upstream-runc-build.log");
    let _ = std::fs::remove_file(&log);
    build
        .command_in(&scratch, stamps, &go.gotoolchain, gocache)
        .run_logged(&log)?;
    let (_, output) = build.outputs.first().copied().unwrap_or(("runc", "runc"));
    Ok(scratch.join(output))
}
