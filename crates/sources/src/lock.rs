//! Kernel file locks shared by concurrent dockyard runs.
//!
//! `flock`-style locks die with their process, so a killed run never blocks the next one, and
//! the lock file itself is harmless if left behind.

use std::fs::File;
use std::io;

use camino::{Utf8Path, Utf8PathBuf};

use crate::fs::create_no_follow;
use crate::progress::Progress;

/// An exclusive lock held until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: Utf8PathBuf,
}

impl FileLock {
    /// Takes the lock at `path` (creating the file, never through a symlink). If another process
    /// holds it, says so through `progress`, naming `what` is locked, and waits.
    pub fn acquire(path: &Utf8Path, what: &str, progress: &dyn Progress) -> io::Result<FileLock> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = create_no_follow(path, false)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                progress.status(
                    "Waiting",
                    &format!("for the lock on {what} (another dockyard run holds {path})"),
                );
                file.lock()?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        Ok(FileLock {
            _file: file,
            path: path.to_owned(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }
}
