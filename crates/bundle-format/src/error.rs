//! Why a bundle could not be read, checked or installed.

use camino::Utf8PathBuf;

/// What is wrong with a bundle, or with reading one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// A file system step failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`reading`).
        action: &'static str,
        /// The path.
        path: Utf8PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// `manifest.json` is missing or not a dockyard manifest.
    #[error("{path} is not a dockyard manifest: {message}")]
    Manifest {
        /// The manifest path.
        path: Utf8PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A bundle does not match its own records.
    #[error("{path}: {problem}; the bundle was changed or damaged: build it again")]
    Damaged {
        /// The file, relative to the bundle.
        path: String,
        /// What differs.
        problem: String,
    },
    /// A per-user install without a home folder to put it in.
    #[error(
        "HOME is not an absolute path, so there is no per-user folder to install into; set HOME (and DOCKER_CONFIG, if the CLI's configuration lives elsewhere)"
    )]
    NoHome,
    /// There is no bundle where one was looked for.
    #[error("no bundles in {root}")]
    NoBundle {
        /// The folder searched.
        root: Utf8PathBuf,
    },
}

impl FormatError {
    /// An I/O error while doing `action` on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> FormatError {
        let path = path.into();
        move |source| FormatError::Io {
            action,
            path,
            source,
        }
    }
}
