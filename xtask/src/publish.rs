//! Assembling a bundle folder aside and swapping it into place.

use std::io::Write;

use anyhow::{Context, Result, bail};
use build_core::archive::{self, Entry};
use build_core::pins::Pin;
use build_core::progress::Progress;
use build_core::source::Source;
use build_core::url::redact;
use build_core::{Artifact, Artifacts, Linkage, Target, Upstream};
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bundle::{FORMAT, remove_stale};
use crate::components::all_binaries;

/// gzip level of the tgz: Docker's default. Members are cached, so it is paid once per binary.
const GZIP_LEVEL: u32 = 6;
/// The binaries' mode inside the bundle and the tgz.
const BINARY_MODE: u32 = 0o755;

/// One built component, ready to publish.
pub(crate) struct BundleComponent {
    pub(crate) name: &'static str,
    pub(crate) upstream: Upstream,
    pub(crate) pin: Pin,
    pub(crate) source: Source,
    pub(crate) key: String,
    pub(crate) artifacts: Artifacts,
}

/// Everything that goes into a bundle folder.
pub(crate) struct Bundle {
    pub(crate) version: String,
    pub(crate) linkage: Linkage,
    pub(crate) target: Target,
    pub(crate) source_date_epoch: i64,
    pub(crate) components: Vec<BundleComponent>,
}

/// `manifest.json`: what was built from what, and every file's checksum.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) format: u32,
    pub(crate) version: String,
    pub(crate) linkage: Linkage,
    pub(crate) target: Target,
    pub(crate) source_date_epoch: i64,
    /// Hash of every component key: equal means this bundle is already what would be built.
    pub(crate) bundle_key: String,
    pub(crate) components: Vec<ManifestComponent>,
    pub(crate) files: Vec<ManifestFile>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ManifestComponent {
    pub(crate) name: String,
    pub(crate) upstream: Upstream,
    pub(crate) repository: String,
    #[serde(rename = "ref")]
    pub(crate) tag: String,
    pub(crate) version: String,
    pub(crate) commit: String,
    pub(crate) dirty: bool,
    pub(crate) go: Option<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) binaries: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ManifestFile {
    pub(crate) path: String,
    pub(crate) sha256: String,
    pub(crate) size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) link: Option<build_core::elf::LinkKind>,
}

impl Bundle {
    fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("format {FORMAT}\n").as_bytes());
        for c in &self.components {
            hasher.update(format!("{} {}\n", c.name, c.key).as_bytes());
        }
        build_core::digest::hex(&hasher.finalize())
    }

    fn binaries(&self) -> Result<Vec<&Artifact>> {
        let mut all: Vec<&Artifact> = self
            .components
            .iter()
            .flat_map(|c| &c.artifacts.binaries)
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        if names != all_binaries() {
            bail!(
                "the bundle would hold {} instead of {}",
                names.join(", "),
                all_binaries().join(", ")
            );
        }
        Ok(all)
    }
}

/// Publishes `bundle` as `out/docker-VERSION/` and returns that path.
pub(crate) fn publish(
    out: &Utf8Path,
    bundle: &Bundle,
    member_cache: &Utf8Path,
    progress: &dyn Progress,
) -> Result<Utf8PathBuf> {
    let name = format!("docker-{}", bundle.version);
    let final_dir = out.join(&name);
    let key = bundle.key();
    if is_fresh(&final_dir, &key) {
        progress.status("Fresh", &format!("{final_dir} already holds this bundle"));
        return Ok(final_dir);
    }
    let binaries = bundle.binaries()?;
    remove_stale(out, ".tmp-docker-")?;
    let staging_tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{name}-"))
        .tempdir_in(out)
        .with_context(|| format!("cannot create a staging folder in {out}"))?;
    let staging = Utf8PathBuf::from_path_buf(staging_tmp.path().to_owned())
        .map_err(|p| anyhow::anyhow!("not UTF-8: {}", p.display()))?;
    progress.status(
        "Assembling",
        &format!("{name} ({} binaries)", binaries.len()),
    );

    let mut files: Vec<ManifestFile> = Vec::new();
    let docker = staging.join("docker");
    std::fs::create_dir(&docker)?;
    let previous = Previous::read(&final_dir);
    for artifact in &binaries {
        let dest = docker.join(&artifact.name);
        if !previous.link_unchanged(artifact, &dest) {
            copy_regular(&artifact.path, &dest, BINARY_MODE)?;
        }
        files.push(ManifestFile {
            path: format!("docker/{}", artifact.name),
            sha256: artifact.sha256.clone(),
            size: artifact.size,
            link: Some(artifact.link.clone()),
        });
    }

    let tgz_name = format!("{name}.tgz");
    let (sha256, size) = write_tgz(
        &staging.join(&tgz_name),
        &binaries,
        bundle.source_date_epoch,
        member_cache,
    )?;
    files.push(ManifestFile {
        path: tgz_name,
        sha256,
        size,
        link: None,
    });

    std::fs::create_dir(staging.join("systemd"))?;
    for (unit, text) in crate::systemd::units(Utf8Path::new("/usr/bin")) {
        let path = format!("systemd/{unit}");
        std::fs::write(staging.join(&path), &text)?;
        files.push(ManifestFile {
            path,
            sha256: build_core::digest::hex(&Sha256::digest(text.as_bytes())),
            size: text.len() as u64,
            link: None,
        });
    }

    files.sort_by(|a, b| a.path.cmp(&b.path));
    let sums: String = files
        .iter()
        .map(|f| format!("{}  {}\n", f.sha256, f.path))
        .collect();
    std::fs::write(staging.join("SHA256SUMS"), sums)?;

    let manifest = Manifest {
        format: FORMAT,
        version: bundle.version.clone(),
        linkage: bundle.linkage,
        target: bundle.target.clone(),
        source_date_epoch: bundle.source_date_epoch,
        bundle_key: key,
        components: bundle.components.iter().map(manifest_component).collect(),
        files,
    };
    // Written last: a folder with a manifest is a finished one.
    std::fs::write(
        staging.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;

    let staging = staging_tmp.keep();
    swap_into_place(&staging, final_dir.as_std_path())?;
    // After the swap `staging` holds the previous bundle, if there was one.
    let _ = std::fs::remove_dir_all(&staging);
    Ok(final_dir)
}

fn manifest_component(c: &BundleComponent) -> ManifestComponent {
    let first = c.artifacts.binaries.first();
    ManifestComponent {
        name: c.name.to_owned(),
        upstream: c.upstream,
        repository: redact(c.pin.repository.as_str()),
        tag: c.pin.tag.clone(),
        version: c.pin.version.clone(),
        commit: c.source.commit.to_string(),
        dirty: c.source.dirty,
        go: first
            .filter(|a| a.toolchain.starts_with("go"))
            .map(|a| a.toolchain.trim_start_matches("go").to_owned()),
        // Every tag any of its binaries was built with, in first-seen order (the shim adds no_grpc).
        tags: c
            .artifacts
            .binaries
            .iter()
            .flat_map(|a| &a.tags)
            .fold(Vec::new(), |mut all, t| {
                if !all.contains(t) {
                    all.push(t.clone());
                }
                all
            }),
        binaries: c
            .artifacts
            .binaries
            .iter()
            .map(|a| a.name.clone())
            .collect(),
    }
}

/// The bundle being replaced, whose unchanged binaries are linked instead of copied: after the
/// swap it is deleted, so the new bundle becomes their only owner.
struct Previous {
    dir: Utf8PathBuf,
    manifest: Option<Manifest>,
    published: Option<std::time::SystemTime>,
}

impl Previous {
    fn read(dir: &Utf8Path) -> Previous {
        Previous {
            dir: dir.to_owned(),
            manifest: read_manifest(dir).ok(),
            published: std::fs::metadata(dir.join("manifest.json"))
                .and_then(|m| m.modified())
                .ok(),
        }
    }

    /// Hard-links the previous bundle's copy of `artifact` to `dest` when it is the same binary:
    /// same checksum in its manifest, same size, and not modified since it was published.
    fn link_unchanged(&self, artifact: &Artifact, dest: &Utf8Path) -> bool {
        let (Some(manifest), Some(published)) = (&self.manifest, self.published) else {
            return false;
        };
        let path = format!("docker/{}", artifact.name);
        let listed = manifest
            .files
            .iter()
            .any(|f| f.path == path && f.sha256 == artifact.sha256 && f.size == artifact.size);
        let old = self.dir.join(&path);
        let untouched = std::fs::symlink_metadata(&old).is_ok_and(|m| {
            m.is_file() && m.len() == artifact.size && m.modified().is_ok_and(|t| t <= published)
        });
        listed && untouched && std::fs::hard_link(&old, dest).is_ok()
    }
}

/// The bundle folder already holds exactly this bundle, complete.
fn is_fresh(dir: &Utf8Path, key: &str) -> bool {
    let Some(manifest) = read_manifest(dir).ok() else {
        return false;
    };
    manifest.bundle_key == key
        && manifest.files.iter().all(|f| {
            std::fs::symlink_metadata(dir.join(&f.path))
                .is_ok_and(|m| m.is_file() && m.len() == f.size)
        })
        && dir.join("SHA256SUMS").is_file()
}

pub(crate) fn read_manifest(dir: &Utf8Path) -> Result<Manifest> {
    let path = dir.join("manifest.json");
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {path}"))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{path} is not a dockyard manifest"))
}

/// Copies a regular file (never through a link) and sets its mode.
fn copy_regular(from: &Utf8Path, to: &Utf8Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(from).with_context(|| format!("cannot read {from}"))?;
    if !meta.is_file() {
        bail!("{from} is not a regular file; only regular files go into a bundle");
    }
    let mut src = std::fs::File::open(from)?;
    let mut dst =
        build_core::fs::create_new(to, mode).with_context(|| format!("cannot create {to}"))?;
    std::io::copy(&mut src, &mut dst)?;
    dst.set_permissions(std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Writes the tgz from cached members and returns its SHA-256 and size.
fn write_tgz(
    path: &Utf8Path,
    binaries: &[&Artifact],
    mtime: i64,
    cache: &Utf8Path,
) -> Result<(String, u64)> {
    std::fs::create_dir_all(cache)?;
    let mtime = u64::try_from(mtime).unwrap_or(0);
    let mut file = build_core::fs::create_new(path, 0o644)?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut emit = |bytes: &[u8]| -> Result<()> {
        file.write_all(bytes)?;
        hasher.update(bytes);
        size += bytes.len() as u64;
        Ok(())
    };
    emit(&archive::member(
        &Entry::Dir { name: "docker" },
        mtime,
        GZIP_LEVEL,
    )?)?;
    for artifact in binaries {
        // A member depends only on the entry's name, bytes, mode, time and the level.
        let id = format!(
            "{FORMAT} {} {} {BINARY_MODE:o} {mtime} {GZIP_LEVEL}",
            artifact.name, artifact.sha256
        );
        let cached = cache.join(format!(
            "{}.gz",
            build_core::digest::hex(&Sha256::digest(id.as_bytes()))
        ));
        let member = match std::fs::read(&cached) {
            Ok(bytes) => bytes,
            Err(_) => {
                let name = format!("docker/{}", artifact.name);
                let bytes = archive::member(
                    &Entry::File {
                        name: &name,
                        source: &artifact.path,
                        mode: BINARY_MODE,
                    },
                    mtime,
                    GZIP_LEVEL,
                )?;
                build_core::fs::write_atomic(&cached, &bytes)?;
                bytes
            }
        };
        emit(&member)?;
    }
    emit(&archive::end_member(GZIP_LEVEL)?)?;
    file.sync_all()?;
    Ok((build_core::digest::hex(&hasher.finalize()), size))
}

/// Puts `new` at `target` in one step: `renameat2(RENAME_EXCHANGE)` when `target` exists (the
/// old bundle ends up at `new`), a plain rename otherwise. Readers never see a missing or
/// half-written bundle.
fn swap_into_place(new: &std::path::Path, target: &std::path::Path) -> Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    if !target.exists() {
        std::fs::rename(new, target)
            .with_context(|| format!("cannot move the bundle to {}", target.display()))?;
        return Ok(());
    }
    let a = CString::new(new.as_os_str().as_bytes())?;
    let b = CString::new(target.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths; AT_FDCWD resolves them like rename(2).
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error())
            .with_context(|| format!("cannot swap the new bundle into {}", target.display()));
    }
    Ok(())
}
