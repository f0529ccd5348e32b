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

mod checkout;
mod error;
mod fetch;
mod patch;
mod tags;
mod working_tree;

use std::fs;

use camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cache::CacheLayout;
use crate::digest::hex;
use crate::fs::remove_dir_all_if_exists;
use crate::lock::FileLock;
use crate::pins::{CommitId, Pin};
use crate::progress::Progress;
use crate::upstream::Upstream;
use crate::url::{RepoUrl, redact, redact_url};

pub use error::SourceError;
use error::io_err;
pub use patch::{Patch, PatchError, SERIES, marker, patch_set_id};
pub use tags::Tag;
pub use working_tree::{commit_as_working_tree, tree_head};

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
    /// Reads a mirror as people write it: a URL with a scheme, or else a local path.
    pub fn parse(s: &str) -> Result<Mirror, SourceError> {
        if s.is_empty() || s.starts_with('-') || s.contains('\0') {
            return Err(SourceError::BadMirror {
                given: redact_url(s),
                why: "empty, or starts with `-`, or has a NUL".into(),
            });
        }
        if let Some(path) = s.strip_prefix("file://") {
            if path
                .split('/')
                .next()
                .is_some_and(|host| host.contains('@'))
            {
                return Err(SourceError::BadMirror {
                    given: redact(s),
                    why: "a file:// URL names no user or password".into(),
                });
            }
            return Ok(Mirror::Url(format!("file://{path}")));
        }
        if s.contains("::") {
            return Err(SourceError::BadMirror {
                given: redact_url(s),
                why: "git transport helpers (`ext::`, `fd::`) are never used".into(),
            });
        }
        if s.contains("://") || (s.contains('@') && s.contains(':') && !s.starts_with('/')) {
            RepoUrl::parse(s).map_err(|e| SourceError::BadMirror {
                given: redact_url(s),
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
    /// Another repository (a fork) at a branch, tag or commit, e.g. `runc=URL@REF`.
    /// The ref is resolved to a commit when fetched; that commit is what is built and stamped.
    Fork {
        /// https, ssh or `file://`.
        url: String,
        /// A branch, tag or full commit; the remote's `HEAD` when `None`.
        reference: Option<String>,
        /// The pin it replaces (for the version to stamp).
        pin: Pin,
    },
    /// The pinned commit with patches applied in order, checked out on its own (the pinned
    /// checkout stays as it is).
    Patched {
        /// The pin.
        pin: Pin,
        /// Where to get the commit instead of `pin.repository`.
        mirror: Option<Mirror>,
        /// Applied in this order; never empty.
        patches: Vec<Patch>,
    },
    /// A developer's working tree, used as it is (dirty or not).
    WorkingTree {
        /// The pin it replaces (for the version to stamp).
        pin: Pin,
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
        self.pin().upstream
    }

    /// The pin this request builds or replaces.
    pub fn pin(&self) -> &Pin {
        match self {
            SourceRequest::Pinned { pin, .. }
            | SourceRequest::Patched { pin, .. }
            | SourceRequest::Fork { pin, .. }
            | SourceRequest::WorkingTree { pin, .. } => pin,
        }
    }
}

/// Where a prepared source came from (for people; URLs redacted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// An existing, verified checkout.
    Cache,
    /// Described from its pinned commit alone, with no checkout yet: the commit is in the
    /// cache's repository, and the tree is written and verified only when a build needs it
    /// (a component the artifact caches already hold never does).
    Described,
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
    WorkingTree {
        /// The working tree.
        path: String,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Cache => f.write_str("cache"),
            Origin::Described => f.write_str("not checked out"),
            Origin::Mirror { path } => write!(f, "mirror {path}"),
            Origin::Remote { url } => write!(f, "{url}"),
            Origin::WorkingTree { path } => write!(f, "working tree {path}"),
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
    /// The upstream's version, as its pin names it (`1.4.3`): what the binaries are stamped
    /// with.
    pub version: String,
    /// An override with changes not in `commit` (stamp `-dirty`).
    pub dirty: bool,
    /// Changes exactly when the tree's content changes: the commit for pinned trees, a hash of
    /// every file for overrides.
    pub content_id: String,
    /// The commit's committer time (seconds since the epoch): the default `SOURCE_DATE_EPOCH`.
    pub commit_time: i64,
    /// Where it came from.
    pub origin: Origin,
    /// The patches applied onto `commit`, in order (none for most sources).
    pub patches: Vec<Patch>,
}

impl Source {
    /// What a patched tree's versions end with (`+patches.1a2b3c4d`); none when unpatched.
    pub fn patch_marker(&self) -> Option<String> {
        marker(&self.patches)
    }
}

/// The on-disk cache of repositories and checkouts, shared by concurrent runs.
///
/// Layout: `git/<name>-<hash>.git` (bare repositories keyed by canonical URL), `checkouts/<upstream>-<commit>/`
/// (verified trees), `locks/` (kernel locks).
#[derive(Clone, Debug)]
pub struct SourceCache {
    layout: CacheLayout,
    offline: bool,
    fetch_attempts: u32,
}

impl SourceCache {
    /// A cache rooted at `root` (created if missing).
    pub fn new(root: Utf8PathBuf) -> Result<SourceCache, SourceError> {
        let layout = CacheLayout::new(root);
        for dir in [layout.repositories(), layout.checkouts(), layout.locks()] {
            fs::create_dir_all(&dir).map_err(io_err("cannot create cache folder", &dir))?;
        }
        Ok(SourceCache {
            layout,
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

    /// Whether the network is forbidden.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// How many times a failing fetch is tried (at least once).
    pub fn fetch_attempts(mut self, attempts: u32) -> SourceCache {
        self.fetch_attempts = attempts.max(1);
        self
    }

    /// The cache root.
    pub fn root(&self) -> &Utf8Path {
        self.layout.root()
    }

    /// Where everything under the root is.
    pub fn layout(&self) -> &CacheLayout {
        &self.layout
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
        self.layout
            .repositories()
            .join(format!("{name}-{hash}.git"))
    }

    /// The checkout directory of a pinned commit.
    pub fn checkout_dir(&self, upstream: Upstream, commit: &CommitId) -> Utf8PathBuf {
        self.layout
            .checkouts()
            .join(checkout_name(upstream, commit, &[]))
    }

    /// The checkout directory of a pinned commit with `patches` applied.
    pub fn patched_checkout_dir(
        &self,
        upstream: Upstream,
        commit: &CommitId,
        patches: &[Patch],
    ) -> Utf8PathBuf {
        self.layout
            .checkouts()
            .join(checkout_name(upstream, commit, patches))
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
            SourceRequest::Patched {
                pin,
                mirror,
                patches,
            } => self.prepare_checkout(pin, mirror.as_ref(), patches, progress),
            SourceRequest::Fork {
                url,
                reference,
                pin,
                ..
            } => self.prepare_fork(pin, url, reference.as_deref(), progress),
            SourceRequest::WorkingTree { pin, path } => {
                let stats = self
                    .layout
                    .tree_stats(&hex(&Sha256::digest(path.as_str()))[..16]);
                working_tree::prepare_working_tree(pin, path, &stats)
            }
        }
    }

    fn prepare_pinned(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        progress: &dyn Progress,
    ) -> Result<Source, SourceError> {
        self.prepare_checkout(pin, mirror, &[], progress)
    }

    /// The pinned tree, patched when `patches` are given, in its own verified checkout.
    fn prepare_checkout(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        patches: &[Patch],
        progress: &dyn Progress,
    ) -> Result<Source, SourceError> {
        let upstream = pin.upstream;
        let commit = &pin.commit;
        let name = checkout_name(upstream, commit, patches);
        let final_dir = self.layout.checkouts().join(&name);
        let lock_path = self.layout.lock(&name);
        let _lock = FileLock::acquire(&lock_path, &format!("the {upstream} checkout"), progress)
            .map_err(io_err("cannot lock", &lock_path))?;
        self.remove_stale_temps(&name)?;

        let source = |origin, commit_time| {
            pinned_source(pin, final_dir.clone(), patches, commit_time, origin)
        };
        match checkout::read_marker(&final_dir) {
            Some(marker)
                if marker.commit == commit.as_str()
                    && checkout::fingerprint(&final_dir).ok().as_ref()
                        == Some(&marker.fingerprint) =>
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

        let (tmp, tmp_dir, commit_time, origin) = match self
            .checkout_aside(pin, mirror, patches, progress)
        {
            // A damaged cache repository (truncated or deleted objects): start it afresh once.
            Err(e @ (SourceError::Git { .. } | SourceError::CheckoutMismatch { .. })) => {
                let repo_dir = self.repository_dir(pin.repository.as_str());
                progress.status("Repairing", &format!("{upstream} cache {repo_dir}: {e}"));
                remove_dir_all_if_exists(&repo_dir).map_err(io_err("cannot remove", &repo_dir))?;
                self.checkout_aside(pin, mirror, patches, progress)?
            }
            other => other?,
        };
        checkout::write_marker(&tmp_dir, commit, commit_time)?;
        let kept = tmp.keep();
        fs::rename(&kept, &final_dir)
            .map_err(io_err("cannot move the checkout into", &final_dir))?;
        Ok(source(origin, commit_time))
    }
}

/// `runc-<commit>`, or `runc-<commit>+patches.<16 hex>` for a patched tree.
fn checkout_name(upstream: Upstream, commit: &CommitId, patches: &[Patch]) -> String {
    if patches.is_empty() {
        format!("{upstream}-{commit}")
    } else {
        format!(
            "{upstream}-{commit}+patches.{}",
            &patch_set_id(patches)[..16]
        )
    }
}

/// A pinned (perhaps patched) checkout as a [`Source`]: a patched tree's content is the commit
/// and the patch set, so every key built from it covers the patches.
fn pinned_source(
    pin: &Pin,
    dir: Utf8PathBuf,
    patches: &[Patch],
    commit_time: i64,
    origin: Origin,
) -> Source {
    Source {
        upstream: pin.upstream,
        dir,
        commit: pin.commit.clone(),
        version: pin.version.clone(),
        dirty: false,
        content_id: if patches.is_empty() {
            pin.commit.to_string()
        } else {
            format!("{}+patches.{}", pin.commit, patch_set_id(patches))
        },
        commit_time,
        origin,
        patches: patches.to_vec(),
    }
}
