//! A Docker Engine bundle: pins → sources → component builds → one published, verified folder.
//!
//! [`SourcePlan`] says where each upstream comes from; [`build_bundle`] checks everything,
//! builds each component or takes it from the artifact cache (keyed by everything its output
//! depends on), and [`publish`](publish::publish)es `docker-VERSION/` atomically: assembled aside,
//! `manifest.json` written last, swapped in with one `renameat2`. [`verify()`] and [`install()`]
//! read a published bundle. Reports through build-core's `Progress`; never prints.
//!
//! ```no_run
//! use std::sync::Arc;
//! use build_core::{pins::Pins, progress::Silent, source::SourceCache, Linkage, Target};
//! use bundle::{build_bundle, BundleRequest, GoChoice, Outcome, SourcePlan, COMPONENTS};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let plan = SourcePlan::new(
//!     Pins::load("pins.lock".into())?,
//!     SourceCache::new("/tmp/dockyard-cache".into())?,
//!     &[],
//!     &[],
//! )?;
//! let request = BundleRequest {
//!     plan: &plan,
//!     components: COMPONENTS.to_vec(),
//!     linkage: Linkage::Static,
//!     target: Target::host(),
//!     out: "/tmp/bundles".into(),
//!     jobs: 1,
//!     publish: true,
//!     go: GoChoice::Pinned,
//!     debug: false,
//!     shared: None,
//!     go_cache_program: None,
//! };
//! if let Outcome::Published(p) = build_bundle(&request, Arc::new(Silent))? {
//!     println!("{}: {} files verified", p.dir, bundle::verify(&p.dir)?);
//! }
//! # Ok(()) }
//! ```

mod archive;
mod artifacts;
mod components;
mod error;
mod output;
pub mod patches;
pub mod publish;
mod published;
pub mod requirements;
mod run;
pub mod sbom;
pub mod shared;
mod small_tgz;
mod sources;
mod tgz;

pub use archive::packed_size;
pub use artifacts::{BuiltComponent, Provenance};
pub use bundle_format::{Archive, binaries_in, contents_of, path_of};
pub use bundle_format::{
    Destinations, FormatError, Manifest, install, manifest, newest_bundle, newest_bundle_set,
    systemd, verify,
};
pub use components::{COMPONENTS, find, names};
pub use error::BundleError;
pub use output::check_output_dir;
pub use publish::Published;
pub use run::{BundleRequest, GoChoice, Outcome, build_bundle};
pub use sources::{Replacement, SourcePlan};
