//! Signatures on what dockyard pushes, as cosign writes them in its OCI 1.1 mode: a referrer
//! manifest (artifact type `application/vnd.dev.cosign.artifact.sig.v1+json`, `subject` the
//! signed manifest) whose one layer is cosign's "simple signing" payload naming the manifest's
//! digest, with the ECDSA P-256 signature of that payload in the layer's
//! `dev.cosignproject.cosign/signature` annotation. `cosign verify --key` reads these, and a
//! key `cosign generate-key-pair` made (its `cosign.pub`) verifies here.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use camino::{Utf8Path, Utf8PathBuf};
use oci_client::manifest::{OciDescriptor, OciImageManifest};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};
use serde_json::json;

use crate::artifact::{EMPTY_CONFIG, empty_config};
use crate::{Repository, StoreError};

/// The artifact type of a cosign signature in OCI 1.1 mode.
pub const SIGNATURE_ARTIFACT_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
const PAYLOAD_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// A payload is a few hundred bytes; anything much larger is not one.
const MAX_PAYLOAD: u64 = 64 * 1024;

/// A private key that signs what is pushed (an unencrypted PKCS#8 or SEC1 PEM, P-256).
pub struct ArtifactSigner {
    key: SigningKey,
}

impl ArtifactSigner {
    /// Reads the key.
    pub fn from_pem_file(path: &Utf8Path) -> Result<ArtifactSigner, StoreError> {
        let text = std::fs::read_to_string(path).map_err(StoreError::io("reading", path))?;
        let key = SigningKey::from_pkcs8_pem(&text)
            .or_else(|_| p256::SecretKey::from_sec1_pem(&text).map(SigningKey::from))
            .map_err(|_| StoreError::Key {
                path: path.to_owned(),
                message: "not an unencrypted P-256 private key in PEM (PKCS#8 or SEC1); \
                          make one with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`"
                    .into(),
            })?;
        Ok(ArtifactSigner { key })
    }

    /// The ECDSA P-256 (SHA-256) signature of `message`, DER-encoded as cosign writes it: what
    /// other signed documents (a DSSE envelope) carry, with the same key.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.key.sign(message);
        signature.to_der().as_bytes().to_vec()
    }

    /// Whether `der` is this key's signature of `message` (checked with its public half).
    pub fn verifies(&self, message: &[u8], der: &[u8]) -> bool {
        let key = self.key.verifying_key();
        Signature::from_der(der).is_ok_and(|s| key.verify(message, &s).is_ok())
    }

    /// Signs the manifest `digest` (of `size` bytes) in `repo` and attaches the signature as
    /// its referrer.
    pub fn sign(
        &self,
        repo: &Repository,
        media_type: &str,
        digest: &str,
        size: u64,
    ) -> Result<(), StoreError> {
        let payload = serde_json::to_vec(&json!({
            "critical": {
                "identity": { "docker-reference": repo.name() },
                "image": { "docker-manifest-digest": digest },
                "type": "cosign container image signature",
            },
            "optional": null,
        }))
        .map_err(|e| repo.tampered(format!("encoding a signature payload: {e}")))?;
        let encoded = STANDARD.encode(self.sign_bytes(&payload));
        let payload_size = payload.len() as i64;
        let payload_digest = repo.push_blob(payload)?;
        repo.push_blob(EMPTY_CONFIG.to_vec())?;
        let manifest = OciImageManifest {
            schema_version: 2,
            media_type: Some(oci_client::manifest::OCI_IMAGE_MEDIA_TYPE.into()),
            artifact_type: Some(SIGNATURE_ARTIFACT_TYPE.into()),
            config: empty_config(),
            layers: vec![OciDescriptor {
                media_type: PAYLOAD_MEDIA_TYPE.into(),
                digest: payload_digest,
                size: payload_size,
                annotations: Some(BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), encoded)])),
                urls: None,
                artifact_type: None,
            }],
            subject: Some(OciDescriptor {
                media_type: media_type.to_owned(),
                digest: digest.to_owned(),
                size: size as i64,
                urls: None,
                artifact_type: None,
                annotations: None,
            }),
            annotations: None,
        };
        crate::referrers::attach(repo, digest, &manifest)?;
        Ok(())
    }
}

/// A public key whose signatures make an artifact trusted (a PEM `PUBLIC KEY`, P-256, such as
/// cosign's `cosign.pub`).
pub struct SignatureCheck {
    key: VerifyingKey,
    path: Utf8PathBuf,
}

impl SignatureCheck {
    /// Reads the key.
    pub fn from_pem_file(path: &Utf8Path) -> Result<SignatureCheck, StoreError> {
        let text = std::fs::read_to_string(path).map_err(StoreError::io("reading", path))?;
        let key = VerifyingKey::from_public_key_pem(&text).map_err(|_| StoreError::Key {
            path: path.to_owned(),
            message: "not a P-256 public key in PEM (`-----BEGIN PUBLIC KEY-----`)".into(),
        })?;
        Ok(SignatureCheck {
            key,
            path: path.to_owned(),
        })
    }

    /// The key file it was read from.
    pub fn path(&self) -> &Utf8Path {
        &self.path
    }

    /// Whether `der` is this key's signature of `message` (the counterpart of
    /// [`ArtifactSigner::sign_bytes`]).
    pub fn verifies(&self, message: &[u8], der: &[u8]) -> bool {
        Signature::from_der(der).is_ok_and(|s| self.key.verify(message, &s).is_ok())
    }

    /// Succeeds when a referrer of `digest` carries a payload naming `digest` signed by this
    /// key; otherwise says why not.
    pub fn check(&self, repo: &Repository, digest: &str) -> Result<(), StoreError> {
        let unsigned = |why: String| StoreError::Unsigned {
            subject: format!("{}@{digest}", repo.name()),
            key: self.path.clone(),
            why,
        };
        let mut seen = Vec::new();
        for referrer in repo.referrers(digest, Some(SIGNATURE_ARTIFACT_TYPE))? {
            let Some((bytes, _)) = repo.manifest(&referrer.digest)? else {
                continue;
            };
            let Ok(manifest) = serde_json::from_slice::<OciImageManifest>(&bytes) else {
                seen.push("a signature manifest that is not one".to_owned());
                continue;
            };
            for layer in &manifest.layers {
                let Some(encoded) = layer
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(SIGNATURE_ANNOTATION))
                else {
                    continue;
                };
                match self.verify_layer(repo, digest, layer, encoded) {
                    Ok(()) => return Ok(()),
                    Err(why) => seen.push(why),
                }
            }
        }
        Err(unsigned(if seen.is_empty() {
            "it has no signature".into()
        } else {
            seen.join("; ")
        }))
    }

    fn verify_layer(
        &self,
        repo: &Repository,
        digest: &str,
        layer: &OciDescriptor,
        encoded: &str,
    ) -> Result<(), String> {
        let size = u64::try_from(layer.size).unwrap_or(u64::MAX);
        if size > MAX_PAYLOAD {
            return Err(format!("a signature payload of {size} bytes"));
        }
        let payload = repo
            .blob_bytes(&layer.digest, size, MAX_PAYLOAD)
            .map_err(|e| build_core::error::with_causes(&e))?;
        let der = STANDARD
            .decode(encoded)
            .map_err(|_| "a signature that is not base64".to_owned())?;
        let signature =
            Signature::from_der(&der).map_err(|_| "a signature that is not ECDSA".to_owned())?;
        self.key
            .verify(&payload, &signature)
            .map_err(|_| "a signature by another key".to_owned())?;
        let value: serde_json::Value = serde_json::from_slice(&payload)
            .map_err(|_| "a payload that is not JSON".to_owned())?;
        let signed = value["critical"]["image"]["docker-manifest-digest"].as_str();
        if signed != Some(digest) {
            return Err(format!(
                "a valid signature of another manifest ({})",
                signed.unwrap_or("none")
            ));
        }
        Ok(())
    }
}
