//! A `docker save` archive of one-layer images: what `docker load` reads, and the layout of
//! moby's `/docker-frozen-images` (written by its `contrib/download-frozen-image-v2.sh`), which
//! upstream's `TestMain` loads the same way. Per image: `<diff id>/layer.tar` (the root file
//! system, uncompressed, because containerd's importer only recognises gzip and zstd layers),
//! `<config digest>.json` (its image config) and an entry in `manifest.json` naming both with
//! the image's tags. Every header has time 0, owner 0 and mode 0644, and the config's
//! `created` is the epoch: the same parts make the same archive, byte for byte.

use std::io::{Read, Write};

use build_core::digest::{hex, sha256_file};
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::ConformanceError;

/// One image of the archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedImage {
    /// Its root file system, a `.tar.xz`.
    pub rootfs: Utf8PathBuf,
    /// `busybox:latest`; every tag names this one image.
    pub tags: Vec<&'static str>,
    /// Go's name for its architecture (`amd64`, `arm64`).
    pub architecture: &'static str,
    /// Its `CMD`.
    pub cmd: &'static [&'static str],
}

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// `images` as one `docker save` archive at `out`.
pub fn write_save_archive(images: &[SavedImage], out: &Utf8Path) -> Result<(), ConformanceError> {
    let parent = out.parent().unwrap_or(Utf8Path::new("."));
    // Beside `out`, so the layers are unpacked on the file system they are written to.
    let scratch = tempfile::tempdir_in(parent)
        .map_err(ConformanceError::io("creating a folder in", parent))?;
    let scratch = Utf8Path::from_path(scratch.path())
        .unwrap_or(parent)
        .to_owned();
    let file = std::fs::File::create(out).map_err(ConformanceError::io("writing", out))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    let mut manifest = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let layer = unpacked(&image.rootfs, &scratch.join(i.to_string()))?;
        let diff_id = sha256_file(&layer).map_err(ConformanceError::io("reading", &layer))?;
        let config = serde_json::to_vec(&json!({
            "architecture": image.architecture,
            "os": "linux",
            "created": "1970-01-01T00:00:00Z",
            "config": { "Cmd": image.cmd, "Env": [PATH] },
            "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{diff_id}")] },
            "history": [{ "created": "1970-01-01T00:00:00Z", "created_by": "dockyard conformance" }],
        }))
        .unwrap_or_default();
        let config_name = format!("{}.json", hex(&Sha256::digest(&config)));
        let layer_name = format!("{diff_id}/layer.tar");
        let size = std::fs::metadata(&layer)
            .map_err(ConformanceError::io("reading", &layer))?
            .len();
        let reader =
            std::fs::File::open(&layer).map_err(ConformanceError::io("reading", &layer))?;
        append(&mut tar, &layer_name, size, reader, out)?;
        append(
            &mut tar,
            &config_name,
            config.len() as u64,
            config.as_slice(),
            out,
        )?;
        manifest
            .push(json!({ "Config": config_name, "RepoTags": image.tags, "Layers": [layer_name] }));
        std::fs::remove_file(&layer).map_err(ConformanceError::io("removing", &layer))?;
    }
    let manifest = serde_json::to_vec(&manifest).unwrap_or_default();
    append(
        &mut tar,
        "manifest.json",
        manifest.len() as u64,
        manifest.as_slice(),
        out,
    )?;
    tar.into_inner()
        .and_then(|mut w| w.flush())
        .map_err(ConformanceError::io("writing", out))
}

fn append(
    tar: &mut tar::Builder<impl Write>,
    name: &str,
    size: u64,
    data: impl Read,
    out: &Utf8Path,
) -> Result<(), ConformanceError> {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, data)
        .map_err(ConformanceError::io("writing", out))
}

/// `rootfs` (`.tar.xz`) decompressed to `at`.
pub(crate) fn unpacked(rootfs: &Utf8Path, at: &Utf8Path) -> Result<Utf8PathBuf, ConformanceError> {
    crate::error::require("xz", "xz-utils", "the test images")?;
    let compressed = Utf8PathBuf::from(format!("{at}.tar.xz"));
    // A second name for the cached file (`--force`: xz otherwise refuses a file with two):
    // decompressing removes that name and leaves the cache as it was.
    std::fs::hard_link(rootfs, &compressed)
        .or_else(|_| std::fs::copy(rootfs, &compressed).map(drop))
        .map_err(ConformanceError::io("reading", rootfs))?;
    build_core::process::LoggedCommand::new("xz")
        .args(["--decompress", "--force", compressed.as_str()])
        .read()?;
    Ok(Utf8PathBuf::from(format!("{at}.tar")))
}
