//! The command line: every verb and flag, with the help a newcomer reads.

use camino::Utf8PathBuf;
use clap::{Args, Parser, Subcommand};

/// Build the Docker Engine stack from upstream source, natively, at pinned commits.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Bring every pinned source to disk, verified, and say where each came from.
    Fetch(FetchArgs),
}

/// Where sources come from: shared by every verb that reads them.
#[derive(Debug, Args)]
pub(crate) struct SourceArgs {
    /// The pin file.
    #[arg(long, value_name = "FILE", default_value_t = crate::project_root().join("pins.lock"))]
    pub(crate) pins: Utf8PathBuf,

    /// Cache of repositories and checkouts [default: $DOCKYARD_CACHE, else ~/.cache/dockyard].
    #[arg(long, value_name = "DIR", env = "DOCKYARD_CACHE")]
    pub(crate) cache: Option<Utf8PathBuf>,

    /// Get COMPONENT's pinned commit from a local clone (bare or not) or another URL instead of
    /// its pinned repository. The commit is still verified: a mirror cannot change what is
    /// built. Repeat for several components.
    #[arg(long = "mirror", value_name = "COMPONENT=PATH|URL")]
    pub(crate) mirrors: Vec<String>,

    /// Build COMPONENT from your own working tree as it is (dirty or not) instead of the pin;
    /// binaries are stamped with its HEAD commit, and `-dirty` when it has changes.
    #[arg(long = "source", value_name = "COMPONENT=PATH")]
    pub(crate) sources: Vec<String>,

    /// Use only the cache and mirrors; fail, naming the commit, rather than touch the network.
    #[arg(long)]
    pub(crate) offline: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    #[command(flatten)]
    pub(crate) sources: SourceArgs,
}
