//! Upstream's own test suites against a bundle's binaries, side by side with binaries built by
//! upstream's own entry points for the same commits: the strongest evidence that a bundle is
//! the engine Docker ships. runc's integration suite ([`RuncSuite`], bats), with the images it
//! would download made locally from Debian ([`Images`]), and moby's API integration suite
//! ([`MobySuite`], Go test packages in namespaces of their own) with its frozen images made
//! locally ([`frozen_images`]); results per file or package, compared by [`report::section`]
//! into `docs/conformance.md`.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use build_core::progress::Silent;
//! use build_core::toolchain::GoToolchain;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let go = GoToolchain::release("1.26.5", false)?;
//! let images = conformance::Images::new("/var/cache/dockyard/conformance");
//! let suite = conformance::RuncSuite::prepare(
//!     "checkouts/runc".into(), &go, "/tmp/gocache".into(), "/tmp/runc-suite".into(), &images, &Silent)?;
//! let run = suite.run("bundle/docker/runc".into(), "dockyard", None, "/tmp/runc.log".into(), &Silent, &AtomicBool::new(false))?;
//! println!("{}", conformance::report::Counts::of(&run.results));
//! # Ok(()) }
//! ```

mod error;
pub mod explain;
mod frozen;
pub mod gotest;
mod images;
mod marked;
mod moby;
pub mod report;
mod run;
mod runc;
mod save;
pub mod tap;

pub use error::ConformanceError;
pub use frozen::frozen_images;
pub use images::{DEBIAN_SUITE, Images};
pub use moby::{DEFAULT_PACKAGES, MobySuite};
pub use run::{ConformanceOptions, Runs, run_moby, run_runc, select_suites};
pub use runc::RuncSuite;
pub use save::{SavedImage, write_save_archive};
