//! What every dockyard component's build shares.
//!
//! Data flows one way: [`pins`] say which commit of each [`Upstream`] to build; [`source`] turns
//! a pin (or a developer's own checkout) into a verified source tree (both are the `sources`
//! crate's, re-exported here, so a recipe crate alone has them); a component crate describes
//! its binaries as data ([`go::GoBinary`], [`cmake::CmakeTarget`]) and calls the one place that
//! runs Go or CMake; [`elf`] and [`artifact`] check and describe what came out.
//!
//! ```no_run
//! use build_core::pins::Pins;
//! use build_core::progress::Silent;
//! use build_core::source::{SourceCache, SourceRequest};
//! use build_core::Upstream;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pins = Pins::load("pins.lock".into())?;
//! let cache = SourceCache::new("/tmp/dockyard-cache".into())?;
//! let pin = pins.get(Upstream::Runc).expect("runc is pinned");
//! let source = cache.prepare(&SourceRequest::pinned(pin.clone()), &Silent)?;
//! println!("runc {} at {}", source.commit, source.dir);
//! # Ok(()) }
//! ```

pub mod artifact;
pub mod build;
pub mod clib;
pub mod cmake;
pub mod component;
pub mod elf;
pub mod go;
pub mod pinned;
pub mod platform;
pub mod process;
pub mod sysroot;
#[cfg(feature = "testing")]
pub mod testing;
pub mod toolchain;

// The components' plain data, re-exported: a recipe crate depends on build-core alone.
pub use component_specs;

// The sources, re-exported: every `build_core::source::…` path is the `sources` crate's.
pub use sources::{cache, digest, fs, lock, pins, progress, source, upstream, url};

pub use artifact::{Artifact, Artifacts, ShippedFile};
pub use build::{BuildError, BuildOptions};
pub use component::{Component, ComponentSpec, SourceFile, VersionProbe};
pub use platform::{Linkage, Target};
pub use upstream::Upstream;

/// What a user of one recipe crate needs to prepare a source and call its `build`; each recipe
/// crate re-exports it, so depending on that crate alone is enough.
pub mod prelude {
    pub use crate::artifact::{Artifact, Artifacts, ShippedFile};
    pub use crate::build::{BuildError, BuildOptions};
    pub use crate::clib::CLibrarySpec;
    pub use crate::component::{Component, ComponentSpec, SourceFile, UpstreamBuild, VersionProbe};
    pub use crate::pinned::{PinnedSource, PinnedSourceError};
    pub use crate::pins::{Pin, Pins};
    pub use crate::platform::{Linkage, Target};
    pub use crate::progress::{Progress, Silent};
    pub use crate::source::{Mirror, Source, SourceCache, SourceRequest};
    pub use crate::sysroot::Sysroot;
    pub use crate::toolchain::{GoToolchain, Tool};
    // Paths in every signature above are camino's.
    pub use crate::upstream::Upstream;
    pub use camino::{self, Utf8Path, Utf8PathBuf};
}
