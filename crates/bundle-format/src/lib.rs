//! What a published bundle *is*, apart from what builds it: the manifest schema
//! ([`Manifest`]), `SHA256SUMS` and the SBOM as [`verify`] checks them, [`install`] and the
//! systemd units, and the components as plain data ([`COMPONENTS`]). A reader of bundles (the
//! engine, `smoke`) depends on this crate alone, never on the recipes or the sources.
//!
//! ```no_run
//! let bundle = camino::Utf8Path::new("target/dockyard/docker-29.7.2");
//! let files = bundle_format::verify(bundle)?;
//! let manifest = bundle_format::Manifest::read(bundle)?;
//! println!("{} files of Docker {}", files, manifest.version);
//! # Ok::<(), bundle_format::FormatError>(())
//! ```

pub mod components;
mod error;
mod install;
pub mod manifest;
pub mod sbom;
pub mod systemd;
mod verify;

pub use components::{
    Archive, COMPONENTS, ComponentSpec, PLUGIN_METADATA, SourceFile, Stamps, VersionProbe,
    archive_of, binaries_in, building, contents_of, path_of,
};
pub use error::FormatError;
pub use install::{Destinations, install};
pub use manifest::Manifest;
pub use verify::{newest_bundle, newest_bundle_set, verify};
