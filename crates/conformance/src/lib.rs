#![doc = include_str!("../README.md")]

mod attempt;
mod containerd;
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
mod served;
pub mod tap;
mod upstream;

pub use containerd::{CLIENT_PACKAGE, ContainerdSuite};
pub use error::ConformanceError;
pub use frozen::frozen_images;
pub use images::{DEBIAN_SUITE, Images};
pub use moby::{DEFAULT_PACKAGES, MobySuite};
pub use run::{
    ConformanceOptions, Runs, Suites, run_containerd, run_moby, run_runc, run_suites, select_suites,
};
pub use runc::RuncSuite;
pub use save::{SavedImage, write_save_archive};
