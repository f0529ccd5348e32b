//! Attestations on what dockyard pushes, where cosign keeps them and `cosign verify-attestation`
//! reads them: an image manifest tagged `sha256-<hex>.att` (the attested manifest's digest)
//! whose layers are DSSE envelopes (`application/vnd.dsse.envelope.v1+json`), each annotated
//! with its statement's `predicateType` and an empty `dev.cosignproject.cosign/signature` (the
//! signature is inside the envelope). The same envelopes are also pushed as an OCI 1.1
//! referrer of the manifest (artifact type `application/vnd.in-toto+json`), as cosign's
//! `--registry-referrers-mode=oci-1-1` writes them, for tools that list referrers. What the
//! envelopes say is not this crate's business: an [`Attestations`] (the `provenance` crate's)
//! makes them for a push and checks them on a pull.

use std::collections::BTreeMap;

use camino::Utf8Path;
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use serde_json::json;

use crate::artifact::{EMPTY_CONFIG, empty_config};
use crate::signature::{ArtifactSigner, SignatureCheck};
use crate::{Repository, StoreError};

/// The media type of an attestation layer: a DSSE envelope.
pub const ATTESTATION_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
const PREDICATE_ANNOTATION: &str = "predicateType";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";
/// The artifact type of an attestation referrer: what the envelopes wrap, an in-toto statement.
pub const STATEMENT_MEDIA_TYPE: &str = "application/vnd.in-toto+json";
/// An envelope of SLSA provenance for a bundle of ~200 files is ~60 KiB; a package set's less.
pub const MAX_ENVELOPE: u64 = 4 << 20;
/// Attestations kept on one manifest: a push adds one per bundle pushed with it.
const MAX_ATTESTATIONS: usize = 64;

/// A manifest pushed to the registry, as an attestation names it among its subjects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedSubject {
    /// The repository (`host:port/dockyard/docker`).
    pub repository: String,
    /// The manifest's digest (`sha256:…`).
    pub digest: String,
    /// Its media type (an image manifest, or an index).
    pub media_type: String,
}

/// What a push attaches and a pull checks, for a bundle: implemented by the `provenance`
/// crate (the store knows registries, not statements).
pub trait Attestations {
    /// The predicate type of what it makes (`https://slsa.dev/provenance/v1`).
    fn predicate_type(&self) -> &str;

    /// The attestation of the bundle in `dir`, now pushed as `subjects` (its manifest first),
    /// signed by `signer`: a DSSE envelope's JSON; None when the bundle has nothing to attest.
    fn attest(
        &self,
        dir: &Utf8Path,
        subjects: &[PushedSubject],
        signer: &ArtifactSigner,
    ) -> Result<Option<Vec<u8>>, String>;

    /// Succeeds when `envelope`, found attached to a pulled bundle's manifest, is signed by
    /// `key`, names `subjects` and describes the bundle staged in `dir`; otherwise says why.
    fn check(
        &self,
        dir: &Utf8Path,
        envelope: &[u8],
        subjects: &[PushedSubject],
        key: &SignatureCheck,
    ) -> Result<(), String>;

    /// Keeps a checked envelope for the bundle now in `folder` (beside it).
    fn keep(&self, folder: &Utf8Path, envelope: &[u8]) -> Result<(), String>;
}

/// The tag cosign keeps the attestations of `digest` under (`sha256-<hex>.att`).
pub fn attestation_tag(digest: &str) -> String {
    format!("{}.att", crate::referrers::schema_tag(digest))
}

/// Adds `envelopes` (DSSE envelopes of `predicate_type`) to the attestations of `subject` (a
/// manifest's descriptor), keeping those already there (another push's, another tool's), each
/// envelope once; and pushes them as one referrer of it.
pub(crate) fn attach(
    repo: &Repository,
    subject: &OciDescriptor,
    predicate_type: &str,
    envelopes: &[Vec<u8>],
) -> Result<(), StoreError> {
    let tag = attestation_tag(&subject.digest);
    let annotations = BTreeMap::from([
        (PREDICATE_ANNOTATION.to_owned(), predicate_type.to_owned()),
        (SIGNATURE_ANNOTATION.to_owned(), String::new()),
    ]);
    let mut added = Vec::with_capacity(envelopes.len());
    let mut layers = match repo.manifest(&tag)? {
        Some((bytes, _)) => {
            serde_json::from_slice::<OciImageManifest>(&bytes)
                .map_err(|e| repo.tampered(format!("{tag} is not an image manifest: {e}")))?
                .layers
        }
        None => Vec::new(),
    };
    for envelope in envelopes {
        let layer = OciDescriptor {
            media_type: ATTESTATION_MEDIA_TYPE.into(),
            digest: repo.push_blob(envelope.clone())?,
            size: envelope.len() as i64,
            annotations: Some(annotations.clone()),
            urls: None,
            artifact_type: None,
        };
        if !layers.iter().any(|l| l.digest == layer.digest) {
            layers.push(layer.clone());
        }
        added.push(layer);
    }
    if layers.len() > MAX_ATTESTATIONS {
        // The oldest go first: what this push attests is kept.
        layers.drain(..layers.len() - MAX_ATTESTATIONS);
    }
    // An image config as cosign writes one: its layers are its diff IDs (stored uncompressed).
    let config = serde_json::to_vec(&json!({
        "architecture": "",
        "os": "",
        "config": {},
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| &l.digest).collect::<Vec<_>>(),
        },
    }))
    .map_err(|e| repo.tampered(format!("encoding an attestation config: {e}")))?;
    let config_size = config.len() as i64;
    let config_digest = repo.push_blob(config)?;
    let manifest = OciImageManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.into()),
        artifact_type: None,
        config: OciDescriptor {
            media_type: CONFIG_MEDIA_TYPE.into(),
            digest: config_digest,
            size: config_size,
            urls: None,
            annotations: None,
            artifact_type: None,
        },
        layers,
        subject: None,
        annotations: None,
    };
    let bytes =
        serde_json::to_vec(&manifest).map_err(|e| repo.tampered(format!("encoding {tag}: {e}")))?;
    repo.push_manifest(&tag, bytes, OCI_IMAGE_MEDIA_TYPE)?;
    repo.push_blob(EMPTY_CONFIG.to_vec())?;
    let referrer = OciImageManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.into()),
        artifact_type: Some(STATEMENT_MEDIA_TYPE.into()),
        config: empty_config(),
        layers: added,
        subject: Some(subject.clone()),
        annotations: None,
    };
    crate::referrers::attach(repo, &subject.digest, &referrer)?;
    Ok(())
}

/// The envelopes of `predicate_type` attached to `subject`, each at most [`MAX_ENVELOPE`]
/// bytes (checked before it is fetched); none when it has no attestations.
pub(crate) fn attached(
    repo: &Repository,
    subject: &str,
    predicate_type: &str,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let tag = attestation_tag(subject);
    let Some((bytes, _)) = repo.manifest(&tag)? else {
        return Ok(Vec::new());
    };
    let manifest = serde_json::from_slice::<OciImageManifest>(&bytes)
        .map_err(|e| repo.tampered(format!("{tag} is not an image manifest: {e}")))?;
    let mut envelopes = Vec::new();
    for layer in manifest.layers.iter().take(MAX_ATTESTATIONS) {
        let predicate = (layer.annotations.as_ref()).and_then(|a| a.get(PREDICATE_ANNOTATION));
        if layer.media_type != ATTESTATION_MEDIA_TYPE
            || predicate.map(String::as_str) != Some(predicate_type)
        {
            continue;
        }
        let size = u64::try_from(layer.size).unwrap_or(u64::MAX);
        envelopes.push(repo.blob_bytes(&layer.digest, size, MAX_ENVELOPE)?);
    }
    Ok(envelopes)
}
