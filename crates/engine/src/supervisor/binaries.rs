//! The engine's own `bin/`: the binaries it runs, hard-linked from a bundle or the artifact
//! cache (copied across file systems). The engine never runs from the bundle folder itself, so
//! a republish changes nothing under it, and a rebuilt binary can be put in place (and its
//! daemon restarted) before the bundle is published. What each file is, is recorded by
//! checksum in `bin/.installed.json`, so telling what changed reads no binary.

use std::collections::BTreeMap;

use bundle_format::Manifest;
use camino::{Utf8Path, Utf8PathBuf};

use crate::EngineError;

const INSTALLED: &str = ".installed.json";

/// A binary to run: its installed name, where it is, and its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binary {
    /// `dockerd`.
    pub name: String,
    /// The file (in a bundle or the artifact cache).
    pub path: Utf8PathBuf,
    /// Its SHA-256, as its manifest or artifact record says.
    pub sha256: String,
}

impl From<&build_core::Artifact> for Binary {
    fn from(built: &build_core::Artifact) -> Binary {
        Binary {
            name: built.name.clone(),
            path: built.path.clone(),
            sha256: built.sha256.clone(),
        }
    }
}

/// The binaries of a bundle folder, with the checksums its manifest records.
pub(crate) fn of_bundle(bundle: &Utf8Path) -> Result<Vec<Binary>, EngineError> {
    let manifest = Manifest::read(bundle)?;
    Ok(manifest
        .files
        .iter()
        .filter_map(|f| {
            // Every archive's files: the engine's, the plugins and the rootless extras.
            let (folder, name) = f.path.split_once('/')?;
            bundle_format::Archive::ALL
                .iter()
                .find(|a| a.folder() == folder)?;
            Some(Binary {
                name: name.to_owned(),
                path: bundle.join(&f.path),
                sha256: f.sha256.clone(),
            })
        })
        .collect())
}

/// Puts each binary into `bin` (a new link renamed over the old one, so a running process
/// keeps its file) and returns the names of those that changed.
pub(crate) fn install(bin: &Utf8Path, binaries: &[Binary]) -> Result<Vec<String>, EngineError> {
    std::fs::create_dir_all(bin).map_err(EngineError::io("creating", bin))?;
    let record = bin.join(INSTALLED);
    let mut installed: BTreeMap<String, String> = std::fs::read(&record)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let mut changed = Vec::new();
    for binary in binaries {
        let dest = bin.join(&binary.name);
        if installed.get(&binary.name) == Some(&binary.sha256) && dest.is_file() {
            continue;
        }
        install_program(bin, &binary.name, &binary.path)?;
        installed.insert(binary.name.clone(), binary.sha256.clone());
        changed.push(binary.name.clone());
    }
    let json = serde_json::to_vec_pretty(&installed).unwrap_or_default();
    build_core::fs::write_atomic(&record, &json).map_err(EngineError::io("writing", &record))?;
    Ok(changed)
}

/// Puts the program at `path` into `bin` as `name` (a new link, or a copy across file systems,
/// renamed over the old one).
pub(crate) fn install_program(
    bin: &Utf8Path,
    name: &str,
    path: &Utf8Path,
) -> Result<(), EngineError> {
    std::fs::create_dir_all(bin).map_err(EngineError::io("creating", bin))?;
    let dest = bin.join(name);
    let staged = bin.join(format!(".{name}.new"));
    let _ = std::fs::remove_file(&staged);
    if std::fs::hard_link(path, &staged).is_err() {
        std::fs::copy(path, &staged).map_err(EngineError::io("copying", path))?;
    }
    std::fs::rename(&staged, &dest).map_err(EngineError::io("installing", &dest))
}
