//! Runs a bundle's Docker Engine in isolation: a private network namespace, its own data root,
//! exec root, socket and pid files, `PATH` limited to the bundle; waits for it to answer, talks
//! to it, and cleans up by pid and mountinfo (also on failure). [`smoke()`] is a list of checks
//! over it that proves a bundle runs containers. [`DevEngine`] is the long-running kind that
//! `up` starts (containerd and dockerd as two daemons, found again from their state folder),
//! and [`develop`] with a [`TreeWatcher`] rebuilds and restarts it as working trees change.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use build_core::progress::Silent;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! engine::enter_private_network()?; // first, while the process has one thread
//! let report = engine::smoke("target/dockyard/docker-29.7.2".into(), &Silent, &AtomicBool::new(false))?;
//! assert!(report.passed());
//! # Ok(()) }
//! ```

mod dev;
mod emulated;
mod engine;
mod error;
mod isolation;
mod mounts;
mod smoke;
mod versions;
mod watch;

pub use dev::{
    Binary, Daemon, DaemonStatus, Debugger, DevEngine, DevStatus, Network, Reload, UpOptions,
    develop, find_delve,
};
pub use emulated::smoke_emulated;
pub use engine::Engine;
pub use error::EngineError;
pub use isolation::{check_machine, enter_private_network};
pub use smoke::{Check, SmokeReport, checks, find_static_busybox, smoke};
pub use watch::{TreeWatcher, is_source};
