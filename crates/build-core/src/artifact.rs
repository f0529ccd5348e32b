//! What a build produced: each binary with its checksum and link kind.

use camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};

use crate::clib::CLibrary;
use crate::elf::LinkKind;

/// One built binary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// The name it is installed under (`docker-init`, `runc`).
    pub name: String,
    /// Where it is.
    pub path: Utf8PathBuf,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// How it links.
    pub link: LinkKind,
    /// The toolchain that built it (`go1.26.8`, `cmake`).
    pub toolchain: String,
    /// The build tags it was built with (empty for C).
    pub tags: Vec<String>,
    /// The C libraries it links (none for a Go binary built without cgo).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub c_libraries: Vec<CLibrary>,
}

/// A file of the source tree shipped as it is (a script), as a build copied it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippedFile {
    /// The name it is shipped under (`dockerd-rootless.sh`).
    pub name: String,
    /// Where it is.
    pub path: Utf8PathBuf,
    /// SHA-256 of its bytes, lowercase hex.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The binaries one component produced, the files of its tree it ships, and its man pages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Artifacts {
    /// In the order the recipe lists them.
    pub binaries: Vec<Artifact>,
    /// In the order the descriptor lists them (most components ship none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ShippedFile>,
    /// The man pages its build generated, sorted by name, in the folder [`MAN_DIR`] of its
    /// output (most components make none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub man_pages: Vec<ShippedFile>,
}

/// The folder of a build's output (and of a cached build) holding its man pages, by name.
pub const MAN_DIR: &str = "man";

impl Artifacts {
    /// The binary named `name`, if built.
    pub fn get(&self, name: &str) -> Option<&Artifact> {
        self.binaries.iter().find(|a| a.name == name)
    }
}
