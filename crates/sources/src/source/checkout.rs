//! Writing a commit's tree aside, hashing it back against the commit, and the ready marker
//! and stat fingerprint that make a checkout trusted later.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use camino::{Utf8Path, Utf8PathBuf};
use git2::{ObjectType, Oid, Repository};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{git_err, io_err};
use super::{
    Mirror, Origin, Patch, READY_MARKER, Source, SourceCache, SourceError, SourceRequest,
    checkout_name, patch, pinned_source,
};
use crate::digest::hex;
use crate::fs::{StatFingerprint, create_new, remove_dir_all_if_exists, utf8};
use crate::lock::FileLock;
use crate::pins::{CommitId, Pin};
use crate::progress::Progress;
use crate::upstream::Upstream;

impl SourceCache {
    /// What `prepare` would return, without re-verifying a pinned checkout that is already
    /// marked ready, and without writing one that is not (`Origin::Described`: the commit is
    /// fetched, its tree is not written): enough to compute what a build would produce. Call
    /// `prepare` before actually building from it. Other requests are prepared in full.
    pub fn describe(
        &self,
        request: &SourceRequest,
        progress: &dyn Progress,
    ) -> Result<Source, SourceError> {
        let (pin, patches) = match request {
            SourceRequest::Pinned { pin, .. } => (pin, &[][..]),
            SourceRequest::Patched { pin, patches, .. } => (pin, &patches[..]),
            _ => return self.prepare(request, progress),
        };
        let dir = self.patched_checkout_dir(pin.upstream, &pin.commit, patches);
        if let Some(marker) = read_marker(&dir)
            && marker.commit == pin.commit.as_str()
        {
            return Ok(pinned_source(
                pin,
                dir,
                patches,
                marker.commit_time,
                Origin::Cache,
            ));
        }
        // A pin's key is its commit: describing it needs the commit, not its tree. (A patched
        // tree's key is the patched tree's, so it is checked out.)
        if let SourceRequest::Pinned { pin, mirror } = request {
            // The checkout's lock, as preparing it takes: another run may be fetching into the
            // same repository.
            let name = checkout_name(pin.upstream, &pin.commit, &[]);
            let lock_path = self.layout.lock(&name);
            let lock = FileLock::acquire(
                &lock_path,
                &format!("the {} checkout", pin.upstream),
                progress,
            )
            .map_err(io_err("cannot lock", &lock_path))?;
            let described = self.commit_time(pin, mirror.as_ref(), progress);
            drop(lock);
            if let Ok(commit_time) = described {
                return Ok(pinned_source(pin, dir, &[], commit_time, Origin::Described));
            }
        }
        self.prepare(request, progress)
    }

    /// Writes the pinned tree, with `patches` applied, into a new temporary folder beside the
    /// checkouts and verifies it. The patches are applied in memory first: one that does not
    /// apply fails before anything is written.
    pub(super) fn checkout_aside(
        &self,
        pin: &Pin,
        mirror: Option<&Mirror>,
        patches: &[Patch],
        progress: &dyn Progress,
    ) -> Result<(tempfile::TempDir, Utf8PathBuf, i64, Origin), SourceError> {
        let (upstream, commit) = (pin.upstream, &pin.commit);
        let (repo, origin) = self.repository_with_commit(pin, mirror, progress)?;
        let oid =
            Oid::from_str(commit.as_str()).map_err(|e| git_err(upstream, "reading the pin", e))?;
        let found = repo
            .find_commit(oid)
            .map_err(|e| git_err(upstream, "reading the commit", e))?;
        let mut tree = found.tree_id();
        if !patches.is_empty() {
            progress.status(
                "Patching",
                &format!(
                    "{upstream} {commit} with {} patch{}",
                    patches.len(),
                    if patches.len() == 1 { "" } else { "es" }
                ),
            );
            tree = patch::apply(&repo, upstream, tree, patches)?;
        }
        progress.status("Checking out", &format!("{upstream} {commit}"));
        let checkouts = self.layout.checkouts();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(
                ".tmp-{}-",
                checkout_name(upstream, commit, patches)
            ))
            .tempdir_in(&checkouts)
            .map_err(io_err("cannot create a temporary folder in", &checkouts))?;
        let tmp_dir = utf8(tmp.path().to_owned()).map_err(io_err("bad path", &checkouts))?;
        write_tree(&repo, upstream, commit, tree, &tmp_dir)?;
        verify_tree(&repo, upstream, commit, tree, &tmp_dir)?;
        Ok((tmp, tmp_dir, found.time().seconds(), origin))
    }

    /// Leftovers of killed runs for this checkout. Safe: we hold its lock.
    pub(super) fn remove_stale_temps(&self, name: &str) -> Result<(), SourceError> {
        let dir = self.layout.checkouts();
        let prefix = format!(".tmp-{name}-");
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

/// Writes `tree` (the commit's, or its patched one) under `dir` (which must be empty): regular
/// files, executables and symlinks, each created new so nothing is ever written through a link.
fn write_tree(
    repo: &Repository,
    upstream: Upstream,
    commit: &CommitId,
    tree: Oid,
    dir: &Utf8Path,
) -> Result<(), SourceError> {
    let tree = repo
        .find_tree(tree)
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
    Ok(())
}

/// Hashes every file under `dir` back to git blob ids and compares them with `tree`.
fn verify_tree(
    repo: &Repository,
    upstream: Upstream,
    commit: &CommitId,
    tree: Oid,
    dir: &Utf8Path,
) -> Result<(), SourceError> {
    let tree = repo
        .find_tree(tree)
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
pub(super) struct Marker {
    pub(super) commit: String,
    pub(super) commit_time: i64,
    pub(super) fingerprint: String,
}

pub(super) fn read_marker(dir: &Utf8Path) -> Option<Marker> {
    let path = dir.join(READY_MARKER);
    // A marker must be a plain file, never a link planted to point elsewhere.
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() {
        return None;
    }
    serde_json::from_slice(&fs::read(&path).ok()?).ok()
}

/// A cheap digest of every path's mode and [`StatFingerprint`]: any edit after verification
/// changes it (also one that keeps the size and puts the mtime back), without hashing hundreds
/// of megabytes on every run.
pub(super) fn fingerprint(dir: &Utf8Path) -> io::Result<String> {
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
        let stat = StatFingerprint::of(&meta);
        out.push(format!(
            "{rel}\0{:o}\0{}\0{}\0{}\0{}",
            meta.mode(),
            stat.size,
            stat.mtime_ns,
            stat.ctime_ns,
            stat.ino
        ));
        if meta.is_dir() {
            collect_stats(root, &path, out)?;
        }
    }
    Ok(())
}

/// Marks a verified tree as trusted: the commit, its time and the tree's stat fingerprint,
/// written last and synced.
pub(super) fn write_marker(
    dir: &Utf8Path,
    commit: &CommitId,
    commit_time: i64,
) -> Result<(), SourceError> {
    let marker = Marker {
        commit: commit.to_string(),
        commit_time,
        fingerprint: fingerprint(dir).map_err(io_err("cannot read", dir))?,
    };
    let marker_path = dir.join(READY_MARKER);
    let mut file = create_new(&marker_path, 0o644).map_err(io_err("cannot write", &marker_path))?;
    file.write_all(&serde_json::to_vec(&marker).unwrap_or_default())
        .and_then(|()| file.sync_all())
        .map_err(io_err("cannot write", &marker_path))
}
