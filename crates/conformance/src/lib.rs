//! Upstream's own test suites against a bundle's binaries, side by side with binaries built by
//! upstream's own entry points for the same commits: the strongest evidence that a bundle is
//! the engine Docker ships. Today: runc's integration suite ([`RuncSuite`], bats), with the
//! images it would download made locally from Debian ([`Images`]); results per file, compared
//! by [`report::section`] into `docs/conformance.md`.
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
mod images;
pub mod report;
mod run;
mod runc;
pub mod tap;

pub use error::ConformanceError;
pub use images::{DEBIAN_SUITE, Images};
pub use run::{ConformanceOptions, Runs, run_runc};
pub use runc::RuncSuite;
