//! Go's cache packs in a registry: what one component's build used of Go's cache (entries and
//! outputs, `go_cache::pack`'s stream) as one blob, tagged per component and platform and
//! overwritten by each build, so a machine gets in one request what it would otherwise ask for
//! one action at a time (`go_cache`'s tier, still asked on a miss). The blob is unpacked as it
//! downloads, each output checked against its ID before it is kept; its entries are written
//! only once the whole blob has its digest.

use std::collections::BTreeMap;

use go_cache::{ActionId, LocalCache, PackCount, PackLimits, Unpacker};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};

use crate::artifact::{EMPTY_CONFIG, empty_config};
use crate::registry::limits;
use crate::{RegistryOptions, Repository, StoreError};

/// The artifact type of a pack of Go cache entries.
pub const GO_PACK_ARTIFACT_TYPE: &str = "application/vnd.dockyard.go-cache-pack.v1";
const PACK_MEDIA_TYPE: &str = "application/vnd.dockyard.go-cache-pack.v1";
const ENTRIES: &str = "dev.dockyard.go.entries";

/// What a pack may hold: Go's cache of a large component (moby) is a few thousand entries
/// and well under a gigabyte.
const PACK_LIMITS: PackLimits = PackLimits {
    max_bytes: limits::GO_PACK,
    max_entries: limits::GO_PACK_ENTRIES,
};

/// A repository holding packs of Go cache entries (beside `go_cache`'s entries, in the same
/// repository).
pub struct GoPacks {
    repo: Repository,
}

impl std::fmt::Debug for GoPacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GoPacks({})", self.repo.name())
    }
}

impl GoPacks {
    /// Packs in the team's tier `spec` names, when it is a registry repository; `None` for a
    /// shared folder, which is asked per action only.
    pub fn for_remote(
        spec: &str,
        options: &RegistryOptions,
    ) -> Result<Option<GoPacks>, StoreError> {
        if crate::go_cache::is_folder(spec) {
            return Ok(None);
        }
        Ok(Some(GoPacks {
            repo: Repository::open(spec, options)?,
        }))
    }

    /// The repository, for messages.
    pub fn name(&self) -> String {
        self.repo.name()
    }

    /// Downloads the pack tagged `tag` into `local`, unpacking as it arrives. `Ok(None)`: the
    /// repository has none. An error leaves `local` as good as it was (only checked outputs
    /// may have been added).
    pub fn pull(&self, tag: &str, local: &LocalCache) -> Result<Option<PackCount>, StoreError> {
        let Some((bytes, _)) = self.repo.manifest(tag)? else {
            return Ok(None);
        };
        let manifest: OciImageManifest = serde_json::from_slice(&bytes)
            .map_err(|e| self.repo.tampered(format!("{tag} is not a manifest: {e}")))?;
        let layer = match manifest.layers.as_slice() {
            [layer]
                if manifest.artifact_type.as_deref() == Some(GO_PACK_ARTIFACT_TYPE)
                    && layer.media_type == PACK_MEDIA_TYPE =>
            {
                layer
            }
            _ => {
                return Err(self
                    .repo
                    .tampered(format!("{tag} is not a pack of Go cache entries")));
            }
        };
        let size = u64::try_from(layer.size).map_err(|_| {
            self.repo
                .tampered(format!("{tag}'s pack has a negative size"))
        })?;
        self.repo
            .check_size(&layer.digest, size, PACK_LIMITS.max_bytes)?;
        let mut unpacker = Unpacker::new(local, PACK_LIMITS);
        self.repo
            .fetch_blob(&layer.digest, size, &mut unpacker, local.dir())?;
        Ok(Some(unpacker.finish()?))
    }

    /// Packs `actions`' entries in `local` and pushes the pack as `tag` (the blob first, the
    /// tag last). The pack is written to a temporary file in `local`'s folder and streamed
    /// from there; a blob the repository has already is not uploaded again.
    pub fn push(
        &self,
        tag: &str,
        local: &LocalCache,
        actions: impl IntoIterator<Item = ActionId>,
    ) -> Result<PackCount, StoreError> {
        let dir = local.dir();
        let file = tempfile::Builder::new()
            .prefix(".tmp-pack-")
            .tempfile_in(dir)
            .map_err(StoreError::io("creating a file in", dir))?;
        let count = go_cache::pack(local, actions, file.as_file())?;
        let path = build_core::fs::utf8(file.path().to_owned())
            .map_err(StoreError::io("creating a file in", dir))?;
        self.repo.push_blob(EMPTY_CONFIG.to_vec())?;
        let (digest, size) = self.repo.push_file(&path)?;
        let manifest = OciImageManifest {
            schema_version: 2,
            media_type: Some(OCI_IMAGE_MEDIA_TYPE.into()),
            artifact_type: Some(GO_PACK_ARTIFACT_TYPE.into()),
            config: empty_config(),
            layers: vec![OciDescriptor {
                media_type: PACK_MEDIA_TYPE.into(),
                digest,
                size: i64::try_from(size).unwrap_or(i64::MAX),
                urls: None,
                artifact_type: None,
                annotations: Some(BTreeMap::from([(
                    ENTRIES.to_owned(),
                    count.entries.to_string(),
                )])),
            }],
            subject: None,
            annotations: None,
        };
        let bytes = serde_json::to_vec(&manifest).map_err(|e| StoreError::Registry {
            registry: self.repo.registry().to_owned(),
            message: format!("could not write the manifest of {tag}: {e}"),
        })?;
        self.repo.push_manifest(tag, bytes, OCI_IMAGE_MEDIA_TYPE)?;
        Ok(count)
    }
}
