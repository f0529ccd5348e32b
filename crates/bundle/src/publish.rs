//! Assembling a bundle folder aside and swapping it into place in one step.

use build_core::fs::StatFingerprint;
use build_core::progress::Progress;
use build_core::url::redact;
use build_core::{Artifact, Linkage, Target};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use crate::BundleError;
use crate::artifacts::{BuiltComponent, Provenance};
use crate::manifest::{FORMAT, Manifest, ManifestComponent, ManifestFile, SourceKind};
use crate::output::remove_stale;
use crate::tgz::{BINARY_MODE, write_plugin_tgz, write_tgz};
use bundle_format::{Archive, binaries_in};

/// One tarball of a bundle: its file and the binaries in it.
pub(crate) struct Tarball {
    /// Its manifest entry.
    pub(crate) file: ManifestFile,
    /// The binaries it holds.
    pub(crate) binaries: Vec<String>,
}

/// Everything that goes into a bundle folder.
#[derive(Debug)]
pub struct Bundle {
    /// The release it is named for.
    pub version: String,
    /// Static or dynamic.
    pub linkage: Linkage,
    /// The platform.
    pub target: Target,
    /// Every embedded time.
    pub source_date_epoch: i64,
    /// Built for a debugger.
    pub debug: bool,
    /// Every component, built.
    pub components: Vec<BuiltComponent>,
}

/// A published bundle folder.
#[derive(Debug)]
pub struct Published {
    /// `out/docker-VERSION`.
    pub dir: Utf8PathBuf,
    /// It already held exactly this bundle; nothing was written.
    pub fresh: bool,
}

impl Bundle {
    /// The folder's name: `docker-VERSION`, or `docker-VERSION-debug` for a debug build, which
    /// never replaces the release bundle.
    pub fn name(&self) -> String {
        let debug = if self.debug { "-debug" } else { "" };
        format!("docker-{}{debug}", self.version)
    }

    fn key(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(format!("format {FORMAT}\n").as_bytes());
        for c in &self.components {
            hasher.update(format!("{} {}\n", c.component.name, c.key).as_bytes());
        }
        build_core::digest::hex(&hasher.finalize())
    }

    /// The binaries `archive` holds, sorted by name: exactly those a full bundle has there.
    fn binaries(&self, archive: Archive) -> Result<Vec<&Artifact>, BundleError> {
        let mut all: Vec<&Artifact> = self
            .components
            .iter()
            .flat_map(|c| &c.artifacts.binaries)
            .filter(|a| bundle_format::building(&a.name).map(|c| c.archive) == Some(archive))
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
        if names != binaries_in(archive) {
            return Err(BundleError::WrongBinaries {
                found: names.join(", "),
                expected: binaries_in(archive).join(", "),
            });
        }
        Ok(all)
    }

    /// A plugin's tarball name, as Docker names buildx's download: `docker-buildx-plugin-0.34.1.tgz`.
    fn plugin_tgz(&self, plugin: &Artifact) -> String {
        let version = self
            .components
            .iter()
            .find(|c| c.artifacts.binaries.iter().any(|a| a.name == plugin.name))
            .map(|c| {
                format!(
                    "{}{}",
                    c.pin.version,
                    c.source.patch_marker().unwrap_or_default()
                )
            })
            .unwrap_or_default();
        format!("{}-plugin-{version}.tgz", plugin.name)
    }
}

/// Publishes `bundle` as `out/docker-VERSION/`: assembled in a staging folder beside it,
/// `manifest.json` written last, then swapped in with one `renameat2(RENAME_EXCHANGE)`.
pub fn publish(
    out: &Utf8Path,
    bundle: &Bundle,
    member_cache: &Utf8Path,
    progress: &dyn Progress,
) -> Result<Published, BundleError> {
    let name = bundle.name();
    let final_dir = out.join(&name);
    let key = bundle.key();
    let state = out.join(format!(".{name}.state.json"));
    if is_fresh(&final_dir, &key, &state) {
        progress.status("Fresh", &format!("{final_dir} already holds this bundle"));
        return Ok(Published {
            dir: final_dir,
            fresh: true,
        });
    }
    let binaries = bundle.binaries(Archive::Static)?;
    let plugins = bundle.binaries(Archive::Plugin)?;
    remove_stale(out, ".tmp-docker-")?;
    let staging_tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{name}-"))
        .tempdir_in(out)
        .map_err(BundleError::io("creating a staging folder in", out))?;
    let staging = build_core::fs::utf8(staging_tmp.path().to_owned())
        .map_err(BundleError::io("creating a staging folder in", out))?;
    progress.status(
        "Assembling",
        &format!(
            "{name} ({} binaries, {} plugins)",
            binaries.len(),
            plugins.len()
        ),
    );

    let mut files: Vec<ManifestFile> = Vec::new();
    let previous = Previous::read(&final_dir, &state);
    for (archive, artifacts) in [(Archive::Static, &binaries), (Archive::Plugin, &plugins)] {
        let folder = staging.join(archive.folder());
        std::fs::create_dir(&folder).map_err(BundleError::io("creating", &folder))?;
        for artifact in artifacts.iter() {
            let path = archive.path_of(&artifact.name);
            let dest = staging.join(&path);
            if !previous.link_unchanged(artifact, &path, &dest) {
                copy_verified(artifact, &dest)?;
            }
            files.push(ManifestFile {
                path,
                sha256: artifact.sha256.clone(),
                size: artifact.size,
                link: Some(artifact.link.clone()),
            });
        }
    }

    let tgz_name = format!("{name}.tgz");
    let (sha256, size) = write_tgz(
        &staging.join(&tgz_name),
        &binaries,
        bundle.source_date_epoch,
        member_cache,
    )?;
    let mut tarballs = vec![Tarball {
        file: ManifestFile {
            path: tgz_name,
            sha256,
            size,
            link: None,
        },
        binaries: binaries.iter().map(|a| a.name.clone()).collect(),
    }];
    for plugin in &plugins {
        let tgz_name = bundle.plugin_tgz(plugin);
        let tgz = staging.join(&tgz_name);
        let (sha256, size) =
            write_plugin_tgz(&tgz, plugin, bundle.source_date_epoch, member_cache)?;
        tarballs.push(Tarball {
            file: ManifestFile {
                path: tgz_name,
                sha256,
                size,
                link: None,
            },
            binaries: vec![plugin.name.clone()],
        });
    }
    files.extend(tarballs.iter().map(|t| t.file.clone()));

    let units = staging.join("systemd");
    std::fs::create_dir(&units).map_err(BundleError::io("creating", &units))?;
    for (unit, text) in crate::systemd::units(Utf8Path::new("/usr/bin")) {
        let path = format!("systemd/{unit}");
        let file = staging.join(&path);
        std::fs::write(&file, &text).map_err(BundleError::io("writing", &file))?;
        files.push(ManifestFile {
            path,
            sha256: build_core::digest::hex(&Sha256::digest(text.as_bytes())),
            size: text.len() as u64,
            link: None,
        });
    }

    // Written after every file it describes, before the manifest that lists it.
    let components: Vec<ManifestComponent> =
        bundle.components.iter().map(manifest_component).collect();
    files.push(crate::sbom::write(
        &staging,
        bundle,
        &components,
        &tarballs,
        &key,
    )?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = Manifest {
        format: FORMAT,
        version: bundle.version.clone(),
        linkage: bundle.linkage,
        target: bundle.target.clone(),
        source_date_epoch: bundle.source_date_epoch,
        debug: bundle.debug,
        bundle_key: key,
        components,
        files,
    };
    let sums = staging.join("SHA256SUMS");
    std::fs::write(&sums, manifest.sha256sums()).map_err(BundleError::io("writing", &sums))?;
    // Written last: a folder with a manifest is a finished one.
    manifest.write(&staging)?;

    let staging = staging_tmp.keep();
    // Whatever state the previous bundle had no longer describes the folder.
    let _ = std::fs::remove_file(&state);
    swap_into_place(&staging, final_dir.as_std_path())?;
    // After the swap `staging` holds the previous bundle, if there was one.
    let _ = std::fs::remove_dir_all(&staging);
    PublishedState::record(&final_dir, &manifest, &state);
    Ok(Published {
        dir: final_dir,
        fresh: false,
    })
}

fn manifest_component(c: &BuiltComponent) -> ManifestComponent {
    let first = c.artifacts.binaries.first();
    ManifestComponent {
        name: c.component.name.to_owned(),
        upstream: c.component.upstream,
        source: match c.provenance {
            Provenance::Pin => SourceKind::Pin,
            Provenance::Fork(_) => SourceKind::Fork,
            Provenance::WorkingTree => SourceKind::WorkingTree,
        },
        repository: match &c.provenance {
            Provenance::Pin => Some(redact(c.pin.repository.as_str())),
            Provenance::Fork(url) => Some(url.clone()),
            Provenance::WorkingTree => None,
        },
        content_id: (c.provenance == Provenance::WorkingTree).then(|| c.source.content_id.clone()),
        tag: c.recorded_ref.clone(),
        version: c.pin.version.clone(),
        patches: c.source.patches.clone(),
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
    state: PublishedState,
}

impl Previous {
    fn read(dir: &Utf8Path, state: &Utf8Path) -> Previous {
        Previous {
            dir: dir.to_owned(),
            manifest: Manifest::read(dir).ok(),
            state: PublishedState::read(state),
        }
    }

    /// Hard-links the previous bundle's copy of `artifact` to `dest` when it is the same binary:
    /// the same checksum in its manifest, and the file exactly as it was published (size,
    /// mtime, ctime, inode). A damaged file is never carried forward.
    fn link_unchanged(&self, artifact: &Artifact, path: &str, dest: &Utf8Path) -> bool {
        let Some(manifest) = &self.manifest else {
            return false;
        };
        let listed = manifest
            .files
            .iter()
            .any(|f| f.path == path && f.sha256 == artifact.sha256 && f.size == artifact.size);
        let old = self.dir.join(path);
        listed && self.state.untouched(&self.dir, path) && std::fs::hard_link(&old, dest).is_ok()
    }
}

/// Each published file's stat, recorded right after the swap: any later write changes its
/// ctime, so an unchanged stat proves unchanged bytes without reading them.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct PublishedState {
    files: std::collections::BTreeMap<String, StatFingerprint>,
}

impl PublishedState {
    fn stat(path: &Utf8Path) -> Option<StatFingerprint> {
        let m = std::fs::symlink_metadata(path)
            .ok()
            .filter(|m| m.is_file())?;
        Some(StatFingerprint::of(&m))
    }

    fn read(path: &Utf8Path) -> PublishedState {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Records `dir`'s files as they are now. A cache: without it, freshness rehashes.
    fn record(dir: &Utf8Path, manifest: &Manifest, path: &Utf8Path) {
        let files = manifest
            .files
            .iter()
            .filter_map(|f| Some((f.path.clone(), Self::stat(&dir.join(&f.path))?)))
            .collect();
        let state = PublishedState { files };
        let _ = build_core::fs::write_atomic(path, &serde_json::to_vec(&state).unwrap_or_default());
    }

    fn untouched(&self, dir: &Utf8Path, rel: &str) -> bool {
        let now = Self::stat(&dir.join(rel));
        now.is_some() && self.files.get(rel) == now.as_ref()
    }
}

/// The bundle folder already holds exactly this bundle, complete and undamaged: every file as
/// recorded at publish, or else hashed again and matching the manifest.
fn is_fresh(dir: &Utf8Path, key: &str, state_path: &Utf8Path) -> bool {
    let Ok(manifest) = Manifest::read(dir) else {
        return false;
    };
    if manifest.bundle_key != key || !dir.join("SHA256SUMS").is_file() {
        return false;
    }
    let state = PublishedState::read(state_path);
    let mut rehashed = false;
    for f in &manifest.files {
        if state.untouched(dir, &f.path) {
            continue;
        }
        rehashed = true;
        let path = dir.join(&f.path);
        let intact = PublishedState::stat(&path).is_some()
            && build_core::digest::sha256_file(&path).is_ok_and(|sha| sha == f.sha256);
        if !intact {
            return false;
        }
    }
    if rehashed {
        PublishedState::record(dir, &manifest, state_path);
    }
    true
}

/// Copies a built binary from the artifact cache (never through a link), hashing it on the
/// way: a cached binary that no longer matches its record is removed, so the next run
/// rebuilds it, and nothing damaged is published.
fn copy_verified(artifact: &Artifact, to: &Utf8Path) -> Result<(), BundleError> {
    use std::os::unix::fs::PermissionsExt;
    let (from, mode) = (artifact.path.as_path(), BINARY_MODE);
    let meta = std::fs::symlink_metadata(from).map_err(BundleError::io("reading", from))?;
    if !meta.is_file() {
        return Err(BundleError::Io {
            action: "copying",
            path: from.to_owned(),
            source: std::io::Error::other(
                "not a regular file; only regular files go into a bundle",
            ),
        });
    }
    let src = std::fs::File::open(from).map_err(BundleError::io("reading", from))?;
    let dst = build_core::fs::create_new(to, mode).map_err(BundleError::io("creating", to))?;
    let mut hasher = Sha256::new();
    let mut tee = HashingWriter {
        inner: dst,
        hasher: &mut hasher,
    };
    std::io::copy(&mut std::io::BufReader::new(src), &mut tee)
        .map_err(BundleError::io("copying a binary to", to))?;
    tee.inner
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(BundleError::io("setting the mode of", to))?;
    let found = build_core::digest::hex(&hasher.finalize());
    if found != artifact.sha256 {
        if let Some(dir) = from.parent() {
            let _ = build_core::fs::remove_dir_all_if_exists(dir);
        }
        return Err(BundleError::CacheDamaged {
            path: from.to_owned(),
            expected: artifact.sha256.clone(),
            found,
        });
    }
    Ok(())
}

/// Writes through to `inner`, hashing what passes.
struct HashingWriter<'a> {
    inner: std::fs::File,
    hasher: &'a mut Sha256,
}

impl std::io::Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Puts `new` at `target` in one step: `renameat2(RENAME_EXCHANGE)` when `target` exists (the
/// old bundle ends up at `new`), a plain rename otherwise. Readers never see a missing or
/// half-written bundle.
fn swap_into_place(new: &std::path::Path, target: &std::path::Path) -> Result<(), BundleError> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let swapping = || {
        BundleError::io(
            "swapping the new bundle into",
            target.to_string_lossy().into_owned(),
        )
    };
    if !target.exists() {
        return std::fs::rename(new, target).map_err(swapping());
    }
    let a = CString::new(new.as_os_str().as_bytes()).map_err(|e| swapping()(e.into()))?;
    let b = CString::new(target.as_os_str().as_bytes()).map_err(|e| swapping()(e.into()))?;
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
        return Err(swapping()(std::io::Error::last_os_error()));
    }
    Ok(())
}
