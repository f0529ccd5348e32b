//! One bundle run: check everything, prepare sources, build what changed, publish.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use build_core::lock::FileLock;
use build_core::progress::Progress;
use build_core::source::{Origin, Source, SourceRequest};
use build_core::{Artifact, Artifacts, Component, Linkage, Target, Upstream};
use camino::Utf8PathBuf;

use crate::BundleError;
use crate::artifacts::{BuildEnv, BuiltComponent, Provenance, Reuse, build_component};
use crate::output::check_output_dir;
use crate::publish::{Bundle, Published, publish};
use crate::sources::SourcePlan;

/// What to build and where to publish it: [`BundleRequest::new`], then the fields that
/// differ from its defaults.
#[derive(Debug)]
#[non_exhaustive]
pub struct BundleRequest<'a> {
    /// Pins, sources and the cache.
    pub plan: &'a SourcePlan,
    /// The components to build, in build order; all of them for a bundle.
    pub components: Vec<&'static Component>,
    /// Static or dynamic.
    pub linkage: Linkage,
    /// The platform.
    pub target: Target,
    /// Bundles are published as `out/docker-VERSION/`.
    pub out: Utf8PathBuf,
    /// Components built at once.
    pub jobs: usize,
    /// Publish a bundle (false: build into the cache only).
    pub publish: bool,
    /// Which Go builds it.
    pub go: GoChoice,
    /// Go binaries built for a debugger (see [`build_core::BuildOptions::debug`]), published
    /// as `docker-VERSION-debug/`.
    pub debug: bool,
    /// The team's registries: components are pulled from them before a build and pushed to
    /// them after one (off the critical path: publishing does not wait for a push).
    pub shared: Option<Arc<crate::shared::SharedCache>>,
    /// Go's build cache shared with the team: every Go build's `GOCACHEPROG` (see
    /// [`build_core::BuildOptions::go_cache_program`]) and, through a registry, each
    /// component's pack fetched before its build and pushed after it (beside the run, which
    /// ends when the pushes have).
    pub go_cache: Option<crate::GoCacheSharing>,
    /// Write the published bundle's SLSA provenance beside it, signed or not (see
    /// [`provenance::attest`]).
    pub provenance: Option<provenance::Signing>,
}

/// Components built at once by default: Go compiles on every core, so a cold build runs half
/// the cores' worth of components at once (measured on two cores: two at once were 5% slower
/// than one). A rebuild for a restart (`up --watch`, not `publish`) finds all but the edited
/// packages in Go's cache, so it is mostly one-threaded links: one per core.
pub fn default_jobs(publish: bool) -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get() / if publish { 2 } else { 1 })
        .max(1 + usize::from(!publish))
}

impl<'a> BundleRequest<'a> {
    /// A bundle of `components` from `plan`, published into `out`, with the command line's
    /// defaults: statically linked for this machine ([`Target::host`]) by the Go `pins.lock`
    /// names ([`GoChoice::Pinned`]), half the available cores' worth of components at once
    /// (at least one: Go already compiles on every core, and on two cores a second build only
    /// contends), published, not for a debugger, with no team's cache and Go's own build cache.
    pub fn new(
        plan: &'a SourcePlan,
        components: Vec<&'static Component>,
        out: Utf8PathBuf,
    ) -> BundleRequest<'a> {
        BundleRequest {
            plan,
            components,
            linkage: Linkage::Static,
            target: Target::host(),
            out,
            jobs: default_jobs(true),
            publish: true,
            go: GoChoice::Pinned,
            debug: false,
            shared: None,
            go_cache: None,
            provenance: None,
        }
    }

    /// Builds into the cache only, publishing nothing, one component per core (at least two):
    /// a rebuild for a restart (`up --watch`) finds all but the edited packages in Go's cache,
    /// so it is mostly one-threaded links.
    pub fn unpublished(mut self) -> BundleRequest<'a> {
        self.publish = false;
        self.jobs = default_jobs(false);
        self
    }
}

/// Which Go builds a bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoChoice {
    /// Exactly the release `pins.lock` names, through Go's `GOTOOLCHAIN` (downloaded once by
    /// Go itself when missing).
    Pinned,
    /// The `go` on `PATH`, honouring the user's `GOTOOLCHAIN`.
    Local,
}

/// What a run produced.
#[derive(Debug)]
pub enum Outcome {
    /// A bundle folder (new, or already holding exactly this bundle).
    Published(Published),
    /// Components built into the cache, nothing published.
    Built(Vec<BuiltComponent>),
}

/// Checks flags, tools and the output folder before anything is fetched or written, then
/// prepares sources, builds each component (or takes it from the cache) and publishes.
pub fn build_bundle(
    request: &BundleRequest<'_>,
    progress: Arc<dyn Progress>,
) -> Result<Outcome, BundleError> {
    let plan = request.plan;
    check_target(request)?;
    crate::environment::check_versions(request)?;
    check_output_dir(&request.out, &plan.read_only_trees())?;
    let checked = crate::environment::check_toolchain(request, progress.as_ref())?;
    let out = &request.out;
    std::fs::create_dir_all(out).map_err(BundleError::io("creating the output folder", out))?;
    let lock_path = out.join(".dockyard.lock");
    let _out_lock = FileLock::acquire(
        &lock_path,
        &format!("the output folder {out}"),
        progress.as_ref(),
    )
    .map_err(BundleError::io("locking the output folder", &lock_path))?;

    let version = checked.version.clone();
    let (env, sources) = crate::environment::prepare(request, checked, progress.clone())?;
    // Pushes to the team's registries run beside the builds and the publishing, and the run
    // ends when they have.
    let (to_push, pushes) = std::sync::mpsc::channel::<BuiltComponent>();
    std::thread::scope(|outer| {
        let env = &env;
        let shared = env.shared.as_deref().filter(|s| s.pushes());
        let go = env.go_cache.as_ref().filter(|g| g.has_packs());
        if shared.is_some() || go.is_some() {
            outer.spawn(move || {
                for built in pushes {
                    if let Some(shared) = shared {
                        report_pushes(env, &built, shared);
                    }
                    if let (Some(go), Some(pack)) = (go, &built.go_pack) {
                        crate::go_cache::push(env, go, built.component, pack);
                    }
                }
            });
        }
        build_and_publish(env, request, &sources, version, to_push, progress.as_ref())
    })
}

/// What the target's download cannot be made of, refused before anything is fetched: a
/// component it does not hold (`--only runc` for Windows), or a dynamic build of a system
/// Docker ships only statically.
pub(crate) fn check_target(request: &BundleRequest<'_>) -> Result<(), BundleError> {
    let target = &request.target;
    let refuse = |problem: String| BundleError::Target {
        target: target.clone(),
        problem,
    };
    let Some(layout) = target.layout() else {
        return Err(refuse("Docker ships no download for it".into()));
    };
    if let Some(c) = request.components.iter().find(|c| !layout.holds(c.spec)) {
        let holds: Vec<&str> = layout.components().iter().map(|c| c.name).collect();
        return Err(refuse(format!(
            "Docker's {} download has no {}: it holds {}",
            layout.name(),
            c.name(),
            holds.join(", ")
        )));
    }
    if !target.has_cgo() && request.linkage == Linkage::Dynamic {
        return Err(refuse(format!(
            "Docker's {} download is built with cgo off, statically linked only; there is no dynamic build of it",
            layout.name()
        )));
    }
    Ok(())
}

fn report_pushes(env: &BuildEnv, built: &BuiltComponent, shared: &crate::shared::SharedCache) {
    let name = built.component.name();
    for (registry, outcome) in shared.push(env, built.component, &built.key, &built.artifacts) {
        match outcome {
            Ok(true) => env
                .progress
                .status("Pushed", &format!("{name} to {registry}")),
            Ok(false) => {}
            Err(why) => env.progress.status(
                "Warning",
                &format!("{name} was not pushed to {registry} ({why}); the build is intact"),
            ),
        }
    }
}

fn build_and_publish(
    env: &BuildEnv,
    request: &BundleRequest<'_>,
    sources: &BTreeMap<Upstream, Source>,
    version: String,
    to_push: std::sync::mpsc::Sender<BuiltComponent>,
    progress: &dyn Progress,
) -> Result<Outcome, BundleError> {
    let plan = request.plan;
    let out = &request.out;
    let built = std::thread::scope(|scope| {
        let members = plan.cache.layout().tgz_members();
        let prefix = cached_prefix(env, request, sources);
        if request.publish && tgz(env) && !prefix.is_empty() {
            // A cache: if staging fails, publishing copies the members itself.
            let epoch = env.source_date_epoch;
            scope.spawn(move || {
                let prefix: Vec<&Artifact> = prefix.iter().collect();
                let _ = crate::tgz::stage_prefix(&prefix, epoch, &members);
            });
        }
        build_all(env, request, sources, &to_push)
    })?;
    drop(to_push);
    if !request.publish {
        return Ok(Outcome::Built(built));
    }
    let bundle = Bundle {
        version,
        docker_release: env.docker_release,
        linkage: env.linkage,
        target: env.target.clone(),
        source_date_epoch: env.source_date_epoch,
        debug: env.debug,
        c_compiler: env.cc.clone(),
        components: built,
    };
    let published = publish(out, &bundle, &plan.cache.layout().tgz_members(), progress)?;
    if let Some(signing) = &request.provenance {
        let made = provenance::attest(&published.dir, None, signing)?;
        progress.status("Attested", &made.to_string());
    }
    Ok(Outcome::Published(published))
}

/// Whether the static archive is a tgz, whose members are compressed and staged while the rest
/// compiles (Windows' is a zip, written whole when it is published).
fn tgz(env: &BuildEnv) -> bool {
    env.target
        .layout()
        .is_none_or(|l| l.packing() == bundle_format::Packing::Tgz)
}

/// The binaries that begin the bundle's tgz (sorted by name) up to the first one that must be
/// built, when something must be: what can be staged while it compiles.
fn cached_prefix(
    env: &BuildEnv,
    request: &BundleRequest<'_>,
    sources: &BTreeMap<Upstream, Source>,
) -> Vec<Artifact> {
    // The static tgz's binaries: the plugins have tarballs of their own.
    let mut binaries: Vec<(&str, &Component)> = request
        .components
        .iter()
        .flat_map(|c| (c.binaries_for(env.docker_release).into_iter()).map(move |b| (b, *c)))
        .filter(|(b, _)| {
            bundle_format::building(b).map(|c| c.archive) == Some(bundle_format::Archive::Static)
        })
        .collect();
    binaries.sort_by_key(|(binary, _)| *binary);
    let mut known: BTreeMap<&str, Option<Artifacts>> = BTreeMap::new();
    let mut prefix = Vec::new();
    for (binary, component) in &binaries {
        let artifacts = known.entry(component.name()).or_insert_with(|| {
            let pin = request.plan.pins.get(component.upstream)?;
            crate::artifacts::cached(env, component, &sources[&component.upstream], pin)
        });
        let Some(artifact) = artifacts
            .as_ref()
            .and_then(|a| a.binaries.iter().find(|a| a.name == *binary))
        else {
            return prefix;
        };
        prefix.push(artifact.clone());
    }
    // Everything is cached: nothing compiles, nothing to overlap.
    Vec::new()
}

/// What the local cache or the team's already has, looked for side by side (a pull is mostly
/// waiting on a registry); `None` where the component must be built. Fails naming every
/// component a required team's cache lacks.
fn reuse_all(
    env: &BuildEnv,
    request: &BundleRequest<'_>,
    sources: &BTreeMap<Upstream, Source>,
) -> Result<Vec<Option<BuiltComponent>>, BundleError> {
    let reuse = |component: &&'static Component| -> Result<Reuse, BundleError> {
        let pin =
            crate::environment::pin_of(request, component, "a component to build comes from it")?;
        crate::artifacts::reuse(env, component, &sources[&component.upstream], pin)
    };
    let pulls = env.shared.is_some();
    let found: Vec<Result<Reuse, BundleError>> = if pulls {
        std::thread::scope(|scope| {
            let threads: Vec<_> = request
                .components
                .iter()
                .map(|c| scope.spawn(move || reuse(c)))
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().map_err(BundleError::panicked)?)
                .collect()
        })
    } else {
        request.components.iter().map(reuse).collect()
    };
    let mut reused = Vec::new();
    let mut missing = Vec::new();
    for found in found {
        match found? {
            Reuse::Found(built) => reused.push(Some(*built)),
            Reuse::Build => reused.push(None),
            Reuse::Unavailable(why) => missing.push(why),
        }
    }
    if !missing.is_empty() {
        return Err(BundleError::SharedCacheRequired {
            target: env.target.clone(),
            missing,
        });
    }
    Ok(reused)
}

/// Takes what the caches have, then builds the rest with `jobs` workers in order; the first
/// failure stops the queue.
fn build_all(
    env: &BuildEnv,
    request: &BundleRequest<'_>,
    sources: &BTreeMap<Upstream, Source>,
    to_push: &std::sync::mpsc::Sender<BuiltComponent>,
) -> Result<Vec<BuiltComponent>, BundleError> {
    let components = &request.components;
    let reused = reuse_all(env, request, sources)?;
    let results: Mutex<Vec<(usize, Result<BuiltComponent, BundleError>)>> = Mutex::new(Vec::new());
    let queue = Mutex::new(
        components
            .iter()
            .enumerate()
            .filter(|(i, _)| reused[*i].is_none())
            .collect::<Vec<_>>(),
    );
    let workers = request.jobs.max(1).min(queue.lock().map_or(0, |q| q.len()));
    // Tar members are compressed beside the builds (a failure only means publishing
    // compresses them itself).
    let (compress, to_compress) = std::sync::mpsc::channel::<Vec<Artifact>>();
    std::thread::scope(|outer| {
        if request.publish && tgz(env) {
            let members = request.plan.cache.layout().tgz_members();
            let epoch = env.source_date_epoch;
            outer.spawn(move || {
                for binaries in to_compress {
                    let _ = crate::tgz::precompress(&binaries, epoch, &members);
                }
            });
        } else {
            drop(to_compress);
        }
        let results = &results;
        // What each component's result sets going: its tar members compressed while the next
        // component compiles, and its push.
        let finished = move |index: usize, result: Result<BuiltComponent, BundleError>| {
            if let Ok(built) = &result {
                // Nobody listens when nothing is published or pushed.
                let _ = compress.send(built.artifacts.binaries.clone());
                let _ = to_push.send(built.clone());
            }
            if let Ok(mut r) = results.lock() {
                r.push((index, result));
            }
        };
        for (index, built) in reused.iter().enumerate() {
            if let Some(built) = built {
                finished(index, Ok(built.clone()));
            }
        }
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let next = queue
                            .lock()
                            .ok()
                            .and_then(|mut q| (!q.is_empty()).then(|| q.remove(0)));
                        let Some((index, component)) = next else {
                            break;
                        };
                        let result = build_one(env, request, sources, component);
                        let failed = result.is_err();
                        finished(index, result);
                        // The run fails anyway: don't make people wait for the rest.
                        if failed && let Ok(mut q) = queue.lock() {
                            q.clear();
                        }
                    }
                });
            }
        });
        // The compressing thread ends once nothing more can come.
        drop(finished);
    });
    let mut results = results.into_inner().map_err(|_| BundleError::Panicked {
        message: "a build worker died holding the results".into(),
    })?;
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(_, r)| {
            r.map(|mut built| {
                let upstream = built.component.upstream;
                built.recorded_ref = recorded_ref(request.plan, upstream);
                built.provenance = provenance(request.plan, upstream);
                built
            })
        })
        .collect()
}

/// Builds one component neither cache had.
fn build_one(
    env: &BuildEnv,
    request: &BundleRequest<'_>,
    sources: &BTreeMap<Upstream, Source>,
    component: &'static Component,
) -> Result<BuiltComponent, BundleError> {
    let pin = crate::environment::pin_of(request, component, "a component to build comes from it")?;
    let described = &sources[&component.upstream];
    // A checkout taken at its marker's word is verified again, and one described from its
    // commit alone is written; everything else was prepared in full when described.
    let verified = || match described.origin {
        Origin::Cache | Origin::Described => request
            .plan
            .prepare(component.upstream, env.progress.as_ref()),
        _ => Ok(described.clone()),
    };
    build_component(env, component, described, pin, &verified)
}

/// Which kind of source a component was built from.
fn provenance(plan: &SourcePlan, upstream: Upstream) -> Provenance {
    match plan.requests.iter().find(|r| r.upstream() == upstream) {
        Some(SourceRequest::Fork { url, .. }) => Provenance::Fork(build_core::url::redact(url)),
        Some(SourceRequest::WorkingTree { .. }) => Provenance::WorkingTree,
        _ => Provenance::Pin,
    }
}

/// What the manifest may say a component's commit came from.
fn recorded_ref(plan: &SourcePlan, upstream: Upstream) -> Option<String> {
    match plan.requests.iter().find(|r| r.upstream() == upstream)? {
        SourceRequest::Pinned { pin, mirror } | SourceRequest::Patched { pin, mirror, .. } => {
            match plan.tag_commit(pin, mirror.as_ref()) {
                Some(tagged) if tagged != pin.commit => None,
                _ => Some(pin.tag.clone()),
            }
        }
        SourceRequest::Fork { reference, .. } => {
            Some(reference.clone().unwrap_or_else(|| "HEAD".into()))
        }
        SourceRequest::WorkingTree { .. } => None,
    }
}
