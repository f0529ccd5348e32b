#![doc = include_str!("../README.md")]

mod archive;
mod artifacts;
mod components;
mod environment;
mod error;
mod go_cache;
mod output;
mod packaging;
pub mod patches;
mod plan;
pub mod publish;
mod published;
pub mod requirements;
mod run;
pub mod sbom;
pub mod shared;
mod small_tgz;
mod sources;
mod tgz;
mod zipfile;

pub use archive::packed_size;
pub use artifacts::{BuiltComponent, Provenance};
pub use bundle_format::{Archive, Layout, ReleaseLine, binaries_in, contents_of, path_of};
pub use bundle_format::{
    Destinations, FormatError, Manifest, install, manifest, newest_bundle, newest_bundle_set,
    systemd, verify,
};
pub use components::{COMPONENTS, find, for_target, names, selected};
pub use error::BundleError;
pub use go_cache::GoCacheSharing;
pub use output::check_output_dir;
pub use plan::{PlannedJob, plan};
pub use publish::Published;
pub use run::{BundleRequest, GoChoice, Outcome, build_bundle, default_jobs};
pub use sources::{Replacement, SourcePlan};
