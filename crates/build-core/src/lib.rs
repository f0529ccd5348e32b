#![doc = include_str!("../README.md")]

mod artifact;
pub mod build;
pub mod buildinfo;
pub mod clib;
pub mod cmake;
pub mod component;
pub mod elf;
pub mod executable;
pub mod go;
mod man;
mod pinned;
pub mod platform;
pub mod process;
pub mod sysroot;
#[cfg(feature = "testing")]
pub mod testing;
pub mod toolchain;
pub mod wine;
mod winres;

// The components' plain data, re-exported: a recipe crate depends on build-core alone.
pub use component_specs;

// The sources, re-exported: every `build_core::source::…` path is the `sources` crate's.
pub use sources::{cache, digest, error, fs, lock, pins, progress, source, upstream, url, wait};

pub use artifact::{Artifact, Artifacts, MAN_DIR, ShippedFile};
pub use build::{BuildError, BuildOptions};
pub use component::{Component, ComponentSpec, ReleaseLine, SourceFile, VersionProbe};
pub use error::IoError;
pub use platform::{Linkage, Target};
pub use upstream::Upstream;

/// What a user of one recipe crate needs to prepare a pinned source and call its `build`, and
/// nothing else: each recipe crate re-exports it, so depending on that crate alone is enough.
pub mod prelude {
    pub use crate::artifact::{Artifact, Artifacts};
    pub use crate::build::BuildOptions;
    pub use crate::component::ReleaseLine;
    pub use crate::pinned::{PinnedSource, PinnedSourceError};
    pub use crate::pins::Pins;
    pub use crate::platform::{Linkage, Target};
    pub use crate::progress::{Progress, Silent};
    pub use crate::source::{Mirror, Source, SourceCache};
    pub use crate::upstream::Upstream;
    // Paths in every signature above are camino's.
    pub use camino::{self, Utf8Path, Utf8PathBuf};
}
