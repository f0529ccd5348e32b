//! Runs a bundle's Docker Engine in isolation, with one supervisor ([`Engine`]): containerd and
//! dockerd from the bundle, in a state folder of their own (data root, exec root, sockets, pid
//! files), in a network namespace of their own with dockerd's whole networking inside it and
//! an uplink ([`uplink`]) that takes its traffic out through the host and publishes its ports
//! on the host addresses they name. The engine is found again from its state folder alone,
//! and cleaned up by command lines and mountinfo. [`smoke()`] runs a list of checks on one in
//! a temporary folder; `up` keeps one running, and [`develop`] with a [`TreeWatcher`]
//! rebuilds and restarts it as working trees change.
//!
//! ```no_run
//! use std::sync::atomic::AtomicBool;
//! use build_core::progress::Silent;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let options = engine::SmokeOptions::default();
//! let report = engine::smoke("target/dockyard/docker-29.7.2".into(), &options, &Silent, &AtomicBool::new(false))?;
//! assert!(report.passed());
//! # Ok(()) }
//! ```

mod emulated;
mod error;
mod isolation;
mod mounts;
mod port_proxy;
mod procs;
mod registry;
mod smoke;
mod supervisor;
pub mod uplink;
mod versions;
mod watch;

pub use emulated::smoke_emulated;
pub use error::EngineError;
pub use isolation::{EngineTool, check_machine, engine_tools};
pub use mounts::unmount_under;
pub use port_proxy::{PROGRAM as PORT_PROXY_PROGRAM, userland_proxy};
pub use registry::{Registry, RegistryAuth, RegistryTls};
pub use smoke::{Check, SmokeOptions, SmokeReport, checks, find_static_busybox, smoke};
pub use supervisor::{
    Binary, Daemon, DaemonStatus, Debugger, DevStatus, Engine, Network, Reload, UpOptions, develop,
    find_delve,
};
pub use watch::{TreeWatcher, is_source};
