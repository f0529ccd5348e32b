//! What every component's `build` takes and how it fails.

use std::sync::Arc;

use camino::Utf8PathBuf;

use crate::artifact::{Artifact, Artifacts};
use crate::component::{ReleaseLine, release_line};
use crate::digest::sha256_file;
use crate::platform::{Linkage, Target};
use crate::progress::{Progress, Silent};
use crate::source::Source;
use crate::toolchain::GoToolchain;

mod error;
pub use error::{BuildError, StampMismatch};

// With the version probes, which accept it; builds add it.
pub use component_specs::DEBUG_MARKER;

/// Everything a component's `build` needs.
///
/// Build with [`BuildOptions::new`] and adjust the public fields.
#[derive(Clone)]
#[non_exhaustive]
pub struct BuildOptions {
    /// The source tree (from [`crate::source::SourceCache::prepare`]).
    pub source: Source,
    /// The version to stamp, without a leading `v` (`1.4.3`). The commit comes from `source`,
    /// and `-dirty` is added where upstream adds it when `source.dirty` is set.
    pub version: String,
    /// The Docker release the build is for (moby's version's line): it decides the binaries
    /// only some releases ship ([`Component::binaries_for`](crate::Component::binaries_for):
    /// rootlesskit-docker-proxy, Docker 27's). The bundle and
    /// [`PinnedSource`](crate::pinned::PinnedSource) give the pinned moby's.
    pub docker_release: ReleaseLine,
    /// Static or dynamic.
    pub linkage: Linkage,
    /// What to build for.
    pub target: Target,
    /// Where the binaries go (created if missing).
    pub out_dir: Utf8PathBuf,
    /// Scratch space: logs, CMake build trees, Go overlays (created if missing).
    pub work_dir: Utf8PathBuf,
    /// Seconds since the epoch for every embedded time (build time stamps, archive times).
    /// Defaults to the source commit's time, so a rebuild is bit-identical.
    pub source_date_epoch: i64,
    /// Go build tags added to the recipe's own.
    pub extra_tags: Vec<String>,
    /// Linker flags added after the recipe's own (`-s -w` strips, for instance).
    pub extra_ldflags: Vec<String>,
    /// The Go toolchain; found on `PATH` when `None`.
    pub go: Option<GoToolchain>,
    /// `GOCACHE`; Go's own default when `None`. Share one between components: it is safe and
    /// makes rebuilds fast.
    pub go_cache: Option<Utf8PathBuf>,
    /// `GOCACHEPROG`: a program Go hands its build cache to (a command line, as Go splits
    /// it), such as dockyard's bridge to the team's shared Go cache. It changes where Go's
    /// cache lives, never what is built.
    pub go_cache_program: Option<String>,
    /// Parallel jobs for C builds (Go decides its own).
    pub jobs: usize,
    /// The target's C libraries, for cgo when cross-compiling (see [`crate::sysroot`]).
    pub sysroot: Option<crate::sysroot::Sysroot>,
    /// Build for a debugger: Go code unoptimised and not inlined (`-gcflags=all=-N -l`), DWARF
    /// kept, and stamped versions marked with [`DEBUG_MARKER`].
    pub debug: bool,
    /// Offline: modules a recipe downloads ([`crate::go::Modules::Downloaded`]) must already
    /// be in Go's module cache.
    pub offline: bool,
    /// Where programs a build runs but never ships are kept: Go tools built at their pinned
    /// versions (Windows' resource compilers) and the Wine prefix Windows builds are checked
    /// in (the cache's `tools/`); `None`: a folder in `work_dir`.
    pub tools: Option<Utf8PathBuf>,
    /// Where status lines go.
    pub progress: Arc<dyn Progress>,
}

impl std::fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("source", &self.source)
            .field("version", &self.version)
            .field("docker_release", &self.docker_release)
            .field("linkage", &self.linkage)
            .field("target", &self.target)
            .field("out_dir", &self.out_dir)
            .field("work_dir", &self.work_dir)
            .finish_non_exhaustive()
    }
}

impl BuildOptions {
    /// A build of `source` for Docker `docker_release`: static, for the host, times from the
    /// source commit, Go from `PATH`, no progress output.
    pub fn new(
        source: Source,
        docker_release: ReleaseLine,
        out_dir: Utf8PathBuf,
        work_dir: Utf8PathBuf,
    ) -> BuildOptions {
        BuildOptions {
            source_date_epoch: source.commit_time,
            version: source.version.clone(),
            source,
            docker_release,
            linkage: Linkage::Static,
            target: Target::host(),
            out_dir,
            work_dir,
            extra_tags: Vec::new(),
            extra_ldflags: Vec::new(),
            go: None,
            go_cache: None,
            go_cache_program: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            debug: false,
            offline: false,
            tools: None,
            sysroot: None,
            progress: Arc::new(Silent),
        }
    }

    /// `version` and [`BuildOptions::version_suffix`]: what binaries show as their version.
    pub fn version_dirty(&self) -> String {
        format!("{}{}", self.version, self.version_suffix())
    }

    /// What follows the version: `-dirty` for an override with uncommitted changes, the patch
    /// set's marker (`+patches.1a2b3c4d`) for a patched tree, [`DEBUG_MARKER`] for a debug
    /// build. Empty for a release build of a pin.
    pub fn version_suffix(&self) -> String {
        let mut suffix = String::new();
        if self.source.dirty {
            suffix.push_str("-dirty");
        }
        if let Some(marker) = self.source.patch_marker() {
            suffix.push_str(&marker);
        }
        if self.debug {
            suffix.push_str(DEBUG_MARKER);
        }
        suffix
    }

    /// The first `n` digits of the commit, plus `-dirty` for a dirty override.
    pub fn commit_dirty(&self, n: usize) -> String {
        let c = self.source.commit.short(n);
        if self.source.dirty {
            format!("{c}-dirty")
        } else {
            c.to_owned()
        }
    }

    /// The release line of `version`: `(1, 7)` for `1.7.28`, `(29, 7)` for `29.7.2`. Recipes
    /// choose what differs between lines (module paths, tags) from it.
    ///
    /// Every build checks the version parses first ([`Component::check_version`](crate::Component::check_version)), so the
    /// `(0, 0)` of an unparsable one never chooses a recipe line.
    pub fn release_line(&self) -> (u32, u32) {
        release_line(&self.version).unwrap_or((0, 0))
    }

    /// The build time stamp upstream writes, from `source_date_epoch`, as RFC 3339 UTC.
    pub fn build_time_rfc3339(&self) -> String {
        rfc3339(self.source_date_epoch)
    }

    /// Where programs a build runs but never ships are kept ([`BuildOptions::tools`]).
    pub fn tools_dir(&self) -> Utf8PathBuf {
        self.tools
            .clone()
            .unwrap_or_else(|| self.work_dir.join(".tools"))
    }

    /// The log file of `component` in the work dir.
    pub(crate) fn log_path(&self, component: &str) -> Utf8PathBuf {
        self.work_dir.join(format!("{component}.log"))
    }

    /// Creates the output and work dirs and starts a fresh log for `component`.
    pub(crate) fn prepare_dirs(&self, component: &str) -> Result<Utf8PathBuf, BuildError> {
        for dir in [&self.out_dir, &self.work_dir] {
            std::fs::create_dir_all(dir).map_err(BuildError::io(component, "creating", dir))?;
        }
        let log = self.log_path(component);
        std::fs::write(&log, b"").map_err(BuildError::io(component, "starting the log", &log))?;
        Ok(log)
    }
}

/// Describes a freshly built binary: checksum, size, link kind; and checks it is static when
/// static was asked for.
pub fn collect_artifact(
    opts: &BuildOptions,
    component: &str,
    built: &Built<'_>,
) -> Result<Artifact, BuildError> {
    let (name, path) = (built.name, built.path.as_path());
    let meta = std::fs::symlink_metadata(path).map_err(|_| BuildError::MissingOutput {
        component: component.to_owned(),
        path: path.to_owned(),
    })?;
    if !meta.is_file() {
        return Err(BuildError::MissingOutput {
            component: component.to_owned(),
            path: path.to_owned(),
        });
    }
    let facts = crate::executable::inspect(path).map_err(|source| BuildError::Elf {
        component: component.to_owned(),
        source,
    })?;
    if let Some(expected) = opts.target.executable_format()
        && facts.format != expected
    {
        return Err(BuildError::WrongMachine {
            component: component.to_owned(),
            binary: name.to_owned(),
            target: opts.target.to_string(),
            found: facts.format,
            expected,
        });
    }
    let link = facts.link;
    if opts.linkage == Linkage::Static && !link.is_static() {
        return Err(BuildError::NotStatic {
            component: component.to_owned(),
            binary: name.to_owned(),
            link,
        });
    }
    Ok(Artifact {
        name: name.to_owned(),
        path: path.to_owned(),
        sha256: sha256_file(path).map_err(BuildError::io(component, "hashing", path))?,
        size: meta.len(),
        link,
        toolchain: built.toolchain.clone(),
        tags: built.tags.clone(),
        c_libraries: built.c_libraries.clone(),
    })
}

/// A binary a toolchain just wrote, before it is checked.
#[derive(Clone, Debug)]
pub struct Built<'a> {
    /// The installed name.
    pub name: &'a str,
    /// Where the toolchain wrote it.
    pub path: Utf8PathBuf,
    /// `go1.26.8`, `cmake`.
    pub toolchain: String,
    /// Build tags used.
    pub tags: Vec<String>,
    /// The C libraries linked.
    pub c_libraries: Vec<crate::clib::CLibrary>,
}

/// Collects several binaries into [`Artifacts`].
pub(crate) fn collect_artifacts<'a>(
    opts: &BuildOptions,
    component: &str,
    binaries: impl IntoIterator<Item = Built<'a>>,
) -> Result<Artifacts, BuildError> {
    let binaries = binaries
        .into_iter()
        .map(|built| collect_artifact(opts, component, &built))
        .collect::<Result<_, _>>()?;
    Ok(Artifacts {
        binaries,
        ..Artifacts::default()
    })
}

/// Copies the files `descriptor` ships from its source tree into `opts.out_dir` (mode 0755:
/// they are scripts people run) and describes them. A file missing from the tree is the
/// same failure as a binary a build did not make.
pub(crate) fn ship_files(
    opts: &BuildOptions,
    descriptor: &crate::Component,
) -> Result<Vec<crate::artifact::ShippedFile>, BuildError> {
    use std::os::unix::fs::PermissionsExt;
    let component = descriptor.name();
    descriptor
        .files_for(&opts.target)
        .into_iter()
        .map(|file| {
            let from = opts.source.dir.join(file.path);
            let meta = std::fs::symlink_metadata(&from)
                .ok()
                .filter(|m| m.is_file());
            if meta.is_none() {
                return Err(BuildError::MissingOutput {
                    component: component.to_owned(),
                    path: from,
                });
            }
            let to = opts.out_dir.join(file.name);
            let bytes =
                std::fs::read(&from).map_err(BuildError::io(component, "reading", &from))?;
            crate::fs::write_atomic(&to, &bytes)
                .map_err(BuildError::io(component, "writing", &to))?;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755))
                .map_err(BuildError::io(component, "making executable", &to))?;
            let sha256 = crate::digest::sha256_file(&to)
                .map_err(BuildError::io(component, "hashing", &to))?;
            Ok(crate::artifact::ShippedFile {
                name: file.name.to_owned(),
                path: to,
                sha256,
                size: bytes.len() as u64,
            })
        })
        .collect()
}

/// `1970-01-01T00:00:00Z` style, from seconds since the epoch (proleptic Gregorian, UTC).
pub fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_matches_known_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(1_767_225_599), "2025-12-31T23:59:59Z");
    }
}
