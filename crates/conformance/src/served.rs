//! The images containerd's client tests pull, made here and written straight into the storage
//! folder of Debian's `docker-registry` (distribution's filesystem driver: blobs by digest,
//! and per repository the links that make a blob, a manifest or a tag part of it), so a
//! registry on the loopback serves them. Each image is an OCI index of uncompressed layers,
//! every tar header with time 0 and owner 0: the same parts give the same digests.
//!
//! What each must hold was read in the tests of containerd 2.3.3's `integration/client`:
//!
//! - `busybox`: the busybox file system of [`Images`], and a layer adding `www-data` (33:33),
//!   which the user tests name, and `/dev`, `/proc` and `/sys` (a read-only root needs them).
//! - `volume-copy-up`: busybox and a layer of its own (a multi-layer image other than busybox).
//! - `whiteout-test`: busybox, a layer adding `/file-to-delete` and `/dir-to-delete`, and one
//!   deleting both by whiteouts (`TestIssue13030`).
//! - `volume-ownership` (the user namespace tests): busybox with bash (the host's, with its
//!   libraries), a setuid `/usr/bin/passwd`, user `backup` (34), `/run` and `/test_dir` owned
//!   by nobody:nogroup.
//! - `pause`: one file, `/pause`.
//!
//! busybox and pause are multi-platform, as upstream's are: beside linux/amd64, a linux/arm64
//! placeholder with a layer of its own, every blob present (`TestImagePullAllPlatforms` reads
//! them all; the export and usage tests pull one platform and expect the other's blobs missing).

use std::collections::BTreeMap;

use build_core::progress::Progress;
use camino::{Utf8Path, Utf8PathBuf};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::Images;
use crate::error::ConformanceError;

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// `sha256:…` of `bytes`.
fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", build_core::digest::hex(&Sha256::digest(bytes)))
}

/// A registry's storage folder, being filled.
pub(crate) struct Storage {
    root: Utf8PathBuf,
}

impl Storage {
    /// The storage at `root` (the registry's `rootdirectory`).
    pub(crate) fn new(root: &Utf8Path) -> Storage {
        Storage {
            root: root.join("docker/registry/v2"),
        }
    }

    fn write(&self, path: Utf8PathBuf, bytes: &[u8]) -> Result<(), ConformanceError> {
        std::fs::create_dir_all(path.parent().unwrap_or(&self.root))
            .and_then(|()| std::fs::write(&path, bytes))
            .map_err(ConformanceError::io("writing", path))
    }

    /// `bytes` as a blob of `repo` (`_layers` for layers and configs, `_manifests/revisions`
    /// for manifests); returns its digest.
    fn blob(&self, repo: &str, bytes: &[u8], manifest: bool) -> Result<String, ConformanceError> {
        let digest = digest(bytes);
        let hex = &digest["sha256:".len()..];
        let data = self
            .root
            .join(format!("blobs/sha256/{}/{hex}/data", &hex[..2]));
        if !data.is_file() {
            self.write(data, bytes)?;
        }
        let kind = if manifest {
            "_manifests/revisions"
        } else {
            "_layers"
        };
        let link = self
            .root
            .join(format!("repositories/{repo}/{kind}/sha256/{hex}/link"));
        self.write(link, digest.as_bytes())?;
        Ok(digest)
    }

    /// `manifest` (a manifest or an index) tagged `tag` in `repo`.
    fn tag(&self, repo: &str, tag: &str, manifest: &str) -> Result<(), ConformanceError> {
        let tags = self
            .root
            .join(format!("repositories/{repo}/_manifests/tags/{tag}"));
        let hex = &manifest["sha256:".len()..];
        self.write(tags.join("current/link"), manifest.as_bytes())?;
        self.write(
            tags.join(format!("index/sha256/{hex}/link")),
            manifest.as_bytes(),
        )
    }

    /// One image of `layers` with `config` for linux/amd64 and, with `arm64`, a placeholder
    /// for linux/arm64 (one layer of its own holding `/platform`: never run here, it is what
    /// a pull of one platform leaves out), as an index in `repo`; returns the index's digest.
    fn image(
        &self,
        repo: &str,
        layers: &[Vec<u8>],
        config: &serde_json::Value,
        arm64: bool,
    ) -> Result<String, ConformanceError> {
        let mut placeholder = Layer::new();
        // Its own to each repository, as upstream's layers are: a blob another image brought
        // would make this one's missing blobs present.
        placeholder.file(
            "platform",
            0o644,
            format!("{repo} linux/arm64\n").as_bytes(),
        );
        let placeholder = [placeholder.done()];
        let architectures: &[(&str, &[Vec<u8>])] = if arm64 {
            &[("amd64", layers), ("arm64", &placeholder)]
        } else {
            &[("amd64", layers)]
        };
        let mut manifests = Vec::new();
        for (arch, layers) in architectures {
            let mut descriptors = Vec::new();
            for layer in layers.iter() {
                let d = self.blob(repo, layer, false)?;
                descriptors.push(json!({"mediaType": OCI_LAYER, "digest": d, "size": layer.len()}));
            }
            let diff_ids: Vec<String> = layers.iter().map(|l| digest(l)).collect();
            let config = serde_json::to_vec(&json!({
                "architecture": arch,
                "os": "linux",
                "created": "1970-01-01T00:00:00Z",
                "config": config,
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }))
            .unwrap_or_default();
            let config_digest = self.blob(repo, &config, false)?;
            let manifest = serde_json::to_vec(&json!({
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
                "layers": descriptors,
            }))
            .unwrap_or_default();
            let manifest_digest = self.blob(repo, &manifest, true)?;
            manifests.push(json!({
                "mediaType": OCI_MANIFEST,
                "digest": manifest_digest,
                "size": manifest.len(),
                "platform": {"architecture": arch, "os": "linux"},
            }));
        }
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": manifests,
        }))
        .unwrap_or_default();
        self.blob(repo, &index, true)
    }
}

/// A layer being written: entries with time 0 and owner 0 unless given.
struct Layer(tar::Builder<Vec<u8>>);

impl Layer {
    fn new() -> Layer {
        Layer(tar::Builder::new(Vec::new()))
    }

    fn entry(&mut self, path: &str, kind: tar::EntryType, mode: u32, owner: u64, data: &[u8]) {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_mtime(0);
        header.set_uid(owner);
        header.set_gid(owner);
        header.set_size(data.len() as u64);
        // Into a Vec: nothing to fail but memory.
        let _ = self.0.append_data(&mut header, path, data);
    }

    fn file(&mut self, path: &str, mode: u32, data: &[u8]) {
        self.entry(path, tar::EntryType::Regular, mode, 0, data);
    }

    fn dir(&mut self, path: &str, mode: u32, owner: u64) {
        self.entry(path, tar::EntryType::Directory, mode, owner, &[]);
    }

    fn done(self) -> Vec<u8> {
        self.0.into_inner().unwrap_or_default()
    }
}

/// `path` of the host, read.
fn host(path: &str) -> Result<Vec<u8>, ConformanceError> {
    std::fs::read(path).map_err(ConformanceError::io("reading", path))
}

/// What the registry serves, by repository (`containerd/busybox`) and tag.
pub(crate) type Served = BTreeMap<(String, String), String>;

/// Writes `wanted` (repository, tag, recipe) into the storage at `root`; returns each image's
/// index digest by repository and tag.
pub(crate) fn fill(
    root: &Utf8Path,
    images: &Images,
    wanted: &[(String, String, &'static str)],
    progress: &dyn Progress,
) -> Result<Served, ConformanceError> {
    progress.status(
        "Making",
        "containerd's test images in the loopback registry",
    );
    let storage = Storage::new(root);
    let rootfs = images.provide("busybox", "amd64", progress)?;
    let scratch = tempfile::tempdir_in(root.parent().unwrap_or(root))
        .map_err(ConformanceError::io("creating a folder beside", root))?;
    let scratch = Utf8Path::from_path(scratch.path())
        .unwrap_or(root)
        .to_owned();
    let unpacked = crate::save::unpacked(&rootfs, &scratch.join("busybox"))?;
    let busybox = std::fs::read(&unpacked).map_err(ConformanceError::io("reading", &unpacked))?;
    let passwd = "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n\
                  bin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\n\
                  www-data:x:33:33:www-data:/var/www:/bin/false\n\
                  backup:x:34:34:backup:/var/backups:/bin/false\n\
                  nobody:x:65534:65534:nobody:/home:/bin/false\n";
    let mut users = Layer::new();
    // The mount points runc needs in a read-only root file system, as upstream's images have.
    for dir in ["dev", "etc", "proc", "sys"] {
        users.dir(dir, 0o755, 0);
    }
    users.file("etc/passwd", 0o644, passwd.as_bytes());
    let users = users.done();
    let base = [busybox, users];
    let sh = json!({"Cmd": ["sh"], "Env": [PATH]});
    let mut served = Served::new();
    for (repo, tag, recipe) in wanted {
        let layers: Vec<Vec<u8>> = match *recipe {
            "busybox" => base.to_vec(),
            "volume-copy-up" => {
                let mut own = Layer::new();
                own.dir("volume-copy-up", 0o755, 0);
                own.file("volume-copy-up/file", 0o644, b"volume-copy-up\n");
                [&base[..], &[own.done()]].concat()
            }
            "whiteout-test" => {
                let mut added = Layer::new();
                added.file("file-to-delete", 0o644, b"delete me\n");
                added.dir("dir-to-delete", 0o755, 0);
                added.file("dir-to-delete/file", 0o644, b"delete me\n");
                let mut deleted = Layer::new();
                deleted.file(".wh.file-to-delete", 0o644, b"");
                deleted.file(".wh.dir-to-delete", 0o644, b"");
                [&base[..], &[added.done(), deleted.done()]].concat()
            }
            "volume-ownership" => {
                let mut own = Layer::new();
                for dir in [
                    "bin",
                    "lib",
                    "lib/x86_64-linux-gnu",
                    "lib64",
                    "usr",
                    "usr/bin",
                ] {
                    own.dir(dir, 0o755, 0);
                }
                own.file("bin/bash", 0o755, &host("/bin/bash")?);
                for lib in ["libtinfo.so.6", "libc.so.6"] {
                    let path = format!("/lib/x86_64-linux-gnu/{lib}");
                    own.file(&path[1..], 0o755, &host(&path)?);
                }
                own.file(
                    "lib64/ld-linux-x86-64.so.2",
                    0o755,
                    &host("/lib64/ld-linux-x86-64.so.2")?,
                );
                own.file("usr/bin/passwd", 0o4755, &host("/bin/true")?);
                own.dir("run", 0o755, 65534);
                own.dir("test_dir", 0o755, 65534);
                [&base[..], &[own.done()]].concat()
            }
            "pause" => {
                let mut own = Layer::new();
                own.file("pause", 0o755, b"#!/bin/sh\n");
                vec![own.done()]
            }
            _ => continue,
        };
        // Upstream's busybox and pause are multi-platform: the export and usage tests pull one
        // platform and expect the others' blobs to be missing.
        let arm64 = matches!(*recipe, "busybox" | "pause");
        let config = if *recipe == "pause" {
            json!({"Entrypoint": ["/pause"], "Env": [PATH]})
        } else {
            sh.clone()
        };
        let index = storage.image(repo, &layers, &config, arm64)?;
        storage.tag(repo, tag, &index)?;
        served.insert((repo.clone(), tag.clone()), index);
    }
    Ok(served)
}
