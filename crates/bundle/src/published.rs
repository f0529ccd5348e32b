//! What a published bundle folder holds: each file's stat as recorded after its swap, whether
//! the folder is still exactly a bundle, and the previous bundle's files to link.

use build_core::fs::StatFingerprint;
use camino::{Utf8Path, Utf8PathBuf};

use crate::manifest::Manifest;
use crate::tgz::TarFile;

/// The bundle being replaced, whose unchanged binaries are linked instead of copied: after the
/// swap it is deleted, so the new bundle becomes their only owner.
pub(crate) struct Previous {
    dir: Utf8PathBuf,
    manifest: Option<Manifest>,
    state: PublishedState,
}

impl Previous {
    pub(crate) fn read(dir: &Utf8Path, state: &Utf8Path) -> Previous {
        Previous {
            dir: dir.to_owned(),
            manifest: Manifest::read(dir).ok(),
            state: PublishedState::read(state),
        }
    }

    /// Hard-links the previous bundle's copy of `artifact` to `dest` when it is the same binary:
    /// the same checksum in its manifest, and the file exactly as it was published (size,
    /// mtime, ctime, inode). A damaged file is never carried forward.
    pub(crate) fn link_unchanged(&self, file: TarFile<'_>, path: &str, dest: &Utf8Path) -> bool {
        let Some(manifest) = &self.manifest else {
            return false;
        };
        let listed = manifest
            .files
            .iter()
            .any(|f| f.path == path && f.sha256 == file.sha256 && f.size == file.size);
        let old = self.dir.join(path);
        listed && self.state.untouched(&self.dir, path) && std::fs::hard_link(&old, dest).is_ok()
    }
}

/// Each published file's stat, recorded right after the swap: any later write changes its
/// ctime, so an unchanged stat proves unchanged bytes without reading them.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct PublishedState {
    files: std::collections::BTreeMap<String, StatFingerprint>,
}

impl PublishedState {
    fn stat(path: &Utf8Path) -> Option<StatFingerprint> {
        let m = std::fs::symlink_metadata(path)
            .ok()
            .filter(|m| m.is_file())?;
        Some(StatFingerprint::of(&m))
    }

    fn read(path: &Utf8Path) -> PublishedState {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Records `dir`'s files as they are now. A cache: without it, freshness rehashes.
    pub(crate) fn record(dir: &Utf8Path, manifest: &Manifest, path: &Utf8Path) {
        let files = manifest
            .files
            .iter()
            .filter_map(|f| Some((f.path.clone(), Self::stat(&dir.join(&f.path))?)))
            .collect();
        let state = PublishedState { files };
        let _ = build_core::fs::write_atomic(path, &serde_json::to_vec(&state).unwrap_or_default());
    }

    fn untouched(&self, dir: &Utf8Path, rel: &str) -> bool {
        let now = Self::stat(&dir.join(rel));
        now.is_some() && self.files.get(rel) == now.as_ref()
    }
}

/// The bundle folder already holds exactly this bundle, complete and undamaged: every file as
/// recorded at publish, or else hashed again and matching the manifest.
pub(crate) fn is_fresh(dir: &Utf8Path, key: &str, state_path: &Utf8Path) -> bool {
    let Ok(manifest) = Manifest::read(dir) else {
        return false;
    };
    if manifest.bundle_key != key || !dir.join("SHA256SUMS").is_file() {
        return false;
    }
    let state = PublishedState::read(state_path);
    let mut rehashed = false;
    for f in &manifest.files {
        if state.untouched(dir, &f.path) {
            continue;
        }
        rehashed = true;
        let path = dir.join(&f.path);
        let intact = PublishedState::stat(&path).is_some()
            && build_core::digest::sha256_file(&path).is_ok_and(|sha| sha == f.sha256);
        if !intact {
            return false;
        }
    }
    if rehashed {
        PublishedState::record(dir, &manifest, state_path);
    }
    true
}
