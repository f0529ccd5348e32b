//! `manifest.json`: what a bundle was built from and every file's checksum. Read and written
//! here only.

use build_core::elf::LinkKind;
use build_core::source::{Patch, marker};
use build_core::{Linkage, Target, Upstream};
use camino::Utf8Path;
use serde::{Deserialize, Serialize};

use crate::FormatError;

/// Bumped when the bundle's layout or a cache format changes (6: the rootless extras; 7: the
/// packaging folder; 8: the man pages; 9: each component's C compiler, the SBOM's digests of
/// the `.deb`s dockyard downloaded).
pub const FORMAT: u32 = 9;

/// The file name, in the bundle folder.
pub const MANIFEST: &str = "manifest.json";

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`] when written.
    pub format: u32,
    /// The release (moby's version), which names the bundle.
    pub version: String,
    /// Static or dynamic.
    pub linkage: Linkage,
    /// The platform built for.
    pub target: Target,
    /// Every embedded time.
    pub source_date_epoch: i64,
    /// Go binaries built for a debugger (unoptimised, DWARF kept, versions marked `+debug`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub debug: bool,
    /// Hash of every component key: equal means this bundle is already what would be built.
    pub bundle_key: String,
    /// Per component: where it came from and how it was built.
    pub components: Vec<ManifestComponent>,
    /// Every file but the manifest, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// One component's provenance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestComponent {
    /// The component's name (`proxy`).
    pub name: String,
    /// Its pinned upstream.
    pub upstream: Upstream,
    /// Where it was built from: `pin` (the pinned repository or a mirror of it), `fork` (another
    /// repository at a ref) or `working-tree` (a developer's tree, used as it was).
    pub source: SourceKind,
    /// The pinned repository, or the fork's URL; credentials redacted. None for a working
    /// tree, whose path is never recorded.
    pub repository: Option<String>,
    /// For a working tree: the hash of everything the build read.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub content_id: Option<String>,
    /// The tag (or a fork's ref) the commit came from; absent when the tag was found to name
    /// another commit.
    #[serde(rename = "ref")]
    pub tag: Option<String>,
    /// The pinned version (binaries show it with [`ManifestComponent::stamped_version`]).
    pub version: String,
    /// The patches applied onto the pinned commit, in order: each file's name and SHA-256.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub patches: Vec<Patch>,
    /// The commit built (for a working tree, its HEAD).
    pub commit: String,
    /// Built from a working tree with changes.
    pub dirty: bool,
    /// The Go release that built it (none for C).
    pub go: Option<String>,
    /// The C compiler that built or linked it (`gcc --version`'s first line); none when
    /// nothing of it is C.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_compiler: Option<String>,
    /// Every build tag any of its binaries used.
    pub tags: Vec<String>,
    /// Its binaries.
    pub binaries: Vec<String>,
}

impl ManifestComponent {
    /// The version its binaries show: the pinned one, and the patch set's marker when patched
    /// (`1.4.3+patches.1a2b3c4d`).
    pub fn stamped_version(&self) -> String {
        format!(
            "{}{}",
            self.version,
            marker(&self.patches).unwrap_or_default()
        )
    }
}

/// Where a component was built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// The pinned commit.
    Pin,
    /// Another repository at a ref.
    Fork,
    /// A developer's working tree.
    WorkingTree,
}

/// One file of the bundle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Relative to the bundle folder.
    pub path: String,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Bytes.
    pub size: u64,
    /// How a binary links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<LinkKind>,
}

impl Manifest {
    /// Reads `dir/manifest.json`.
    pub fn read(dir: &Utf8Path) -> Result<Manifest, FormatError> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|e| FormatError::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| FormatError::Manifest {
            path,
            message: e.to_string(),
        })
    }

    /// Writes it into `dir` (new file; the folder is still being assembled).
    pub fn write(&self, dir: &Utf8Path) -> Result<(), FormatError> {
        let path = dir.join(MANIFEST);
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| FormatError::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        std::fs::write(&path, bytes).map_err(FormatError::io("writing", path))
    }

    /// The Docker release line the bundle is (its version's: `27.0` for `27.0.3`), which
    /// decides the binaries its components ship; `None` for a version that is not a release.
    pub fn release(&self) -> Option<crate::ReleaseLine> {
        crate::ReleaseLine::parse(&self.version)
    }

    /// The component named `name`.
    pub fn component(&self, name: &str) -> Option<&ManifestComponent> {
        self.components.iter().find(|c| c.name == name)
    }

    /// The component built from `upstream` whose binaries include `binary`, or any from it.
    pub fn component_of(&self, binary: &str) -> Option<&ManifestComponent> {
        self.components
            .iter()
            .find(|c| c.binaries.iter().any(|b| b == binary))
    }

    /// `SHA256SUMS` as `sha256sum -c` reads it.
    pub fn sha256sums(&self) -> String {
        self.files
            .iter()
            .map(|f| format!("{}  {}\n", f.sha256, f.path))
            .collect()
    }
}
