#![doc = include_str!("../README.md")]

pub mod edits;
pub mod entry;
pub mod memory;
pub mod p5;
pub mod report;
pub mod runner;
pub mod shared;
pub mod suite;
