//! Why a source could not be prepared.

use std::io;

use camino::{Utf8Path, Utf8PathBuf};

use crate::pins::CommitId;
use crate::upstream::Upstream;
use crate::url::redact;

/// Why a source could not be prepared. Every variant names the upstream and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A patch that cannot be read or applied.
    #[error(transparent)]
    Patch(#[from] super::PatchError),
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
        "{upstream}: commit {commit} is in neither the cache nor a mirror, and offline it may not be fetched from {url}"
    )]
    NotCachedOffline {
        /// Which upstream.
        upstream: Upstream,
        /// The pinned commit.
        commit: CommitId,
        /// The remote that would have been used, redacted.
        url: String,
    },
    /// Offline, and no listing of the remote's tags was remembered.
    #[error(
        "{upstream}: the tags of {url} are not in the cache and offline they may not be listed"
    )]
    TagsNotCachedOffline {
        /// Which upstream.
        upstream: Upstream,
        /// The remote, redacted.
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
        "{upstream}: working tree {path} does not exist; pass the path of your {upstream} working tree"
    )]
    WorkingTreeMissing {
        /// Which upstream.
        upstream: Upstream,
        /// The path given.
        path: Utf8PathBuf,
    },
    /// The override path is not the top of a git working tree.
    #[error(
        "{upstream}: {path} is not a git working tree ({message}); pass the top folder of a clone of {upstream}"
    )]
    NotAWorkingTree {
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

pub(super) fn io_err(
    action: &'static str,
    path: &Utf8Path,
) -> impl FnOnce(io::Error) -> SourceError {
    let path = path.to_owned();
    move |source| SourceError::Io {
        action,
        path,
        source,
    }
}

pub(super) fn git_err(upstream: Upstream, action: &str, e: git2::Error) -> SourceError {
    SourceError::Git {
        upstream,
        action: action.to_owned(),
        message: redact(e.message()),
        hint: None,
    }
}
