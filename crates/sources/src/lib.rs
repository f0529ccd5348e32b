#![doc = include_str!("../README.md")]

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
