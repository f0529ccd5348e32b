//! How a component's build fails: each error names the component and the way out.

use camino::Utf8PathBuf;

use crate::IoError;
use crate::elf::{ElfError, LinkKind};
use crate::process::CommandError;
use crate::toolchain::ToolchainError;

/// Why a component did not build. Each variant names the component and the way out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A tool is missing or too old.
    #[error("{component}")]
    Toolchain {
        /// The component being built.
        component: String,
        /// What is wrong and what to do.
        source: ToolchainError,
    },
    /// A version that is not `MAJOR.MINOR[.PATCH…]`: no recipe line can be chosen for it.
    #[error(
        "{component}: version `{version}` is not MAJOR.MINOR.PATCH; fix the version in the pin"
    )]
    UnparsableVersion {
        /// The component.
        component: &'static str,
        /// The version given.
        version: String,
    },
    /// A version outside what the component's recipe builds.
    #[error("{component} {version} is not supported: its recipe builds {lines}")]
    Unsupported {
        /// The component.
        component: &'static str,
        /// The version given.
        version: String,
        /// The lines it builds (`1.7.x, 2.x`).
        lines: String,
    },
    /// A recipe finished without one of the binaries Docker's release ships.
    #[error("{component}: the recipe did not produce {binary}, which Docker {release} ships")]
    Incomplete {
        /// The component.
        component: &'static str,
        /// The binary missing.
        binary: &'static str,
        /// The Docker release line built for.
        release: crate::ReleaseLine,
    },
    /// A recipe produced a binary Docker's release does not ship.
    #[error("{component}: the recipe produced {binary}, which Docker {release} does not ship")]
    NotShipped {
        /// The component.
        component: &'static str,
        /// The binary it should not have made.
        binary: String,
        /// The Docker release line built for.
        release: crate::ReleaseLine,
    },
    /// A build command failed.
    #[error("{component}: build failed")]
    Command {
        /// The component.
        component: String,
        /// The command, with the log path and the last lines of output.
        source: Box<CommandError>,
    },
    /// The build finished but a binary is not where it should be.
    #[error("{component}: the build did not produce {path}")]
    MissingOutput {
        /// The component.
        component: String,
        /// The expected file.
        path: Utf8PathBuf,
    },
    /// A binary that must be static links dynamically.
    #[error(
        "{component}: {binary} should be static but is {link}; is the static library installed?"
    )]
    NotStatic {
        /// The component.
        component: String,
        /// The binary.
        binary: String,
        /// What it links.
        link: LinkKind,
    },
    /// A binary was built for another machine than the target.
    #[error(
        "{component}: {binary} is {found}, not for {target} ({expected}); is the cross compiler the target's?"
    )]
    WrongMachine {
        /// The component.
        component: String,
        /// The binary.
        binary: String,
        /// What it should run on.
        target: String,
        /// What it is.
        found: crate::executable::ExecutableFormat,
        /// What the target runs.
        expected: crate::executable::ExecutableFormat,
    },
    /// A built binary does not show what it was stamped with.
    #[error("{0}")]
    StampNotShown(Box<StampMismatch>),
    /// A built binary crashed when asked for its version: it cannot run on its target.
    #[error(
        "{component}: `{command}` crashed instead of printing its version ({shows}): this build of {binary} does not start on {target}"
    )]
    Crashed {
        /// The component.
        component: String,
        /// The binary.
        binary: String,
        /// The version command run.
        command: String,
        /// The target it was built for (`linux/arm/v7`).
        target: String,
        /// What it printed (first lines), or the signal.
        shows: String,
    },
    /// A tool the build runs is not the module its recipe pins.
    #[error(
        "{component}: Go's module proxy gave {tool} with go.sum hash {found}, not {expected}; check GOPROXY, or the pin in the recipe"
    )]
    ToolSum {
        /// The component.
        component: String,
        /// `module@version`.
        tool: String,
        /// The hash the recipe pins.
        expected: String,
        /// The hash Go reported.
        found: String,
    },
    /// A binary that cannot run here has no stamps to read from it.
    #[error(
        "{component}: {binary} for {target} cannot run here, and no stamped values were given to read from its symbol table"
    )]
    StampsUnread {
        /// The component.
        component: String,
        /// The binary.
        binary: String,
        /// Its target.
        target: String,
    },
    /// What Go recorded in a binary (`go version -m`) is not what was asked for.
    #[error(
        "{component}: `go version -m {binary}` shows {found}, not {expected}: the build did not take its settings"
    )]
    BuildSettings {
        /// The component.
        component: String,
        /// The binary.
        binary: String,
        /// The setting as asked (`GOOS=windows`).
        expected: String,
        /// What the binary records.
        found: String,
    },
    /// The man pages a build generated are not what its spec declares.
    #[error("{component}: man page `{page}` {problem}; the recipe does not fit this release")]
    ManPage {
        /// The component.
        component: String,
        /// The page's file name, as the build wrote it.
        page: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The output is not an executable (ELF, PE or Mach-O).
    #[error("{component}")]
    Elf {
        /// The component.
        component: String,
        /// The ELF error.
        source: ElfError,
    },
    /// A file system failure.
    #[error("{component}")]
    Io {
        /// The component.
        component: String,
        /// What was done to which path, and why it failed.
        source: IoError,
    },
}

impl BuildError {
    /// For `map_err`: `component`'s failure to do `action` on `path`.
    pub(crate) fn io(
        component: &str,
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> BuildError {
        let (component, io) = (component.to_owned(), IoError::new(action, path));
        move |e| BuildError::Io {
            component,
            source: io(e),
        }
    }
}

/// What a binary's version command showed instead of its stamps.
#[derive(Debug, thiserror::Error)]
#[error(
    "{component}: `{command}` shows `{shows}`, not {}{}",
    expected.join(", "),
    if variables.is_empty() { String::new() } else { format!("; the stamp {} did not take (Go's linker ignores -X for a variable that does not exist: the recipe does not fit this release)", variables.join(", ")) }
)]
pub struct StampMismatch {
    /// The component.
    pub component: String,
    /// The binary.
    pub binary: String,
    /// The version command run.
    pub command: String,
    /// What its output lacks.
    pub expected: Vec<String>,
    /// The stamped `variable=value` pairs whose values it does not show.
    pub variables: Vec<String>,
    /// What it printed (first lines).
    pub shows: String,
}
