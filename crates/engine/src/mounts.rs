//! Cleaning up after an engine: its mounts, read from `/proc/self/mountinfo` (through
//! `procfs`), deepest first.

use camino::Utf8Path;
use procfs::FromRead;
use procfs::process::MountInfos;

use crate::EngineError;

/// Mount points at or under `root`, deepest first, from a mount table.
fn mounts_under(mountinfo: &MountInfos, root: &Utf8Path) -> Vec<String> {
    let mut points: Vec<String> = mountinfo
        .iter()
        .filter_map(|mount| mount.mount_point.to_str())
        .map(unescape_mountinfo)
        .filter(|p| Utf8Path::new(p).starts_with(root))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
    points.dedup();
    points
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo` (procfs leaves them so).
fn unescape_mountinfo(field: &str) -> String {
    let mut out = Vec::new();
    let bytes = field.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let value = u8::from_str_radix(&field[i + 1..i + 4], 8).unwrap_or(b'?');
            out.push(value);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The kernel's mount table for this process.
const MOUNTINFO: &str = "/proc/self/mountinfo";

/// Unmounts everything mounted at or under `root`, deepest first (lazily, so a busy mount
/// never blocks), and says what is still mounted when that fails. A mount table that cannot be
/// read is an error, never "nothing mounted": callers remove `root` only after this succeeds,
/// and a user's folder bind-mounted under it must never go with it.
pub fn unmount_under(root: &Utf8Path) -> Result<(), EngineError> {
    unmount_under_with(root, Utf8Path::new(MOUNTINFO))
}

fn unmount_under_with(root: &Utf8Path, mountinfo: &Utf8Path) -> Result<(), EngineError> {
    let read = || {
        MountInfos::from_file(mountinfo).map_err(|e| {
            EngineError::Cleanup(format!(
                "cannot read the mount table {mountinfo} ({e}), so nothing under {root} was removed"
            ))
        })
    };
    for _ in 0..3 {
        let points = mounts_under(&read()?, root);
        if points.is_empty() {
            return Ok(());
        }
        for point in points {
            let Ok(c) = std::ffi::CString::new(point.as_bytes()) else {
                continue;
            };
            // SAFETY: a valid path; MNT_DETACH never blocks on busy mounts.
            unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
        }
    }
    let left = mounts_under(&read()?, root);
    if left.is_empty() {
        Ok(())
    } else {
        Err(EngineError::Cleanup(format!(
            "still mounted: {}; nothing under {root} was removed",
            left.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
300 22 0:50 / /tmp/dys-ab12/data/overlay2/x/merged rw - overlay overlay rw
301 22 0:51 / /tmp/dys-ab12/exec/netns/default rw - nsfs nsfs rw
302 22 0:52 / /tmp/dys-ab12/with\\040space rw - tmpfs tmpfs rw
303 22 0:53 / /tmp/dys-other rw - tmpfs tmpfs rw
";

    #[test]
    fn an_unreadable_mount_table_is_an_error_not_nothing_mounted() {
        let err = unmount_under_with(
            Utf8Path::new("/tmp/dys-ab12"),
            Utf8Path::new("/nonexistent/dockyard/mountinfo"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("cannot read the mount table /nonexistent/dockyard/mountinfo")
                && err.contains("nothing under /tmp/dys-ab12 was removed"),
            "{err}"
        );
    }

    #[test]
    fn finds_only_our_mounts_deepest_first_and_unescaped() {
        let table = MountInfos::from_read(MOUNTINFO.as_bytes()).unwrap();
        let points = mounts_under(&table, Utf8Path::new("/tmp/dys-ab12"));
        assert_eq!(
            points,
            [
                "/tmp/dys-ab12/data/overlay2/x/merged",
                "/tmp/dys-ab12/exec/netns/default",
                "/tmp/dys-ab12/with space"
            ]
        );
    }
}
