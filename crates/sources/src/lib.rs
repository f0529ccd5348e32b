//! Pinned upstream sources: `pins.lock` ([`pins`]), the repository URLs allowed ([`url`]), and
//! [`source`], which turns a pin (perhaps from a mirror, patched, replaced by a fork or a
//! developer's working tree) into a verified tree in the cache ([`cache`] names its folders),
//! shared by concurrent runs through kernel locks ([`lock`]). Below the builds: nothing here
//! runs a compiler or knows a recipe.

pub mod cache;
pub mod digest;
pub mod fs;
pub mod lock;
pub mod pins;
pub mod progress;
pub mod source;
pub mod upstream;
pub mod url;

pub use upstream::Upstream;
