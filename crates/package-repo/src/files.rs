//! The file system steps on what comes from outside: names checked before any call uses them,
//! sizes before any byte is copied, links never followed.

use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};

use camino::{Utf8Path, Utf8PathBuf};

use crate::RepoError;

/// The largest package file taken (Docker's largest, docker-ce, is about 30 MB).
pub(crate) const MAX_PACKAGE: u64 = 1 << 30;
/// The most package files a folder may hold.
pub(crate) const MAX_ENTRIES: usize = 100_000;

/// Whether `name` may be a package file's name: what Debian and rpm file names are made of
/// (`docker-ce_5.29.7.2-1~debian.12~bookworm_amd64.deb`), no path, no leading dot.
pub(crate) fn is_package_name(name: &str, ext: &str) -> bool {
    name.len() <= 255
        && name.len() > ext.len()
        && name.ends_with(ext)
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+~-".contains(&b))
}

/// A name from outside as it can be shown: control characters escaped, at most 100 of them.
pub(crate) fn shown(name: &str) -> String {
    name.chars()
        .take(100)
        .flat_map(char::escape_debug)
        .collect()
}

/// The package files (`ext`: `.deb`, `.rpm`) of `dir`, sorted, each a regular file no larger
/// than [`MAX_PACKAGE`]. Any other entry is refused when `strict` (a package set), skipped
/// when not (a repository's pool, where only package files are indexed).
pub(crate) fn package_files(
    dir: &Utf8Path,
    ext: &'static str,
    strict: bool,
) -> Result<Vec<(String, u64)>, RepoError> {
    let refused = |name: &str, why| RepoError::Refused {
        dir: dir.to_owned(),
        name: shown(name),
        why,
        ext,
    };
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(RepoError::io("reading", dir))? {
        let entry = entry.map_err(RepoError::io("reading", dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| is_package_name(n, ext)) else {
            if strict {
                return Err(refused(
                    &name.to_string_lossy(),
                    "is not a package file's name",
                ));
            }
            continue;
        };
        if found.len() == MAX_ENTRIES {
            return Err(refused(name, "is past the most files a folder may hold"));
        }
        // Not followed: a link is refused, whatever it points at.
        let path = dir.join(name);
        let meta = std::fs::symlink_metadata(&path).map_err(RepoError::io("reading", &path))?;
        if !meta.file_type().is_file() {
            if strict {
                return Err(refused(name, "is not a regular file"));
            }
            return Err(RepoError::NotRegular { path });
        }
        if meta.len() > MAX_PACKAGE {
            return Err(RepoError::TooLarge {
                path,
                size: meta.len(),
                limit: MAX_PACKAGE,
                what: "package",
            });
        }
        found.push((name.to_owned(), meta.len()));
    }
    found.sort();
    Ok(found)
}

/// Copies the regular file `from` (never through a link) to the new file `to`, refusing it
/// past `limit` bytes, however it grows while read. Returns its size.
pub(crate) fn copy_limited(
    from: &Utf8Path,
    to: &Utf8Path,
    limit: u64,
    what: &'static str,
) -> Result<u64, RepoError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(from)
        .map_err(RepoError::io("opening", from))?;
    let meta = file.metadata().map_err(RepoError::io("reading", from))?;
    if !meta.file_type().is_file() {
        return Err(RepoError::NotRegular {
            path: from.to_owned(),
        });
    }
    let too_large = |size| RepoError::TooLarge {
        path: from.to_owned(),
        size,
        limit,
        what,
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut out = build_core::fs::create_new(to, 0o644).map_err(RepoError::io("creating", to))?;
    let copied = std::io::copy(&mut file.take(limit + 1), &mut out)
        .map_err(RepoError::io("copying into", to))?;
    if copied > limit {
        return Err(too_large(copied));
    }
    out.flush().map_err(RepoError::io("writing", to))?;
    Ok(copied)
}

/// Copies the tree `from` to the new folder `to` with hard links (a published file is never
/// written again, so sharing it is safe), or copies where the file system links none. Only
/// folders and regular files: anything else is refused, never followed.
pub(crate) fn link_tree(from: &Utf8Path, to: &Utf8Path) -> Result<(), RepoError> {
    std::fs::create_dir(to).map_err(RepoError::io("creating", to))?;
    let mut stack: Vec<Utf8PathBuf> = vec![Utf8PathBuf::new()];
    while let Some(relative) = stack.pop() {
        let dir = from.join(&relative);
        for entry in std::fs::read_dir(&dir).map_err(RepoError::io("reading", &dir))? {
            let entry = entry.map_err(RepoError::io("reading", &dir))?;
            let name = entry.file_name();
            let path = dir.join(name.to_string_lossy().as_ref());
            let Some(name) = name.to_str() else {
                return Err(RepoError::Stray { path });
            };
            let kind = entry.file_type().map_err(RepoError::io("reading", &path))?;
            let (source, target) = (dir.join(name), to.join(&relative).join(name));
            if kind.is_dir() {
                std::fs::create_dir(&target).map_err(RepoError::io("creating", &target))?;
                stack.push(relative.join(name));
            } else if kind.is_file() {
                if std::fs::hard_link(&source, &target).is_err() {
                    let size = std::fs::symlink_metadata(&source)
                        .map_err(RepoError::io("reading", &source))?
                        .size();
                    copy_limited(&source, &target, size, "file")?;
                }
            } else {
                return Err(RepoError::NotRegular { path: source });
            }
        }
    }
    Ok(())
}

/// Makes what this run wrote in `tree` readable by all, whatever the umask made of it: folders
/// 0755, and files 0644 but those linked from the published tree (published so already, and
/// never changed before the swap).
pub(crate) fn make_readable(tree: &Utf8Path) -> Result<(), RepoError> {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![tree.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(RepoError::io("reading", &dir))? {
            let entry = entry.map_err(RepoError::io("reading", &dir))?;
            let path = dir.join(entry.file_name().to_string_lossy().as_ref());
            let meta = std::fs::symlink_metadata(&path).map_err(RepoError::io("reading", &path))?;
            let mode = match meta.file_type() {
                kind if kind.is_dir() => {
                    stack.push(path.clone());
                    0o755
                }
                kind if kind.is_file() && meta.nlink() == 1 => 0o644,
                _ => continue,
            };
            if meta.mode() & 0o7777 != mode {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                    .map_err(RepoError::io("setting the mode of", &path))?;
            }
        }
    }
    std::fs::set_permissions(tree, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(RepoError::io("setting the mode of", tree))
}

/// Whether two files hold the same bytes.
pub(crate) fn same_bytes(a: &Utf8Path, b: &Utf8Path) -> Result<bool, RepoError> {
    let size = |p: &Utf8Path| {
        std::fs::metadata(p)
            .map(|m| m.len())
            .map_err(RepoError::io("reading", p))
    };
    if size(a)? != size(b)? {
        return Ok(false);
    }
    let hash =
        |p: &Utf8Path| build_core::digest::sha256_file(p).map_err(RepoError::io("reading", p));
    Ok(hash(a)? == hash(b)?)
}

/// Removes `path` if it exists (a file, or a folder and all it holds).
pub(crate) fn remove(path: &Utf8Path) -> Result<(), RepoError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
    .map_err(RepoError::io("removing", path))
}

/// Writes `text` into the new file `path` (never through a link).
pub(crate) fn write_new(path: &Utf8Path, text: &str) -> Result<(), RepoError> {
    remove(path)?;
    let mut file =
        build_core::fs::create_new(path, 0o644).map_err(RepoError::io("creating", path))?;
    file.write_all(text.as_bytes())
        .map_err(RepoError::io("writing", path))
}

/// The folders in `dir` (sorted), each a name the caller accepts; any other entry is refused.
pub(crate) fn folders(
    dir: &Utf8Path,
    accept: impl Fn(&str) -> bool,
) -> Result<Vec<String>, RepoError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(RepoError::io("reading", dir))? {
        let entry = entry.map_err(RepoError::io("reading", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(RepoError::io("reading", dir))?;
        if !kind.is_dir() || !accept(&name) {
            return Err(RepoError::Stray {
                path: dir.join(shown(&name)),
            });
        }
        found.push(name);
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_are_plain_file_names() {
        assert!(is_package_name(
            "docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb",
            ".deb"
        ));
        assert!(is_package_name("docker-ce-29.7.2-1.el9.x86_64.rpm", ".rpm"));
        for bad in [
            "../x.deb",
            ".deb",
            ".hidden.deb",
            "a/b.deb",
            "a b.deb",
            "x.rpm",
            "a\n.deb",
        ] {
            assert!(!is_package_name(bad, ".deb"), "{bad}");
        }
        assert_eq!(shown("a\nb"), "a\\nb");
    }
}
