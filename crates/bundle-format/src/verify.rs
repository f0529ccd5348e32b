//! A bundle re-checked against its own records, offline; and finding the newest one.

use camino::{Utf8Path, Utf8PathBuf};

use crate::FormatError;
use crate::manifest::Manifest;

/// Checks that each component holds what its Docker release ships, every file in `SHA256SUMS`
/// against the manifest and the bytes on disk, and that each archive's folder holds nothing
/// else. Returns how many files were checked.
pub fn verify(dir: &Utf8Path) -> Result<usize, FormatError> {
    let manifest = Manifest::read(dir)?;
    let sums_path = dir.join("SHA256SUMS");
    let sums =
        std::fs::read_to_string(&sums_path).map_err(FormatError::io("reading", &sums_path))?;
    let damaged = |path: &str, problem: String| FormatError::Damaged {
        path: path.to_owned(),
        problem,
    };
    check_components(&manifest)?;
    let mut listed = Vec::new();
    for (n, line) in sums.lines().enumerate() {
        let Some((sha, path)) = line.split_once("  ") else {
            return Err(damaged(
                "SHA256SUMS",
                format!("line {} is not a `sha256  path` line", n + 1),
            ));
        };
        listed.push((sha.to_owned(), path.to_owned()));
    }
    let from_manifest: Vec<(String, String)> = manifest
        .files
        .iter()
        .map(|f| (f.sha256.clone(), f.path.clone()))
        .collect();
    if listed != from_manifest {
        let line = listed
            .iter()
            .zip(&from_manifest)
            .position(|(sum, file)| sum != file)
            .unwrap_or(listed.len().min(from_manifest.len()))
            + 1;
        return Err(damaged(
            "SHA256SUMS",
            format!("it and manifest.json disagree about the bundle's files from line {line} on"),
        ));
    }
    for (sha, path) in &listed {
        if path.starts_with('/') || path.split('/').any(|p| p == "..") {
            return Err(damaged(
                "SHA256SUMS",
                format!("it names {path}, outside the bundle"),
            ));
        }
        let file = dir.join(path);
        let meta = std::fs::symlink_metadata(&file).map_err(|_| damaged(path, "missing".into()))?;
        if !meta.is_file() {
            return Err(damaged(path, "not a regular file".into()));
        }
        let actual =
            build_core::digest::sha256_file(&file).map_err(FormatError::io("reading", &file))?;
        if &actual != sha {
            return Err(damaged(
                path,
                format!("checksum mismatch (expected {sha}, found {actual})"),
            ));
        }
    }
    if manifest.format >= 4 {
        crate::sbom::check(dir, &listed)?;
    }
    // Every binary of its components where its download tree puts it (`docker/dockerd.exe`
    // on Windows).
    let layout = manifest.target.layout().ok_or_else(|| {
        damaged(
            crate::manifest::MANIFEST,
            format!("its target {} has no download of Docker's", manifest.target),
        )
    })?;
    let binaries = manifest.components.iter().flat_map(|c| &c.binaries);
    let expected = binaries.filter_map(|b| Some(layout.path_of(crate::archive_of(b)?, b)));
    for path in expected {
        if !listed.iter().any(|(_, p)| *p == path) {
            return Err(damaged(
                &path,
                "missing from SHA256SUMS and the manifest".into(),
            ));
        }
    }
    let mut folders: Vec<String> = (crate::Archive::ALL.iter().map(|a| a.folder()))
        .chain([crate::PACKAGING_FOLDER])
        .map(str::to_owned)
        .collect();
    // The man pages' folder holds one folder per section.
    let man = dir.join(crate::MAN_FOLDER);
    if man.exists() {
        for entry in std::fs::read_dir(&man).map_err(FormatError::io("reading", &man))? {
            let entry = entry.map_err(FormatError::io("reading", &man))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{}/{name}", crate::MAN_FOLDER);
            let kind = entry
                .file_type()
                .map_err(FormatError::io("reading", &man))?;
            let section = name
                .strip_prefix("man")
                .is_some_and(|n| matches!(n.as_bytes(), [b'1'..=b'9']));
            if !kind.is_dir() || !section {
                return Err(damaged(
                    &path,
                    "not a section's folder (man1 to man9)".into(),
                ));
            }
            folders.push(path);
        }
    }
    for name in &folders {
        let folder = dir.join(name);
        // Older bundles have no plugins' (format 5), rootless extras' (format 6) or packaging
        // (format 7) folder.
        if name != crate::Archive::Static.folder() && !folder.exists() {
            continue;
        }
        for entry in std::fs::read_dir(&folder).map_err(FormatError::io("reading", &folder))? {
            let entry = entry.map_err(FormatError::io("reading", &folder))?;
            let path = format!("{name}/{}", entry.file_name().to_string_lossy());
            if !listed.iter().any(|(_, p)| *p == path) {
                return Err(damaged(
                    &path,
                    "not part of the bundle (an extra file)".into(),
                ));
            }
        }
    }
    Ok(listed.len())
}

/// Each component of the manifest lists exactly the binaries its Docker release ships of it
/// (Docker 27's rootless extras: rootlesskit and rootlesskit-docker-proxy), as its spec says.
fn check_components(manifest: &Manifest) -> Result<(), FormatError> {
    let damaged = |problem: String| FormatError::Damaged {
        path: crate::manifest::MANIFEST.to_owned(),
        problem,
    };
    let release = manifest.release().ok_or_else(|| {
        damaged(format!(
            "its version {} is not a Docker release",
            manifest.version
        ))
    })?;
    for recorded in &manifest.components {
        let Some(spec) = crate::COMPONENTS.iter().find(|c| c.name == recorded.name) else {
            continue;
        };
        let mut listed: Vec<&str> = recorded.binaries.iter().map(String::as_str).collect();
        let mut shipped = spec.binaries_for(release);
        listed.sort_unstable();
        shipped.sort_unstable();
        if listed != shipped {
            return Err(damaged(format!(
                "its {} has {}, where Docker {} ships {}",
                recorded.name,
                listed.join(", "),
                manifest.version,
                shipped.join(", ")
            )));
        }
    }
    Ok(())
}

/// The most recently published bundle under `root`.
pub fn newest_bundle(root: &Utf8Path) -> Result<Utf8PathBuf, FormatError> {
    let none = || FormatError::NoBundle {
        root: root.to_owned(),
    };
    let mut found: Vec<(std::time::SystemTime, Utf8PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(root).map_err(|_| none())?.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let path = root.join(&name);
        if name.starts_with("docker-")
            && path.join(crate::manifest::MANIFEST).is_file()
            && let Ok(modified) = entry.metadata().and_then(|m| m.modified())
        {
            found.push((modified, path));
        }
    }
    found.sort();
    found.pop().map(|(_, p)| p).ok_or_else(none)
}

/// The newest bundle under `root` and its siblings for other platforms: the folder of the
/// same name under `root/ARCH/` for each architecture Docker's download tree names (and
/// `root/win/x86_64/`, `root/mac/ARCH/`) (how a
/// build with several targets lays them out), when the host's is not itself among them.
pub fn newest_bundle_set(root: &Utf8Path) -> Result<Vec<Utf8PathBuf>, FormatError> {
    let mut candidates: Vec<Utf8PathBuf> = std::iter::once(root.to_owned())
        .chain(
            build_core::platform::ARCHITECTURES
                .iter()
                .map(|a| root.join(a.docker)),
        )
        .chain((build_core::platform::FOREIGN_PLATFORMS.iter()).map(|p| root.join(p.docker)))
        .collect();
    candidates.retain(|dir| dir.is_dir());
    let newest = candidates
        .iter()
        .filter_map(|dir| newest_bundle(dir).ok())
        .max_by_key(|dir| std::fs::metadata(dir).and_then(|m| m.modified()).ok())
        .ok_or_else(|| FormatError::NoBundle {
            root: root.to_owned(),
        })?;
    let name = newest.file_name().unwrap_or_default().to_owned();
    Ok(candidates
        .into_iter()
        .map(|dir| dir.join(&name))
        .filter(|dir| dir.join(crate::manifest::MANIFEST).is_file())
        .collect())
}
