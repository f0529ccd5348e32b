//! What can go wrong talking to a registry, in terms a person can act on.

use build_core::IoError;
use camino::Utf8PathBuf;

/// An error from the registry, the network, a credential or a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The reference could not be read.
    #[error(
        "`{reference}` is not a registry reference ({message}); write it as HOST[:PORT]/REPOSITORY[:TAG]"
    )]
    BadReference {
        /// What was given.
        reference: String,
        /// Why it was refused.
        message: String,
    },
    /// The registry refused the credentials, or wants some.
    #[error(
        "{registry} refused {}; run `docker login {registry}` with an account that may {operation} {repository}",
        if *.had_credentials { "the credentials Docker keeps for it" } else { "anonymous access" }
    )]
    Unauthorized {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// `pull from` or `push to`.
        operation: &'static str,
        /// Whether credentials were sent.
        had_credentials: bool,
    },
    /// Docker's credential store could not be read.
    #[error("reading the credentials Docker keeps for {registry}: {message}")]
    Credentials {
        /// `host[:port]`.
        registry: String,
        /// What the helper or the file said.
        message: String,
    },
    /// The registry could not be reached or answered with an error.
    #[error("{registry}: {message}")]
    Registry {
        /// `host[:port]`.
        registry: String,
        /// What happened (never a credential).
        message: String,
    },
    /// The registry did not finish answering in time (it stalled, or drips).
    #[error("{registry} did not answer within {} s", after.as_secs())]
    TimedOut {
        /// `host[:port]`.
        registry: String,
        /// The deadline that passed.
        after: std::time::Duration,
    },
    /// Content that does not match its digest or its description.
    #[error("{registry}/{repository}: {what}")]
    Tampered {
        /// `host[:port]`.
        registry: String,
        /// The repository.
        repository: String,
        /// What did not match.
        what: String,
    },
    /// A signature was required and is missing or does not verify.
    #[error("{subject} is not signed by the key {key}: {why}")]
    Unsigned {
        /// The manifest (`registry/repository@digest`).
        subject: String,
        /// The key file.
        key: Utf8PathBuf,
        /// Missing, or the reason it does not verify.
        why: String,
    },
    /// A bundle's attestation could not be made, or none attached to it holds.
    #[error("the provenance of {bundle}: {why}")]
    Attestation {
        /// The bundle folder.
        bundle: Utf8PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A key file could not be read.
    #[error("reading the key {path}: {message}")]
    Key {
        /// The key file.
        path: Utf8PathBuf,
        /// Why.
        message: String,
    },
    /// Something expected is not in the registry.
    #[error("{reference} is not in the registry")]
    NotFound {
        /// What was asked for.
        reference: String,
    },
    /// A local file could not be read or written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// Bundle folders that cannot be published together under one tag.
    #[error("cannot push these bundles under one tag: {why}")]
    BundleSet {
        /// Which folders, and why (two releases, one platform twice, none at all).
        why: String,
    },
    /// A set of bundles has none for a platform asked for.
    #[error("{reference} has no bundle for {platform}; it has {available}")]
    NoPlatform {
        /// The index (`registry/repository:tag` or `@digest`).
        reference: String,
        /// The platform asked for (`linux/arm64`).
        platform: String,
        /// The platforms it has.
        available: String,
    },
    /// Go's cache could not be packed or unpacked (a pack refused, or the local tier's
    /// folder).
    #[error(transparent)]
    GoCache(#[from] go_cache::Error),
    /// A bundle to push, or a pulled one, is not a valid bundle.
    #[error(transparent)]
    Bundle(#[from] bundle_format::FormatError),
}

impl StoreError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> StoreError {
        let io = IoError::new(action, path);
        move |e| StoreError::Io(io(e))
    }
}
