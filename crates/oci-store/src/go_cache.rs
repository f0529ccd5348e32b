//! Go's shared build cache in a registry: the team tier of dockyard's `GOCACHEPROG` program.
//! An action is a tag, `go-<action ID>`, on a one-layer manifest whose layer is the output
//! (its digest is `sha256:<output ID>`, since Go's output ID is the SHA-256 of the bytes).
//! A lookup is one manifest request, a fetch one blob; what arrives is checked by Go's bridge
//! against the output ID, so a registry can cost a rebuild but never cause a wrong one.

use std::collections::BTreeMap;

use camino::Utf8Path;
use go_cache::{ActionId, OutputId, RemoteCache, RemoteEntry, RemoteError};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};

use crate::artifact::{EMPTY_CONFIG, empty_config};
use crate::{RegistryOptions, Repository, StoreError};

/// The artifact type of one Go cache entry.
pub const GO_CACHE_ARTIFACT_TYPE: &str = "application/vnd.dockyard.go-cache-entry.v1";
const TIME: &str = "dev.dockyard.go.time";

/// A repository holding Go cache entries.
pub struct RegistryGoCache {
    repo: Repository,
}

impl RegistryGoCache {
    /// Opens `reference` (`HOST[:PORT]/REPOSITORY`) with Docker's credentials.
    pub fn open(reference: &str, options: &RegistryOptions) -> Result<RegistryGoCache, StoreError> {
        let repo = Repository::open(reference, options)?;
        // One upload of the empty config for every entry that follows.
        repo.push_blob(EMPTY_CONFIG.to_vec())?;
        Ok(RegistryGoCache { repo })
    }
}

/// The team tier `spec` names: a shared folder (an absolute or `./` path) or a registry
/// repository.
pub fn go_cache_remote(
    spec: &str,
    options: &RegistryOptions,
) -> Result<Box<dyn RemoteCache>, StoreError> {
    if is_folder(spec) {
        let folder = go_cache::SharedFolder::open(spec).map_err(|e| StoreError::Registry {
            registry: spec.to_owned(),
            message: e.with_cause(),
        })?;
        return Ok(Box::new(folder));
    }
    Ok(Box::new(RegistryGoCache::open(spec, options)?))
}

/// Whether the team's tier `spec` is a shared folder (an absolute or `./` path), not a
/// registry repository.
pub(crate) fn is_folder(spec: &str) -> bool {
    spec.starts_with('/') || spec.starts_with('.')
}

fn tag(action: &ActionId) -> String {
    format!("go-{}", build_core::digest::hex(action))
}

fn failed(e: StoreError) -> RemoteError {
    RemoteError::new(build_core::error::with_causes(&e))
}

impl RemoteCache for RegistryGoCache {
    fn lookup(&self, action: &ActionId) -> Result<Option<RemoteEntry>, RemoteError> {
        let Some((bytes, _)) = self.repo.manifest(&tag(action)).map_err(failed)? else {
            return Ok(None);
        };
        let manifest: OciImageManifest = serde_json::from_slice(&bytes)
            .map_err(|e| RemoteError::new(format!("not a manifest: {e}")))?;
        let [layer] = manifest.layers.as_slice() else {
            return Err(RemoteError::new("an entry without exactly one layer"));
        };
        let hex = layer
            .digest
            .strip_prefix("sha256:")
            .ok_or_else(|| RemoteError::new("an entry whose digest is not SHA-256"))?;
        let mut output_id: OutputId = [0; 32];
        for (i, byte) in output_id.iter_mut().enumerate() {
            *byte = hex
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| RemoteError::new("an entry whose digest is not SHA-256"))?;
        }
        let time_unix_nanos = layer
            .annotations
            .as_ref()
            .and_then(|a| a.get(TIME))
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        Ok(Some(RemoteEntry {
            output_id,
            size: u64::try_from(layer.size).unwrap_or(0),
            time_unix_nanos,
        }))
    }

    fn fetch(&self, output: &OutputId, size: u64, dest: &Utf8Path) -> Result<(), RemoteError> {
        let digest = format!("sha256:{}", build_core::digest::hex(output));
        self.repo
            .pull_blob(&digest, size, crate::registry::limits::FILE, dest)
            .map_err(failed)
    }

    fn store(
        &self,
        action: &ActionId,
        entry: &RemoteEntry,
        body: &Utf8Path,
    ) -> Result<(), RemoteError> {
        let bytes = std::fs::read(body).map_err(|e| RemoteError::new(format!("{body}: {e}")))?;
        let digest = self.repo.push_blob(bytes).map_err(failed)?;
        let manifest = OciImageManifest {
            schema_version: 2,
            media_type: Some(OCI_IMAGE_MEDIA_TYPE.into()),
            artifact_type: Some(GO_CACHE_ARTIFACT_TYPE.into()),
            config: empty_config(),
            layers: vec![OciDescriptor {
                media_type: "application/octet-stream".into(),
                digest,
                size: entry.size as i64,
                urls: None,
                artifact_type: None,
                annotations: Some(BTreeMap::from([(
                    TIME.to_owned(),
                    entry.time_unix_nanos.to_string(),
                )])),
            }],
            subject: None,
            annotations: None,
        };
        let bytes = serde_json::to_vec(&manifest).map_err(|e| RemoteError::new(e.to_string()))?;
        self.repo
            .push_manifest(&tag(action), bytes, OCI_IMAGE_MEDIA_TYPE)
            .map_err(failed)?;
        Ok(())
    }
}
