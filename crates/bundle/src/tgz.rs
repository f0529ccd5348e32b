//! The bundle's tgz, from gzip members cached per binary: after a one-component change only
//! that component's members are compressed again.

use std::io::Write;

use crate::archive::{self, Entry};
use build_core::{Artifact, ShippedFile};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::digest::common::hazmat::{SerializableState, SerializedState};
use sha2::{Digest, Sha256};

use crate::BundleError;
use crate::manifest::FORMAT;
use crate::publish::HashingWriter;
use bundle_format::Archive;

/// The deflate implementation (flate2's backend): another one writes other bytes, so cached
/// members are keyed by it.
pub(crate) const DEFLATE: &str = "zlib-rs";
/// gzip level of the tgz: Docker's default. Members are cached, so it is paid once per binary.
pub(crate) const GZIP_LEVEL: u32 = 6;
/// The binaries' mode inside the bundle and the tgz.
pub(crate) const BINARY_MODE: u32 = 0o755;

/// Writes the tgz at `path` and returns its SHA-256 and size.
///
/// The tgz is the directory member, one cached member per binary (sorted by name) and an end
/// member. Hashing 85 MB costs more than writing it, so the hasher's state after each prefix
/// of members is cached too: after a change to one binary only the members from it onwards
/// are hashed again. A prefix [`stage_prefix`] wrote while the changed components compiled
/// is moved into place, so its bytes are not even copied.
pub(crate) fn write_tgz(
    path: &Utf8Path,
    binaries: &[&Artifact],
    mtime: i64,
    cache: &Utf8Path,
) -> Result<(String, u64), BundleError> {
    let writing = || BundleError::io("writing the tgz", path);
    let list = MemberList::new(binaries, mtime, cache)?;
    let (mut hasher, mut size, known) = list.known_state();
    let staged = (2..=known).rev().find_map(|k| {
        let staged = list.staged_file(k);
        let len = std::fs::metadata(&staged).ok()?.len();
        // Only a prefix its remembered hash state vouches for, at least by length.
        let (_, hashed) = read_state(&list.state_file(k))?;
        (len == hashed && std::fs::rename(&staged, path).is_ok()).then_some((k, len))
    });
    let (mut file, from, mut written) = match staged {
        Some((k, len)) => {
            let file = std::fs::OpenOptions::new().append(true).open(path);
            (file.map_err(writing())?, k, len)
        }
        None => (
            build_core::fs::create_new(path, 0o644).map_err(writing())?,
            0,
            0,
        ),
    };
    written += list.append(&mut file, from, (&mut hasher, &mut size, known), path)?;
    let end = archive::end_member(GZIP_LEVEL).map_err(writing())?;
    file.write_all(&end).map_err(writing())?;
    hasher.update(&end);
    size += end.len() as u64;
    written += end.len() as u64;
    if written != size {
        // A remembered state that does not describe these bytes: never trust it.
        return Err(BundleError::io("checking the hash state of", path)(
            std::io::Error::other("a cached hash state is inconsistent; remove the tgz cache"),
        ));
    }
    // No fsync: a crash can leave a short file, but freshness checks every file's stat
    // against what was recorded after the swap (and rehashes), so such a bundle is rebuilt.
    file.flush().map_err(writing())?;
    Ok((build_core::digest::hex(&hasher.finalize()), size))
}

/// Writes the first members of a tgz (the directory and `binaries`, the first binaries by
/// name) into the member cache, for [`write_tgz`] to take over: run while the components
/// that follow them compile, it takes the copying of the unchanged binaries' members off the
/// path from an edit to a bundle. One staged prefix is kept at a time.
pub(crate) fn stage_prefix(
    binaries: &[&Artifact],
    mtime: i64,
    cache: &Utf8Path,
) -> Result<(), BundleError> {
    let list = MemberList::new(binaries, mtime, cache)?;
    let target = list.staged_file(list.len());
    if target.exists() {
        return Ok(());
    }
    let listing = std::fs::read_dir(cache).map_err(BundleError::io("reading", cache))?;
    for entry in listing.flatten() {
        if entry.file_name().to_string_lossy().starts_with("staged-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let staging = || BundleError::io("staging a tgz prefix in", cache);
    let mut tmp = tempfile::NamedTempFile::new_in(cache).map_err(staging())?;
    let (mut hasher, mut size, known) = list.known_state();
    list.append(
        tmp.as_file_mut(),
        0,
        (&mut hasher, &mut size, known),
        &target,
    )?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
        .map_err(staging())?;
    tmp.persist(&target).map_err(|e| staging()(e.error))?;
    Ok(())
}

/// A tgz's members by identity: the directory member, then one per binary.
struct MemberList<'a> {
    binaries: &'a [&'a Artifact],
    mtime: u64,
    cache: &'a Utf8Path,
    /// `prefixes[k - 1]` identifies the first k members, whatever follows them.
    prefixes: Vec<String>,
}

impl<'a> MemberList<'a> {
    fn new(
        binaries: &'a [&'a Artifact],
        mtime: i64,
        cache: &'a Utf8Path,
    ) -> Result<MemberList<'a>, BundleError> {
        std::fs::create_dir_all(cache).map_err(BundleError::io("creating", cache))?;
        let mtime = u64::try_from(mtime).unwrap_or(0);
        let mut ids = vec![format!(
            "{FORMAT} {DEFLATE} dir docker {mtime} {GZIP_LEVEL}"
        )];
        ids.extend(binaries.iter().map(|a| member_id((*a).into(), mtime)));
        let prefixes = (1..=ids.len())
            .map(|k| build_core::digest::hex(&Sha256::digest(ids[..k].join("\n").as_bytes())))
            .collect();
        Ok(MemberList {
            binaries,
            mtime,
            cache,
            prefixes,
        })
    }

    fn len(&self) -> usize {
        self.prefixes.len()
    }

    fn state_file(&self, k: usize) -> Utf8PathBuf {
        self.cache
            .join(format!("prefix-{}.sha256", self.prefixes[k - 1]))
    }

    fn staged_file(&self, k: usize) -> Utf8PathBuf {
        self.cache
            .join(format!("staged-{}.tgz", self.prefixes[k - 1]))
    }

    /// The longest prefix whose hash state is known: the hasher, its byte count, and k.
    fn known_state(&self) -> (Sha256, u64, usize) {
        (1..=self.len())
            .rev()
            .find_map(|k| {
                let (hasher, size) = read_state(&self.state_file(k))?;
                Some((hasher, size, k))
            })
            .unwrap_or_else(|| (Sha256::new(), 0, 0))
    }

    /// Writes members `from + 1 ..` to `file`, hashing those past the known state (and
    /// remembering the states); returns the bytes written.
    fn append(
        &self,
        file: &mut std::fs::File,
        from: usize,
        (hasher, size, known): (&mut Sha256, &mut u64, usize),
        path: &Utf8Path,
    ) -> Result<u64, BundleError> {
        let writing = || BundleError::io("writing the tgz", path);
        let mut written = 0u64;
        for k in from + 1..=self.len() {
            let member = if k == 1 {
                let dir = archive::member(&Entry::Dir { name: "docker" }, self.mtime, GZIP_LEVEL);
                Member::Bytes(dir.map_err(writing())?)
            } else {
                Member::Cached(cached_member(
                    self.binaries[k - 2].into(),
                    self.mtime,
                    self.cache,
                )?)
            };
            written += match member {
                Member::Bytes(bytes) if k <= known => {
                    file.write_all(&bytes).map_err(writing())?;
                    bytes.len() as u64
                }
                // Already hashed: copied file to file, so the kernel moves the bytes
                // (`copy_file_range`) and they never pass through this process.
                Member::Cached(cached) if k <= known => {
                    let mut member = std::fs::File::open(&cached)
                        .map_err(BundleError::io("reading a cached tgz member", &cached))?;
                    std::io::copy(&mut member, file).map_err(writing())?
                }
                member => {
                    let length = match member {
                        Member::Bytes(bytes) => {
                            file.write_all(&bytes).map_err(writing())?;
                            hasher.update(&bytes);
                            bytes.len() as u64
                        }
                        // Read and hashed a buffer at a time: dockerd's member is 30 MB.
                        Member::Cached(cached) => {
                            let copying =
                                || BundleError::io("copying a cached tgz member", &cached);
                            let from = std::fs::File::open(&cached).map_err(copying())?;
                            let mut to = HashingWriter {
                                inner: &mut *file,
                                hasher: &mut *hasher,
                            };
                            std::io::copy(&mut std::io::BufReader::new(from), &mut to)
                                .map_err(copying())?
                        }
                    };
                    *size += length;
                    write_state(&self.state_file(k), hasher, *size);
                    length
                }
            };
        }
        Ok(written)
    }
}

/// One gzip member of the tgz: made now, or a file of the member cache.
enum Member {
    Bytes(Vec<u8>),
    Cached(Utf8PathBuf),
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

/// A file as the tarballs see it: its name in the bundle, where its bytes are, their SHA-256
/// and size as recorded when it was built.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TarFile<'a> {
    pub(crate) name: &'a str,
    pub(crate) path: &'a Utf8Path,
    pub(crate) sha256: &'a str,
    pub(crate) size: u64,
}

impl<'a> From<&'a Artifact> for TarFile<'a> {
    fn from(a: &'a Artifact) -> TarFile<'a> {
        TarFile {
            name: &a.name,
            path: &a.path,
            sha256: &a.sha256,
            size: a.size,
        }
    }
}

impl<'a> From<&'a ShippedFile> for TarFile<'a> {
    fn from(f: &'a ShippedFile) -> TarFile<'a> {
        TarFile {
            name: &f.name,
            path: &f.path,
            sha256: &f.sha256,
            size: f.size,
        }
    }
}

pub(crate) fn member_id(file: TarFile<'_>, mtime: u64) -> String {
    let TarFile { name, sha256, .. } = file;
    match archive_of(name) {
        Archive::Static => {
            format!("{FORMAT} {DEFLATE} {name} {sha256} {BINARY_MODE:o} {mtime} {GZIP_LEVEL}")
        }
        // Another entry name, so another member.
        Archive::Plugin => {
            format!("{FORMAT} {DEFLATE} top {name} {sha256} {BINARY_MODE:o} {mtime} {GZIP_LEVEL}")
        }
        Archive::RootlessExtras => format!(
            "{FORMAT} {DEFLATE} {} {sha256} {BINARY_MODE:o} {mtime} {GZIP_LEVEL}",
            entry_name(name)
        ),
    }
}

/// The archive a file ships in.
fn archive_of(name: &str) -> Archive {
    bundle_format::archive_of(name).unwrap_or(Archive::Static)
}

/// A file's name inside its tarball: under the archive's folder (`docker/`,
/// `docker-rootless-extras/`), or alone at the top in a plugin's (as Docker's buildx download
/// has it).
fn entry_name(name: &str) -> String {
    match archive_of(name) {
        Archive::Plugin => name.to_owned(),
        archive => format!("{}/{name}", archive.folder()),
    }
}

/// The member cache's name for `file`'s member: it depends only on what the member holds.
pub(crate) fn member_file(file: TarFile<'_>, mtime: u64) -> String {
    let id = member_id(file, mtime);
    format!(
        "{}.gz",
        build_core::digest::hex(&Sha256::digest(id.as_bytes()))
    )
}

/// Whether the file `compressed` is exactly `file`'s member (a member another machine made),
/// read as a stream.
pub(crate) fn member_holds(
    file: TarFile<'_>,
    mtime: u64,
    compressed: &Utf8Path,
) -> std::io::Result<bool> {
    let name = entry_name(file.name);
    archive::member_holds(compressed, &entry(file, &name), mtime)
}

fn entry<'a>(file: TarFile<'a>, name: &'a str) -> Entry<'a> {
    Entry::File {
        name,
        source: file.path,
        mode: BINARY_MODE,
    }
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
        cached_member(artifact.into(), mtime, cache)?;
    }
    Ok(())
}

/// The file holding one binary's gzip member, compressed now if the member cache lacks it. A
/// member depends only on the entry's name, bytes, mode, time and the level.
pub(crate) fn cached_member(
    file: TarFile<'_>,
    mtime: u64,
    cache: &Utf8Path,
) -> Result<Utf8PathBuf, BundleError> {
    let cached = cache.join(member_file(file, mtime));
    if cached.is_file() {
        return Ok(cached);
    }
    let name = entry_name(file.name);
    let writing = || BundleError::io("writing a cached tgz member", &cached);
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(cache)
        .map_err(writing())?;
    // Compressed straight into the file: a 100 MB binary's member is never held in memory.
    let mut out = std::io::BufWriter::new(tmp.as_file_mut());
    archive::write_member(&entry(file, &name), mtime, GZIP_LEVEL, &mut out)
        .map_err(BundleError::io("compressing", file.path))?;
    std::io::Write::flush(&mut out).map_err(writing())?;
    drop(out);
    tmp.as_file().sync_all().map_err(writing())?;
    tmp.persist(&cached).map_err(|e| writing()(e.error))?;
    Ok(cached)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binaries(root: &Utf8Path) -> Vec<Artifact> {
        ["containerd", "dockerd", "runc"]
            .iter()
            .map(|name| {
                let path = root.join(name);
                let bytes = format!("{name} ").repeat(5000);
                std::fs::write(&path, &bytes).unwrap();
                Artifact {
                    name: (*name).into(),
                    path,
                    sha256: build_core::digest::hex(&Sha256::digest(bytes.as_bytes())),
                    size: bytes.len() as u64,
                    link: build_core::elf::LinkKind::Static,
                    toolchain: "go1.26.5".into(),
                    tags: Vec::new(),
                    c_libraries: Vec::new(),
                }
            })
            .collect()
    }

    fn tgz(dir: &Utf8Path, binaries: &[&Artifact], cache: &Utf8Path) -> (Vec<u8>, String) {
        let path = dir.join(format!("{}.tgz", std::fs::read_dir(dir).unwrap().count()));
        let (sha256, size) = write_tgz(&path, binaries, 7, cache).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len() as u64, size);
        assert_eq!(build_core::digest::hex(&Sha256::digest(&bytes)), sha256);
        (bytes, sha256)
    }

    fn staged(cache: &Utf8Path) -> Vec<String> {
        std::fs::read_dir(cache)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("staged-"))
            .collect()
    }

    #[test]
    fn a_staged_prefix_is_moved_in_and_gives_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let (bins, out) = (root.join("bins"), root.join("out"));
        std::fs::create_dir_all(&bins).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        let all = binaries(&bins);
        let all: Vec<&Artifact> = all.iter().collect();
        // Without staging, in a cache of its own.
        let (plain, plain_sha) = tgz(&out, &all, &root.join("cache-plain"));

        // Staged while "runc compiles", then the whole tgz written.
        let cache = root.join("cache");
        stage_prefix(&all[..2], 7, &cache).unwrap();
        assert_eq!(staged(&cache).len(), 1);
        let (with_staging, sha) = tgz(&out, &all, &cache);
        assert_eq!(with_staging, plain);
        assert_eq!(sha, plain_sha);
        assert!(staged(&cache).is_empty(), "the staged prefix was moved in");

        // A staged prefix that its hash state does not vouch for is ignored, never used.
        stage_prefix(&all[..2], 7, &cache).unwrap();
        let name = staged(&cache).pop().unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(cache.join(&name))
            .unwrap()
            .write_all(b"tampered")
            .unwrap();
        let (again, _) = tgz(&out, &all, &cache);
        assert_eq!(again, plain);
        assert_eq!(staged(&cache), [name], "the bad one is left alone");
    }

    #[test]
    fn only_one_prefix_is_staged_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let all = binaries(root);
        let all: Vec<&Artifact> = all.iter().collect();
        let cache = root.join("cache");
        stage_prefix(&all[..1], 7, &cache).unwrap();
        stage_prefix(&all[..2], 7, &cache).unwrap();
        assert_eq!(staged(&cache).len(), 1);
    }
}
