//! Blobs, streamed: uploaded from a file and downloaded to one, hashed on the way, a declared
//! size believed only below the limit for its kind and bytes refused past it, so memory stays
//! flat whatever a registry sends.

use std::io::Write;

use camino::Utf8Path;
use oci_client::RegistryOperation;
use oci_client::errors::OciDistributionError;
use sha2::{Digest, Sha256};

use crate::{Repository, StoreError};

impl Repository {
    /// Uploads the file at `path` unless the repository has its bytes, streamed from the file
    /// (memory stays flat whatever its size); returns its digest and size.
    pub fn push_file(&self, path: &Utf8Path) -> Result<(String, u64), StoreError> {
        let size = std::fs::metadata(path)
            .map_err(StoreError::io("reading", path))?
            .len();
        let digest = format!(
            "sha256:{}",
            build_core::digest::sha256_file(path).map_err(StoreError::io("reading", path))?
        );
        if self.has_blob(&digest)? {
            return Ok((digest, size));
        }
        let file = std::fs::File::open(path).map_err(StoreError::io("reading", path))?;
        let chunks = futures_util::stream::unfold(file, |mut file| async move {
            let mut chunk = vec![0u8; 4 << 20];
            match std::io::Read::read(&mut file, &mut chunk) {
                Ok(0) => None,
                Ok(n) => {
                    chunk.truncate(n);
                    Some((Ok(bytes::Bytes::from(chunk)), file))
                }
                Err(e) => Some((Err(OciDistributionError::IoError(e)), file)),
            }
        });
        let image = self.tagged("latest");
        self.run(self.deadline_for(size), async {
            self.client
                .push_blob_stream(&image, chunks, &digest, Some(size))
                .await
                .map_err(|e| self.classify(RegistryOperation::Push, e))
        })?;
        Ok((digest, size))
    }

    /// Downloads a blob of at most `limit` bytes to `dest`, streamed through a temporary file
    /// beside it and hashed as it arrives, renamed only once its size and SHA-256 are the
    /// descriptor's: memory stays flat whatever the blob holds.
    pub fn pull_blob(
        &self,
        digest: &str,
        size: u64,
        limit: u64,
        dest: &Utf8Path,
    ) -> Result<(), StoreError> {
        self.check_size(digest, size, limit)?;
        let parent = dest.parent().unwrap_or(Utf8Path::new("."));
        std::fs::create_dir_all(parent).map_err(StoreError::io("creating", parent))?;
        let mut file = tempfile::NamedTempFile::new_in(parent)
            .map_err(StoreError::io("creating a file in", parent))?;
        self.fetch_blob(
            digest,
            size,
            &mut std::io::BufWriter::new(file.as_file_mut()),
            dest,
        )?;
        file.persist(dest)
            .map_err(|e| StoreError::io("writing", dest)(e.error))?;
        Ok(())
    }

    /// A small blob's bytes (at most `limit`), checked against its descriptor's size and
    /// digest.
    pub fn blob_bytes(&self, digest: &str, size: u64, limit: u64) -> Result<Vec<u8>, StoreError> {
        self.check_size(digest, size, limit)?;
        // Believed only now that it is below the limit.
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        self.fetch_blob(digest, size, &mut bytes, Utf8Path::new("memory"))?;
        Ok(bytes)
    }

    /// A declared size is believed only below the limit for its kind.
    pub(crate) fn check_size(&self, digest: &str, size: u64, limit: u64) -> Result<(), StoreError> {
        if size > limit {
            return Err(self.tampered(format!(
                "blob {digest} is declared as {size} bytes, more than the {limit} dockyard accepts for it"
            )));
        }
        Ok(())
    }

    /// Streams a blob into `sink`, refusing it as soon as it is longer than `size`, and
    /// checks its length and SHA-256 at the end.
    pub(crate) fn fetch_blob(
        &self,
        digest: &str,
        size: u64,
        sink: &mut (impl Write + Send),
        dest: &Utf8Path,
    ) -> Result<(), StoreError> {
        self.run(self.deadline_for(size), async {
            let path = format!("blobs/{digest}");
            let mut response = self
                .reads
                .send(self, &path, &["*/*"])
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    reference: format!("{}@{digest}", self.name()),
                })?;
            if let Some(announced) = response.content_length().filter(|l| *l != size) {
                return Err(self.tampered(format!(
                    "blob {digest} is announced as {announced} bytes, not the {size} of its descriptor"
                )));
            }
            let mut hasher = Sha256::new();
            let mut received = 0u64;
            while let Some(chunk) = crate::bounded::next_chunk(self, &mut response).await? {
                received += chunk.len() as u64;
                if received > size {
                    return Err(self.tampered(format!(
                        "blob {digest} is longer than the {size} bytes of its descriptor"
                    )));
                }
                hasher.update(&chunk);
                sink.write_all(&chunk).map_err(StoreError::io("writing", dest))?;
            }
            sink.flush().map_err(StoreError::io("writing", dest))?;
            let arrived = format!("sha256:{}", build_core::digest::hex(&hasher.finalize()));
            if received != size || arrived != digest {
                return Err(self.tampered(format!(
                    "blob {digest} arrived as {received} bytes hashing to {arrived}"
                )));
            }
            Ok(())
        })
    }
}
