//! Go's build cache, served to the go command over its `GOCACHEPROG` protocol.
//!
//! Go (1.24 and later) can hand its build cache to an external program named by the
//! `GOCACHEPROG` environment variable: the go command starts the program, writes JSON
//! requests (`get`, `put`, `close`) to its stdin and reads JSON responses from its stdout.
//! This crate is that program's core. [`serve`] answers the requests from two tiers:
//!
//! - a [`LocalCache`], a folder on this machine whose files the go command reads directly;
//! - optionally a [`RemoteCache`], a second tier shared by a team: a [`SharedFolder`]
//!   (say an NFS mount) or a registry implemented in another crate.
//!
//! A `get` that misses locally asks the remote tier, copies the output into the local folder
//! and checks that its SHA-256 is the output ID Go asked for before answering: a remote tier
//! that fails or serves the wrong bytes costs a rebuild, never a wrong build. A `put` is
//! written locally and answered at once; the upload to the remote tier happens on background
//! threads and is awaited at `close`. Nothing is printed: [`serve`] returns a [`Summary`] of
//! what happened and the caller reports it.
//!
//! ```no_run
//! use go_cache::{LocalCache, RemoteCache, SharedFolder, serve};
//!
//! # fn main() -> Result<(), go_cache::Error> {
//! let local = LocalCache::open("/var/cache/dockyard/go")?;
//! let team = SharedFolder::open("/mnt/team/go-cache")?;
//! let summary = serve(
//!     &local,
//!     Some(&team as &dyn RemoteCache),
//!     std::io::stdin(),
//!     std::io::stdout(),
//! )?;
//! assert!(summary.gets >= summary.local_hits + summary.remote_hits);
//! # Ok(())
//! # }
//! ```

mod error;
mod layout;
mod local;
mod protocol;
mod remote;
mod serve;

pub use error::Error;
pub use local::LocalCache;
pub use remote::{RemoteCache, RemoteError, SharedFolder};
pub use serve::{Summary, serve};

/// A Go action ID: the SHA-256 that names one build step and everything it depends on.
pub type ActionId = [u8; 32];

/// A Go output ID: the SHA-256 of an output's bytes.
pub type OutputId = [u8; 32];

/// What a cache keeps for one action ID: which output it produced, its size and when it
/// was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The output's ID, the SHA-256 of its bytes.
    pub output_id: OutputId,
    /// The output's size in bytes.
    pub size: u64,
    /// When the entry was stored, in nanoseconds since the Unix epoch.
    pub time_unix_nanos: u64,
}

/// The name the [`RemoteCache`] trait gives an [`Entry`]; the two tiers keep the same facts.
pub type RemoteEntry = Entry;

/// Lower-case hexadecimal of `bytes`, the way IDs are named on disk.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
