//! Pinned sources: a component's code at exactly the pinned commit.
//!
//! Three ways in, one result ([`Source`]):
//! - the pin's repository (or a URL mirror), fetched into a cache of bare repositories keyed by
//!   the canonical URL, shallow where the remote allows;
//! - a path mirror (a local clone, bare or not), read in place through an alternate object store,
//!   so nothing is copied and a clone with pruned history still serves the pinned tree;
//! - a developer's own working tree, used as it is.
//!
//! Pinned trees are written to a per-commit checkout directory. It is built aside, every file is
//! hashed back against the commit's tree, a ready marker is written last, and only then is the
//! directory renamed into place. A checkout without a valid marker, or whose files changed since
//! (a stat fingerprint), is removed and written again.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use git2::{ErrorCode, ObjectType, Oid, Repository};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::digest::{hex, update_from_reader};
use crate::fs::{create_new, remove_dir_all_if_exists, utf8};
use crate::lock::FileLock;
use crate::pins::{CommitId, Pin};
use crate::progress::Progress;
use crate::upstream::Upstream;
use crate::url::{RepoUrl, redact};

/// The name of the marker that makes a checkout trusted. Written last.
pub const READY_MARKER: &str = ".dockyard-ready";

/// Where the pinned commit may come from instead of the pin's own repository.
#[derive(Clone, Debug)]
pub enum Mirror {
    /// A local repository (bare or with a work tree), read in place.
    Path(Utf8PathBuf),
    /// Another remote: https, ssh, or a `file://` URL, fetched into the cache.
    Url(String),
}

impl Mirror {
    /// Reads a `--mirror` value: a URL with a scheme, or else a local path.
    pub fn parse(s: &str) -> Result<Mirror, SourceError> {
        if s.is_empty() || s.starts_with('-') || s.contains('\0') {
            return Err(SourceError::BadMirror {
                given: redact(s),
                why: "empty, or starts with `-`, or has a NUL".into(),
            });
        }
        if let Some(path) = s.strip_prefix("file://") {
            return Ok(Mirror::Url(format!("file://{path}")));
        }
        if s.contains("::") {
            return Err(SourceError::BadMirror {
                given: redact(s),
                why: "git transport helpers (`ext::`, `fd::`) are never used".into(),
            });
        }
        if s.contains("://") || (s.contains('@') && s.contains(':') && !s.starts_with('/')) {
            RepoUrl::parse(s).map_err(|e| SourceError::BadMirror {
                given: redact(s),
                why: e.to_string(),
            })?;
            return Ok(Mirror::Url(s.to_owned()));
        }
        Ok(Mirror::Path(Utf8PathBuf::from(s)))
    }
}

impl std::fmt::Display for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mirror::Path(p) => write!(f, "{p}"),
            Mirror::Url(u) => f.write_str(&redact(u)),
        }
    }
}

/// What to prepare for one upstream.
#[derive(Clone, Debug)]
pub enum SourceRequest {
    /// The pinned commit, from the pin's repository or a mirror.
    Pinned {
        /// The pin.
        pin: Pin,
        /// Where to get the commit instead of `pin.repository`.
        mirror: Option<Mirror>,
    },
    /// Another repository (a fork) at a branch, tag or commit, e.g. `--source runc=URL@REF`.
    /// The ref is resolved to a commit when fetched; that commit is what is built and stamped.
    Remote {
        /// Which upstream it replaces.
        upstream: Upstream,
        /// https, ssh or `file://`.
        url: String,
        /// A branch, tag or full commit; the remote's `HEAD` when `None`.
        reference: Option<String>,
        /// The pin it replaces (for the version to stamp).
        pin: Pin,
    },
    /// A developer's working tree, used as it is (dirty or not).
    Override {
        /// Which upstream it replaces.
        upstream: Upstream,
        /// The working tree.
        path: Utf8PathBuf,
    },
}

impl SourceRequest {
    /// The pinned commit from the pin's own repository.
    pub fn pinned(pin: Pin) -> SourceRequest {
        SourceRequest::Pinned { pin, mirror: None }
    }

    /// Which upstream this is for.
    pub fn upstream(&self) -> Upstream {
        match self {
            SourceRequest::Pinned { pin, .. } => pin.upstream,
            SourceRequest::Remote { upstream, .. } | SourceRequest::Override { upstream, .. } => {
                *upstream
            }
        }
    }
}

/// Where a prepared source came from (for people; URLs redacted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// An existing, verified checkout.
    Cache,
    /// Read from a local mirror.
    Mirror {
        /// The mirror path.
        path: String,
    },
    /// Fetched from a remote.
    Remote {
        /// The URL, redacted.
        url: String,
    },
    /// A developer's working tree.
    Override {
        /// The working tree.
        path: String,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Cache => f.write_str("cache"),
            Origin::Mirror { path } => write!(f, "mirror {path}"),
            Origin::Remote { url } => write!(f, "{url}"),
            Origin::Override { path } => write!(f, "override {path}"),
        }
    }
}

/// A source tree ready to build.
#[derive(Clone, Debug)]
pub struct Source {
    /// Which upstream.
    pub upstream: Upstream,
    /// The tree. Builds read it and never write into it.
    pub dir: Utf8PathBuf,
    /// The commit the tree is (or, for an override, its `HEAD`).
    pub commit: CommitId,
    /// An override with changes not in `commit` (stamp `-dirty`).
    pub dirty: bool,
    /// Changes exactly when the tree's content changes: the commit for pinned trees, a hash of
    /// every file for overrides.
    pub content_id: String,
    /// The commit's committer time (seconds since the epoch): the default `SOURCE_DATE_EPOCH`.
    pub commit_time: i64,
    /// Where it came from.
    pub origin: Origin,
}

/// Why a source could not be prepared. Every variant names the upstream and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A `--mirror` value that is refused before git sees it.
    #[error("mirror `{given}` refused: {why}")]
    BadMirror {
        /// The value, redacted.
        given: String,
        /// Why.
        why: String,
    },
    /// A path mirror that is not a git repository.
    #[error(
        "{upstream}: mirror {path} is not a git repository ({message}); pass a local clone of {upstream}"
    )]
    MirrorNotARepository {
        /// Which upstream.
        upstream: Upstream,
        /// The mirror.
        path: Utf8PathBuf,
        /// git's words.
        message: String,
    },
    /// The mirror does not have the pinned commit.
    #[error(
        "{upstream}: mirror {mirror} does not have commit {commit}; update the mirror (git fetch) or check pins.lock"
    )]
    MirrorLacksCommit {
        /// Which upstream.
        upstream: Upstream,
        /// The pinned commit.
        commit: CommitId,
        /// The mirror, redacted.
        mirror: String,
    },
    /// The remote answered but has no such commit.
    #[error("{upstream}: commit {commit} is not in {url}; check pins.lock")]
    CommitNotInRemote {
        /// Which upstream.
        upstream: Upstream,
        /// The pinned commit.
        commit: CommitId,
        /// The remote, redacted.
        url: String,
    },
    /// Offline and the commit is neither cached nor in a mirror.
    #[error(
        "{upstream}: commit {commit} is not in the cache and --offline forbids fetching it from {url}; run once online or pass --mirror {upstream}=PATH"
    )]
    NotCachedOffline {
        /// Which upstream.
        upstream: Upstream,
        /// The pinned commit.
        commit: CommitId,
        /// The remote that would have been used, redacted.
        url: String,
    },
    /// Fetching failed after retries.
    #[error("{upstream}: fetching {commit} from {url} failed after {attempts} attempts: {message}")]
    Fetch {
        /// Which upstream.
        upstream: Upstream,
        /// The pinned commit.
        commit: CommitId,
        /// The remote, redacted.
        url: String,
        /// How many attempts were made.
        attempts: u32,
        /// git's words for the last one, redacted.
        message: String,
    },
    /// The override path does not exist.
    #[error(
        "{upstream}: override {path} does not exist; pass the path of your {upstream} working tree"
    )]
    OverrideMissing {
        /// Which upstream.
        upstream: Upstream,
        /// The path given.
        path: Utf8PathBuf,
    },
    /// The override path is not the top of a git working tree.
    #[error(
        "{upstream}: override {path} is not a git working tree ({message}); pass the top folder of a clone of {upstream}"
    )]
    OverrideNotARepository {
        /// Which upstream.
        upstream: Upstream,
        /// The path given.
        path: Utf8PathBuf,
        /// git's words.
        message: String,
    },
    /// The tree of the commit holds a path dockyard will not write.
    #[error(
        "{upstream}: commit {commit} has an entry `{name}` that could escape its folder; refusing to check it out"
    )]
    UnsafeEntry {
        /// Which upstream.
        upstream: Upstream,
        /// The commit.
        commit: CommitId,
        /// The entry name.
        name: String,
    },
    /// After checkout, a file on disk did not hash to the commit's blob.
    #[error(
        "{upstream}: checkout of {commit} in {dir} does not match the commit at {file}; the disk or the cache is corrupt (delete {dir} and retry)"
    )]
    CheckoutMismatch {
        /// Which upstream.
        upstream: Upstream,
        /// The commit.
        commit: CommitId,
        /// The checkout being verified.
        dir: Utf8PathBuf,
        /// The file that differs.
        file: String,
    },
    /// Any other git failure.
    #[error("{upstream}: git failed while {action}: {message}{}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    Git {
        /// Which upstream.
        upstream: Upstream,
        /// What dockyard was doing.
        action: String,
        /// git's words, redacted.
        message: String,
        /// What to do, when known.
        hint: Option<String>,
    },
    /// A file system failure.
    #[error("{action} {path}: {source}")]
    Io {
        /// What dockyard was doing.
        action: &'static str,
        /// The path.
        path: Utf8PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

fn io_err(action: &'static str, path: &Utf8Path) -> impl FnOnce(io::Error) -> SourceError {
    let path = path.to_owned();
    move |source| SourceError::Io {
        action,
        path,
        source,
    }
}

/// The on-disk cache of repositories and checkouts, shared by concurrent runs.
///
/// Layout: `git/<name>-<hash>.git` (bare repositories keyed by canonical URL), `checkouts/<upstream>-<commit>/`
/// (verified trees), `locks/` (kernel locks).
#[derive(Clone, Debug)]
pub struct SourceCache {
    root: Utf8PathBuf,
    offline: bool,
    fetch_attempts: u32,
}

impl SourceCache {
    /// A cache rooted at `root` (created if missing).
    pub fn new(root: Utf8PathBuf) -> Result<SourceCache, SourceError> {
        for sub in ["git", "checkouts", "locks"] {
            let dir = root.join(sub);
            fs::create_dir_all(&dir).map_err(io_err("cannot create cache folder", &dir))?;
        }
        Ok(SourceCache {
            root,
            offline: false,
            fetch_attempts: 3,
        })
    }

    /// The default location: `$DOCKYARD_CACHE`, else `$XDG_CACHE_HOME/dockyard`, else `~/.cache/dockyard`.
    pub fn default_root() -> Option<Utf8PathBuf> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if let Some(dir) = env("DOCKYARD_CACHE") {
            return Some(dir.into());
        }
        if let Some(dir) = env("XDG_CACHE_HOME") {
            return Some(Utf8PathBuf::from(dir).join("dockyard"));
        }
        env("HOME").map(|h| Utf8PathBuf::from(h).join(".cache/dockyard"))
    }

    /// Use only the cache and mirrors; never touch the network.
    pub fn offline(mut self, offline: bool) -> SourceCache {
        self.offline = offline;
        self
    }

    /// How many times a failing fetch is tried (at least once).
    pub fn fetch_attempts(mut self, attempts: u32) -> SourceCache {
        self.fetch_attempts = attempts.max(1);
        self
    }

    /// The cache root.
    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// The bare repository that caches `url`.
    pub fn repository_dir(&self, url: &str) -> Utf8PathBuf {
        let canonical = RepoUrl::parse(url).map_or_else(|_| url.to_owned(), |u| u.canonical());
        let name: String = canonical
            .rsplit('/')
            .next()
            .unwrap_or("repo")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let hash = hex(&Sha256::digest(canonical.as_bytes()))[..16].to_owned();
        self.root.join("git").join(format!("{name}-{hash}.git"))
    }

    /// The checkout directory of a pinned commit.
    pub fn checkout_dir(&self, upstream: Upstream, commit: &CommitId) -> Utf8PathBuf {
        self.root
            .join("checkouts")
            .join(format!("{upstream}-{commit}"))
    }

    /// Brings the requested source to disk, verified, and says where it is.
    pub fn prepare(
        &self,
        request: &SourceRequest,
        progress: &dyn Progress,
    ) -> Result<Source, SourceError> {
        match request {
            SourceRequest::Pinned { pin, mirror } => {
                self.prepare_pinned(pin, mirror.as_ref(), progress)
            }
            SourceRequest::Remote {
                url,
                reference,
                pin,
                ..
            } => self.prepare_remote(pin, url, reference.as_deref(), progress),
            SourceRequest::Override { upstream, path } => prepare_override(*upstream, path),
        }
    }

    /// Resolves `reference` in `url` to a commit by fetching it, then prepares that commit like a
    /// pin of its own.
    fn prepare_remote(
        &self,
        pin: &Pin,
        url: &str,
        reference: Option<&str>,
        progress: &dyn Progress,
    ) -> Result<Source, SourceError> {
        let upstream = pin.upstream;
        let reference = reference.unwrap_or("HEAD");
        if !is_valid_reference(reference) {
            return Err(SourceError::BadMirror {
                given: format!("{}@{reference}", redact(url)),
                why: "not a branch, tag or full commit name".into(),
            });
        }
        let repository = if url.starts_with("file://") {
            RepoUrl::local(url)
        } else {
            RepoUrl::parse(url).map_err(|e| SourceError::BadMirror {
                given: redact(url),
                why: e.to_string(),
            })?
        };
        let repo_dir = self.repository_dir(url);
        let lock_path = self.root.join("locks").join(format!(
            "{}.lock",
            repo_dir.file_name().unwrap_or("repository")
        ));
        let commit = {
            let _lock = FileLock::acquire(
                &lock_path,
                &format!("the {upstream} repository cache"),
                progress,
            )
            .map_err(io_err("cannot lock", &lock_path))?;
            let repo = open_or_init(&repo_dir, upstream)?;
            let local = format!(
                "refs/dockyard/remote/{}",
                reference.trim_start_matches("refs/")
            );
            if self.offline {
                if repo.find_reference(&local).is_err() {
                    return Err(SourceError::NotCachedOffline {
                        upstream,
                        commit: pin.commit.clone(),
                        url: format!("{}@{reference}", redact(url)),
                    });
                }
            } else {
                progress.status(
                    "Fetching",
                    &format!("{upstream} {reference} from {}", redact(url)),
                );
                self.fetch_refspec(
                    &repo,
                    upstream,
                    &pin.commit,
                    url,
                    &format!("+{reference}:{local}"),
                    false,
                    progress,
                )?;
            }
            let id = repo
                .find_reference(&local)
                .and_then(|r| r.peel_to_commit())
                .map_err(|e| git_err(upstream, &format!("resolving {reference}"), e))?
                .id();
            CommitId::parse(&id.to_string()).map_err(|e| SourceError::Git {
                upstream,
                action: "resolving a ref".into(),
                message: e.to_string(),
                hint: None,
            })?
        };
        let resolved = Pin {
            upstream,
            repository,
            tag: reference.to_owned(),
            commit,
            version: pin.version.clone(),
        };
        let mut source = self.prepare_pinned(&resolved, None, progress)?;
        source.origin = Origin::Remote {
            url: format!("{}@{reference}", redact(url)),
        };
        Ok(source)
    }

    fn prepare_pinned(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<Source, SourceError> {
        let upstream = pin.upstream;
        let commit = &pin.commit;
        let final_dir = self.checkout_dir(upstream, commit);
        let lock_path = self
            .root
            .join("locks")
            .join(format!("{upstream}-{commit}.lock"));
        let _lock = FileLock::acquire(&lock_path, &format!("the {upstream} checkout"), progress)
            .map_err(io_err("cannot lock", &lock_path))?;
        self.remove_stale_temps(upstream, commit)?;

        let source = |origin, commit_time| Source {
            upstream,
            dir: final_dir.clone(),
            commit: commit.clone(),
            dirty: false,
            content_id: commit.to_string(),
            commit_time,
            origin,
        };
        match read_marker(&final_dir) {
            Some(marker)
                if marker.commit == commit.as_str()
                    && fingerprint(&final_dir).ok().as_ref() == Some(&marker.fingerprint) =>
            {
                return Ok(source(Origin::Cache, marker.commit_time));
            }
            Some(_) => {
                progress.status(
                    "Repairing",
                    &format!("{upstream} checkout {final_dir}: it changed since it was verified"),
                );
                remove_dir_all_if_exists(&final_dir)
                    .map_err(io_err("cannot remove", &final_dir))?;
            }
            None if final_dir.exists() => {
                progress.status(
                    "Repairing",
                    &format!("{upstream} checkout {final_dir}: it was never completed"),
                );
                remove_dir_all_if_exists(&final_dir)
                    .map_err(io_err("cannot remove", &final_dir))?;
            }
            None => {}
        }

        let (tmp, tmp_dir, commit_time, origin) = match self.checkout_aside(pin, mirror, progress) {
            // A damaged cache repository (truncated or deleted objects): start it afresh once.
            Err(e @ (SourceError::Git { .. } | SourceError::CheckoutMismatch { .. })) => {
                let repo_dir = self.repository_dir(pin.repository.as_str());
                progress.status("Repairing", &format!("{upstream} cache {repo_dir}: {e}"));
                remove_dir_all_if_exists(&repo_dir).map_err(io_err("cannot remove", &repo_dir))?;
                self.checkout_aside(pin, mirror, progress)?
            }
            other => other?,
        };
        let marker = Marker {
            commit: commit.to_string(),
            commit_time,
            fingerprint: fingerprint(&tmp_dir).map_err(io_err("cannot read", &tmp_dir))?,
        };
        let marker_path = tmp_dir.join(READY_MARKER);
        let mut file =
            create_new(&marker_path, 0o644).map_err(io_err("cannot write", &marker_path))?;
        file.write_all(&serde_json::to_vec(&marker).unwrap_or_default())
            .and_then(|()| file.sync_all())
            .map_err(io_err("cannot write", &marker_path))?;
        let kept = tmp.keep();
        fs::rename(&kept, &final_dir)
            .map_err(io_err("cannot move the checkout into", &final_dir))?;
        Ok(source(origin, commit_time))
    }

    /// Writes the pinned tree into a new temporary folder beside the checkouts and verifies it.
    fn checkout_aside(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<(tempfile::TempDir, Utf8PathBuf, i64, Origin), SourceError> {
        let (upstream, commit) = (pin.upstream, &pin.commit);
        let (repo, origin) = self.repository_with_commit(pin, mirror, progress)?;
        progress.status("Checking out", &format!("{upstream} {commit}"));
        let checkouts = self.root.join("checkouts");
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{upstream}-{commit}-"))
            .tempdir_in(&checkouts)
            .map_err(io_err("cannot create a temporary folder in", &checkouts))?;
        let tmp_dir = utf8(tmp.path().to_owned()).map_err(io_err("bad path", &self.root))?;
        let commit_time = write_tree(&repo, upstream, commit, &tmp_dir)?;
        verify_tree(&repo, upstream, commit, &tmp_dir)?;
        Ok((tmp, tmp_dir, commit_time, origin))
    }

    /// Leftovers of killed runs for this checkout. Safe: we hold its lock.
    fn remove_stale_temps(&self, upstream: Upstream, commit: &CommitId) -> Result<(), SourceError> {
        let dir = self.root.join("checkouts");
        let prefix = format!(".tmp-{upstream}-{commit}-");
        let entries = fs::read_dir(&dir).map_err(io_err("cannot read", &dir))?;
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
            {
                let path = utf8(entry.path()).map_err(io_err("bad path in", &dir))?;
                remove_dir_all_if_exists(&path).map_err(io_err("cannot remove", &path))?;
            }
        }
        Ok(())
    }

    /// A repository handle in which `pin.commit` resolves, fetching it if needed.
    fn repository_with_commit(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<(Repository, Origin), SourceError> {
        let upstream = pin.upstream;
        let commit = &pin.commit;
        let oid =
            Oid::from_str(commit.as_str()).map_err(|e| git_err(upstream, "reading the pin", e))?;
        let repo_dir = self.repository_dir(pin.repository.as_str());
        let repo = open_or_init(&repo_dir, upstream)?;
        if has_commit(&repo, oid) {
            return Ok((repo, Origin::Cache));
        }
        // Fetched before, yet unreadable now: the repository is damaged, and a fetch would find
        // nothing to download. Callers repair this by starting the repository afresh.
        if repo
            .find_reference(&format!("refs/dockyard/{commit}"))
            .is_ok()
        {
            return Err(SourceError::Git {
                upstream,
                action: "reading the cached repository".into(),
                message: format!("commit {commit} was fetched but cannot be read"),
                hint: Some(format!("delete {repo_dir} and retry")),
            });
        }
        let url = match mirror {
            Some(Mirror::Path(path)) => {
                let mirror_repo =
                    Repository::open(path).map_err(|e| SourceError::MirrorNotARepository {
                        upstream,
                        path: path.clone(),
                        message: redact(e.message()),
                    })?;
                // Read the mirror's objects in place: no copy, and a mirror whose old history
                // was pruned still serves the pinned tree.
                let objects =
                    utf8(mirror_repo.path().join("objects")).map_err(io_err("bad path", path))?;
                repo.odb()
                    .and_then(|odb| odb.add_disk_alternate(objects.as_str()))
                    .map_err(|e| git_err(upstream, "reading the mirror", e))?;
                progress.status(
                    "Reading",
                    &format!("{upstream} {commit} from mirror {path}"),
                );
                if !has_commit(&repo, oid) {
                    return Err(SourceError::MirrorLacksCommit {
                        upstream,
                        commit: commit.clone(),
                        mirror: path.to_string(),
                    });
                }
                return Ok((
                    repo,
                    Origin::Mirror {
                        path: path.to_string(),
                    },
                ));
            }
            Some(Mirror::Url(url)) => url.clone(),
            None => pin.repository.as_str().to_owned(),
        };
        if self.offline {
            return Err(SourceError::NotCachedOffline {
                upstream,
                commit: commit.clone(),
                url: redact(&url),
            });
        }
        progress.status(
            "Fetching",
            &format!("{upstream} {commit} from {}", redact(&url)),
        );
        self.fetch_commit(&repo, upstream, commit, &url, progress)?;
        if !has_commit(&repo, oid) {
            return Err(SourceError::CommitNotInRemote {
                upstream,
                commit: commit.clone(),
                url: redact(&url),
            });
        }
        Ok((repo, Origin::Remote { url: redact(&url) }))
    }

    fn fetch_commit(
        &self,
        repo: &Repository,
        upstream: Upstream,
        commit: &CommitId,
        url: &str,
        progress: &dyn Progress,
    ) -> Result<(), SourceError> {
        let refspec = format!("+{commit}:refs/dockyard/{commit}");
        self.fetch_refspec(repo, upstream, commit, url, &refspec, true, progress)
    }

    /// Fetches `refspec` with bounded retries; `shallow` where the transport can.
    #[allow(clippy::too_many_arguments)]
    fn fetch_refspec(
        &self,
        repo: &Repository,
        upstream: Upstream,
        commit: &CommitId,
        url: &str,
        refspec: &str,
        shallow: bool,
        progress: &dyn Progress,
    ) -> Result<(), SourceError> {
        let mut last = None;
        // libgit2's local transport cannot negotiate depth; smart transports can.
        let mut shallow = shallow && !url.starts_with("file://");
        let mut attempt = 0;
        while attempt < self.fetch_attempts {
            attempt += 1;
            let mut remote = repo
                .remote_anonymous(url)
                .map_err(|e| git_err(upstream, "setting up the remote", e))?;
            let mut options = git2::FetchOptions::new();
            if shallow {
                options.depth(1);
            }
            options.download_tags(git2::AutotagOption::None);
            options.remote_callbacks(credential_callbacks(repo));
            match remote.fetch(&[refspec], Some(&mut options), None) {
                Ok(()) => return Ok(()),
                // The server answered that it has no such object: retrying cannot help.
                Err(e) if is_missing_object(&e) => {
                    return Err(SourceError::CommitNotInRemote {
                        upstream,
                        commit: commit.clone(),
                        url: redact(url),
                    });
                }
                // `url.<base>.insteadOf` can turn an https pin into a local path: fetch it whole,
                // without spending an attempt.
                Err(e) if shallow && e.message().contains("shallow fetch is not supported") => {
                    shallow = false;
                    attempt -= 1;
                }
                Err(e) => {
                    let message = redact(e.message());
                    if attempt < self.fetch_attempts {
                        progress.status(
                            "Retrying",
                            &format!(
                                "{upstream} fetch ({attempt}/{}): {message}",
                                self.fetch_attempts
                            ),
                        );
                        std::thread::sleep(Duration::from_millis(250 * u64::from(attempt)));
                    }
                    last = Some(message);
                }
            }
        }
        Err(SourceError::Fetch {
            upstream,
            commit: commit.clone(),
            url: redact(url),
            attempts: self.fetch_attempts,
            message: last.unwrap_or_default(),
        })
    }
}

/// Credentials the way git finds them: ssh-agent for ssh, the configured credential helper for
/// https. libgit2 asks again after each refusal, so the number of tries is bounded.
fn credential_callbacks(repo: &Repository) -> git2::RemoteCallbacks<'static> {
    let config = repo.config().ok();
    let mut tries = 0;
    let mut callbacks = git2::RemoteCallbacks::new();
    callbacks.credentials(move |url, username, allowed| {
        tries += 1;
        if tries > 3 {
            return Err(git2::Error::from_str(
                "authentication failed (tried ssh-agent and git's credential helper)",
            ));
        }
        if allowed.contains(git2::CredentialType::SSH_KEY) {
            return git2::Cred::ssh_key_from_agent(username.unwrap_or("git"));
        }
        if allowed.contains(git2::CredentialType::USER_PASS_PLAINTEXT)
            && let Some(config) = &config
        {
            return git2::Cred::credential_helper(config, url, username);
        }
        git2::Cred::default()
    });
    callbacks
}

fn is_missing_object(e: &git2::Error) -> bool {
    let m = e.message().to_ascii_lowercase();
    e.code() == ErrorCode::NotFound
        || m.contains("not our ref")
        || m.contains("no such")
        || m.contains("not found")
        || m.contains("couldn't find remote ref")
}

/// The cache repository at `dir`, created (or re-created, if unreadable) as needed.
fn open_or_init(dir: &Utf8Path, upstream: Upstream) -> Result<Repository, SourceError> {
    match Repository::open_bare(dir) {
        Ok(repo) => Ok(repo),
        Err(_) => {
            remove_dir_all_if_exists(dir).map_err(io_err("cannot remove", dir))?;
            Repository::init_bare(dir)
                .map_err(|e| git_err(upstream, "creating the cache repository", e))
        }
    }
}

/// A branch, tag, `HEAD` or full commit that is safe inside a refspec.
fn is_valid_reference(r: &str) -> bool {
    if r == "HEAD" || CommitId::parse(r).is_ok() {
        return true;
    }
    !r.starts_with(['-', '+', '/'])
        && !r.contains([':', '*', '^', '~', '?', '[', '\\', ' ', '\0'])
        && git2::Reference::is_valid_name(&format!(
            "refs/heads/{}",
            r.trim_start_matches("refs/heads/")
        ))
}

fn has_commit(repo: &Repository, oid: Oid) -> bool {
    repo.find_commit(oid).and_then(|c| c.tree()).is_ok()
}

fn git_err(upstream: Upstream, action: &str, e: git2::Error) -> SourceError {
    SourceError::Git {
        upstream,
        action: action.to_owned(),
        message: redact(e.message()),
        hint: None,
    }
}

/// git refuses these names in trees; so do we (they would escape or alter the checkout).
fn is_safe_entry_name(name: &str) -> bool {
    !(name.is_empty()
        || name == "."
        || name == ".."
        || name.contains('/')
        || name.contains('\\')
        || name.contains('\0')
        || name.eq_ignore_ascii_case(".git")
        || name == READY_MARKER)
}

/// Writes the commit's tree under `dir` (which must be empty): regular files, executables and
/// symlinks, each created new so nothing is ever written through a link. Returns the commit time.
fn write_tree(
    repo: &Repository,
    upstream: Upstream,
    commit: &CommitId,
    dir: &Utf8Path,
) -> Result<i64, SourceError> {
    let oid =
        Oid::from_str(commit.as_str()).map_err(|e| git_err(upstream, "reading the pin", e))?;
    let found = repo
        .find_commit(oid)
        .map_err(|e| git_err(upstream, "reading the commit", e))?;
    let commit_time = found.time().seconds();
    let tree = found
        .tree()
        .map_err(|e| git_err(upstream, "reading the commit", e))?;
    let mut stack = vec![(tree, dir.to_owned())];
    while let Some((tree, at)) = stack.pop() {
        for entry in tree.iter() {
            let name = entry.name().unwrap_or("");
            if !is_safe_entry_name(name) {
                return Err(SourceError::UnsafeEntry {
                    upstream,
                    commit: commit.clone(),
                    name: String::from_utf8_lossy(entry.name_bytes()).into_owned(),
                });
            }
            let path = at.join(name);
            match entry.kind() {
                Some(ObjectType::Tree) => {
                    fs::create_dir(&path).map_err(io_err("cannot create", &path))?;
                    let sub = repo
                        .find_tree(entry.id())
                        .map_err(|e| git_err(upstream, "reading a tree", e))?;
                    stack.push((sub, path));
                }
                Some(ObjectType::Blob) => {
                    let blob = repo
                        .find_blob(entry.id())
                        .map_err(|e| git_err(upstream, "reading a file", e))?;
                    match entry.filemode() {
                        0o120000 => {
                            let target = std::str::from_utf8(blob.content()).map_err(|_| {
                                SourceError::UnsafeEntry {
                                    upstream,
                                    commit: commit.clone(),
                                    name: name.to_owned(),
                                }
                            })?;
                            std::os::unix::fs::symlink(target, &path)
                                .map_err(io_err("cannot create", &path))?;
                        }
                        mode => {
                            let mode = if mode & 0o111 != 0 { 0o755 } else { 0o644 };
                            let mut file =
                                create_new(&path, mode).map_err(io_err("cannot create", &path))?;
                            file.write_all(blob.content())
                                .map_err(io_err("cannot write", &path))?;
                        }
                    }
                }
                // Submodules (gitlinks) are not part of any pinned build; git leaves an empty folder.
                Some(ObjectType::Commit) => {
                    fs::create_dir(&path).map_err(io_err("cannot create", &path))?
                }
                _ => {}
            }
        }
    }
    Ok(commit_time)
}

/// Hashes every file under `dir` back to git blob ids and compares them with the commit's tree.
fn verify_tree(
    repo: &Repository,
    upstream: Upstream,
    commit: &CommitId,
    dir: &Utf8Path,
) -> Result<(), SourceError> {
    let oid =
        Oid::from_str(commit.as_str()).map_err(|e| git_err(upstream, "reading the pin", e))?;
    let tree = repo
        .find_commit(oid)
        .and_then(|c| c.tree())
        .map_err(|e| git_err(upstream, "reading the commit", e))?;
    let mismatch = |file: &str| SourceError::CheckoutMismatch {
        upstream,
        commit: commit.clone(),
        dir: dir.to_owned(),
        file: file.to_owned(),
    };
    let mut expected = 0usize;
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |prefix, entry| {
        if entry.kind() != Some(ObjectType::Blob) {
            return git2::TreeWalkResult::Ok;
        }
        expected += 1;
        let rel = format!("{prefix}{}", entry.name().unwrap_or(""));
        let path = dir.join(&rel);
        let actual = if entry.filemode() == 0o120000 {
            fs::read_link(&path)
                .ok()
                .and_then(|t| t.to_str().map(|t| t.to_owned()))
                .and_then(|t| Oid::hash_object(ObjectType::Blob, t.as_bytes()).ok())
        } else {
            let exec_ok = fs::symlink_metadata(&path)
                .map(|m| {
                    m.is_file()
                        && ((m.permissions().mode() & 0o100 != 0)
                            == (entry.filemode() & 0o111 != 0))
                })
                .unwrap_or(false);
            if exec_ok {
                Oid::hash_file(ObjectType::Blob, &path).ok()
            } else {
                None
            }
        };
        if actual != Some(entry.id()) {
            failure = Some(rel);
            return git2::TreeWalkResult::Abort;
        }
        git2::TreeWalkResult::Ok
    })
    .ok();
    if let Some(rel) = failure {
        return Err(mismatch(&rel));
    }
    // Nothing extra either: count regular files and links on disk.
    let mut on_disk = 0usize;
    count_files(dir, &mut on_disk).map_err(io_err("cannot read", dir))?;
    if on_disk != expected {
        return Err(mismatch("(file count differs)"));
    }
    Ok(())
}

fn count_files(dir: &Utf8Path, n: &mut usize) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            count_files(&utf8(entry.path())?, n)?;
        } else if entry.file_name() != READY_MARKER {
            *n += 1;
        }
    }
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct Marker {
    commit: String,
    commit_time: i64,
    fingerprint: String,
}

fn read_marker(dir: &Utf8Path) -> Option<Marker> {
    let path = dir.join(READY_MARKER);
    // A marker must be a plain file, never a link planted to point elsewhere.
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    serde_json::from_slice(&fs::read(&path).ok()?).ok()
}

/// A cheap digest of every path's type, size, mode and mtime: any edit after verification
/// changes it, without hashing hundreds of megabytes on every run.
fn fingerprint(dir: &Utf8Path) -> io::Result<String> {
    let mut entries = Vec::new();
    collect_stats(dir, dir, &mut entries)?;
    entries.sort();
    let mut hasher = Sha256::new();
    for e in &entries {
        hasher.update(e.as_bytes());
        hasher.update(b"\n");
    }
    Ok(hex(&hasher.finalize()))
}

fn collect_stats(root: &Utf8Path, dir: &Utf8Path, out: &mut Vec<String>) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = utf8(entry.path())?;
        let rel = path.strip_prefix(root).unwrap_or(&path).to_string();
        if rel == READY_MARKER {
            continue;
        }
        let meta = fs::symlink_metadata(&path)?;
        out.push(format!(
            "{rel}\0{:o}\0{}\0{}.{}",
            meta.mode(),
            meta.len(),
            meta.mtime(),
            meta.mtime_nsec()
        ));
        if meta.is_dir() {
            collect_stats(root, &path, out)?;
        }
    }
    Ok(())
}

/// A developer's tree: its HEAD, whether it has changes, and a hash of what a build would read.
fn prepare_override(upstream: Upstream, path: &Utf8Path) -> Result<Source, SourceError> {
    if !path.exists() {
        return Err(SourceError::OverrideMissing {
            upstream,
            path: path.to_owned(),
        });
    }
    let not_repo = |message: String| SourceError::OverrideNotARepository {
        upstream,
        path: path.to_owned(),
        message,
    };
    let repo = Repository::open(path).map_err(|e| not_repo(redact(e.message())))?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| not_repo("it is a bare repository".into()))?;
    let head = repo
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(|e| not_repo(format!("no HEAD commit: {}", e.message())))?;
    let commit = CommitId::parse(&head.id().to_string()).map_err(|e| not_repo(e.to_string()))?;
    let mut options = git2::StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(|e| git_err(upstream, "reading the override's status", e))?;
    let dirty = !statuses.is_empty();

    // The files a build reads: everything tracked plus untracked files git does not ignore.
    let mut files: Vec<String> = Vec::new();
    let index = repo
        .index()
        .map_err(|e| git_err(upstream, "reading the override's index", e))?;
    for entry in index.iter() {
        files.push(String::from_utf8_lossy(&entry.path).into_owned());
    }
    for status in statuses.iter() {
        if status.status().contains(git2::Status::WT_NEW)
            && let Ok(p) = status.path()
        {
            files.push(p.to_owned());
        }
    }
    files.sort();
    files.dedup();
    let root = utf8(workdir.to_owned()).map_err(io_err("bad path", path))?;
    let mut hasher = Sha256::new();
    for rel in &files {
        let file = root.join(rel);
        hasher.update(rel.as_bytes());
        hasher.update([0]);
        match fs::symlink_metadata(&file) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&file).map_err(io_err("cannot read", &file))?;
                hasher.update(b"link\0");
                hasher.update(target.as_os_str().as_encoded_bytes());
            }
            Ok(meta) if meta.is_file() => {
                hasher.update(if meta.mode() & 0o111 != 0 {
                    b"exec\0"
                } else {
                    b"file\0"
                });
                let mut f = fs::File::open(&file).map_err(io_err("cannot read", &file))?;
                update_from_reader(&mut hasher, &mut f).map_err(io_err("cannot read", &file))?;
            }
            _ => hasher.update(b"absent\0"),
        }
        hasher.update([0]);
    }
    Ok(Source {
        upstream,
        dir: root.clone(),
        commit,
        dirty,
        content_id: format!("sha256:{}", hex(&hasher.finalize())),
        commit_time: head.time().seconds(),
        origin: Origin::Override {
            path: root.to_string(),
        },
    })
}
