//! Assembling a bundle folder aside and swapping it into place in one step.

use build_core::progress::Progress;
use build_core::url::redact;
use build_core::{Artifact, Linkage, ShippedFile, Target};
use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use crate::BundleError;
use crate::artifacts::{BuiltComponent, Provenance};
use crate::manifest::{FORMAT, Manifest, ManifestComponent, ManifestFile, SourceKind};
use crate::output::remove_stale;
use crate::published::{Previous, PublishedState, is_fresh};
use crate::small_tgz::write_small_tgz;
use crate::tgz::{BINARY_MODE, TarFile, write_tgz};
use bundle_format::{Archive, Layout, Packing};

/// One tarball of a bundle: its file and what it holds.
pub(crate) struct Tarball {
    /// Which of Docker's downloads it is.
    pub(crate) archive: Archive,
    /// Its manifest entry.
    pub(crate) file: ManifestFile,
    /// The binaries it holds.
    pub(crate) binaries: Vec<String>,
    /// The files of source trees it holds as they are (the rootless scripts).
    pub(crate) files: Vec<String>,
}

/// What one archive of a bundle holds: binaries and files shipped as they are, each sorted.
struct Contents<'a> {
    binaries: Vec<&'a Artifact>,
    files: Vec<&'a ShippedFile>,
}

impl Contents<'_> {
    /// Everything, sorted by name, as its tarball lists it.
    fn tar_files(&self) -> Vec<TarFile<'_>> {
        let mut all: Vec<TarFile<'_>> = self.binaries.iter().map(|a| (*a).into()).collect();
        all.extend(self.files.iter().map(|f| TarFile::from(*f)));
        all.sort_by(|a, b| a.name.cmp(b.name));
        all
    }
}

/// Everything that goes into a bundle folder.
#[derive(Debug)]
#[non_exhaustive]
pub struct Bundle {
    /// The release it is named for.
    pub version: String,
    /// That release's line, which decides the binaries only some releases ship.
    pub docker_release: build_core::ReleaseLine,
    /// Static or dynamic.
    pub linkage: Linkage,
    /// The platform.
    pub target: Target,
    /// Every embedded time.
    pub source_date_epoch: i64,
    /// Built for a debugger.
    pub debug: bool,
    /// The C compiler's identity (`gcc --version`'s first line), for what links C.
    pub c_compiler: String,
    /// Every component, built.
    pub components: Vec<BuiltComponent>,
}

/// A published bundle folder.
#[derive(Debug)]
#[non_exhaustive]
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
            hasher.update(format!("{} {}\n", c.component.name(), c.key).as_bytes());
        }
        build_core::digest::hex(&hasher.finalize())
    }

    /// Which of Docker's download trees it is laid out as.
    pub fn layout(&self) -> Result<Layout, BundleError> {
        self.target.layout().ok_or_else(|| BundleError::Target {
            target: self.target.clone(),
            problem: "Docker ships no download for it".into(),
        })
    }

    /// A binary's or shipped file's path in the bundle folder (`docker/dockerd.exe`).
    pub(crate) fn path_of(&self, name: &str) -> Option<String> {
        let layout = self.target.layout()?;
        match bundle_format::archive_of(name) {
            Some(archive) => Some(layout.path_of(archive, name)),
            // A file only packages install, in the packaging folder.
            None => bundle_format::path_of(name).filter(|_| layout.has_packaging()),
        }
    }

    /// What `archive` holds: exactly what the layout's download has there.
    fn contents(&self, layout: Layout, archive: Archive) -> Result<Contents<'_>, BundleError> {
        let in_archive = |name: &str| bundle_format::archive_of(name) == Some(archive);
        let mut binaries: Vec<&Artifact> = self
            .components
            .iter()
            .flat_map(|c| &c.artifacts.binaries)
            .filter(|a| in_archive(&a.name))
            .collect();
        binaries.sort_by(|a, b| a.name.cmp(&b.name));
        let mut files: Vec<&ShippedFile> = self
            .components
            .iter()
            .flat_map(|c| &c.artifacts.files)
            .filter(|f| in_archive(&f.name))
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        let contents = Contents { binaries, files };
        let names: Vec<&str> = contents.tar_files().iter().map(|f| f.name).collect();
        let expected = layout.contents_of(archive, self.docker_release);
        if names != expected {
            return Err(BundleError::WrongBinaries {
                found: names.join(", "),
                expected: expected.join(", "),
            });
        }
        Ok(contents)
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
    let layout = bundle.layout()?;
    let all: Vec<(Archive, Contents<'_>)> = (layout.archives().iter())
        .map(|&archive| Ok((archive, bundle.contents(layout, archive)?)))
        .collect::<Result<_, BundleError>>()?;
    let contents_of = |wanted: Archive| all.iter().find(|(a, _)| *a == wanted).map(|(_, c)| c);
    let binaries = contents_of(Archive::Static).ok_or_else(|| BundleError::Target {
        target: bundle.target.clone(),
        problem: "its download has no static archive".into(),
    })?;
    remove_stale(out, ".tmp-docker-")?;
    let staging_tmp = tempfile::Builder::new()
        .prefix(&format!(".tmp-{name}-"))
        .tempdir_in(out)
        .map_err(BundleError::io("creating a staging folder in", out))?;
    let staging = build_core::fs::utf8(staging_tmp.path().to_owned())
        .map_err(BundleError::io("creating a staging folder in", out))?;
    let holds = match layout {
        Layout::Linux => format!(
            "{} binaries, the rootless extras, {} plugins",
            binaries.binaries.len(),
            contents_of(Archive::Plugin).map_or(0, |p| p.binaries.len())
        ),
        _ => format!("{} binaries, {}", binaries.binaries.len(), layout.name()),
    };
    progress.status("Assembling", &format!("{name} ({holds})"));

    let mut files: Vec<ManifestFile> = Vec::new();
    let previous = Previous::read(&final_dir, &state);
    for (archive, contents) in &all {
        let folder = staging.join(archive.folder());
        std::fs::create_dir(&folder).map_err(BundleError::io("creating", &folder))?;
        for file in contents.tar_files() {
            let path = layout.path_of(*archive, file.name);
            let dest = staging.join(&path);
            if !previous.link_unchanged(file, &path, &dest) {
                copy_verified(file, &dest, BINARY_MODE)?;
            }
            let link = contents.binaries.iter().find(|a| a.name == file.name);
            files.push(ManifestFile {
                path,
                sha256: file.sha256.to_owned(),
                size: file.size,
                link: link.map(|a| a.link.clone()),
            });
        }
    }

    // The files only Linux packages install (moby's SysV init script, the man pages).
    crate::packaging::stage(&staging, bundle, layout, &previous, &mut files)?;

    let static_name = format!("{name}.{}", layout.packing().extension());
    let static_path = staging.join(&static_name);
    let (sha256, size) = match layout.packing() {
        Packing::Tgz => write_tgz(
            &static_path,
            &binaries.binaries,
            bundle.source_date_epoch,
            member_cache,
        )?,
        Packing::Zip => {
            let named: Vec<(String, TarFile<'_>)> = (binaries.tar_files().into_iter())
                .map(|f| (layout.file_name(f.name), f))
                .collect();
            let top = Archive::Static.folder();
            crate::zipfile::write_zip(&static_path, top, &named, bundle.source_date_epoch)?
        }
    };
    let tarball = |archive, path: String, (sha256, size), contents: &Contents<'_>| Tarball {
        archive,
        file: ManifestFile {
            path,
            sha256,
            size,
            link: None,
        },
        binaries: contents.binaries.iter().map(|a| a.name.clone()).collect(),
        files: contents.files.iter().map(|f| f.name.clone()).collect(),
    };
    let mut tarballs = vec![tarball(
        Archive::Static,
        static_name,
        (sha256, size),
        binaries,
    )];
    if let Some(extras) = contents_of(Archive::RootlessExtras) {
        // Docker names the rootless extras for the release, without `-debug`.
        let extras_name = format!("docker-rootless-extras-{}.tgz", bundle.version);
        let written = write_small_tgz(
            &staging.join(&extras_name),
            Archive::RootlessExtras,
            &extras.tar_files(),
            bundle.source_date_epoch,
            member_cache,
        )?;
        tarballs.push(tarball(
            Archive::RootlessExtras,
            extras_name,
            written,
            extras,
        ));
    }
    for plugin in contents_of(Archive::Plugin).map_or(&[][..], |p| &p.binaries) {
        let tgz_name = bundle.plugin_tgz(plugin);
        let written = write_small_tgz(
            &staging.join(&tgz_name),
            Archive::Plugin,
            &[TarFile::from(*plugin)],
            bundle.source_date_epoch,
            member_cache,
        )?;
        let one = Contents {
            binaries: vec![plugin],
            files: Vec::new(),
        };
        tarballs.push(tarball(Archive::Plugin, tgz_name, written, &one));
    }
    files.extend(tarballs.iter().map(|t| t.file.clone()));

    if layout.has_units() {
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
    }

    // Written after every file it describes, before the manifest that lists it.
    let components: Vec<ManifestComponent> = (bundle.components.iter())
        .map(|c| manifest_component(c, &bundle.c_compiler))
        .collect();
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
    build_core::fs::swap_into_place(&staging, final_dir.as_std_path()).map_err(BundleError::io(
        "swapping the new bundle into",
        final_dir.clone(),
    ))?;
    // After the swap `staging` holds the previous bundle, if there was one.
    let _ = std::fs::remove_dir_all(&staging);
    PublishedState::record(&final_dir, &manifest, &state);
    Ok(Published {
        dir: final_dir,
        fresh: false,
    })
}

fn manifest_component(c: &BuiltComponent, c_compiler: &str) -> ManifestComponent {
    let first = c.artifacts.binaries.first();
    let links_c = (c.artifacts.binaries.iter()).any(|a| !a.c_libraries.is_empty());
    ManifestComponent {
        name: c.component.name().to_owned(),
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
        c_compiler: links_c.then(|| c_compiler.to_owned()),
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

/// Copies a built binary from the artifact cache (never through a link), hashing it on the
/// way: a cached binary that no longer matches its record is removed, so the next run
/// rebuilds it, and nothing damaged is published.
pub(crate) fn copy_verified(
    artifact: TarFile<'_>,
    to: &Utf8Path,
    mode: u32,
) -> Result<(), BundleError> {
    use std::os::unix::fs::PermissionsExt;
    let from = artifact.path;
    let meta = std::fs::symlink_metadata(from).map_err(BundleError::io("reading", from))?;
    if !meta.is_file() {
        return Err(BundleError::io("copying", from)(std::io::Error::other(
            "not a regular file; only regular files go into a bundle",
        )));
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
            expected: artifact.sha256.to_owned(),
            found,
        });
    }
    Ok(())
}

/// Writes through to `inner`, hashing what passes: how a file is hashed as it is written.
pub(crate) struct HashingWriter<'a, W> {
    pub(crate) inner: W,
    pub(crate) hasher: &'a mut Sha256,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
