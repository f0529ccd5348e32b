//! The cache's layout: every path under the cache root is named here, and only here.
//!
//! ```text
//! git/<name>-<hash>.git     bare repositories, keyed by canonical URL
//! checkouts/<upstream>-<commit>[+patches.<id>]/   verified trees (a ready marker inside)
//! locks/<name>.lock         kernel locks shared by concurrent runs
//! work/tree-stats/<id>.json a working tree's file stats from the last run
//! work/<component>/         a component's build folder and log
//! artifacts/<component>-<key>/   built binaries and their record
//! tgz/                      compressed tarball members, by content
//! sysroots/<arch>/          another architecture's C libraries, from Debian's archive
//! sysroots/apt-lists[-<suite>]/  apt's package lists for them (per Debian release fetched)
//! engines/                  the state folders of engines `up` started
//! conformance/images/       the test images upstream suites would download
//! tools/                    programs builds run but never ship: Go tools at their pinned
//!                           versions, Wine's prefix
//! ```

use camino::{Utf8Path, Utf8PathBuf};

/// Paths under one cache root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheLayout {
    root: Utf8PathBuf,
}

impl CacheLayout {
    /// The layout under `root`.
    pub fn new(root: impl Into<Utf8PathBuf>) -> CacheLayout {
        CacheLayout { root: root.into() }
    }

    /// The cache root itself.
    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// Bare repositories.
    pub fn repositories(&self) -> Utf8PathBuf {
        self.root.join("git")
    }

    /// Verified checkouts.
    pub fn checkouts(&self) -> Utf8PathBuf {
        self.root.join("checkouts")
    }

    /// The lock named `name`.
    pub fn lock(&self, name: &str) -> Utf8PathBuf {
        self.locks().join(format!("{name}.lock"))
    }

    /// Every lock.
    pub fn locks(&self) -> Utf8PathBuf {
        self.root.join("locks")
    }

    /// The remembered file stats of the working tree with id `id`.
    pub fn tree_stats(&self, id: &str) -> Utf8PathBuf {
        self.root.join("work/tree-stats").join(format!("{id}.json"))
    }

    /// `component`'s build folder.
    pub fn work(&self, component: &str) -> Utf8PathBuf {
        self.root.join("work").join(component)
    }

    /// Built components.
    pub fn artifacts(&self) -> Utf8PathBuf {
        self.root.join("artifacts")
    }

    /// Compressed tarball members.
    pub fn tgz_members(&self) -> Utf8PathBuf {
        self.root.join("tgz")
    }

    /// Go's build cache as dockyard's `GOCACHEPROG` bridge keeps it on this machine (outputs
    /// by their output ID, actions by their action ID).
    pub fn go_cache(&self) -> Utf8PathBuf {
        self.root.join("go-cache")
    }

    /// Other architectures' C libraries.
    pub fn sysroots(&self) -> Utf8PathBuf {
        self.root.join("sysroots")
    }

    /// The engines `up` started.
    pub fn engines(&self) -> Utf8PathBuf {
        self.root.join("engines")
    }

    /// Programs builds run but never ship (Windows' resource compilers, built by Go at their
    /// pinned versions; the Wine prefix Windows binaries are checked in).
    pub fn tools(&self) -> Utf8PathBuf {
        self.root.join("tools")
    }

    /// The conformance suites' test images.
    pub fn test_images(&self) -> Utf8PathBuf {
        self.root.join("conformance/images")
    }
}
