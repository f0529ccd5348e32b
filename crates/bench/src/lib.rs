#![doc = include_str!("../README.md")]

mod edits;
pub mod entry;
pub mod memory;
mod p5;
pub mod report;
pub mod runner;
mod scale_out;
pub mod shared;
pub mod suite;
