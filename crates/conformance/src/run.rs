//! A conformance run: the pinned trees prepared from the bundle's pins, a suite run against
//! the bundle's binaries and, when asked, against the binaries upstream's own entry points
//! (each component descriptor's) build from the same commits in scratch copies.

use std::sync::atomic::{AtomicBool, Ordering};

use build_core::Upstream;
use build_core::component::{Component, Stamps};
use build_core::progress::Progress;
use build_core::source::Source;
use build_core::toolchain::GoToolchain;
use bundle::{Manifest, SourcePlan};
use camino::{Utf8Path, Utf8PathBuf};

use crate::error::ConformanceError;
use crate::report::SuiteRun;
use crate::upstream::{upstream_bin, upstream_build};
use crate::{ContainerdSuite, Images, MobySuite, RuncSuite};

/// What to run, and where: [`ConformanceOptions::new`], then the fields that differ from its
/// defaults.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ConformanceOptions {
    /// The work folder (suites' copies, scratch trees, logs, a Go build cache).
    pub work: Utf8PathBuf,
    /// Where the test images are kept.
    pub images: Utf8PathBuf,
    /// Only tests whose names match this regular expression.
    pub filter: Option<String>,
    /// Also run the suite against upstream's own build of the same commits.
    pub against_upstream: bool,
    /// moby's test packages (`integration/volume`).
    pub packages: Vec<String>,
}

impl ConformanceOptions {
    /// Runs in `work` with the test images kept in `images`: every test, against the bundle's
    /// binaries only, and no moby package.
    pub fn new(work: Utf8PathBuf, images: Utf8PathBuf) -> ConformanceOptions {
        ConformanceOptions {
            work,
            images,
            filter: None,
            against_upstream: false,
            packages: Vec::new(),
        }
    }
}

/// The runs of one suite: dockyard's, and upstream's build's when asked.
#[derive(Clone, Debug)]
#[non_exhaustive]
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
    let source = built_source(plan, &manifest, bundle, Upstream::Runc, "runc", progress)?;
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
    let stopped = || interrupted.load(Ordering::SeqCst);
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
    let descriptor = bundle::find("runc").ok_or(ConformanceError::NoPin { upstream: "runc" })?;
    let theirs = upstream_build(
        descriptor,
        &source.dir,
        stamps,
        &go,
        &gocache,
        &options.work,
        progress,
    )?;
    let (_, runc) = theirs
        .first()
        .cloned()
        .ok_or(ConformanceError::NoPin { upstream: "runc" })?;
    let upstream = suite.run(
        &runc,
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

/// moby's API integration suite from `plan`'s moby against `bundle`'s binaries (and upstream's
/// build of every component).
pub fn run_moby(
    plan: &SourcePlan,
    bundle: &Utf8Path,
    options: &ConformanceOptions,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<Runs, ConformanceError> {
    let manifest = Manifest::read(bundle)?;
    let moby = built_source(plan, &manifest, bundle, Upstream::Moby, "moby", progress)?;
    let go = GoToolchain::release(&plan.pins.go, plan.cache.is_offline())?;
    let gocache = options.work.join("gocache");
    let frozen = crate::frozen_images(&Images::new(&options.images), &go, &gocache, progress)?;
    let suite = MobySuite::prepare(
        &moby.dir,
        &options.packages,
        &go,
        &gocache,
        &options.work.join("moby"),
        progress,
    )?;
    let filter = options.filter.as_deref();
    let log = |side: &str| options.work.join(format!("moby-{side}.log"));
    let ours = bundle.join("docker");
    let dockyard = suite.run(
        &ours,
        "dockyard",
        &frozen,
        filter,
        &log("dockyard"),
        progress,
        interrupted,
    )?;
    if interrupted.load(Ordering::SeqCst) {
        return Err(ConformanceError::Interrupted);
    }
    if !options.against_upstream {
        return Ok(Runs {
            dockyard,
            upstream: None,
        });
    }
    // Every component as its upstream builds it, side by side in one folder.
    let bin = options.work.join("upstream-bin");
    let components: Vec<&Component> = bundle::COMPONENTS
        .into_iter()
        .filter(|c| c.upstream_build.is_some() && manifest.component(c.name()).is_some())
        .collect();
    upstream_bin(
        plan,
        &manifest,
        bundle,
        &components,
        &bin,
        &go,
        &gocache,
        options,
        progress,
    )?;
    let upstream = suite.run(
        &bin,
        "upstream",
        &frozen,
        filter,
        &log("upstream"),
        progress,
        interrupted,
    )?;
    if interrupted.load(Ordering::SeqCst) {
        return Err(ConformanceError::Interrupted);
    }
    Ok(Runs {
        dockyard,
        upstream: Some(upstream),
    })
}

/// containerd's client suite from `plan`'s containerd against `bundle`'s containerd, shim and
/// runc (and upstream's build of containerd and of runc).
pub fn run_containerd(
    plan: &SourcePlan,
    bundle: &Utf8Path,
    options: &ConformanceOptions,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<Runs, ConformanceError> {
    let manifest = Manifest::read(bundle)?;
    let containerd = built_source(
        plan,
        &manifest,
        bundle,
        Upstream::Containerd,
        "containerd",
        progress,
    )?;
    let go = GoToolchain::release(&plan.pins.go, plan.cache.is_offline())?;
    let gocache = options.work.join("gocache");
    let suite = ContainerdSuite::prepare(
        &containerd.dir,
        &go,
        &gocache,
        &options.work.join("containerd"),
        &Images::new(&options.images),
        progress,
    )?;
    let filter = options.filter.as_deref();
    let log = |side: &str| options.work.join(format!("containerd-{side}.log"));
    let ours = bundle.join("docker");
    let dockyard = suite.run(
        &ours,
        "dockyard",
        filter,
        &log("dockyard"),
        progress,
        interrupted,
    )?;
    if interrupted.load(Ordering::SeqCst) {
        return Err(ConformanceError::Interrupted);
    }
    if !options.against_upstream {
        return Ok(Runs {
            dockyard,
            upstream: None,
        });
    }
    // containerd and runc as their own Makefiles build them, side by side in one folder.
    let bin = options.work.join("upstream-bin-containerd");
    let components = ["containerd", "runc"]
        .map(|name| bundle::find(name).ok_or(ConformanceError::NoPin { upstream: name }));
    let components = components.into_iter().collect::<Result<Vec<_>, _>>()?;
    upstream_bin(
        plan,
        &manifest,
        bundle,
        &components,
        &bin,
        &go,
        &gocache,
        options,
        progress,
    )?;
    let upstream = suite.run(
        &bin,
        "upstream",
        filter,
        &log("upstream"),
        progress,
        interrupted,
    )?;
    if interrupted.load(Ordering::SeqCst) {
        return Err(ConformanceError::Interrupted);
    }
    Ok(Runs {
        dockyard,
        upstream: Some(upstream),
    })
}

/// A fresh `work` folder holding a copy of `tree`'s `integration/`, for a suite run in its own
/// namespaces. Refused under `/run`, `/var/run` or `/var/lib`: the namespace shows its own
/// folders there, which would hide the work folder.
pub(crate) fn copy_suite_into(tree: &Utf8Path, work: &Utf8Path) -> Result<(), ConformanceError> {
    if let Some(hidden) = ["/run", "/var/run", "/var/lib"]
        .into_iter()
        .find(|h| work.starts_with(h))
    {
        return Err(ConformanceError::HiddenWork {
            work: work.to_owned(),
            hidden,
        });
    }
    build_core::fs::remove_dir_all_if_exists(work)
        .map_err(ConformanceError::io("removing", work))?;
    build_core::fs::copy_tree(&tree.join("integration"), &work.join("integration"), &[])
        .map_err(ConformanceError::io("copying the suite to", work))
}

/// `upstream`'s pinned source, prepared, when the bundle's `component` was built from it.
pub(crate) fn built_source(
    plan: &SourcePlan,
    manifest: &Manifest,
    bundle: &Utf8Path,
    upstream: Upstream,
    component: &'static str,
    progress: &dyn Progress,
) -> Result<Source, ConformanceError> {
    let request = plan
        .requests
        .iter()
        .find(|r| r.upstream() == upstream)
        .ok_or(ConformanceError::NoPin {
            upstream: upstream.name(),
        })?;
    let source = plan.cache.prepare(request, progress)?;
    let built = manifest.component(component).map(|c| c.commit.as_str());
    if built != Some(source.commit.as_str()) {
        return Err(ConformanceError::OtherCommit {
            component,
            bundle: bundle.to_owned(),
            built: built.unwrap_or("nothing").to_owned(),
            pinned: source.commit.as_str().to_owned(),
        });
    }
    Ok(source)
}

/// The suites a run runs: [`select_suites`] reads them from the names people give.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Suites {
    /// runc's bats suite.
    pub runc: bool,
    /// containerd's `integration/client`.
    pub containerd: bool,
    /// moby's packages (`integration/volume`); none runs none.
    pub packages: Vec<String>,
}

/// Runs each suite of `suites` (moby's over `options.packages`), each side by side with
/// upstream's build when asked; returns the report of what ran, headed with `command` (see
/// [`crate::report::of_runs`]).
pub fn run_suites(
    command: &str,
    plan: &SourcePlan,
    bundle: &Utf8Path,
    suites: &Suites,
    options: &ConformanceOptions,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<String, ConformanceError> {
    let runc = suites
        .runc
        .then(|| run_runc(plan, bundle, options, progress, interrupted))
        .transpose()?;
    let containerd = suites
        .containerd
        .then(|| run_containerd(plan, bundle, options, progress, interrupted))
        .transpose()?;
    let moby = (!options.packages.is_empty())
        .then(|| run_moby(plan, bundle, options, progress, interrupted))
        .transpose()?;
    Ok(crate::report::of_runs(
        command,
        bundle.as_str(),
        &[
            ("runc's integration suite", runc.as_ref()),
            ("containerd's client integration suite", containerd.as_ref()),
            ("moby's API integration suite", moby.as_ref()),
        ],
    ))
}

/// Which suites run, from names people give: `runc`, `containerd`, `moby` (its default
/// packages), or one moby package (`moby:integration/build`); none means runc's and moby's
/// default packages.
pub fn select_suites(names: &[String]) -> Result<Suites, ConformanceError> {
    let default_moby = || crate::DEFAULT_PACKAGES.iter().map(|p| (*p).to_owned());
    if names.is_empty() {
        return Ok(Suites {
            runc: true,
            containerd: false,
            packages: default_moby().collect(),
        });
    }
    let mut suites = Suites::default();
    for name in names {
        match name.as_str() {
            "runc" => suites.runc = true,
            "containerd" => suites.containerd = true,
            "moby" => suites.packages.extend(default_moby()),
            other => match other.strip_prefix("moby:") {
                Some(package) if package.starts_with("integration/") => {
                    suites.packages.push(package.to_owned())
                }
                _ => return Err(ConformanceError::UnknownSuite(other.to_owned())),
            },
        }
    }
    suites.packages.dedup();
    Ok(suites)
}
