//! Why a suite could not run.

use build_core::IoError;
use build_core::process::CommandError;
use build_core::toolchain::ToolchainError;
use camino::Utf8PathBuf;

/// Each variant says what failed and, where known, what to install. Never names a flag.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConformanceError {
    /// A suite name that is not one.
    #[error(
        "no suite `{0}`: name runc, containerd, moby, or a moby package such as moby:integration/build"
    )]
    UnknownSuite(String),
    /// A program a suite needs is missing.
    #[error("`{program}` is not on PATH, and {suite} needs it: apt-get install {package}")]
    MissingTool {
        /// The program.
        program: &'static str,
        /// The Debian package that has it.
        package: &'static str,
        /// The suite.
        suite: &'static str,
    },
    /// The source tree is not the suite's shape.
    #[error("{tree} has no {what}: is it the upstream's source tree?")]
    NotASuite {
        /// The tree.
        tree: Utf8PathBuf,
        /// What was looked for.
        what: &'static str,
    },
    /// Interrupted: what ran was cleaned up, and nothing is reported.
    #[error("interrupted: the suite was stopped and cleaned up; nothing was reported")]
    Interrupted,
    /// The pins name no such upstream.
    #[error("the pins name no {upstream}")]
    NoPin {
        /// The upstream.
        upstream: &'static str,
    },
    /// The bundle was built from another commit than the pin's.
    #[error(
        "{bundle} has {component} from {built}, but the pins name {pinned}: rebuild the bundle from these pins"
    )]
    OtherCommit {
        /// The component.
        component: &'static str,
        /// The bundle.
        bundle: Utf8PathBuf,
        /// What it was built from.
        built: String,
        /// What the pins say.
        pinned: String,
    },
    /// The tree has no such test package.
    #[error("{tree} has no test package {package}")]
    NoPackage {
        /// The tree.
        tree: Utf8PathBuf,
        /// The package asked for.
        package: String,
    },
    /// A package's daemon or test binary did not start: no test ran.
    #[error("moby's {package} tests did not start (log: {log}): {tail}")]
    DidNotStart {
        /// The package.
        package: String,
        /// Its log.
        log: Utf8PathBuf,
        /// The log's end.
        tail: String,
    },
    /// containerd's client tests ran none: a run that tested nothing is no result.
    #[error("containerd's integration/client ran no test (log: {log}): {tail}")]
    NothingRan {
        /// The namespace's log.
        log: Utf8PathBuf,
        /// The log's end.
        tail: String,
    },
    /// The work folder is where the suite's namespace shows folders of its own.
    #[error(
        "the work folder {work} is under {hidden}, which moby's suite replaces with its own: choose a folder elsewhere"
    )]
    HiddenWork {
        /// The work folder.
        work: Utf8PathBuf,
        /// Where it is.
        hidden: &'static str,
    },
    /// The sources or the bundle's builder failed.
    #[error(transparent)]
    Bundle(#[from] bundle::BundleError),
    /// The bundle cannot be read.
    #[error(transparent)]
    Format(#[from] bundle::FormatError),
    /// The source cannot be prepared.
    #[error(transparent)]
    Source(#[from] build_core::source::SourceError),
    /// Go is missing or the wrong release.
    #[error(transparent)]
    Toolchain(#[from] ToolchainError),
    /// A command failed.
    #[error(transparent)]
    Command {
        /// The command and how it failed.
        #[from]
        source: CommandError,
    },
    /// Cleaning up after a suite failed.
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    /// A file system step failed.
    #[error(transparent)]
    Io(#[from] IoError),
}

impl ConformanceError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> ConformanceError {
        let io = IoError::new(action, path);
        move |e| ConformanceError::Io(io(e))
    }
}

/// `program` on `PATH`, or the error naming its package.
pub(crate) fn require(
    program: &'static str,
    package: &'static str,
    suite: &'static str,
) -> Result<std::path::PathBuf, ConformanceError> {
    which::which(program).map_err(|_| ConformanceError::MissingTool {
        program,
        package,
        suite,
    })
}
