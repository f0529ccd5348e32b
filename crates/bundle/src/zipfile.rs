//! Windows' download, `docker-VERSION.zip`: the folder `docker/` and its executables, as
//! docker-ce-packaging's `zip -r docker-VERSION.zip docker` lays it out, written so two builds
//! of the same binaries give the same bytes: entries sorted, every time the bundle's
//! `SOURCE_DATE_EPOCH` (clamped to what a zip can say, 1980 to 2107), Unix modes 0755, no
//! extra fields, deflated by one compressor at one level.

use std::io::Write;

use camino::Utf8Path;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::BundleError;
use crate::publish::HashingWriter;
use crate::tgz::TarFile;

/// Deflate's level for every entry.
const LEVEL: i64 = 9;

/// Writes `path`, the folder `top` holding `files` under their names in the download
/// (`docker.exe`), and returns its SHA-256 and size.
pub(crate) fn write_zip(
    path: &Utf8Path,
    top: &str,
    files: &[(String, TarFile<'_>)],
    epoch: i64,
) -> Result<(String, u64), BundleError> {
    let writing = |e: zip::result::ZipError| {
        BundleError::io("writing the zip", path)(std::io::Error::other(e.to_string()))
    };
    let mut sorted: Vec<&(String, TarFile<'_>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let file = build_core::fs::create_new(path, 0o644)
        .map_err(BundleError::io("writing the zip", path))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .last_modified_time(dos_time(epoch))
        .unix_permissions(0o755)
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(LEVEL))
        .large_file(false);
    zip.add_directory(format!("{top}/"), options)
        .map_err(writing)?;
    for (name, file) in sorted {
        zip.start_file(format!("{top}/{name}"), options)
            .map_err(writing)?;
        let mut from =
            std::fs::File::open(file.path).map_err(BundleError::io("reading", file.path))?;
        let mut hasher = Sha256::new();
        let mut tee = HashingWriter {
            inner: &mut zip,
            hasher: &mut hasher,
        };
        std::io::copy(&mut from, &mut tee).map_err(BundleError::io("zipping", file.path))?;
        // The bytes zipped are the bytes the manifest lists.
        let found = build_core::digest::hex(&hasher.finalize());
        if found != file.sha256 {
            return Err(BundleError::CacheDamaged {
                path: file.path.to_owned(),
                expected: file.sha256.to_owned(),
                found,
            });
        }
    }
    let mut out = zip.finish().map_err(writing)?;
    out.flush()
        .map_err(BundleError::io("writing the zip", path))?;
    drop(out);
    let sha256 = build_core::digest::sha256_file(path).map_err(BundleError::io("hashing", path))?;
    let size = std::fs::metadata(path)
        .map_err(BundleError::io("reading", path))?
        .len();
    Ok((sha256, size))
}

/// `epoch` as a zip's MS-DOS time (UTC; two-second steps), within what it can hold.
fn dos_time(epoch: i64) -> zip::DateTime {
    let text = build_core::build::rfc3339(epoch);
    let field = |range: std::ops::Range<usize>| text[range].parse::<u16>().unwrap_or(0);
    let year = field(0..4).clamp(1980, 2107);
    let clamped = year != field(0..4);
    let datetime = match clamped {
        // Before 1980 or after 2107: the nearest time a zip can say.
        true if year == 1980 => zip::DateTime::from_date_and_time(1980, 1, 1, 0, 0, 0),
        true => zip::DateTime::from_date_and_time(2107, 12, 31, 23, 59, 58),
        false => zip::DateTime::from_date_and_time(
            year,
            field(5..7) as u8,
            field(8..10) as u8,
            field(11..13) as u8,
            field(14..16) as u8,
            field(17..19) as u8,
        ),
    };
    datetime.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_zips_of_the_same_files_are_the_same_bytes_and_list_them_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        let mut files = Vec::new();
        for (name, text) in [("dockerd", "engine\n"), ("docker", "client\n")] {
            let path = root.join(name);
            std::fs::write(&path, text).unwrap();
            let sha = build_core::digest::hex(&Sha256::digest(text.as_bytes()));
            files.push((format!("{name}.exe"), path, sha));
        }
        let tar_files: Vec<(String, TarFile<'_>)> = files
            .iter()
            .map(|(name, path, sha)| {
                let file = TarFile {
                    name: name.as_str(),
                    path,
                    sha256: sha,
                    size: 7,
                };
                (name.clone(), file)
            })
            .collect();
        let first = write_zip(&root.join("a.zip"), "docker", &tar_files, 1_700_000_000).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let again = write_zip(&root.join("b.zip"), "docker", &tar_files, 1_700_000_000).unwrap();
        assert_eq!(first, again);
        let mut zip =
            zip::ZipArchive::new(std::fs::File::open(root.join("b.zip")).unwrap()).unwrap();
        let names: Vec<String> = (0..zip.len())
            .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
            .collect();
        assert_eq!(
            names,
            ["docker/", "docker/docker.exe", "docker/dockerd.exe"]
        );
        let entry = zip.by_index(1).unwrap();
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        let time = entry.last_modified().unwrap();
        // 2023-11-14T22:13:20Z.
        assert_eq!((time.year(), time.month(), time.day()), (2023, 11, 14));
        assert_eq!(dos_time(0), zip::DateTime::default());
    }
}
