#![doc = include_str!("../README.md")]

mod artifact;
mod attestation;
mod blobs;
mod bounded;
mod bundles;
mod credentials;
mod error;
mod go_cache;
mod go_pack;
mod referrers;
mod registry;
mod signature;

pub use artifact::{
    ArtifactFile, NewArtifact, PulledArtifact, Pushed, TITLE, pull_artifact,
    pull_artifact_accepting, push_artifact,
};
pub use attestation::{
    ATTESTATION_MEDIA_TYPE, Attestations, MAX_ENVELOPE, PushedSubject, STATEMENT_MEDIA_TYPE,
    attestation_tag,
};
pub use bundles::{
    BUNDLE_ARTIFACT_TYPE, BUNDLE_MANIFEST_ARTIFACT_TYPE, MANIFEST_DIGEST_ANNOTATION, PushedBundles,
    SBOM_ARTIFACT_TYPE, SBOM_DIGEST_ANNOTATION, pull_bundles, push_bundles,
};
pub use error::StoreError;
pub use go_cache::{GO_CACHE_ARTIFACT_TYPE, RegistryGoCache, go_cache_remote};
pub use go_pack::{GO_PACK_ARTIFACT_TYPE, GoPacks};
pub use registry::{
    RegistryOptions, Repository, limits, sha256_digest, split_reference, tag_to_push,
};
pub use signature::{ArtifactSigner, SIGNATURE_ARTIFACT_TYPE, SignatureCheck};
