#![doc = include_str!("../README.md")]

pub mod components;
mod error;
mod install;
pub mod manifest;
pub mod sbom;
pub mod systemd;
mod verify;

pub use components::{
    Archive, BinarySpec, COMPONENTS, ComponentSpec, Layout, MAN_FOLDER, MAX_MAN_PAGE_BYTES,
    ManPages, PACKAGING_FOLDER, PLUGIN_METADATA, Packing, ReleaseLine, SourceFile, Stamps,
    VersionProbe, archive_of, binaries_in, building, contents_of, man_page_path, path_of,
    section_of,
};
pub use error::FormatError;
pub use install::{Destinations, install};
pub use manifest::Manifest;
pub use verify::{newest_bundle, newest_bundle_set, verify};
