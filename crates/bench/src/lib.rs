//! What `cargo xtask bench` measures with and writes: [`memory::PeakSampler`], the peak summed
//! resident set of a process tree, and [`report`], `docs/benchmarks.md` from the timings (its
//! P5 section replaced in place, so the sections that explain where the time goes survive).
//!
//! ```
//! let sampler = bench::memory::PeakSampler::start();
//! let peak_mib = sampler.stop();
//! assert!(peak_mib >= 0.0);
//! ```

pub mod edits;
pub mod entry;
pub mod memory;
pub mod p5;
pub mod report;
pub mod runner;
pub mod shared;
pub mod suite;
