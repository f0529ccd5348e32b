#![doc = include_str!("../README.md")]

mod error;
mod journal;
mod layout;
mod local;
mod pack;
mod protocol;
mod remote;
mod serve;

pub use error::Error;
pub use journal::read_journal;
pub use local::LocalCache;
pub use pack::{MAX_LINE, PackCount, PackLimits, Unpacker, pack, unpack};
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
