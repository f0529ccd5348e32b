//! The bundle's tgz, from gzip members cached per binary: after a one-component change only
//! that component's members are compressed again.

use std::io::Write;

use build_core::Artifact;
use build_core::archive::{self, Entry};
use camino::Utf8Path;
use sha2::{Digest, Sha256};

use crate::BundleError;
use crate::manifest::FORMAT;

/// gzip level of the tgz: Docker's default. Members are cached, so it is paid once per binary.
const GZIP_LEVEL: u32 = 6;
/// The binaries' mode inside the bundle and the tgz.
pub(crate) const BINARY_MODE: u32 = 0o755;

/// Writes the tgz at `path` and returns its SHA-256 and size.
pub(crate) fn write_tgz(
    path: &Utf8Path,
    binaries: &[&Artifact],
    mtime: i64,
    cache: &Utf8Path,
) -> Result<(String, u64), BundleError> {
    let writing = || BundleError::io("writing the tgz", path);
    std::fs::create_dir_all(cache).map_err(BundleError::io("creating", cache))?;
    let mtime = u64::try_from(mtime).unwrap_or(0);
    let mut file = build_core::fs::create_new(path, 0o644).map_err(writing())?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut emit = |bytes: &[u8]| -> Result<(), BundleError> {
        file.write_all(bytes).map_err(writing())?;
        hasher.update(bytes);
        size += bytes.len() as u64;
        Ok(())
    };
    emit(&archive::member(&Entry::Dir { name: "docker" }, mtime, GZIP_LEVEL).map_err(writing())?)?;
    for artifact in binaries {
        emit(&cached_member(artifact, mtime, cache)?)?;
    }
    emit(&archive::end_member(GZIP_LEVEL).map_err(writing())?)?;
    file.sync_all().map_err(writing())?;
    Ok((build_core::digest::hex(&hasher.finalize()), size))
}

/// Compresses `binaries`' tar members into the member cache ahead of publishing (a component's
/// members while the next component compiles), so publishing only concatenates.
pub(crate) fn precompress(
    binaries: &[Artifact],
    mtime: i64,
    cache: &Utf8Path,
) -> Result<(), BundleError> {
    std::fs::create_dir_all(cache).map_err(BundleError::io("creating", cache))?;
    let mtime = u64::try_from(mtime).unwrap_or(0);
    for artifact in binaries {
        cached_member(artifact, mtime, cache)?;
    }
    Ok(())
}

/// One binary's gzip member, from the member cache or compressed now and cached. A member
/// depends only on the entry's name, bytes, mode, time and the level.
fn cached_member(
    artifact: &Artifact,
    mtime: u64,
    cache: &Utf8Path,
) -> Result<Vec<u8>, BundleError> {
    let id = format!(
        "{FORMAT} {} {} {BINARY_MODE:o} {mtime} {GZIP_LEVEL}",
        artifact.name, artifact.sha256
    );
    let cached = cache.join(format!(
        "{}.gz",
        build_core::digest::hex(&Sha256::digest(id.as_bytes()))
    ));
    if let Ok(bytes) = std::fs::read(&cached) {
        return Ok(bytes);
    }
    let name = format!("docker/{}", artifact.name);
    let bytes = archive::member(
        &Entry::File {
            name: &name,
            source: &artifact.path,
            mode: BINARY_MODE,
        },
        mtime,
        GZIP_LEVEL,
    )
    .map_err(BundleError::io("compressing", &artifact.path))?;
    build_core::fs::write_atomic(&cached, &bytes)
        .map_err(BundleError::io("writing a cached tgz member", &cached))?;
    Ok(bytes)
}
