//! An OCI 1.1 artifact made of files: a JSON config (what the files are, in the pusher's own
//! terms), one layer per file named by its `org.opencontainers.image.title`, every blob
//! content-addressed. Pushed blobs first and the tag last, so a pull never sees half of one;
//! pulled into a folder only after every blob hashed to its digest.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};

use crate::registry::limits;
use crate::signature::{ArtifactSigner, SignatureCheck};
use crate::{Repository, StoreError};

/// The annotation naming a layer's file.
pub const TITLE: &str = "org.opencontainers.image.title";
/// The OCI empty descriptor's bytes.
pub(crate) const EMPTY_CONFIG: &[u8] = b"{}";

pub(crate) fn empty_config() -> OciDescriptor {
    OciDescriptor {
        media_type: "application/vnd.oci.empty.v1+json".into(),
        digest: crate::registry::sha256_digest(EMPTY_CONFIG),
        size: EMPTY_CONFIG.len() as i64,
        urls: None,
        artifact_type: None,
        annotations: None,
    }
}

/// One file of an artifact.
#[derive(Clone, Debug)]
pub struct ArtifactFile {
    /// Its name in the artifact: a plain file name, or a relative path without `..`.
    pub name: String,
    /// Where its bytes are.
    pub path: Utf8PathBuf,
    /// Its layer's media type.
    pub media_type: String,
}

/// What to push.
#[derive(Debug)]
pub struct NewArtifact<'a> {
    /// The artifact type (OCI 1.1 `artifactType`).
    pub artifact_type: &'a str,
    /// The config's media type and bytes; `None` for the OCI empty config.
    pub config: Option<(&'a str, Vec<u8>)>,
    /// The files, in layer order.
    pub files: Vec<ArtifactFile>,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
}

/// A manifest as pushed: what a subject descriptor or an index entry needs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Pushed {
    /// `sha256:…`.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its media type.
    pub media_type: &'static str,
}

/// Pushes the artifact's blobs, then its manifest (by digest), its signature when `signer`
/// is given, and last the tag (if any) that makes it visible.
pub fn push_artifact(
    repo: &Repository,
    artifact: &NewArtifact<'_>,
    tag: Option<&str>,
    signer: Option<&ArtifactSigner>,
) -> Result<Pushed, StoreError> {
    let manifest = upload(repo, artifact, None)?;
    push_manifest(repo, &manifest, tag, signer)
}

/// Uploads the blobs and returns the manifest that names them (not yet pushed).
pub(crate) fn upload(
    repo: &Repository,
    artifact: &NewArtifact<'_>,
    subject: Option<&Pushed>,
) -> Result<OciImageManifest, StoreError> {
    let config = match &artifact.config {
        Some((media_type, bytes)) => OciDescriptor {
            media_type: (*media_type).to_owned(),
            size: bytes.len() as i64,
            digest: repo.push_blob(bytes.clone())?,
            urls: None,
            artifact_type: None,
            annotations: None,
        },
        None => {
            repo.push_blob(EMPTY_CONFIG.to_vec())?;
            empty_config()
        }
    };
    let mut layers = Vec::with_capacity(artifact.files.len());
    for file in &artifact.files {
        check_name(repo, &file.name)?;
        let (digest, size) = repo.push_file(&file.path)?;
        layers.push(OciDescriptor {
            media_type: file.media_type.clone(),
            digest,
            size: i64::try_from(size).unwrap_or(i64::MAX),
            urls: None,
            artifact_type: None,
            annotations: Some(BTreeMap::from([(TITLE.to_owned(), file.name.clone())])),
        });
    }
    Ok(OciImageManifest {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_MEDIA_TYPE.into()),
        artifact_type: Some(artifact.artifact_type.to_owned()),
        config,
        layers,
        subject: subject.map(|s| OciDescriptor {
            media_type: s.media_type.to_owned(),
            digest: s.digest.clone(),
            size: s.size as i64,
            urls: None,
            artifact_type: None,
            annotations: None,
        }),
        annotations: (!artifact.annotations.is_empty()).then(|| artifact.annotations.clone()),
    })
}

pub(crate) fn push_manifest(
    repo: &Repository,
    manifest: &OciImageManifest,
    tag: Option<&str>,
    signer: Option<&ArtifactSigner>,
) -> Result<Pushed, StoreError> {
    let bytes = serde_json::to_vec(manifest)
        .map_err(|e| repo.tampered(format!("encoding a manifest: {e}")))?;
    let digest = crate::registry::sha256_digest(&bytes);
    let size = bytes.len() as u64;
    repo.push_manifest(&digest, bytes.clone(), OCI_IMAGE_MEDIA_TYPE)?;
    if let Some(signer) = signer {
        signer.sign(repo, OCI_IMAGE_MEDIA_TYPE, &digest, size)?;
    }
    if let Some(tag) = tag {
        repo.push_manifest(tag, bytes, OCI_IMAGE_MEDIA_TYPE)?;
    }
    Ok(Pushed {
        digest,
        size,
        media_type: OCI_IMAGE_MEDIA_TYPE,
    })
}

/// An artifact pulled into a folder.
#[derive(Debug)]
#[non_exhaustive]
pub struct PulledArtifact {
    /// Its manifest's digest.
    pub digest: String,
    /// The config's bytes (hashed against its digest).
    pub config: Vec<u8>,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
    /// Each file, in layer order, where it was written.
    pub files: Vec<ArtifactFile>,
}

/// Pulls the artifact `reference` (a tag or digest) names into `dest`, if there is one:
/// its type must be `artifact_type`, its signature must verify with `check` when given, and
/// every blob must hash to its digest.
pub fn pull_artifact(
    repo: &Repository,
    reference: &str,
    artifact_type: &str,
    dest: &Utf8Path,
    check: Option<&SignatureCheck>,
) -> Result<Option<PulledArtifact>, StoreError> {
    pull_artifact_accepting(repo, reference, artifact_type, dest, check, &|_, _| true)
}

/// [`pull_artifact`], where a file whose name and declared size `accepts` refuses fails the
/// pull before any file is written: the names (and sizes, under [`limits::FILE`]) an artifact
/// may hold are the puller's to say, not the registry's.
pub fn pull_artifact_accepting(
    repo: &Repository,
    reference: &str,
    artifact_type: &str,
    dest: &Utf8Path,
    check: Option<&SignatureCheck>,
    accepts: &dyn Fn(&str, u64) -> bool,
) -> Result<Option<PulledArtifact>, StoreError> {
    let Some((bytes, digest)) = repo.manifest(reference)? else {
        return Ok(None);
    };
    let manifest: OciImageManifest = serde_json::from_slice(&bytes)
        .map_err(|e| repo.tampered(format!("{reference} is not an image manifest: {e}")))?;
    if manifest.artifact_type.as_deref() != Some(artifact_type) {
        return Err(repo.tampered(format!(
            "{reference} is a {}, not a {artifact_type}",
            manifest
                .artifact_type
                .as_deref()
                .unwrap_or("manifest without an artifact type")
        )));
    }
    if let Some(check) = check {
        check.check(repo, &digest)?;
    }
    pull_manifest_files(repo, &manifest, &digest, dest, accepts).map(Some)
}

pub(crate) fn pull_manifest_files(
    repo: &Repository,
    manifest: &OciImageManifest,
    digest: &str,
    dest: &Utf8Path,
    accepts: &dyn Fn(&str, u64) -> bool,
) -> Result<PulledArtifact, StoreError> {
    // A negative size is as much a lie as a huge one.
    let size = |d: &OciDescriptor| u64::try_from(d.size).unwrap_or(u64::MAX);
    if manifest.layers.len() > limits::LAYERS {
        return Err(repo.tampered(format!(
            "{digest} has {} layers, more than the {} dockyard accepts",
            manifest.layers.len(),
            limits::LAYERS
        )));
    }
    // Every name is checked before anything is fetched or written.
    let mut names = Vec::with_capacity(manifest.layers.len());
    for layer in &manifest.layers {
        let name = layer
            .annotations
            .as_ref()
            .and_then(|a| a.get(TITLE))
            .ok_or_else(|| repo.tampered(format!("a layer of {digest} has no file name")))?;
        check_name(repo, name)?;
        if !accepts(name, size(layer)) || names.contains(&name) {
            return Err(repo.tampered(format!(
                "{digest} holds a file named `{name}`, which is not one it may hold"
            )));
        }
        names.push(name);
    }
    let config = repo.blob_bytes(
        &manifest.config.digest,
        size(&manifest.config),
        limits::CONFIG,
    )?;
    let mut files = Vec::with_capacity(manifest.layers.len());
    for (layer, name) in manifest.layers.iter().zip(names) {
        let path = dest.join(name);
        repo.pull_blob(&layer.digest, size(layer), limits::FILE, &path)?;
        files.push(ArtifactFile {
            name: name.to_owned(),
            path,
            media_type: layer.media_type.clone(),
        });
    }
    Ok(PulledArtifact {
        digest: digest.to_owned(),
        config,
        annotations: manifest.annotations.clone().unwrap_or_default(),
        files,
    })
}

/// A file name from a registry never leaves the folder it is written into.
fn check_name(repo: &Repository, name: &str) -> Result<(), StoreError> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains(['\0', '\\'])
        || name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..");
    if bad {
        return Err(repo.tampered(format!("a file named `{name}`")));
    }
    Ok(())
}
