//! One bundle run: check everything, prepare sources, build what changed, publish.

use build_core::clib::CLibrarySpec;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use build_core::lock::FileLock;
use build_core::progress::Progress;
use build_core::source::{Origin, Source, SourceRequest};
use build_core::toolchain::{GoToolchain, ToolchainError, c_compiler_version_for};
use build_core::{Artifact, Artifacts, BuildError, Component, Linkage, Target, Upstream};
use camino::Utf8PathBuf;

use crate::BundleError;
use crate::artifacts::{BuildEnv, BuiltComponent, Provenance, build_component};
use crate::output::check_output_dir;
use crate::publish::{Bundle, Published, publish};
use crate::requirements::missing_tools;
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
}

impl<'a> BundleRequest<'a> {
    /// A bundle of `components` from `plan`, published into `out`, with the command line's
    /// defaults: statically linked for this machine ([`Target::host`]) by the Go `pins.lock`
    /// names ([`GoChoice::Pinned`]), half the available cores' worth of components at once
    /// (at least one), published, not for a debugger, with no team's cache and Go's own
    /// build cache.
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
            jobs: std::thread::available_parallelism()
                .map_or(1, |n| n.get() / 2)
                .max(1),
            publish: true,
            go: GoChoice::Pinned,
            debug: false,
            shared: None,
            go_cache: None,
        }
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
    // The check every build makes first, made for all before anything is fetched.
    for component in &request.components {
        if let Some(pin) = plan.pins.get(component.upstream) {
            component.check_version(&pin.version)?;
        }
    }
    check_output_dir(&request.out, &plan.read_only_trees())?;
    // The Go probe (a `go env`) runs while the tools are looked for: both are on the path of
    // every rebuild.
    let (missing, probed) = std::thread::scope(|scope| {
        let probed = scope.spawn(|| probe_go(request));
        let missing = missing_tools(request.linkage, &request.target, &request.components);
        (missing, probed.join())
    });
    if !missing.is_empty() {
        return Err(BundleError::MissingTools { missing });
    }
    let probed = probed.map_err(BundleError::panicked)?;
    let go = go_for(request, probed, progress.as_ref())?;
    let version = plan.release()?;

    let out = &request.out;
    std::fs::create_dir_all(out).map_err(BundleError::io("creating the output folder", out))?;
    let lock_path = out.join(".dockyard.lock");
    let _out_lock = FileLock::acquire(
        &lock_path,
        &format!("the output folder {out}"),
        progress.as_ref(),
    )
    .map_err(BundleError::io("locking the output folder", &lock_path))?;

    plan.check_pinned(&request.components)?;
    // Every upstream, even with --only: the epoch is the newest commit of the whole set, so a
    // component built alone is the very one the full bundle uses.
    let (sources, cc) = std::thread::scope(|scope| {
        let cc = scope.spawn(|| c_compiler_version_for(&request.target));
        (plan.describe_all(progress.as_ref()), cc.join())
    });
    let sources = sources?;
    // A Go too old for any module fails here, before anything is built.
    for component in request.components.iter().filter(|c| c.uses_go()) {
        let source = &sources[&component.upstream];
        let checked = match source.origin {
            // No tree on disk: its module file from git.
            Origin::Described => match plan.module_file(component.upstream, progress.as_ref())? {
                Some((file, text)) => go.check_module_text(&text, &file),
                None => Ok(()),
            },
            _ => go.check_tree(&source.dir),
        };
        checked.map_err(|source| BuildError::Toolchain {
            component: component.name().to_owned(),
            source,
        })?;
    }
    // The C libraries the components link, another architecture's from Debian's archive.
    let mut libraries: Vec<&CLibrarySpec> = Vec::new();
    for lib in request.components.iter().flat_map(|c| c.c_libraries()) {
        if !libraries.contains(&lib) {
            libraries.push(lib);
        }
    }
    let sysroot = match (request.target.is_host(), libraries.is_empty()) {
        (false, false) => Some(
            build_core::sysroot::prepare(
                plan.cache.layout(),
                &request.target,
                &libraries,
                progress.as_ref(),
            )
            .map_err(|source| BundleError::Toolchain {
                what: "the target's C libraries",
                source,
            })?,
        ),
        _ => None,
    };
    let cc = cc
        .map_err(BundleError::panicked)?
        .map_err(|source| BundleError::Toolchain {
            what: "the C compiler (part of every build's cache key)",
            source,
        })?;
    // The packages of the C libraries linked, asked once: each component's key names glibc's
    // and its own libraries' (a newer libseccomp-dev builds another runc, and nothing else).
    let c_libraries = build_core::clib::linked(&request.target, sysroot.as_ref(), &libraries);
    let env = BuildEnv {
        linkage: request.linkage,
        target: request.target.clone(),
        go,
        cc,
        c_libraries,
        sysroot,
        debug: request.debug,
        offline: plan.cache.is_offline(),
        cache: plan.cache.layout().clone(),
        // The newest commit of the run: the bundle changes when any of its sources does.
        source_date_epoch: sources.values().map(|s| s.commit_time).max().unwrap_or(0),
        progress: progress.clone(),
        shared: request.shared.clone(),
        go_cache: (request.go_cache.clone())
            .map(|sharing| crate::go_cache::GoCache::open(sharing, progress.as_ref())),
    };
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
        if request.publish && !prefix.is_empty() {
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
        linkage: env.linkage,
        target: env.target.clone(),
        source_date_epoch: env.source_date_epoch,
        debug: env.debug,
        components: built,
    };
    let published = publish(out, &bundle, &plan.cache.layout().tgz_members(), progress)?;
    Ok(Outcome::Published(published))
}

/// The Go that builds, as far as it is known without a download: the one on `PATH`, or the
/// pinned release if Go's cache holds it (one `go env`, as it nearly always does).
fn probe_go(request: &BundleRequest<'_>) -> Result<GoToolchain, ToolchainError> {
    match request.go {
        GoChoice::Local => GoToolchain::find(),
        GoChoice::Pinned => GoToolchain::release(&request.plan.pins.go, true),
    }
}

/// The Go that builds, from what [`probe_go`] found: a pinned release missing from Go's cache
/// is downloaded by Go itself, unless the run is offline.
fn go_for(
    request: &BundleRequest<'_>,
    probed: Result<GoToolchain, ToolchainError>,
    progress: &dyn Progress,
) -> Result<GoToolchain, BundleError> {
    let release = &request.plan.pins.go;
    match (request.go, probed) {
        (_, Ok(go)) => Ok(go),
        (GoChoice::Local, Err(source)) => Err(BundleError::Toolchain {
            what: "the Go on PATH",
            source,
        }),
        (GoChoice::Pinned, Err(_)) if !request.plan.cache.is_offline() => {
            progress.status(
                "Fetching",
                &format!("Go {release} (pinned; Go downloads it once through its module proxy)"),
            );
            GoToolchain::release(release, false).map_err(|source| BundleError::PinnedGo {
                release: release.clone(),
                source,
            })
        }
        (GoChoice::Pinned, Err(source)) => Err(BundleError::PinnedGo {
            release: release.clone(),
            source,
        }),
    }
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
        .flat_map(|c| c.binaries().iter().map(move |b| (*b, *c)))
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

/// Builds with `jobs` workers in order; the first failure stops the queue.
fn build_all(
    env: &BuildEnv,
    request: &BundleRequest<'_>,
    sources: &BTreeMap<Upstream, Source>,
    to_push: &std::sync::mpsc::Sender<BuiltComponent>,
) -> Result<Vec<BuiltComponent>, BundleError> {
    let components = &request.components;
    let queue = Mutex::new(components.iter().enumerate().collect::<Vec<_>>());
    let results: Mutex<Vec<(usize, Result<BuiltComponent, BundleError>)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..request.jobs.max(1).min(components.len()) {
            scope.spawn(|| {
                loop {
                    let next = queue
                        .lock()
                        .ok()
                        .and_then(|mut q| (!q.is_empty()).then(|| q.remove(0)));
                    let Some((index, component)) = next else {
                        break;
                    };
                    let result = request
                        .plan
                        .pins
                        .get(component.upstream)
                        .ok_or(BundleError::MissingPin {
                            upstream: component.upstream,
                            why: "a component to build comes from it",
                        })
                        .and_then(|pin| {
                            let described = &sources[&component.upstream];
                            // A checkout taken at its marker's word is verified again, and one
                            // described from its commit alone is written; everything else was
                            // prepared in full when described.
                            let verified = || match described.origin {
                                Origin::Cache | Origin::Described => request
                                    .plan
                                    .prepare(component.upstream, env.progress.as_ref()),
                                _ => Ok(described.clone()),
                            };
                            build_component(
                                env,
                                component,
                                &sources[&component.upstream],
                                pin,
                                &verified,
                            )
                        });
                    // Compress its tar members while the next component compiles; a failure
                    // here only means publishing compresses them itself.
                    if request.publish
                        && let Ok(built) = &result
                    {
                        let binaries = built.artifacts.binaries.clone();
                        let members = request.plan.cache.layout().tgz_members();
                        let epoch = env.source_date_epoch;
                        scope.spawn(move || {
                            let _ = crate::tgz::precompress(&binaries, epoch, &members);
                        });
                    }
                    if let Ok(built) = &result {
                        // Nobody listens when nothing is pushed.
                        let _ = to_push.send(built.clone());
                    }
                    let failed = result.is_err();
                    if let Ok(mut r) = results.lock() {
                        r.push((index, result));
                    }
                    // The run fails anyway: don't make people wait for the rest.
                    if failed && let Ok(mut q) = queue.lock() {
                        q.clear();
                    }
                }
            });
        }
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
