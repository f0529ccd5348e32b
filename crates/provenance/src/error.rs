//! What making or checking provenance can refuse.

use build_core::IoError;
use bundle_format::FormatError;
use camino::Utf8PathBuf;

/// A failure to make, read or check provenance; each names the file it is about.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvenanceError {
    /// A file system step.
    #[error(transparent)]
    Io(#[from] IoError),
    /// The bundle the provenance describes does not verify.
    #[error("the bundle does not verify")]
    Bundle(#[from] FormatError),
    /// The envelope is not a DSSE envelope holding an in-toto statement of SLSA provenance.
    #[error("the provenance envelope {path} is refused: {problem}")]
    Envelope {
        /// The envelope's file.
        path: Utf8PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// No signature in the envelope is the key's.
    #[error("the provenance envelope {path} is refused: {why} (checked with the key {key})")]
    Unsigned {
        /// The envelope's file.
        path: Utf8PathBuf,
        /// The public key it was checked with.
        key: Utf8PathBuf,
        /// No signature, or signatures by another key or of other bytes.
        why: String,
    },
    /// A file is not what the provenance says it is.
    #[error("{path} is refused: {problem}")]
    Subject {
        /// The file.
        path: Utf8PathBuf,
        /// Missing, another digest, or not named by the provenance.
        problem: String,
    },
    /// The provenance's resolved dependencies are not the manifest's sources and patches.
    #[error("{path} and the provenance disagree: {problem}")]
    Manifest {
        /// The manifest.
        path: Utf8PathBuf,
        /// The first difference.
        problem: String,
    },
    /// The SBOM cannot be read for the C libraries it records.
    #[error("the SBOM {path} cannot be read: {problem}")]
    Sbom {
        /// The SBOM.
        path: Utf8PathBuf,
        /// Why not.
        problem: String,
    },
    /// A key file that cannot be read or is not a P-256 key.
    #[error(transparent)]
    Key(#[from] oci_store::StoreError),
    /// A builder identity that is not a URI.
    #[error(
        "the builder's identity {id:?} is not a URI (scheme:rest, such as a CI job's https URL)"
    )]
    BuilderId {
        /// What was given.
        id: String,
    },
}

impl ProvenanceError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<Utf8PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> ProvenanceError {
        let f = IoError::new(action, path);
        move |e| ProvenanceError::Io(f(e))
    }
}
