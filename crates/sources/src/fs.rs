//! File system steps that must never follow a symlink or leave half a file behind.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;

use camino::{Utf8Path, Utf8PathBuf};

/// Opens `path` for writing, creating it; fails if `path` is a symlink (`O_NOFOLLOW`).
pub fn create_no_follow(path: &Utf8Path, truncate: bool) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(truncate)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Creates a new file that must not exist yet (so nothing, not even a planted symlink, is
/// written through), with `mode`.
pub fn create_new(path: &Utf8Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Writes `contents` to `path` atomically: a temp file in the same directory, synced, then
/// renamed over `path`. Readers see the old file or the new one, never a part.
pub fn write_atomic(path: &Utf8Path, contents: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Utf8Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Turns a std path into a UTF-8 one, or says which path is not UTF-8.
pub fn utf8(path: std::path::PathBuf) -> io::Result<Utf8PathBuf> {
    Utf8PathBuf::from_path_buf(path).map_err(|p| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("path is not UTF-8: {}", p.display()),
        )
    })
}

/// Removes a directory tree if it exists; a missing one is fine.
pub fn remove_dir_all_if_exists(path: &Utf8Path) -> io::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Copies regular files, folders and symlinks (as links, never followed), leaving out entries
/// named in `skip` at any depth (`.git`, a checkout's ready marker).
pub fn copy_tree(from: &Utf8Path, to: &Utf8Path, skip: &[&str]) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let kind = entry.file_type()?;
        let src = entry.path();
        let dst = to.as_std_path().join(&name);
        if kind.is_dir() {
            let (src, dst) = (utf8(src)?, utf8(dst)?);
            copy_tree(&src, &dst, skip)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else if kind.is_file() {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// What identifies a file's content without reading it, the one test every "is it as it was?"
/// check uses (checkouts, working trees, published bundles): changed bytes change the ctime
/// (and usually the mtime and size), so a same-size edit with its mtime put back is still
/// seen; a file replaced by another changes the inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct StatFingerprint {
    /// Bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// Status change time, nanoseconds since the epoch.
    pub ctime_ns: i128,
    /// Inode number.
    pub ino: u64,
}

impl StatFingerprint {
    /// The fingerprint of `meta`.
    pub fn of(meta: &std::fs::Metadata) -> StatFingerprint {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        StatFingerprint {
            size: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
        }
    }

    /// The fingerprint of what is at `path` itself (a symlink is not followed).
    pub fn of_path(path: &Utf8Path) -> io::Result<StatFingerprint> {
        std::fs::symlink_metadata(path).map(|m| StatFingerprint::of(&m))
    }
}

/// Puts the folder `new` at `target` in one step: `renameat2(RENAME_EXCHANGE)` when `target`
/// exists (the old folder ends up at `new`, for the caller to remove), a plain rename
/// otherwise. Readers never see a missing or half-written folder.
pub fn swap_into_place(new: &std::path::Path, target: &std::path::Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    if !target.exists() {
        return std::fs::rename(new, target);
    }
    let a = CString::new(new.as_os_str().as_bytes())?;
    let b = CString::new(target.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_same_size_edit_with_its_mtime_put_back_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let file = Utf8PathBuf::from_path_buf(dir.path().join("main.go")).unwrap();
        std::fs::write(&file, "package a\n").unwrap();
        let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
        let before = StatFingerprint::of_path(&file).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&file, "package b\n").unwrap();
        File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let after = StatFingerprint::of_path(&file).unwrap();
        assert_eq!((after.size, after.mtime_ns), (before.size, before.mtime_ns));
        assert_ne!(after, before, "the ctime moved");
    }
}
