//! `bench`'s flags.

use camino::Utf8PathBuf;
use clap::Args;

use super::{SourceArgs, absolute_path};

/// `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub sources: SourceArgs,

    /// Scratch folder for caches, upstream tree copies, outputs and logs.
    #[arg(long, value_name = "DIR", default_value_t = crate::project_root().join("target/bench"), value_parser = absolute_path)]
    pub dir: Utf8PathBuf,

    /// Repetitions of the short measurements (at least 3).
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u16).range(3..))]
    pub runs: u16,

    /// Measure only this, reusing the caches left in DIR, and update its section of
    /// docs/benchmarks.md.
    #[arg(long, value_name = "MEASURE", value_enum)]
    pub only: Option<MeasureFlag>,
}

/// `bench --only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MeasureFlag {
    /// Cold builds: dockyard's bundle against upstream's entry points.
    P1,
    /// Edit → running engine: `up --watch` over a moby working tree against
    /// `hack/make.sh binary`.
    P5,
    /// Builds shared through a registry: a fresh machine's bundle from a team's warm
    /// registry (P6), and a one-line moby change with Go's shared cache and without (P7).
    #[value(name = "p6-p7")]
    P6P7,
    /// A team's CI simulated: `plan`, then a job per component and target (linux/amd64 and
    /// linux/arm64) on fresh machines two at a time, pushing to a registry, then an assembler
    /// that compiles nothing; against a single machine building both targets (the bundles
    /// byte for byte the same).
    #[value(name = "p8")]
    P8,
}
