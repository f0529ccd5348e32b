//! A developer's working tree used as it is: its HEAD, whether it is dirty, and a hash of
//! everything a build would read.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;

use camino::Utf8Path;
use git2::Repository;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{git_err, io_err};
use super::{Origin, Source, SourceError};
use crate::digest::{hex, update_from_reader};
use crate::fs::{StatFingerprint, utf8};
use crate::pins::{CommitId, Pin};
use crate::upstream::Upstream;
use crate::url::redact;

/// A developer's tree: its HEAD, whether it has changes, and a hash of what a build would read.
///
/// `stats` is a file remembering each file's stat and digest from the last run, so only files
/// whose size, mtime, ctime or inode changed are read again (a one-line edit rehashes one file).
pub(super) fn prepare_working_tree(
    pin: &Pin,
    path: &Utf8Path,
    stats: &Utf8Path,
) -> Result<Source, SourceError> {
    let upstream = pin.upstream;
    if !path.exists() {
        return Err(SourceError::WorkingTreeMissing {
            upstream,
            path: path.to_owned(),
        });
    }
    let not_repo = |message: String| SourceError::NotAWorkingTree {
        upstream,
        path: path.to_owned(),
        message,
    };
    let repo = Repository::open(path).map_err(|e| not_repo(redact(e.message())))?;
    // `path` itself the git directory: a bare repository, also one without a config saying
    // so (git then takes its parent for the working tree).
    let is_git_dir = |dir: &std::path::Path| {
        std::fs::canonicalize(dir).ok() == std::fs::canonicalize(path.as_std_path()).ok()
    };
    let workdir = repo
        .workdir()
        .filter(|_| !is_git_dir(repo.path()))
        .ok_or_else(|| {
            not_repo(
                "it is a git directory (a bare repository or a .git folder), not a working tree"
                    .into(),
            )
        })?;
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
        .map_err(|e| git_err(upstream, "reading the working tree's status", e))?;
    let dirty = !statuses.is_empty();

    // The files a build reads: everything tracked plus untracked files git does not ignore.
    let mut files: Vec<String> = Vec::new();
    let index = repo
        .index()
        .map_err(|e| git_err(upstream, "reading the working tree's index", e))?;
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
    let remembered: BTreeMap<String, FileStat> = fs::read(stats)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut seen: BTreeMap<String, FileStat> = BTreeMap::new();
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
                let stat = StatFingerprint::of(&meta);
                let sha256 = match remembered.get(rel) {
                    Some(known) if known.stat == stat => known.sha256.clone(),
                    _ => {
                        let f = fs::File::open(&file).map_err(io_err("cannot read", &file))?;
                        let mut one = Sha256::new();
                        update_from_reader(&mut one, f).map_err(io_err("cannot read", &file))?;
                        hex(&one.finalize())
                    }
                };
                hasher.update(sha256.as_bytes());
                seen.insert(rel.clone(), FileStat { stat, sha256 });
            }
            _ => hasher.update(b"absent\0"),
        }
        hasher.update([0]);
    }
    // A cache of work done: losing it costs a full hash next time, nothing more.
    if let Some(dir) = stats.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let _ = crate::fs::write_atomic(stats, &serde_json::to_vec(&seen).unwrap_or_default());
    Ok(Source {
        upstream,
        dir: root.clone(),
        commit,
        version: pin.version.clone(),
        dirty,
        content_id: format!("sha256:{}", hex(&hasher.finalize())),
        commit_time: head.time().seconds(),
        origin: Origin::WorkingTree {
            path: root.to_string(),
        },
        patches: Vec::new(),
    })
}

/// A git working tree's HEAD and whether it has changes (untracked files git does not ignore
/// count): what a tool built from its own checkout says of itself. None when `path` is not in
/// a working tree with a commit.
pub fn tree_head(path: &Utf8Path) -> Option<(CommitId, bool)> {
    let repo = Repository::discover(path).ok()?;
    repo.workdir()?;
    let head = repo.head().and_then(|h| h.peel_to_commit()).ok()?;
    let commit = CommitId::parse(&head.id().to_string()).ok()?;
    let mut options = git2::StatusOptions::new();
    options.include_untracked(true).include_ignored(false);
    let dirty = !repo.statuses(Some(&mut options)).ok()?.is_empty();
    Some((commit, dirty))
}

/// Makes `dir`, a copy of a tree, a new git working tree whose one commit (HEAD) holds every
/// file in it, committed at `time` (seconds since the epoch): what a `WorkingTree` request can
/// name in place of a pin. Committed at the pinned commit's time, it keeps the epoch a clone
/// of the pin would have.
pub fn commit_as_working_tree(
    upstream: Upstream,
    dir: &Utf8Path,
    time: i64,
) -> Result<CommitId, SourceError> {
    let git = |action: &'static str| move |e: git2::Error| git_err(upstream, action, e);
    let repo = Repository::init(dir).map_err(git("making a working tree"))?;
    let mut index = repo.index().map_err(git("reading the new tree's index"))?;
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .map_err(git("adding the tree's files"))?;
    index.write().map_err(git("writing the new tree's index"))?;
    let tree = index
        .write_tree()
        .and_then(|id| repo.find_tree(id))
        .map_err(git("writing the tree"))?;
    let signature =
        git2::Signature::new("dockyard", "dockyard@localhost", &git2::Time::new(time, 0))
            .map_err(git("signing the commit"))?;
    let commit = repo
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            "dockyard: the tree as copied",
            &tree,
            &[],
        )
        .map_err(git("committing the tree"))?;
    CommitId::parse(&commit.to_string()).map_err(|e| SourceError::Git {
        upstream,
        action: "committing the tree".into(),
        message: e.to_string(),
        hint: None,
    })
}

/// A file as the last run saw it: its stat and the digest read then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FileStat {
    stat: StatFingerprint,
    sha256: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copied_tree_becomes_a_clean_working_tree_committed_at_the_given_time() {
        let dir = tempfile::tempdir().unwrap();
        let dir = Utf8Path::from_path(dir.path()).unwrap();
        fs::create_dir(dir.join("cmd")).unwrap();
        fs::write(dir.join("cmd/main.go"), "package main\n").unwrap();
        let commit = commit_as_working_tree(Upstream::Runc, dir, 1_700_000_000).unwrap();
        let repo = Repository::open(dir).unwrap();
        let head = repo.head().unwrap().peel_to_commit().unwrap();
        assert_eq!(head.id().to_string(), commit.to_string());
        assert_eq!(head.time().seconds(), 1_700_000_000);
        assert!(
            head.tree()
                .unwrap()
                .get_path("cmd/main.go".as_ref())
                .is_ok()
        );
        assert!(repo.statuses(None).unwrap().is_empty(), "nothing left out");
    }
}
