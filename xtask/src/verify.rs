//! `cargo xtask verify`: a bundle re-checked against its own records, offline.

use anyhow::{Context, Result, bail};
use build_core::progress::Progress;
use camino::{Utf8Path, Utf8PathBuf};

use crate::flags::VerifyArgs;
use crate::publish::read_manifest;
use crate::status::StatusLines;

pub(crate) fn run(args: &VerifyArgs) -> Result<()> {
    let dir = match &args.bundle {
        Some(dir) => dir.clone(),
        None => newest_bundle(&crate::project_root().join("target/dockyard"))?,
    };
    let checked = verify(&dir)?;
    StatusLines::default().status(
        "Verified",
        &format!("{dir}: {checked} files match SHA256SUMS and manifest.json"),
    );
    Ok(())
}

/// Checks every file in `SHA256SUMS` and the manifest, and that `docker/` holds nothing else.
pub(crate) fn verify(dir: &Utf8Path) -> Result<usize> {
    let manifest = read_manifest(dir)?;
    let sums_path = dir.join("SHA256SUMS");
    let sums =
        std::fs::read_to_string(&sums_path).with_context(|| format!("cannot read {sums_path}"))?;
    let mut listed = Vec::new();
    for (n, line) in sums.lines().enumerate() {
        let Some((sha, path)) = line.split_once("  ") else {
            bail!("{sums_path}:{}: not a `sha256  path` line", n + 1);
        };
        listed.push((sha.to_owned(), path.to_owned()));
    }
    let from_manifest: Vec<(String, String)> = manifest
        .files
        .iter()
        .map(|f| (f.sha256.clone(), f.path.clone()))
        .collect();
    if listed != from_manifest {
        bail!("{sums_path} and manifest.json disagree about the bundle's files");
    }
    for (sha, path) in &listed {
        if path.starts_with('/') || path.split('/').any(|p| p == "..") {
            bail!("{sums_path} names {path}, outside the bundle");
        }
        let file = dir.join(path);
        let meta = std::fs::symlink_metadata(&file).with_context(|| format!("{path}: missing"))?;
        if !meta.is_file() {
            bail!("{path}: not a regular file");
        }
        let actual = build_core::digest::sha256_file(&file)
            .with_context(|| format!("cannot read {file}"))?;
        if &actual != sha {
            bail!(
                "{path}: checksum mismatch (expected {sha}, found {actual}); the bundle was changed or damaged: build it again"
            );
        }
    }
    for entry in std::fs::read_dir(dir.join("docker"))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !listed.iter().any(|(_, p)| *p == format!("docker/{name}")) {
            bail!("docker/{name}: not part of the bundle (an extra file)");
        }
    }
    Ok(listed.len())
}

/// The most recently published bundle under `root`.
pub(crate) fn newest_bundle(root: &Utf8Path) -> Result<Utf8PathBuf> {
    let mut found: Vec<(std::time::SystemTime, Utf8PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(root)
        .with_context(|| format!("no bundles in {root}: run `cargo xtask bundle` first"))?
    {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let path = root.join(&name);
        if name.starts_with("docker-") && path.join("manifest.json").is_file() {
            found.push((entry.metadata()?.modified()?, path));
        }
    }
    found.sort();
    found
        .pop()
        .map(|(_, p)| p)
        .with_context(|| format!("no bundles in {root}: run `cargo xtask bundle` first"))
}
