//! Deterministic `.tgz` archives, assembled from cacheable gzip members.
//!
//! A gzip file may be several members one after another (RFC 1952), and `tar xzf` reads them as
//! one stream. So each file's tar entry is compressed on its own, once, and cached by its
//! content: after a one-binary change only that binary is compressed again. Entries are sorted
//! by the caller, owned by 0:0 with fixed modes, timed from `SOURCE_DATE_EPOCH`, and every gzip
//! header has mtime 0, so equal inputs give equal bytes.

use std::io::{self, Read, Write};

use camino::Utf8Path;
use flate2::{Compression, GzBuilder};

/// One entry of a tarball.
#[derive(Clone, Debug)]
pub(crate) enum Entry<'a> {
    /// A folder (`docker/`).
    Dir {
        /// Relative name, without the trailing slash.
        name: &'a str,
    },
    /// A regular file, read from `source`.
    File {
        /// Relative name inside the archive.
        name: &'a str,
        /// Where the bytes are.
        source: &'a Utf8Path,
        /// Permission bits (`0o755`).
        mode: u32,
    },
}

/// A name that must not go into an archive.
#[derive(Debug, thiserror::Error)]
#[error("refusing archive entry `{0}`: names must be relative, without `..`, and without NUL")]
pub(crate) struct UnsafeName(pub String);

fn check_name(name: &str) -> Result<(), UnsafeName> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains('\0')
        || name.contains('\\')
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        Err(UnsafeName(name.to_owned()))
    } else {
        Ok(())
    }
}

/// The gzip member holding `entry`'s tar header, data and padding (no end-of-archive blocks).
///
/// A file is read from its path with `O_NOFOLLOW`: only regular files go into an archive.
pub(crate) fn member(entry: &Entry<'_>, mtime: u64, level: u32) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    write_member(entry, mtime, level, &mut out)?;
    Ok(out)
}

/// [`member`], written to `out` as it is compressed: the entry is read in [`CHUNK`]s, as many
/// at a time as there are cores, so memory stays a few chunks whatever the file's size (a
/// 100 MB binary was held whole, then its gzip beside it). Returns the bytes written.
pub(crate) fn write_member(
    entry: &Entry<'_>,
    mtime: u64,
    level: u32,
    out: &mut impl Write,
) -> io::Result<u64> {
    let mut raw = entry_reader(entry, mtime)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut written = 0;
    let mut ended = false;
    while !ended {
        let mut chunks = Vec::with_capacity(threads);
        while chunks.len() < threads {
            let mut chunk = Vec::with_capacity(CHUNK);
            (&mut raw).take(CHUNK as u64).read_to_end(&mut chunk)?;
            ended = chunk.len() < CHUNK;
            if !chunk.is_empty() {
                chunks.push(chunk);
            }
            if ended {
                break;
            }
        }
        for compressed in gzip_parallel(&chunks, level) {
            let compressed = compressed?;
            out.write_all(&compressed)?;
            written += compressed.len() as u64;
        }
    }
    Ok(written)
}

/// `entry`'s tar bytes as a reader: its header blocks, the file's bytes, the padding.
fn entry_reader<'a>(entry: &Entry<'a>, mtime: u64) -> io::Result<Box<dyn io::Read + 'a>> {
    let Entry::File { source, .. } = entry else {
        return Ok(Box::new(io::Cursor::new(entry_bytes(entry, mtime)?)));
    };
    let file = open_regular(source)?;
    let size = file.metadata()?.len();
    // The header blocks alone: tar writes what it is given, and it is given no data.
    let mut header = Vec::new();
    write_entry_as(entry, mtime, size, io::empty(), &mut header)?;
    header.truncate(header.len() - END_OF_ARCHIVE as usize);
    let padding = (512 - size % 512) % 512;
    Ok(Box::new(
        io::Cursor::new(header)
            .chain(file.take(size))
            .chain(io::repeat(0).take(padding)),
    ))
}

/// Whether the gzip member in the file `compressed` holds exactly `entry`'s tar bytes: how a
/// member from another machine is checked without compressing again. Both sides are streamed
/// and compared as they come, and decompression stops one byte past the entry's length, so
/// memory stays flat and a gzip bomb costs no more than the entry it claims to be.
pub(crate) fn member_holds(
    compressed: &Utf8Path,
    entry: &Entry<'_>,
    mtime: u64,
) -> io::Result<bool> {
    let file = std::fs::File::open(compressed)?;
    let decoded = flate2::read::MultiGzDecoder::new(io::BufReader::new(file));
    let mut compare = Compare {
        decoded,
        equal: true,
        written: 0,
        ended_at: None,
    };
    write_entry(entry, mtime, &mut compare)?;
    if compare.ended_at.is_none() {
        // Everything written matched: the member must end exactly there.
        let mut more = [0u8; 1];
        if io::Read::read(&mut compare.decoded, &mut more)? != 0 {
            return Ok(false);
        }
        compare.ended_at = Some(compare.written);
    }
    // What was written ends with the archive's two zero blocks, which no member holds.
    Ok(compare.equal && compare.ended_at == compare.written.checked_sub(END_OF_ARCHIVE))
}

/// The two zero blocks `tar::Builder::finish` writes.
const END_OF_ARCHIVE: u64 = 1024;

/// A writer that compares what it is given with what `decoded` reads; past the end of
/// `decoded`, only zeros are equal.
struct Compare<R> {
    decoded: R,
    equal: bool,
    written: u64,
    ended_at: Option<u64>,
}

impl<R: io::Read> Write for Compare<R> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut read = [0u8; 8192];
        let mut rest = buf;
        while self.equal && !rest.is_empty() {
            if self.ended_at.is_some() {
                self.equal = rest.iter().all(|b| *b == 0);
                break;
            }
            let want = rest.len().min(read.len());
            let got = io::Read::read(&mut self.decoded, &mut read[..want])?;
            if got == 0 {
                self.ended_at = Some(self.written + (buf.len() - rest.len()) as u64);
                continue;
            }
            self.equal = read[..got] == rest[..got];
            rest = &rest[got..];
        }
        self.written += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `entry`'s tar header, data and padding, uncompressed.
fn entry_bytes(entry: &Entry<'_>, mtime: u64) -> io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    write_entry(entry, mtime, &mut raw)?;
    // `finish` wrote the two zero blocks that end an archive; they belong in the last member only.
    raw.truncate(raw.len() - END_OF_ARCHIVE as usize);
    Ok(raw)
}

/// `entry` as a one-entry tar archive (its end-of-archive blocks included) into `out`.
fn write_entry(entry: &Entry<'_>, mtime: u64, out: impl Write) -> io::Result<()> {
    match entry {
        Entry::File { source, .. } => {
            let file = open_regular(source)?;
            let size = file.metadata()?.len();
            write_entry_as(entry, mtime, size, file, out)
        }
        Entry::Dir { .. } => write_entry_as(entry, mtime, 0, io::empty(), out),
    }
}

/// `entry` as a one-entry tar archive of `size` bytes read from `data` into `out`.
fn write_entry_as(
    entry: &Entry<'_>,
    mtime: u64,
    size: u64,
    data: impl io::Read,
    out: impl Write,
) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_uid(0);
    header.set_gid(0);
    header.set_username("root")?;
    header.set_groupname("root")?;
    header.set_mtime(mtime);
    let mut builder = tar::Builder::new(out);
    builder.mode(tar::HeaderMode::Deterministic);
    match entry {
        Entry::Dir { name } => {
            check_name(name).map_err(io::Error::other)?;
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            builder.append_data(&mut header, format!("{name}/"), data)?;
        }
        Entry::File { name, mode, .. } => {
            check_name(name).map_err(io::Error::other)?;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(*mode);
            header.set_size(size);
            builder.append_data(&mut header, name, data)?;
        }
    }
    builder.finish()
}

/// Bytes per gzip member: big enough that compression barely suffers, small enough that a
/// 100 MB binary keeps every core busy.
const CHUNK: usize = 4 << 20;

/// Each of `chunks` as a gzip member of its own, compressed in parallel, in order. The output
/// depends only on the input and the level, never on the number of threads.
fn gzip_parallel(chunks: &[Vec<u8>], level: u32) -> Vec<io::Result<Vec<u8>>> {
    std::thread::scope(|scope| {
        let running: Vec<_> = chunks
            .iter()
            .map(|chunk| scope.spawn(move || gzip(chunk, level)))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join().unwrap_or_else(|panic| {
                    Err(io::Error::other(format!(
                        "a compression thread panicked: {}",
                        build_core::error::panic_message(panic)
                    )))
                })
            })
            .collect()
    })
}

/// The last member: the two zero blocks that end a tar archive.
pub(crate) fn end_member(level: u32) -> io::Result<Vec<u8>> {
    gzip(&[0u8; 1024], level)
}

fn gzip(bytes: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut encoder = GzBuilder::new()
        .mtime(0)
        .write(Vec::new(), Compression::new(level));
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn open_regular(path: &Utf8Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(format!("{path} is not a regular file")));
    }
    Ok(file)
}

/// The size of a tgz holding `files` (installed name, path) under `docker/`, packed as a
/// bundle's is: how `bench` compares upstream's binaries with a bundle's.
pub fn packed_size(files: &[(&str, camino::Utf8PathBuf)]) -> Result<u64, crate::BundleError> {
    let packing = |path: &Utf8Path| crate::BundleError::io("packing", path.to_owned());
    let mut size = member(&Entry::Dir { name: "docker" }, 0, crate::tgz::GZIP_LEVEL)
        .map_err(packing("docker/".into()))?
        .len() as u64;
    for (name, path) in files {
        let name = format!("docker/{name}");
        let entry = Entry::File {
            name: &name,
            source: path,
            mode: crate::tgz::BINARY_MODE,
        };
        size += write_member(&entry, 0, crate::tgz::GZIP_LEVEL, &mut std::io::sink())
            .map_err(packing(path))?;
    }
    let end = end_member(crate::tgz::GZIP_LEVEL).map_err(packing("the end member".into()))?;
    Ok(size + end.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_streamed_chunk_by_chunk_is_the_member_of_the_whole_entry() {
        // Over two chunks and not a multiple of one, so every boundary is crossed: the bytes
        // must be those of compressing the entry whole in chunks, or every key would change.
        let dir = tempfile::tempdir().unwrap();
        let source = camino::Utf8PathBuf::from_path_buf(dir.path().join("dockerd")).unwrap();
        let bytes: Vec<u8> = (0..(2 * CHUNK + 1234) as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        std::fs::write(&source, &bytes).unwrap();
        let entry = Entry::File {
            name: "docker/dockerd",
            source: &source,
            mode: 0o755,
        };
        let whole = entry_bytes(&entry, 7).unwrap();
        let expected: Vec<u8> = whole
            .chunks(CHUNK)
            .flat_map(|c| gzip(c, 6).unwrap())
            .collect();
        let mut streamed = Vec::new();
        let written = write_member(&entry, 7, 6, &mut streamed).unwrap();
        assert_eq!(written, streamed.len() as u64);
        assert!(streamed == expected, "the streamed member differs");
        let member = dir.path().join("member.gz");
        std::fs::write(&member, &streamed).unwrap();
        let member = camino::Utf8Path::from_path(&member).unwrap();
        assert!(member_holds(member, &entry, 7).unwrap());
        assert!(!member_holds(member, &entry, 8).unwrap());
    }

    #[test]
    fn names_that_escape_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "docker/../../x",
            "a//b",
            "a/./b",
            "a\0b",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} accepted");
        }
        check_name("docker/runc").unwrap();
    }

    #[test]
    fn concatenated_members_read_back_as_one_archive() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("hello");
        std::fs::write(&path, b"hello\n").unwrap();
        let mut tgz = member(&Entry::Dir { name: "docker" }, 7, 6).unwrap();
        tgz.extend(
            member(
                &Entry::File {
                    name: "docker/hello",
                    source: &path,
                    mode: 0o755,
                },
                7,
                6,
            )
            .unwrap(),
        );
        tgz.extend(end_member(6).unwrap());

        let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(&tgz[..]));
        let entries: Vec<(String, u32, u64, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().display().to_string(),
                    h.mode().unwrap(),
                    h.mtime().unwrap(),
                    h.uid().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            entries,
            vec![
                ("docker/".into(), 0o755, 7, 0),
                ("docker/hello".into(), 0o755, 7, 0)
            ]
        );
    }

    #[test]
    fn a_large_entry_is_split_into_members_that_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = Utf8Path::from_path(dir.path()).unwrap().join("big");
        let data: Vec<u8> = (0..(CHUNK * 2 + 12345)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let mut tgz = member(
            &Entry::File {
                name: "docker/big",
                source: &path,
                mode: 0o755,
            },
            0,
            1,
        )
        .unwrap();
        assert_eq!(
            tgz,
            member(
                &Entry::File {
                    name: "docker/big",
                    source: &path,
                    mode: 0o755
                },
                0,
                1
            )
            .unwrap()
        );
        tgz.extend(end_member(1).unwrap());
        let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(&tgz[..]));
        let mut entry = archive.entries().unwrap().next().unwrap().unwrap();
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut back).unwrap();
        assert!(back == data);
    }

    #[test]
    fn symlinks_are_not_followed_into_an_archive() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("link")).unwrap();
        let link = root.join("link");
        assert!(
            member(
                &Entry::File {
                    name: "docker/link",
                    source: &link,
                    mode: 0o644
                },
                0,
                1
            )
            .is_err()
        );
    }
}
