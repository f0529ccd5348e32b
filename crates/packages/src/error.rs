//! Why packages could not be made.

use build_core::IoError;
use camino::Utf8PathBuf;

/// What went wrong making packages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// The bundle is damaged or unreadable: packages are made from verified bundles only.
    #[error(transparent)]
    Bundle(#[from] bundle_format::FormatError),
    /// The packages' provenance could not be made or written.
    #[error("the packages' provenance")]
    Attest(#[from] provenance::ProvenanceError),
    /// The bundle lacks what a package ships (an older bundle, or one built with `--only`).
    #[error(
        "{bundle} has no {path}, which the {package} package ships; build a full bundle of this dockyard first"
    )]
    MissingFromBundle {
        /// The bundle folder.
        bundle: Utf8PathBuf,
        /// The file it lacks.
        path: String,
        /// The package that needs it.
        package: &'static str,
    },
    /// The bundle's manifest lacks a component a package takes its version from.
    #[error(
        "{bundle}'s manifest has no {component}, which the {package} package is versioned by or depends on"
    )]
    MissingComponent {
        /// The bundle folder.
        bundle: Utf8PathBuf,
        /// The component.
        component: &'static str,
        /// The package.
        package: &'static str,
    },
    /// A distribution of another format was asked for.
    #[error(
        "{distro} takes {format} packages, not {asked}; for {asked} packages choose one of: {choices}"
    )]
    WrongFormat {
        /// The distribution.
        distro: &'static str,
        /// Its format.
        format: crate::Format,
        /// The format asked for.
        asked: crate::Format,
        /// The releases of the format asked for.
        choices: String,
    },
    /// A distribution dockyard does not know.
    #[error("no distribution `{name}`; for these packages choose one of: {choices}")]
    UnknownDistro {
        /// What was asked for.
        name: String,
        /// The releases of the format.
        choices: String,
    },
    /// The bundle's architecture has no name in the package format.
    #[error("no {format} architecture is known for {target}")]
    UnknownArchitecture {
        /// The format.
        format: crate::Format,
        /// The bundle's target.
        target: String,
    },
    /// A tool that builds packages is missing.
    #[error(
        "{tool} is not installed; it comes with Debian's {package} package (apt-get install {package})"
    )]
    MissingTool {
        /// The program.
        tool: &'static str,
        /// Its Debian package.
        package: &'static str,
    },
    /// A command failed (dpkg-deb, rpmbuild, the bundle's docker writing completions).
    #[error(transparent)]
    Command(#[from] build_core::process::CommandError),
    /// A file system step failed.
    #[error(transparent)]
    Io(#[from] IoError),
}

impl PackageError {
    /// An I/O error while doing `action` on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> PackageError {
        let io = IoError::new(action, path);
        move |e| PackageError::Io(io(e))
    }
}
