#![doc = include_str!("../README.md")]

pub mod cache;
pub mod digest;
pub mod error;
pub mod fs;
pub mod lock;
pub mod pins;
pub mod progress;
pub mod source;
pub mod upstream;
pub mod url;
pub mod wait;

pub use error::IoError;
pub use upstream::Upstream;
