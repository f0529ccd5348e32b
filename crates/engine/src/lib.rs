#![doc = include_str!("../README.md")]

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
    Binary, Daemon, DaemonStatus, Debugger, DevStatus, Engine, Network, Reload, ShellClient,
    UpOptions, develop, find_delve, user_client_config,
};
pub use watch::{TreeWatcher, is_source};
