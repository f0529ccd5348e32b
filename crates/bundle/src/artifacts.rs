//! The artifact cache: each component's binaries stored under a key of everything they depend
//! on. Equal keys mean equal binaries, so an unchanged component is never built twice.

use build_core::cache::CacheLayout;
use build_core::progress::Underway;
use std::sync::Arc;
use std::time::Instant;

use build_core::lock::FileLock;
use build_core::pins::Pin;
use build_core::progress::Progress;
use build_core::source::Source;
use build_core::toolchain::GoToolchain;
use build_core::{Artifacts, BuildOptions, Component, Linkage, ReleaseLine, Target};
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::BundleError;
use crate::manifest::FORMAT;
use crate::output::remove_stale;

/// What every component build of one run shares.
pub(crate) struct BuildEnv {
    /// The Docker release the run builds (moby's version's line).
    pub(crate) docker_release: ReleaseLine,
    /// Static or dynamic.
    pub(crate) linkage: Linkage,
    /// The platform.
    pub(crate) target: Target,
    /// The Go that builds every Go component.
    pub(crate) go: GoToolchain,
    /// The C compiler's identity (`gcc --version`'s first line).
    pub(crate) cc: String,
    /// The C libraries the run's components link (glibc first), with their packages.
    pub(crate) c_libraries: Vec<build_core::clib::CLibrary>,
    /// Built for a debugger.
    pub(crate) debug: bool,
    /// Offline: downloaded Go modules come from Go's module cache only.
    pub(crate) offline: bool,
    /// The target's libraries, for cross builds.
    pub(crate) sysroot: Option<build_core::sysroot::Sysroot>,
    /// The cache root (`artifacts/`, `work/`, `locks/` live under it).
    pub(crate) cache: CacheLayout,
    /// The newest commit time of the run's sources: the tarballs', manifest's and SBOM's
    /// times (each component's binaries have their own commit's).
    pub(crate) source_date_epoch: i64,
    /// Where status lines go.
    pub(crate) progress: Arc<dyn Progress>,
    /// The team's registries, when it shares builds.
    pub(crate) shared: Option<Arc<crate::shared::SharedCache>>,
    /// Go's build cache shared with the team, for every `go build`.
    pub(crate) go_cache: Option<crate::go_cache::GoCache>,
}

/// One component's binaries, built or taken from the cache, with where they came from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct BuiltComponent {
    /// Its descriptor.
    pub component: &'static Component,
    /// Its pin (for a fork or working tree, the pin it replaces).
    pub pin: Pin,
    /// The source it was built from.
    pub source: Source,
    /// Its cache key.
    pub key: String,
    /// The binaries, in the cache.
    pub artifacts: Artifacts,
    /// The tag or ref the manifest records for the commit: none for a working tree, or when
    /// the pin's tag was found to name another commit.
    pub recorded_ref: Option<String>,
    /// Where it came from, as the manifest records it.
    pub provenance: Provenance,
    /// What its Go build used of Go's shared cache, to push as its pack.
    pub(crate) go_pack: Option<Arc<crate::go_cache::PackPush>>,
}

/// Where a built component came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// Its pin (from the pinned repository or a mirror).
    Pin,
    /// A fork: the URL, credentials redacted.
    Fork(String),
    /// A developer's working tree (never its path).
    WorkingTree,
}

/// Everything a component's output depends on.
#[derive(Serialize)]
struct ComponentKey<'a> {
    format: u32,
    component: &'a str,
    recipe_version: u32,
    content: &'a str,
    commit: &'a str,
    dirty: bool,
    version: &'a str,
    linkage: Linkage,
    target: &'a Target,
    go: &'a str,
    cc: &'a str,
    c_libraries: Vec<(&'a str, &'a str)>,
    source_date_epoch: i64,
    debug: bool,
    /// The binaries it makes that only some Docker releases ship (Docker 27's
    /// rootlesskit-docker-proxy); left out when none, so other keys are as they were.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    release_binaries: Vec<&'a str>,
    /// The files of its tree it ships (path, name), so a spec shipping a new one never reuses
    /// a build without it; left out when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    shipped_files: Vec<(&'a str, &'a str)>,
}

/// An artifact folder's record (`artifacts.json`), also a shared artifact's config.
#[derive(Serialize, Deserialize)]
pub(crate) struct CachedArtifacts {
    pub(crate) key: String,
    pub(crate) artifacts: Artifacts,
}

/// `component`'s artifacts if the cache holds them for this key: a look ahead, without the
/// build lock, for work that may start before the component's turn.
pub(crate) fn cached(
    env: &BuildEnv,
    component: &Component,
    source: &Source,
    pin: &Pin,
) -> Option<Artifacts> {
    let key = key(env, component, source, pin).ok()?;
    load_cached(&artifact_dir(env, component, &key), &key)
}

fn artifact_dir(env: &BuildEnv, component: &Component, key: &str) -> Utf8PathBuf {
    env.cache
        .artifacts()
        .join(format!("{}-{}", component.name(), &key[..16]))
}

/// How the run may reuse a component it does not have to build.
pub(crate) enum Reuse {
    /// Found in the local cache or pulled from the team's.
    Found(Box<BuiltComponent>),
    /// Neither has it: build it.
    Build,
    /// The team's cache is required and cannot give it.
    Unavailable(crate::shared::Unavailable),
}

/// Takes `component` from the local cache, or pulls it from the team's (into the local cache),
/// without building: runs for every component side by side before the builds start.
pub(crate) fn reuse(
    env: &BuildEnv,
    component: &'static Component,
    source: &Source,
    pin: &Pin,
) -> Result<Reuse, BundleError> {
    let started = Instant::now();
    let key = key(env, component, source, pin)?;
    let held = CacheEntry::lock(env, component, &key)?;
    if let Some(artifacts) = held.load() {
        env.progress.status(
            "Cached",
            &format!("{} ({})", component.name(), list(&artifacts)),
        );
        return Ok(Reuse::Found(Box::new(
            held.describe(source, pin, artifacts),
        )));
    }
    let Some(shared) = &env.shared else {
        return Ok(Reuse::Build);
    };
    let tmp = held.build_folder()?;
    let tmp_dir = build_core::fs::utf8(tmp.path().to_owned()).map_err(BundleError::io(
        "creating a build folder in",
        &env.cache.artifacts(),
    ))?;
    // A pull needs only the source's description.
    let opts = options(env, component, source.clone(), &tmp_dir);
    let refusals = match shared.pull(env, component, &key, &opts, &tmp_dir) {
        Ok(Some(artifacts)) => {
            let artifacts = keep(component, &key, artifacts, tmp, &held.dir)?;
            env.progress.status(
                "Pulled",
                &format!(
                    "{} ({}) in {:.1}s",
                    component.name(),
                    list(&artifacts),
                    started.elapsed().as_secs_f64()
                ),
            );
            return Ok(Reuse::Found(Box::new(
                held.describe(source, pin, artifacts),
            )));
        }
        Ok(None) => Vec::new(),
        Err(refusals) => refusals,
    };
    if shared.required() {
        return Ok(Reuse::Unavailable(crate::shared::Unavailable {
            component: component.name().to_owned(),
            key,
            refusals,
        }));
    }
    for why in refusals {
        env.progress.status(
            "Refused",
            &format!(
                "{} from the team's cache ({why}); building it here",
                component.name()
            ),
        );
    }
    Ok(Reuse::Build)
}

/// A component's place in the artifact cache, locked (by key) while it is looked at or built.
struct CacheEntry {
    component: &'static Component,
    key: String,
    dir: Utf8PathBuf,
    root: Utf8PathBuf,
    _lock: FileLock,
}

impl CacheEntry {
    fn lock(
        env: &BuildEnv,
        component: &'static Component,
        key: &str,
    ) -> Result<CacheEntry, BundleError> {
        let lock_path = env
            .cache
            .lock(&format!("artifacts-{}-{}", component.name(), &key[..16]));
        let lock = FileLock::acquire(
            &lock_path,
            &format!("the {} build", component.name()),
            env.progress.as_ref(),
        )
        .map_err(BundleError::io("locking", &lock_path))?;
        Ok(CacheEntry {
            component,
            key: key.to_owned(),
            dir: artifact_dir(env, component, key),
            root: env.cache.artifacts(),
            _lock: lock,
        })
    }

    fn load(&self) -> Option<Artifacts> {
        load_cached(&self.dir, &self.key)
    }

    /// A fresh temporary folder beside the cache's entries, stale ones of earlier killed runs
    /// removed first.
    fn build_folder(&self) -> Result<tempfile::TempDir, BundleError> {
        let root = &self.root;
        std::fs::create_dir_all(root).map_err(BundleError::io("creating", root))?;
        let prefix = format!(".tmp-{}-", self.component.name());
        remove_stale(root, &prefix)?;
        tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(root)
            .map_err(BundleError::io("creating a build folder in", root))
    }

    fn describe(&self, source: &Source, pin: &Pin, artifacts: Artifacts) -> BuiltComponent {
        BuiltComponent {
            component: self.component,
            pin: pin.clone(),
            source: source.clone(),
            key: self.key.clone(),
            artifacts,
            recorded_ref: None,
            provenance: Provenance::Pin,
            go_pack: None,
        }
    }
}

/// The options a build (or a pulled component's checks) of `component` gets.
fn options(
    env: &BuildEnv,
    component: &Component,
    source: Source,
    tmp_dir: &Utf8Path,
) -> BuildOptions {
    let work = env.cache.work(component.name());
    let mut opts = BuildOptions::new(source, env.docker_release, tmp_dir.to_owned(), work);
    opts.linkage = env.linkage;
    opts.target = env.target.clone();
    // `BuildOptions::new` stamps the component's own commit time: a commit in another
    // component's tree changes neither these bytes nor this key.
    opts.go = Some(env.go.clone());
    opts.debug = env.debug;
    opts.offline = env.offline;
    opts.tools = Some(env.cache.tools());
    // Only a component that links the sysroot's libraries sees it, so its flags cannot
    // differ between `--only` and the full bundle.
    opts.sysroot = env
        .sysroot
        .clone()
        .filter(|_| !component.c_libraries().is_empty());
    opts.progress = env.progress.clone();
    opts
}

/// Builds `component` from `source` (once [`reuse`] found it nowhere), or takes it from the
/// local cache when another run built it meanwhile.
///
/// `source` describes the tree (enough for the key); `verified` prepares it for real, which
/// only a build needs.
pub(crate) fn build_component(
    env: &BuildEnv,
    component: &'static Component,
    source: &Source,
    pin: &Pin,
    verified: &dyn Fn() -> Result<Source, BundleError>,
) -> Result<BuiltComponent, BundleError> {
    let started = Instant::now();
    let key = key(env, component, source, pin)?;
    let held = CacheEntry::lock(env, component, &key)?;
    if let Some(artifacts) = held.load() {
        env.progress.status(
            "Cached",
            &format!("{} ({})", component.name(), list(&artifacts)),
        );
        return Ok(held.describe(source, pin, artifacts));
    }
    let tmp = held.build_folder()?;
    let tmp_dir = build_core::fs::utf8(tmp.path().to_owned())
        .map_err(BundleError::io("creating a build folder in", &held.root))?;
    // Go's cache pack is fetched while the tree is verified or written.
    let (source_ready, go_build) = std::thread::scope(|scope| {
        let go = (env.go_cache.as_ref())
            .filter(|_| component.uses_go())
            .map(|go| scope.spawn(move || crate::go_cache::before_build(env, go, component)));
        (verified(), go.map(|h| h.join()))
    });
    let go_build = go_build
        .transpose()
        .map_err(BundleError::panicked)?
        .transpose()?;
    let mut opts = options(env, component, source_ready?, &tmp_dir);
    opts.go_cache_program = go_build.as_ref().map(|b| b.program.clone());
    let dirty = if source.dirty { "-dirty" } else { "" };
    env.progress.status(
        "Building",
        &format!(
            "{} {}{} ({}{dirty}, {})",
            component.name(),
            pin.version,
            source.patch_marker().unwrap_or_default(),
            source.commit.short(12),
            opts.source.origin
        ),
    );
    let underway = Underway::start(env.progress.as_ref(), component.name());
    // The recipe checks its version and that it made every binary.
    let artifacts = (component.build)(&opts)?;
    let artifacts = keep(component, &key, artifacts, tmp, &held.dir)?;
    drop(underway);
    let go_pack = go_build.and_then(crate::go_cache::after_build);
    env.progress.status(
        "Built",
        &format!(
            "{} ({}) in {:.1}s",
            component.name(),
            list(&artifacts),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(BuiltComponent {
        go_pack,
        ..held.describe(source, pin, artifacts)
    })
}

/// Writes the record into the build folder `tmp` and moves it into place as `dir`.
fn keep(
    component: &Component,
    key: &str,
    artifacts: Artifacts,
    tmp: tempfile::TempDir,
    dir: &Utf8Path,
) -> Result<Artifacts, BundleError> {
    let record = CachedArtifacts {
        key: key.to_owned(),
        artifacts,
    };
    let tmp_dir = build_core::fs::utf8(tmp.path().to_owned())
        .map_err(BundleError::io("writing into", dir))?;
    let record_path = tmp_dir.join("artifacts.json");
    let bytes = serde_json::to_vec_pretty(&record).map_err(|e| BundleError::Encode {
        what: format!("the cache record of {}", component.name()),
        message: e.to_string(),
    })?;
    build_core::fs::write_atomic(&record_path, &bytes)
        .map_err(BundleError::io("writing", &record_path))?;
    build_core::fs::remove_dir_all_if_exists(dir)
        .map_err(BundleError::io("removing an outdated build", dir))?;
    let kept = tmp.keep();
    std::fs::rename(&kept, dir).map_err(BundleError::io("moving the build into", dir))?;
    load_cached(dir, key).ok_or_else(|| {
        BundleError::io("reading back", dir)(std::io::Error::other(
            "the build vanished after it was written",
        ))
    })
}

/// Everything that decides the component's bytes, hashed. A key that cannot be computed is an
/// error, never an empty or partial one two different builds could share.
pub(crate) fn key(
    env: &BuildEnv,
    component: &Component,
    source: &Source,
    pin: &Pin,
) -> Result<String, BundleError> {
    let key = ComponentKey {
        format: FORMAT,
        component: component.name(),
        recipe_version: component.recipe_version,
        content: &source.content_id,
        commit: source.commit.as_str(),
        dirty: source.dirty,
        version: &pin.version,
        linkage: env.linkage,
        target: &env.target,
        // The release alone: GOTOOLCHAIN=go1.26.8 and the local go1.26.8 build the same bytes.
        go: &env.go.version,
        cc: &env.cc,
        c_libraries: linked_by(env, component),
        source_date_epoch: source.commit_time,
        debug: env.debug,
        release_binaries: (component.spec.binaries.iter())
            .filter(|b| b.dropped_in.is_some() && b.shipped_by(env.docker_release))
            .map(|b| b.name)
            .collect(),
        shipped_files: (component.files_for(&env.target).iter())
            .map(|f| (f.path, f.name))
            .collect(),
    };
    let json = serde_json::to_vec(&key).map_err(|e| BundleError::Encode {
        what: format!("the cache key of {}", component.name()),
        message: e.to_string(),
    })?;
    Ok(build_core::digest::hex(&Sha256::digest(&json)))
}

/// The packages (and their versions) of the C libraries `component` itself links: glibc and
/// the libraries it declares, never those of another component the run builds, so `--only`
/// and the full bundle agree on every key.
fn linked_by<'a>(env: &'a BuildEnv, component: &Component) -> Vec<(&'a str, &'a str)> {
    let own = component.c_libraries();
    env.c_libraries
        .iter()
        .enumerate()
        .filter(|(i, lib)| *i == 0 || own.iter().any(|spec| spec.name == lib.name))
        .map(|(_, lib)| {
            let version = lib.package_version.as_deref().unwrap_or("unknown");
            (lib.package.as_str(), version)
        })
        .collect()
}

fn list(artifacts: &Artifacts) -> String {
    let names: Vec<&str> = artifacts.binaries.iter().map(|a| a.name.as_str()).collect();
    names.join(", ")
}

/// A cached build is used when its record has our key and every binary, shipped file and man
/// page is there at its size.
fn load_cached(dir: &Utf8Path, key: &str) -> Option<Artifacts> {
    let record: CachedArtifacts =
        serde_json::from_slice(&std::fs::read(dir.join("artifacts.json")).ok()?).ok()?;
    if record.key != key {
        return None;
    }
    let mut artifacts = record.artifacts;
    let man = dir.join(build_core::MAN_DIR);
    let binaries = (artifacts.binaries.iter_mut()).map(|a| (dir, &a.name, &mut a.path, a.size));
    let files = (artifacts.files.iter_mut()).map(|f| (dir, &f.name, &mut f.path, f.size));
    let pages = (artifacts.man_pages.iter_mut()).map(|p| (&*man, &p.name, &mut p.path, p.size));
    for (folder, name, path, size) in binaries.chain(files).chain(pages) {
        // Plain names only, even in dockyard's own record.
        if name.contains('/') || name.starts_with('.') {
            return None;
        }
        *path = folder.join(name);
        let meta = std::fs::symlink_metadata(&*path).ok()?;
        if !meta.is_file() || meta.len() != size {
            return None;
        }
    }
    Some(artifacts)
}
