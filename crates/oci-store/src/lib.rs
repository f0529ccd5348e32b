//! dockyard's builds in an OCI registry, with `oci-client` speaking the protocol: a built
//! component as an OCI 1.1 artifact of files (`artifact`), a published bundle as an image
//! index with one manifest per architecture and its SBOM and manifest as referrers
//! (`bundles`), cosign-compatible signatures (`signature`), and the credentials Docker keeps
//! (`credentials`). Everything here is synchronous; requests run on one runtime of its own.
//!
//! ```no_run
//! use oci_store::{Repository, RegistryOptions};
//! let repo = Repository::open("127.0.0.1:5000/team/dockyard", &RegistryOptions::default())?;
//! let exists = repo.manifest("runc-0123abcd")?.is_some();
//! # Ok::<(), oci_store::StoreError>(())
//! ```

mod artifact;
mod blobs;
mod bounded;
mod bundles;
mod credentials;
mod error;
mod go_cache;
mod referrers;
mod registry;
mod signature;

pub use artifact::{
    ArtifactFile, NewArtifact, PulledArtifact, Pushed, TITLE, pull_artifact,
    pull_artifact_accepting, push_artifact,
};
pub use bundles::{
    BUNDLE_ARTIFACT_TYPE, BUNDLE_MANIFEST_ARTIFACT_TYPE, MANIFEST_DIGEST_ANNOTATION, PushedBundles,
    SBOM_ARTIFACT_TYPE, SBOM_DIGEST_ANNOTATION, pull_bundles, push_bundles,
};
pub use error::StoreError;
pub use go_cache::{GO_CACHE_ARTIFACT_TYPE, RegistryGoCache, go_cache_remote};
pub use registry::{RegistryOptions, Repository, limits, sha256_digest, split_reference};
pub use signature::{ArtifactSigner, SIGNATURE_ARTIFACT_TYPE, SignatureCheck};
