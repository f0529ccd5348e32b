//! Published bundles as one OCI image index: one image manifest per platform (artifact type
//! [`BUNDLE_ARTIFACT_TYPE`]) whose layers are the bundle's files, each named by its relative
//! path in the `org.opencontainers.image.title` annotation; the bundle's `manifest.json` and
//! its SBOM as referrers of that manifest; the index, with each manifest's platform, tagged
//! last. A pull stages each bundle beside its destination and swaps it in only once
//! `bundle_format::verify` accepts it.
//!
//! Layer media types: a tarball is `application/gzip` (a file to keep, not an image layer to
//! unpack: not `…image.layer.v1.tar+gzip`); any other file `application/octet-stream`; a
//! referrer's one layer has its artifact type. The platform manifest (which a signature covers)
//! pins the digests of `manifest.json` and the SBOM in annotations: a pull takes only the
//! referrers holding exactly those bytes.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use build_core::Target;
use build_core::progress::{Progress, Underway};
use bundle_format::sbom::SBOM;
use bundle_format::{Archive, Manifest, manifest::MANIFEST};
use camino::{Utf8Path, Utf8PathBuf};
use oci_client::manifest::{
    ImageIndexEntry, OCI_IMAGE_INDEX_MEDIA_TYPE, OciImageIndex, OciImageManifest, Platform,
};
use oci_spec::image::{Arch, Os};

use crate::artifact::{self, ArtifactFile, NewArtifact, Pushed, TITLE};
use crate::attestation::{Attestations, PushedSubject};
use crate::registry::sha256_digest;
use crate::signature::{ArtifactSigner, SignatureCheck};
use crate::{Repository, StoreError};

/// The artifact type of one platform's bundle manifest (and of the index holding them).
pub const BUNDLE_ARTIFACT_TYPE: &str = "application/vnd.dockyard.bundle.v1";
/// The artifact type of the referrer holding a bundle's `manifest.json`.
pub const BUNDLE_MANIFEST_ARTIFACT_TYPE: &str = "application/vnd.dockyard.bundle.manifest.v1+json";
/// The artifact type of the referrer holding a bundle's SBOM (`sbom.spdx.json`).
pub const SBOM_ARTIFACT_TYPE: &str = "application/spdx+json";
/// The annotation of a platform manifest giving the digest of its bundle's `manifest.json`.
pub const MANIFEST_DIGEST_ANNOTATION: &str = "dev.dockyard.bundle.manifest.digest";
/// The annotation of a platform manifest giving the digest of its bundle's SBOM.
pub const SBOM_DIGEST_ANNOTATION: &str = "dev.dockyard.bundle.sbom.digest";

const VERSION: &str = "org.opencontainers.image.version";
const CREATED: &str = "org.opencontainers.image.created";
const SUMS: &str = "SHA256SUMS";
const TARBALL_MEDIA_TYPE: &str = "application/gzip";
const FILE_MEDIA_TYPE: &str = "application/octet-stream";
/// The files pushed as referrers: artifact type (also their layer's media type), file name,
/// and the platform manifest's annotation pinning their digest.
const REFERRED: [(&str, &str, &str); 2] = [
    (
        BUNDLE_MANIFEST_ARTIFACT_TYPE,
        MANIFEST,
        MANIFEST_DIGEST_ANNOTATION,
    ),
    (SBOM_ARTIFACT_TYPE, SBOM, SBOM_DIGEST_ANNOTATION),
];

/// What [`push_bundles`] published.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PushedBundles {
    /// The index's digest (`sha256:…`), now under the tag.
    pub index: String,
    /// Each bundle's platform and its manifest's digest, in the order given.
    pub platforms: Vec<(Target, String)>,
}

/// Verifies each bundle folder (one release, one folder per platform), pushes each as a
/// platform manifest with its `manifest.json` and SBOM as referrers, signs the manifests and
/// the index when `signer` is given (and, with `attestations`, attaches each bundle's
/// attestation to its manifest and to the index, as cosign does), and last puts the index
/// under `tag`.
pub fn push_bundles(
    repo: &Repository,
    tag: &str,
    bundles: &[Utf8PathBuf],
    signer: Option<&ArtifactSigner>,
    attestations: Option<&dyn Attestations>,
    progress: &dyn Progress,
) -> Result<PushedBundles, StoreError> {
    let mut local = Vec::with_capacity(bundles.len());
    for dir in bundles {
        bundle_format::verify(dir)?;
        local.push((dir.as_path(), Manifest::read(dir)?));
    }
    check_set(&local)?;
    let mut entries = Vec::with_capacity(local.len());
    let mut platforms = Vec::with_capacity(local.len());
    for (dir, manifest) in &local {
        let platform = manifest.target.to_string();
        let underway = Underway::start(progress, &platform);
        let pushed = push_one(repo, dir, manifest, signer)?;
        drop(underway);
        progress.status(
            "Pushed",
            &format!("{platform}: {dir} ({})", size_of(manifest)),
        );
        entries.push(ImageIndexEntry {
            media_type: pushed.media_type.to_owned(),
            digest: pushed.digest.clone(),
            size: pushed.size as i64,
            platform: Some(platform_of(&manifest.target)),
            annotations: None,
            artifact_type: Some(BUNDLE_ARTIFACT_TYPE.into()),
        });
        platforms.push((manifest.target.clone(), pushed.digest));
    }
    let index = OciImageIndex {
        schema_version: 2,
        media_type: Some(OCI_IMAGE_INDEX_MEDIA_TYPE.into()),
        manifests: entries,
        artifact_type: Some(BUNDLE_ARTIFACT_TYPE.into()),
        annotations: Some(release_annotations(&local[0].1)),
    };
    let bytes = serde_json::to_vec(&index)
        .map_err(|e| repo.tampered(format!("encoding the index: {e}")))?;
    let size = bytes.len() as u64;
    let digest = repo.push_manifest(
        &sha256_digest(&bytes),
        bytes.clone(),
        OCI_IMAGE_INDEX_MEDIA_TYPE,
    )?;
    if let Some(signer) = signer {
        signer.sign(repo, OCI_IMAGE_INDEX_MEDIA_TYPE, &digest, size)?;
        if let Some(attestations) = attestations {
            let index_id = (digest.as_str(), size);
            attest(
                repo,
                &local,
                &index,
                index_id,
                signer,
                attestations,
                progress,
            )?;
        }
    }
    // Last: until now the tag named the previous set, or nothing.
    repo.push_manifest(tag, bytes, OCI_IMAGE_INDEX_MEDIA_TYPE)?;
    Ok(PushedBundles {
        index: digest,
        platforms,
    })
}

/// Attaches each bundle's attestation, naming its manifest and the index, to both.
fn attest(
    repo: &Repository,
    local: &[(&Utf8Path, Manifest)],
    index: &OciImageIndex,
    (index_digest, index_size): (&str, u64),
    signer: &ArtifactSigner,
    attestations: &dyn Attestations,
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    let pushed = |digest: &str, media_type: &str| PushedSubject {
        repository: repo.name(),
        digest: digest.to_owned(),
        media_type: media_type.to_owned(),
    };
    let mut all = Vec::with_capacity(local.len());
    for ((dir, manifest), entry) in local.iter().zip(&index.manifests) {
        let subjects = [
            pushed(&entry.digest, &entry.media_type),
            pushed(index_digest, OCI_IMAGE_INDEX_MEDIA_TYPE),
        ];
        let envelope =
            attestations
                .attest(dir, &subjects, signer)
                .map_err(|why| StoreError::Attestation {
                    bundle: dir.to_path_buf(),
                    why,
                })?;
        let Some(envelope) = envelope else {
            progress.status(
                "Unattested",
                &format!("{}: {dir} has no provenance to attach", manifest.target),
            );
            continue;
        };
        let manifest_descriptor = descriptor(&entry.digest, &entry.media_type, entry.size);
        crate::attestation::attach(
            repo,
            &manifest_descriptor,
            attestations.predicate_type(),
            std::slice::from_ref(&envelope),
        )?;
        progress.status(
            "Attested",
            &format!("{}: {dir}'s provenance, signed", manifest.target),
        );
        all.push(envelope);
    }
    if !all.is_empty() {
        let index = descriptor(index_digest, OCI_IMAGE_INDEX_MEDIA_TYPE, index_size as i64);
        crate::attestation::attach(repo, &index, attestations.predicate_type(), &all)?;
    }
    Ok(())
}

fn descriptor(digest: &str, media_type: &str, size: i64) -> oci_client::manifest::OciDescriptor {
    oci_client::manifest::OciDescriptor {
        media_type: media_type.to_owned(),
        digest: digest.to_owned(),
        size,
        urls: None,
        annotations: None,
        artifact_type: None,
    }
}

/// One release (and build kind), each platform once.
fn check_set(local: &[(&Utf8Path, Manifest)]) -> Result<(), StoreError> {
    let Some((first, release)) = local.first() else {
        return Err(StoreError::BundleSet {
            why: "no bundle folder was given".into(),
        });
    };
    let name = |m: &Manifest| format!("Docker {}{}", m.version, ["", " (debug)"][m.debug as usize]);
    for (i, (dir, manifest)) in local.iter().enumerate() {
        if name(manifest) != name(release) {
            return Err(StoreError::BundleSet {
                why: format!(
                    "{first} is {} and {dir} is {}; one tag holds one release",
                    name(release),
                    name(manifest)
                ),
            });
        }
        if let Some((other, _)) = local[..i].iter().find(|(_, m)| m.target == manifest.target) {
            return Err(StoreError::BundleSet {
                why: format!(
                    "{other} and {dir} are both for {}; one tag holds one bundle per platform",
                    manifest.target
                ),
            });
        }
    }
    Ok(())
}

/// The release's version and time, as OCI annotations.
fn release_annotations(manifest: &Manifest) -> BTreeMap<String, String> {
    BTreeMap::from([
        (VERSION.to_owned(), manifest.version.clone()),
        (
            CREATED.to_owned(),
            build_core::build::rfc3339(manifest.source_date_epoch),
        ),
    ])
}

fn platform_of(target: &Target) -> Platform {
    Platform {
        architecture: Arch::from(target.arch.as_str()),
        os: Os::from(target.os.as_str()),
        os_version: None,
        os_features: None,
        variant: target.variant.clone(),
        features: None,
    }
}

fn is_platform(platform: Option<&Platform>, target: &Target) -> bool {
    platform.is_some_and(|p| {
        p.os.to_string() == target.os
            && p.architecture.to_string() == target.arch
            && p.variant == target.variant
    })
}

fn media_type(path: &str) -> &'static str {
    if path.ends_with(".tgz") || path.ends_with(".tar.gz") {
        TARBALL_MEDIA_TYPE
    } else {
        FILE_MEDIA_TYPE
    }
}

fn read_digest(dir: &Utf8Path, name: &str) -> Result<String, StoreError> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(StoreError::io("reading", &path))?;
    Ok(sha256_digest(&bytes))
}

/// Pushes one verified bundle: its files' blobs, its manifest (signed), then its referrers.
fn push_one(
    repo: &Repository,
    dir: &Utf8Path,
    manifest: &Manifest,
    signer: Option<&ArtifactSigner>,
) -> Result<Pushed, StoreError> {
    let file = |name: &str, media_type: &str| ArtifactFile {
        name: name.to_owned(),
        path: dir.join(name),
        media_type: media_type.to_owned(),
    };
    let mut expected: Vec<(String, String)> = Vec::with_capacity(manifest.files.len() + 1);
    let mut files = Vec::with_capacity(expected.capacity());
    for f in manifest.files.iter().filter(|f| f.path != SBOM) {
        files.push(file(&f.path, media_type(&f.path)));
        expected.push((f.path.clone(), format!("sha256:{}", f.sha256)));
    }
    files.push(file(SUMS, FILE_MEDIA_TYPE));
    expected.push((SUMS.to_owned(), read_digest(dir, SUMS)?));
    let mut annotations = release_annotations(manifest);
    for (_, name, annotation) in REFERRED {
        annotations.insert(annotation.to_owned(), read_digest(dir, name)?);
    }
    let image = artifact::upload(
        repo,
        &NewArtifact {
            artifact_type: BUNDLE_ARTIFACT_TYPE,
            config: None,
            files,
            annotations: annotations.clone(),
        },
        None,
    )?;
    // What was uploaded is what was verified, or nothing names it.
    for (layer, (name, digest)) in image.layers.iter().zip(&expected) {
        if layer.digest != *digest {
            return Err(changed(dir, name));
        }
    }
    let pushed = artifact::push_manifest(repo, &image, None, signer)?;
    for (artifact_type, name, annotation) in REFERRED {
        let referrer = artifact::upload(
            repo,
            &NewArtifact {
                artifact_type,
                config: None,
                files: vec![file(name, artifact_type)],
                annotations: BTreeMap::new(),
            },
            Some(&pushed),
        )?;
        if referrer.layers.first().map(|l| &l.digest) != annotations.get(annotation) {
            return Err(changed(dir, name));
        }
        crate::referrers::attach(repo, &pushed.digest, &referrer)?;
    }
    Ok(pushed)
}

fn changed(dir: &Utf8Path, name: &str) -> StoreError {
    StoreError::Bundle(bundle_format::FormatError::Damaged {
        path: name.to_owned(),
        problem: format!("it changed in {dir} while it was being pushed"),
    })
}

/// "N files, X MiB" of a bundle, as its manifest lists them.
fn size_of(manifest: &Manifest) -> String {
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    format!(
        "{} files, {:.1} MiB",
        manifest.files.len(),
        bytes as f64 / 1024.0 / 1024.0
    )
}

mod pull;
pub use pull::pull_bundles;
