//! Why an engine could not run, or a check against it failed.

use build_core::process::CommandError;
use bundle_format::FormatError;
use camino::Utf8PathBuf;

/// Each variant says what failed and, where known, what to do. Never names command-line flags.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Running an engine needs root.
    #[error("starting dockerd needs root: run as root")]
    NotRoot,
    /// The machine lacks something containers need.
    #[error("this machine lacks {what} ({path}), which containers need")]
    MachineLacks {
        /// What is missing (`network namespaces`).
        what: &'static str,
        /// Where it was looked for.
        path: &'static str,
    },
    /// A program the engine runner needs is missing.
    #[error("`{program}` is not on PATH: {fix}")]
    MissingProgram {
        /// The program.
        program: &'static str,
        /// How to get it.
        fix: &'static str,
    },
    /// A program from the host is missing.
    #[error("`{program}` is not on PATH, and {purpose} needs it: apt-get install {package}")]
    MissingTool {
        /// The program.
        program: &'static str,
        /// The Debian package that has it.
        package: &'static str,
        /// What needs it.
        purpose: &'static str,
    },
    /// A private network namespace could not be made.
    #[error("cannot create a network namespace (is this a container without CAP_SYS_ADMIN?): {0}")]
    Namespace(std::io::Error),
    /// The bundle is missing, damaged or not a bundle.
    #[error(transparent)]
    Bundle(#[from] FormatError),
    /// A command failed to run or failed.
    #[error(transparent)]
    Command {
        /// The command and how it failed.
        #[from]
        source: CommandError,
    },
    /// The daemon exited.
    #[error("{daemon} exited; the last lines of {log}:\n{tail}")]
    DaemonExited {
        /// `dockerd` or `containerd`.
        daemon: &'static str,
        /// Its log.
        log: Utf8PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// The daemon did not answer in time.
    #[error("{daemon} did not answer within {seconds}s; the last lines of {log}:\n{tail}")]
    NotReady {
        /// `dockerd`.
        daemon: &'static str,
        /// How long we waited.
        seconds: u64,
        /// Its log.
        log: Utf8PathBuf,
        /// The log's last lines.
        tail: String,
    },
    /// A check saw something other than what it expected.
    #[error("{0}")]
    Check(String),
    /// A file system step failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: Utf8PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The state folder's path is too long for the daemons' unix sockets.
    #[error(
        "{root} is too deep for the daemons' unix sockets ({length} bytes of at most 100 in their paths)"
    )]
    StateTooDeep {
        /// The state folder.
        root: Utf8PathBuf,
        /// The longest socket path it would give.
        length: usize,
    },
    /// No engine was started under the engines folder.
    #[error("no development engine was started under {engines}")]
    NoEngine {
        /// The folder searched.
        engines: Utf8PathBuf,
    },
    /// Several engines were started, and not exactly one of them runs.
    #[error("several development engines: {}", roots.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "))]
    SeveralEngines {
        /// Their state folders.
        roots: Vec<Utf8PathBuf>,
    },
    /// No engine was started from this state folder.
    #[error("no development engine was started in {root}")]
    NotStarted {
        /// The state folder.
        root: Utf8PathBuf,
    },
    /// A working tree cannot be watched.
    #[error("cannot watch {path} for changes: {message}")]
    Watch {
        /// The tree.
        path: Utf8PathBuf,
        /// What the watcher said.
        message: String,
    },
    /// Cleanup left something behind.
    #[error("cleanup: {0}")]
    Cleanup(String),
}

impl EngineError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> EngineError {
        let path = path.into();
        move |source| EngineError::Io {
            action,
            path,
            source,
        }
    }
}
