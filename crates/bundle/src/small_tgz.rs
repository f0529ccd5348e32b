//! The small tarballs beside the static tgz: each CLI plugin's and the rootless extras', cached
//! whole so publishing again copies them file to file.

use std::io::Write;

use crate::BundleError;
use crate::archive::{self, Entry};
use crate::manifest::FORMAT;
use crate::publish::HashingWriter;
use crate::tgz::{DEFLATE, GZIP_LEVEL, TarFile, cached_member, member_id};
use bundle_format::Archive;
use camino::Utf8Path;
use sha2::{Digest, Sha256};

/// The folder a tarball of `archive` begins with (a plugin's has none).
fn top_folder(archive: Archive) -> Option<&'static str> {
    (archive != Archive::Plugin).then(|| archive.folder())
}

/// Writes one of the small tarballs, a plugin's or the rootless extras' (`files` sorted by
/// name, under the archive's folder if it has one), at `path` and returns its SHA-256 and
/// size. The whole tarball is cached by its members' identities, with its checksum beside
/// it, so publishing again copies it file to file and hashes nothing.
pub(crate) fn write_small_tgz(
    path: &Utf8Path,
    archive: Archive,
    files: &[TarFile<'_>],
    mtime: i64,
    cache: &Utf8Path,
) -> Result<(String, u64), BundleError> {
    let writing = || BundleError::io("writing the tgz", path);
    std::fs::create_dir_all(cache).map_err(BundleError::io("creating", cache))?;
    let mtime = u64::try_from(mtime).unwrap_or(0);
    let mut ids: Vec<String> = top_folder(archive)
        .map(|top| format!("{FORMAT} {DEFLATE} dir {top} {mtime} {GZIP_LEVEL}"))
        .into_iter()
        .collect();
    ids.extend(files.iter().map(|f| member_id(*f, mtime)));
    let id = format!("{} tarball", ids.join("\n"));
    let cached = cache.join(format!(
        "{}.tgz",
        build_core::digest::hex(&Sha256::digest(id.as_bytes()))
    ));
    let sums = cached.with_extension("tgz.sha256");
    let known = std::fs::read_to_string(&sums).ok().and_then(|text| {
        let (sha256, size) = text.trim().split_once(' ')?;
        let size: u64 = size.parse().ok()?;
        // A tarball whose length is not what was recorded is made again.
        (std::fs::metadata(&cached).ok()?.len() == size).then(|| (sha256.to_owned(), size))
    });
    let (sha256, size) = match known {
        Some(known) => known,
        None => {
            // Written to the cache as it is hashed, member by member: a plugin's tarball (the
            // 70 MB docker-buildx) is never held in memory.
            let mut tmp = tempfile::Builder::new()
                .prefix(".tmp-")
                .tempfile_in(cache)
                .map_err(BundleError::io("writing a cached tarball", &cached))?;
            let mut hasher = Sha256::new();
            let mut out = HashingWriter {
                inner: std::io::BufWriter::new(tmp.as_file_mut()),
                hasher: &mut hasher,
            };
            if let Some(top) = top_folder(archive) {
                let member = archive::member(&Entry::Dir { name: top }, mtime, GZIP_LEVEL);
                out.write_all(&member.map_err(writing())?)
                    .map_err(writing())?;
            }
            for file in files {
                let member = cached_member(*file, mtime, cache)?;
                let mut from = std::fs::File::open(&member)
                    .map_err(BundleError::io("reading a cached tgz member", &member))?;
                std::io::copy(&mut from, &mut out).map_err(writing())?;
            }
            out.write_all(&archive::end_member(GZIP_LEVEL).map_err(writing())?)
                .map_err(writing())?;
            out.flush().map_err(writing())?;
            drop(out);
            let size = tmp.as_file().metadata().map_err(writing())?.len();
            let sha256 = build_core::digest::hex(&hasher.finalize());
            tmp.as_file().sync_all().map_err(writing())?;
            tmp.persist(&cached)
                .map_err(|e| BundleError::io("writing a cached tarball", &cached)(e.error))?;
            let record = format!("{sha256} {size}\n");
            build_core::fs::write_atomic(&sums, record.as_bytes()).map_err(BundleError::io(
                "writing a cached tarball's checksum",
                &sums,
            ))?;
            (sha256, size)
        }
    };
    let mut from = std::fs::File::open(&cached)
        .map_err(BundleError::io("reading a cached tarball", &cached))?;
    let mut file = build_core::fs::create_new(path, 0o644).map_err(writing())?;
    let copied = std::io::copy(&mut from, &mut file).map_err(writing())?;
    if copied != size {
        return Err(BundleError::io("copying the cached tarball to", path)(
            std::io::Error::other("it changed while it was copied; run again"),
        ));
    }
    Ok((sha256, size))
}

#[cfg(test)]
mod tests {
    use super::*;
    use build_core::Artifact;

    #[test]
    fn a_plugin_s_tarball_is_its_binary_alone_and_the_same_from_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let path = root.join("docker-buildx");
        std::fs::write(&path, b"buildx bytes\n").unwrap();
        let plugin = Artifact {
            name: "docker-buildx".into(),
            sha256: build_core::digest::hex(&Sha256::digest(b"buildx bytes\n")),
            size: 13,
            path,
            link: build_core::elf::LinkKind::Static,
            toolchain: "go1.26.5".into(),
            tags: Vec::new(),
            c_libraries: Vec::new(),
        };
        let cache = root.join("cache");
        let write = |name: &str| {
            let files = [TarFile::from(&plugin)];
            write_small_tgz(&root.join(name), Archive::Plugin, &files, 7, &cache).unwrap()
        };
        let first = write("a.tgz");
        let again = write("b.tgz");
        assert_eq!(first, again);
        let bytes = std::fs::read(root.join("b.tgz")).unwrap();
        assert_eq!(build_core::digest::hex(&Sha256::digest(&bytes)), first.0);
        let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(&bytes[..]));
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["docker-buildx"]);
    }
}
