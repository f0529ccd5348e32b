//! The output folder: checked before anything is fetched or written.

use camino::{Utf8Path, Utf8PathBuf};

use crate::BundleError;

/// `out` must be a folder we may write, and never inside a source tree or the cache (a build
/// must not change what it builds from).
pub fn check_output_dir(out: &Utf8Path, read_only: &[Utf8PathBuf]) -> Result<(), BundleError> {
    let refuse = |problem: String| BundleError::OutputDir {
        path: out.to_owned(),
        problem,
    };
    if out.as_str().contains('\0') || out.components().any(|c| c.as_str() == "..") {
        return Err(refuse("give a path without `..`".into()));
    }
    if let Ok(meta) = std::fs::symlink_metadata(out)
        && !meta.is_dir()
    {
        return Err(refuse(
            "it exists and is not a folder; pass a folder path (it is created if missing)".into(),
        ));
    }
    let resolved = resolve_existing_prefix(out);
    for tree in read_only {
        let tree = tree.canonicalize_utf8().unwrap_or_else(|_| tree.clone());
        if resolved.starts_with(&tree) {
            return Err(refuse(format!(
                "it is inside {tree}, a source tree or the cache; choose a folder outside it"
            )));
        }
    }
    // The nearest existing ancestor must be writable.
    let mut probe = out.to_owned();
    while !probe.exists() {
        match probe.parent() {
            Some(p) => probe = p.to_owned(),
            None => break,
        }
    }
    if tempfile::Builder::new()
        .prefix(".dockyard-write-test-")
        .tempfile_in(&probe)
        .is_err()
    {
        return Err(refuse(format!(
            "cannot write in {probe}; choose a folder you can write to"
        )));
    }
    Ok(())
}

/// `out` with its existing ancestors' symlinks resolved (the rest appended as given).
fn resolve_existing_prefix(out: &Utf8Path) -> Utf8PathBuf {
    let mut rest = Vec::new();
    let mut cur = out.to_owned();
    loop {
        if let Ok(mut real) = cur.canonicalize_utf8() {
            for part in rest.iter().rev() {
                real.push(part);
            }
            return real;
        }
        match (cur.file_name().map(str::to_owned), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                cur = parent.to_owned();
            }
            _ => return out.to_owned(),
        }
    }
}

/// Leftovers of killed runs whose names start with `prefix`. Safe: callers hold the lock that
/// covers them.
pub(crate) fn remove_stale(dir: &Utf8Path, prefix: &str) -> Result<(), BundleError> {
    let entries = std::fs::read_dir(dir).map_err(BundleError::io("reading", dir))?;
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(prefix))
        {
            let path = entry.path();
            let removed = if entry.file_type().is_ok_and(|t| t.is_dir()) {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.map_err(BundleError::io(
                "removing a leftover of a killed run",
                path.to_string_lossy().into_owned(),
            ))?;
        }
    }
    Ok(())
}
