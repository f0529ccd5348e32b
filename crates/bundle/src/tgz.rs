//! The bundle's tgz, from gzip members cached per binary: after a one-component change only
//! that component's members are compressed again.

use std::io::Write;

use crate::archive::{self, Entry};
use build_core::Artifact;
use camino::Utf8Path;
use sha2::digest::common::hazmat::{SerializableState, SerializedState};
use sha2::{Digest, Sha256};

use crate::BundleError;
use crate::manifest::FORMAT;

/// The deflate implementation (flate2's backend): another one writes other bytes, so cached
/// members are keyed by it.
const DEFLATE: &str = "zlib-rs";
/// gzip level of the tgz: Docker's default. Members are cached, so it is paid once per binary.
const GZIP_LEVEL: u32 = 6;
/// The binaries' mode inside the bundle and the tgz.
pub(crate) const BINARY_MODE: u32 = 0o755;

/// Writes the tgz at `path` and returns its SHA-256 and size.
///
/// The tgz is the directory member, one cached member per binary (sorted by name) and an end
/// member. Hashing 85 MB costs more than writing it, so the hasher's state after each prefix
/// of members is cached too: after a change to one binary only the members from it onwards
/// are hashed again.
pub(crate) fn write_tgz(
    path: &Utf8Path,
    binaries: &[&Artifact],
    mtime: i64,
    cache: &Utf8Path,
) -> Result<(String, u64), BundleError> {
    let writing = || BundleError::io("writing the tgz", path);
    std::fs::create_dir_all(cache).map_err(BundleError::io("creating", cache))?;
    let mtime = u64::try_from(mtime).unwrap_or(0);
    // Each member's identity, and the identity of every prefix of the member list.
    let mut ids = vec![format!(
        "{FORMAT} {DEFLATE} dir docker {mtime} {GZIP_LEVEL}"
    )];
    ids.extend(binaries.iter().map(|a| member_id(a, mtime)));
    let prefixes: Vec<String> = (1..=ids.len())
        .map(|k| build_core::digest::hex(&Sha256::digest(ids[..k].join("\n").as_bytes())))
        .collect();
    let state_file = |k: usize| cache.join(format!("prefix-{}.sha256", prefixes[k - 1]));
    // The longest prefix whose hash state is known.
    let (mut hasher, mut size, known) = (1..=ids.len())
        .rev()
        .find_map(|k| {
            let (hasher, size) = read_state(&state_file(k))?;
            Some((hasher, size, k))
        })
        .unwrap_or_else(|| (Sha256::new(), 0, 0));

    let mut file = build_core::fs::create_new(path, 0o644).map_err(writing())?;
    let mut written = 0u64;
    for k in 1..=ids.len() {
        let member = if k == 1 {
            archive::member(&Entry::Dir { name: "docker" }, mtime, GZIP_LEVEL).map_err(writing())?
        } else {
            cached_member(binaries[k - 2], mtime, cache)?
        };
        file.write_all(&member).map_err(writing())?;
        written += member.len() as u64;
        if k > known {
            hasher.update(&member);
            size += member.len() as u64;
            write_state(&state_file(k), &hasher, size);
        }
    }
    let end = archive::end_member(GZIP_LEVEL).map_err(writing())?;
    file.write_all(&end).map_err(writing())?;
    hasher.update(&end);
    size += end.len() as u64;
    written += end.len() as u64;
    if written != size {
        // A remembered state that does not describe these bytes: never trust it.
        return Err(BundleError::Io {
            action: "checking the hash state of",
            path: path.to_owned(),
            source: std::io::Error::other(
                "a cached hash state is inconsistent; remove the tgz cache",
            ),
        });
    }
    // No fsync: a crash can leave a short file, but freshness checks every file's stat
    // against what was recorded after the swap (and rehashes), so such a bundle is rebuilt.
    file.flush().map_err(writing())?;
    Ok((build_core::digest::hex(&hasher.finalize()), size))
}

/// A hasher's state and the bytes it has seen, as cached for a prefix of members.
fn read_state(path: &Utf8Path) -> Option<(Sha256, u64)> {
    let bytes = std::fs::read(path).ok()?;
    let (size, state) = bytes.split_first_chunk::<8>()?;
    let state = SerializedState::<Sha256>::try_from(state).ok()?;
    Some((Sha256::deserialize(&state).ok()?, u64::from_le_bytes(*size)))
}

fn write_state(path: &Utf8Path, hasher: &Sha256, size: u64) {
    if path.exists() {
        return;
    }
    let mut bytes = size.to_le_bytes().to_vec();
    bytes.extend_from_slice(&hasher.serialize());
    // A cache: if it cannot be written, the next publish hashes more.
    let _ = build_core::fs::write_atomic(path, &bytes);
}

fn member_id(artifact: &Artifact, mtime: u64) -> String {
    format!(
        "{FORMAT} {DEFLATE} {} {} {BINARY_MODE:o} {mtime} {GZIP_LEVEL}",
        artifact.name, artifact.sha256
    )
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
    let id = member_id(artifact, mtime);
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

/// The size of a tgz holding `files` (installed name, path) under `docker/`, packed as a
/// bundle's is: how `bench` compares upstream's binaries with a bundle's.
pub fn packed_size(files: &[(&str, camino::Utf8PathBuf)]) -> Result<u64, BundleError> {
    let packing = |path: &Utf8Path| BundleError::io("packing", path.to_owned());
    let mut size = archive::member(&Entry::Dir { name: "docker" }, 0, GZIP_LEVEL)
        .map_err(packing("docker/".into()))?
        .len() as u64;
    for (name, path) in files {
        let name = format!("docker/{name}");
        let entry = Entry::File {
            name: &name,
            source: path,
            mode: BINARY_MODE,
        };
        size += archive::member(&entry, 0, GZIP_LEVEL)
            .map_err(packing(path))?
            .len() as u64;
    }
    let end = archive::end_member(GZIP_LEVEL).map_err(packing("the end member".into()))?;
    Ok(size + end.len() as u64)
}
