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
    /// Measure dockyard against upstream's own build entry points and write docs/benchmarks.md.
    ///
    /// Needs all five real sources as --mirror and about a quarter hour on two cores: cold
    /// builds (empty caches), no-op rebuilds, a one-line runc change, tgz sizes and peak memory.
    Bench(BenchArgs),
    /// Build the eight engine binaries and publish them as a verified, reproducible bundle.
    ///
    /// Output: DIR/docker-VERSION/ with docker/ (the binaries), docker-VERSION.tgz (install it as
    /// Docker documents: tar xzf, then cp docker/* /usr/bin/), SHA256SUMS, manifest.json and
    /// systemd units. The folder is built aside and swapped in at the end: a failed or killed run
    /// leaves the previous bundle as it was. Unchanged components are reused from the cache, so a
    /// second run with nothing changed does almost nothing.
    Bundle(BundleArgs),
    /// Check the tools a build needs (go, gcc, cmake, make, pkg-config, static libseccomp and
    /// libc) and say what to install for each one missing.
    Doctor(DoctorArgs),
    /// Bring every pinned source to disk, verified, and say where each came from.
    Fetch(FetchArgs),
    /// Put a bundle's binaries (and, with --systemd, its units) in place.
    Install(InstallArgs),
    /// Start the bundle's own engine in isolation and prove it runs containers (needs root).
    ///
    /// dockerd, containerd, the shim, runc, docker-init and docker-proxy from the bundle run in a
    /// private network namespace with their own data root, exec root and socket under a
    /// temporary folder. Each step is reported as passed or failed; everything started is
    /// stopped and removed at the end, also on failure or Ctrl-C.
    Smoke(SmokeArgs),
    /// Re-check a bundle against its SHA256SUMS and manifest.json, offline.
    Verify(VerifyArgs),
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
    /// built. COMPONENT is one of cli, containerd, moby, runc, tini; repeat the flag for several.
    #[arg(long = "mirror", value_name = "COMPONENT=PATH|URL")]
    pub(crate) mirrors: Vec<String>,

    /// Build COMPONENT from your own working tree as it is (dirty or not) instead of the pin;
    /// binaries are stamped with its HEAD commit, and `-dirty` when it has changes. Or from a
    /// fork: URL@REF (a branch, tag or commit; the remote's HEAD without @REF), resolved to a
    /// commit when fetched.
    #[arg(long = "source", value_name = "COMPONENT=PATH|URL[@REF]")]
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

#[derive(Debug, Args)]
pub(crate) struct BundleArgs {
    #[command(flatten)]
    pub(crate) sources: SourceArgs,

    /// Static binaries, as Docker's own static tgz ships them.
    #[arg(long = "static", conflicts_with = "dynamic")]
    pub(crate) static_: bool,

    /// Dynamically linked binaries (needs libseccomp and libc at run time). The default is
    /// static.
    #[arg(long)]
    pub(crate) dynamic: bool,

    /// Where bundles are published: DIR/docker-VERSION/.
    #[arg(long, value_name = "DIR", default_value_t = crate::project_root().join("target/dockyard"))]
    pub(crate) out: Utf8PathBuf,

    /// How many components build at once. Go already uses every core, so more than 1 helps only
    /// on larger machines. [default: half the cores, at least 1]
    #[arg(long, value_name = "N")]
    pub(crate) jobs: Option<usize>,

    /// Build only these components (into the cache) and publish no bundle: a bundle always has
    /// all eight binaries. Names: tini, runc, proxy, containerd, cli, moby.
    #[arg(long, value_name = "COMPONENT", num_args = 1.., value_delimiter = ',')]
    pub(crate) only: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DoctorArgs {
    /// Check what a dynamic build needs instead of a static one.
    #[arg(long)]
    pub(crate) dynamic: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    pub(crate) bundle: Option<Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    pub(crate) bundle: Option<Utf8PathBuf>,

    /// Binaries go to PREFIX/bin.
    #[arg(long, value_name = "PREFIX", default_value = "/usr/local")]
    pub(crate) prefix: Utf8PathBuf,

    /// Also write docker.service, docker.socket and containerd.service into this folder.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "/etc/systemd/system")]
    pub(crate) systemd: Option<Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct SmokeArgs {
    /// The bundle folder (DIR/docker-VERSION). [default: the newest under target/dockyard]
    pub(crate) bundle: Option<Utf8PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    #[command(flatten)]
    pub(crate) sources: SourceArgs,

    /// Scratch folder for caches, upstream tree copies, outputs and logs.
    #[arg(long, value_name = "DIR", default_value_t = crate::project_root().join("target/bench"))]
    pub(crate) dir: Utf8PathBuf,

    /// Repetitions of the short measurements (at least 3).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub(crate) runs: usize,
}
