//! Why a bundle could not be built, published, verified or installed.

use build_core::pins::PinsError;
use build_core::source::SourceError;
use build_core::{BuildError, IoError, Upstream};
use camino::Utf8PathBuf;

/// Every failure names the path or component, what dockyard was doing, and the way out.
/// Messages never name command-line flags: the command line adds those.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// `pins.lock` is unreadable or invalid.
    #[error(transparent)]
    Pins(#[from] PinsError),
    /// A source could not be prepared.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A component did not build.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Tools a build needs are missing; each line says what to install.
    #[error("the build needs tools that are missing:\n{}", missing.iter().map(|m| format!("  {m}")).collect::<Vec<_>>().join("\n"))]
    MissingTools {
        /// One entry per missing tool.
        missing: Vec<crate::requirements::ToolCheck>,
    },
    /// The Go release `pins.lock` names cannot be had.
    #[error("the pinned Go {release}")]
    PinnedGo {
        /// The release.
        release: String,
        /// Why, and what to do.
        source: build_core::toolchain::ToolchainError,
    },
    /// A tool the whole build needs (not one component's) is missing or unusable.
    #[error("{what}")]
    Toolchain {
        /// What it is for (`the C compiler, part of every build's cache key`).
        what: &'static str,
        /// Why, and what to do.
        source: build_core::toolchain::ToolchainError,
    },
    /// A record dockyard writes could not be encoded: nothing was written.
    #[error("cannot encode {what}: {message}")]
    Encode {
        /// The record (`the cache record of runc`).
        what: String,
        /// Why.
        message: String,
    },
    /// A source was given for an upstream `pins.lock` does not pin: it would replace nothing.
    #[error(
        "a source was given for {upstream}, which pins.lock does not pin: it would replace nothing"
    )]
    ReplacesNoPin {
        /// The upstream.
        upstream: Upstream,
    },
    /// `pins.lock` lacks a table the bundle needs.
    #[error("pins.lock has no [{upstream}] table: {why}")]
    MissingPin {
        /// The upstream.
        upstream: Upstream,
        /// What needs it.
        why: &'static str,
    },
    /// The patches folder holds something that is not a patch series.
    #[error("patches {path}: {problem}")]
    Patches {
        /// The folder.
        path: Utf8PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },
    /// The output folder cannot hold a bundle.
    #[error("output folder {path}: {problem}")]
    OutputDir {
        /// The folder given.
        path: Utf8PathBuf,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A target this cannot be done for: what is asked and why not.
    #[error("{target}: {problem}")]
    Target {
        /// The target.
        target: build_core::Target,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// The components selected do not make Docker's eight binaries.
    #[error("the bundle would hold {found} instead of {expected}")]
    WrongBinaries {
        /// What the builds gave.
        found: String,
        /// What a bundle holds.
        expected: String,
    },
    /// A file system step failed.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A bundle could not be read, checked or installed.
    #[error(transparent)]
    Format(#[from] bundle_format::FormatError),
    /// The published bundle's provenance could not be made or written.
    #[error("the bundle's provenance")]
    Attest(#[from] provenance::ProvenanceError),
    /// A binary in the artifact cache no longer matches its record; it was removed.
    #[error(
        "the cached {path} is damaged (expected SHA-256 {expected}, found {found}); it was removed, so the next run builds it again"
    )]
    CacheDamaged {
        /// The cached binary.
        path: Utf8PathBuf,
        /// What its record says.
        expected: String,
        /// What it hashes to.
        found: String,
    },
    /// The SBOM could not read what a binary is made of.
    #[error("cannot describe {binary} in the SBOM")]
    Sbom {
        /// The binary.
        binary: String,
        /// Why its build information could not be read.
        #[source]
        source: build_core::toolchain::ToolchainError,
    },
    /// The team configuration file is not valid.
    #[error("{path}: {message}")]
    Config {
        /// `dockyard.toml`.
        path: Utf8PathBuf,
        /// What is wrong, with its line.
        message: String,
    },
    /// A registry of the team's cache could not be used.
    #[error(transparent)]
    Registry(#[from] oci_store::StoreError),
    /// The team's cache is required and some components could not come from it.
    #[error("the team's cache is required, and it cannot give what the bundle for {target} needs: {}",
        .missing.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    SharedCacheRequired {
        /// The platform they were wanted for.
        target: build_core::Target,
        /// Each component missing, and why.
        missing: Vec<crate::shared::Unavailable>,
    },
    /// A word of Go's cache program cannot be quoted as Go splits `GOCACHEPROG`.
    #[error("cannot hand `{word}` to Go as part of GOCACHEPROG: it holds both ' and \"")]
    GoCacheProgram {
        /// The word (a path, most likely).
        word: String,
    },
    /// A build thread panicked (a bug in dockyard).
    #[error("a build thread panicked ({message}); please report this")]
    Panicked {
        /// What it said.
        message: String,
    },
}

impl BundleError {
    /// The file-system error behind a refusal of the team's cache, if one is (a full disk
    /// during a pull), for advice a person can act on.
    pub fn refusal_io_error(&self) -> Option<&std::io::Error> {
        match self {
            BundleError::SharedCacheRequired { missing, .. } => missing
                .iter()
                .flat_map(|m| &m.refusals)
                .find_map(crate::shared::Refusal::io_error),
            _ => None,
        }
    }

    /// A thread's panic, with what it said.
    pub(crate) fn panicked(payload: Box<dyn std::any::Any + Send>) -> BundleError {
        BundleError::Panicked {
            message: build_core::error::panic_message(payload),
        }
    }

    /// An I/O failure while doing `action` on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> BundleError {
        let io = IoError::new(action, path);
        move |e| BundleError::Io(io(e))
    }
}
