//! Referrers: manifests whose `subject` names another (signatures, a bundle's SBOM and
//! manifest). Registries with the OCI 1.1 referrers API index them by themselves; for those
//! without it (the CNCF distribution server 2.8, Debian's `docker-registry`), the pusher keeps
//! the referrers tag schema's index, `sha256-<hex>`, as the distribution spec asks.

use oci_client::manifest::{
    ImageIndexEntry, OCI_IMAGE_INDEX_MEDIA_TYPE, OCI_IMAGE_MEDIA_TYPE, OciImageIndex,
    OciImageManifest,
};

use crate::{Repository, StoreError};

/// Pushes `manifest` (which names `subject` as its subject) and makes it a listed referrer of
/// `subject`. Returns its digest.
pub(crate) fn attach(
    repo: &Repository,
    subject: &str,
    manifest: &OciImageManifest,
) -> Result<String, StoreError> {
    let bytes = serde_json::to_vec(manifest)
        .map_err(|e| repo.tampered(format!("encoding a referrer: {e}")))?;
    let size = bytes.len() as i64;
    let digest = repo.push_manifest(
        &crate::registry::sha256_digest(&bytes),
        bytes,
        OCI_IMAGE_MEDIA_TYPE,
    )?;
    if repo
        .referrers(subject, None)?
        .iter()
        .any(|r| r.digest == digest)
    {
        return Ok(digest);
    }
    let tag = schema_tag(subject);
    let mut index = match repo.manifest(&tag)? {
        Some((bytes, _)) => serde_json::from_slice::<OciImageIndex>(&bytes).map_err(|e| {
            repo.tampered(format!("the referrers index {tag} is not an index: {e}"))
        })?,
        None => OciImageIndex {
            schema_version: 2,
            media_type: Some(OCI_IMAGE_INDEX_MEDIA_TYPE.into()),
            manifests: Vec::new(),
            artifact_type: None,
            annotations: None,
        },
    };
    index.manifests.retain(|m| m.digest != digest);
    index.manifests.push(ImageIndexEntry {
        media_type: OCI_IMAGE_MEDIA_TYPE.into(),
        digest: digest.clone(),
        size,
        platform: None,
        annotations: manifest.annotations.clone(),
        artifact_type: manifest.artifact_type.clone(),
    });
    let bytes = serde_json::to_vec(&index)
        .map_err(|e| repo.tampered(format!("encoding the referrers index: {e}")))?;
    repo.push_manifest(&tag, bytes, OCI_IMAGE_INDEX_MEDIA_TYPE)?;
    Ok(digest)
}

/// The referrers tag schema's tag for `digest` (`sha256:abc…` → `sha256-abc…`).
pub(crate) fn schema_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}
