//! Why a repository could not be published.

use build_core::IoError;
use camino::Utf8PathBuf;

/// What went wrong making or updating a repository. Nothing was swapped in when it is returned:
/// the repository is as it was.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepoError {
    /// A tool the repository is made with is missing.
    #[error(
        "{tool} is not installed; it comes with Debian's {package} package (apt-get install {package})"
    )]
    MissingTool {
        /// The program.
        tool: &'static str,
        /// Its Debian package.
        package: &'static str,
    },
    /// No package set was given.
    #[error("no package set was given: name at least one folder of packages")]
    NoSets,
    /// A package set is not a folder.
    #[error("{path} is not a folder of packages")]
    NotAFolder {
        /// What was given.
        path: Utf8PathBuf,
    },
    /// An entry of a package set, or of the repository, that is not a package file.
    #[error(
        "{dir} holds `{name}`, which {why}; a package set holds only the {ext} files dockyard's packaging makes"
    )]
    Refused {
        /// The folder.
        dir: Utf8PathBuf,
        /// The entry's name, escaped.
        name: String,
        /// What is wrong with it.
        why: &'static str,
        /// `.deb` or `.rpm`.
        ext: &'static str,
    },
    /// A package file past the size limit.
    #[error("{path} is {size} bytes, more than the {limit} a {what} may be")]
    TooLarge {
        /// The file.
        path: Utf8PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
        /// What it is (`package`, `key file`).
        what: &'static str,
    },
    /// A package that is not one of Docker's.
    #[error("{file} is the package `{name}`, which is none of Docker's packages ({known})")]
    NotDockers {
        /// The file.
        file: Utf8PathBuf,
        /// The package name it carries, escaped.
        name: String,
        /// Docker's packages.
        known: String,
    },
    /// A package field with characters no such field has.
    #[error("{file} has the {field} `{value}`, which is not a valid {field}")]
    BadField {
        /// The file.
        file: Utf8PathBuf,
        /// The field.
        field: &'static str,
        /// Its value, escaped.
        value: String,
    },
    /// A package for an architecture dockyard does not package for.
    #[error("{file} is for the architecture `{arch}`, none of {known}")]
    UnknownArchitecture {
        /// The file.
        file: Utf8PathBuf,
        /// Its architecture, escaped.
        arch: String,
        /// The format's architectures.
        known: String,
    },
    /// A package whose version names no distribution release dockyard packages for.
    #[error(
        "{file} has the version {version}, which names none of the releases packages are made for ({known})"
    )]
    UnknownRelease {
        /// The file.
        file: Utf8PathBuf,
        /// Its version.
        version: String,
        /// The releases of the format.
        known: String,
    },
    /// A file whose name is not what its package fields say.
    #[error(
        "{file} holds {package} {version} for {arch}, whose file is named {expected}: rename it or make the set again"
    )]
    Misnamed {
        /// The file.
        file: Utf8PathBuf,
        /// Its package.
        package: &'static str,
        /// Its version.
        version: String,
        /// Its architecture.
        arch: &'static str,
        /// The name its fields give.
        expected: String,
    },
    /// A package version published before with other bytes.
    #[error(
        "{file} differs from {published}, published before under the same name and version: a published version never changes; build the package as another version"
    )]
    Republished {
        /// The new file.
        file: Utf8PathBuf,
        /// The one the repository has (or another set gave).
        published: Utf8PathBuf,
    },
    /// A symbolic link (or another kind of file) inside a repository.
    #[error("{path} is not a regular file or folder; a repository holds none: remove it")]
    NotRegular {
        /// The entry.
        path: Utf8PathBuf,
    },
    /// Something in a repository that a repository dockyard makes does not hold there.
    #[error("{path} is not part of a repository dockyard makes: move it out of the repository")]
    Stray {
        /// The entry.
        path: Utf8PathBuf,
    },
    /// The key given is neither an OpenPGP key file nor a gpg home folder.
    #[error(
        "{path} {why}; give an OpenPGP secret key file (as gpg exports one) or a gpg home folder"
    )]
    KeyFile {
        /// What was given.
        path: Utf8PathBuf,
        /// What is wrong.
        why: &'static str,
    },
    /// gpg could not import the key file.
    #[error(
        "{path} is not an OpenPGP key gpg can import; give an OpenPGP secret key file (as gpg exports one) or a gpg home folder"
    )]
    KeyImport {
        /// The file given.
        path: Utf8PathBuf,
        /// gpg's failure, with what it said.
        #[source]
        source: Box<build_core::process::CommandError>,
    },
    /// No secret key in what was given can sign.
    #[error(
        "{key} holds no secret key that can sign (none, or only expired, revoked or disabled ones)"
    )]
    NoSigningKey {
        /// What was given.
        key: Utf8PathBuf,
    },
    /// Several secret keys could sign: which one is not guessed.
    #[error("{key} holds {} secret keys that can sign ({}); export the secret key to sign with into a file of its own and give that", fingerprints.len(), fingerprints.join(", "))]
    SeveralSigningKeys {
        /// What was given.
        key: Utf8PathBuf,
        /// Their fingerprints.
        fingerprints: Vec<String>,
    },
    /// The signing key is locked by a passphrase that was not given, or not this one.
    #[error("the signing key {fingerprint} is protected by a passphrase, and {}", if *given { "the passphrase given does not unlock it" } else { "none was given" })]
    Passphrase {
        /// The key.
        fingerprint: String,
        /// Whether a passphrase was given.
        given: bool,
    },
    /// The repository is signed with another key than the one given.
    #[error(
        "{tree} is signed with the key {published}, not {given}: machines that install from it trust {published}; sign with that key, or make a new repository in another folder"
    )]
    KeyChanged {
        /// The repository's folder.
        tree: Utf8PathBuf,
        /// The key its `gpg` file holds.
        published: String,
        /// The key given.
        given: String,
    },
    /// An indexing tool reported a problem while exiting successfully (apt-ftparchive does).
    #[error("{tool} could not index {dir}:\n{said}")]
    Index {
        /// The program.
        tool: &'static str,
        /// The repository folder.
        dir: Utf8PathBuf,
        /// What it said.
        said: String,
    },
    /// A command failed (apt-ftparchive, createrepo_c, gpg, dpkg-deb, rpm).
    #[error(transparent)]
    Command(#[from] build_core::process::CommandError),
    /// A file system step failed.
    #[error(transparent)]
    Io(#[from] IoError),
}

impl RepoError {
    /// An I/O error while doing `action` on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> RepoError {
        let io = IoError::new(action, path);
        move |e| RepoError::Io(io(e))
    }
}
