#![doc = include_str!("../README.md")]

mod deb;
mod distro;
mod error;
mod rpm;
mod stage;
pub mod table;

pub use distro::{DISTROS, Distro, Format, PackageVersion};
pub use error::PackageError;
pub use table::PACKAGES;

use build_core::progress::Progress;
use bundle_format::Manifest;
use camino::{Utf8Path, Utf8PathBuf};

/// What to package, for which distribution, and where.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PackageRequest {
    /// A published bundle folder (verified before anything is read from it).
    pub bundle: Utf8PathBuf,
    /// The distribution release, and so the format.
    pub distro: &'static Distro,
    /// Packages are published as `out/<distro>/` (`out/debian-12/`), replaced whole.
    pub out: Utf8PathBuf,
    /// `Name <address>`, the packages' maintainer (deb) or packager (rpm).
    pub maintainer: String,
    /// Write the packages' SLSA provenance beside their folder, signed or not (see
    /// [`provenance::attest`]).
    pub provenance: Option<provenance::Signing>,
}

impl PackageRequest {
    /// Packages `bundle` for `distro` into `out/<distro>/`, signed off by `maintainer`
    /// (`Name <address>`; [`default_maintainer`] when the user gave none).
    pub fn new(
        bundle: Utf8PathBuf,
        distro: &'static Distro,
        out: Utf8PathBuf,
        maintainer: String,
    ) -> PackageRequest {
        PackageRequest {
            bundle,
            distro,
            out,
            maintainer,
            provenance: None,
        }
    }
}

/// Packages made from one bundle.
#[derive(Debug)]
#[non_exhaustive]
pub struct Built {
    /// The folder holding them.
    pub dir: Utf8PathBuf,
    /// Each package, in [`PACKAGES`] order.
    pub packages: Vec<BuiltPackage>,
}

/// One package file.
#[derive(Debug)]
#[non_exhaustive]
pub struct BuiltPackage {
    /// `docker-ce`.
    pub name: &'static str,
    /// Its full version.
    pub version: PackageVersion,
    /// The package file.
    pub file: Utf8PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// The paths it installs (files only), sorted.
    pub installs: Vec<String>,
}

/// The maintainer when none is given: `DEBFULLNAME <DEBEMAIL>` as Debian's tools take it, or
/// dockyard's own address, which receives no mail.
pub fn default_maintainer() -> String {
    match (std::env::var("DEBFULLNAME"), std::env::var("DEBEMAIL")) {
        (Ok(name), Ok(mail)) if !name.is_empty() && mail.contains('@') => {
            format!("{name} <{mail}>")
        }
        _ => "dockyard <noreply@dockyard.invalid>".to_owned(),
    }
}

/// Makes every package of [`PACKAGES`] from `request.bundle` for `request.distro`, in a
/// staging folder beside `out/<distro>/`, then swaps it into place: a failed run leaves the
/// previous packages as they were.
pub fn build(request: &PackageRequest, progress: &dyn Progress) -> Result<Built, PackageError> {
    let distro = request.distro;
    let (tool, package) = match distro.format {
        Format::Deb => ("dpkg-deb", "dpkg"),
        Format::Rpm => ("rpmbuild", "rpm"),
    };
    if which::which(tool).is_err() {
        return Err(PackageError::MissingTool { tool, package });
    }
    let files = bundle_format::verify(&request.bundle)?;
    let manifest = Manifest::read(&request.bundle)?;
    progress.status(
        "Packaging",
        &format!(
            "{} ({files} files verified) as {} packages for {}",
            request.bundle, distro.format, distro.name
        ),
    );
    let out = &request.out;
    std::fs::create_dir_all(out).map_err(PackageError::io("creating", out))?;
    // One run at a time per output folder; what a killed run left is removed under the lock.
    let lock_path = out.join(".dockyard-packages.lock");
    let _lock = build_core::lock::FileLock::acquire(
        &lock_path,
        &format!("the packages folder {out}"),
        progress,
    )
    .map_err(PackageError::io("locking", &lock_path))?;
    let prefix = format!(".tmp-{}-", distro.name);
    for entry in out
        .read_dir_utf8()
        .map_err(PackageError::io("reading", out))?
        .flatten()
    {
        if entry.file_name().starts_with(&prefix) {
            let _ = build_core::fs::remove_dir_all_if_exists(entry.path());
        }
    }
    let staging = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(out)
        .map_err(PackageError::io("creating a staging folder in", out))?;
    let staging_dir = build_core::fs::utf8(staging.path().to_owned())
        .map_err(PackageError::io("creating a staging folder in", out))?;
    let dest = staging_dir.join("packages");
    std::fs::create_dir(&dest).map_err(PackageError::io("creating", &dest))?;
    let completions = stage::Completions::of(&request.bundle, &manifest, &staging_dir)?;
    let mut packages = Vec::new();
    for spec in PACKAGES {
        let version = version_of(spec, &manifest, request)?;
        let root = staging_dir.join("roots").join(spec.name);
        let staged = stage::Staged::new(spec, &request.bundle, &manifest, distro, &completions)
            .write(&root, &version, request)?;
        let relations = relations_of(spec, &manifest, request)?;
        let package = Package {
            staged: &staged,
            root: &root,
            version: &version,
            relations: &relations,
            manifest: &manifest,
            request,
        };
        let file = match distro.format {
            Format::Deb => deb::build(&package, &dest)?,
            Format::Rpm => rpm::build(&package, &staging_dir, &dest)?,
        };
        let size = std::fs::metadata(&file)
            .map_err(PackageError::io("reading", &file))?
            .len();
        let final_file = out
            .join(distro.name)
            .join(file.file_name().unwrap_or_default());
        progress.status(
            "Packaged",
            &format!("{} {version} ({size} bytes)", spec.name),
        );
        packages.push(BuiltPackage {
            name: spec.name,
            version,
            file: final_file,
            size,
            installs: staged.installs(),
        });
    }
    let final_dir = out.join(distro.name);
    build_core::fs::swap_into_place(dest.as_std_path(), final_dir.as_std_path()).map_err(
        PackageError::io("swapping the new packages into", &final_dir),
    )?;
    // `staging` (and with it the previous packages, swapped to `dest`) is removed on drop.
    drop(staging);
    if let Some(signing) = &request.provenance {
        let made = provenance::attest(&final_dir, Some((&request.bundle, distro.name)), signing)?;
        progress.status("Attested", &made.to_string());
    }
    Ok(Built {
        dir: final_dir,
        packages,
    })
}

/// One package being made: its staged tree at `root`, and what its control file or spec says.
pub(crate) struct Package<'a> {
    pub(crate) staged: &'a stage::Staged<'a>,
    pub(crate) root: &'a Utf8Path,
    pub(crate) version: &'a PackageVersion,
    /// Its relation fields, as the format names them.
    pub(crate) relations: &'a [(&'static str, String)],
    pub(crate) manifest: &'a Manifest,
    pub(crate) request: &'a PackageRequest,
}

/// A package's relation fields for the request's format, `{containerd}` filled with the
/// bundle's containerd version (a bundle without one cannot say what docker-ce needs).
fn relations_of(
    spec: &table::PackageSpec,
    manifest: &Manifest,
    request: &PackageRequest,
) -> Result<Vec<(&'static str, String)>, PackageError> {
    let format = request.distro.format;
    let relations = match format {
        Format::Deb => &spec.deb,
        Format::Rpm => &spec.rpm,
    };
    let containerd = match relations.names_containerd() {
        false => String::new(),
        true => manifest
            .component("containerd")
            .ok_or(PackageError::MissingComponent {
                bundle: request.bundle.clone(),
                component: "containerd",
                package: spec.name,
            })?
            .version
            .clone(),
    };
    Ok(relations.fields(format, &containerd))
}

/// A package's version: the release's or a component's, with its patch marker.
fn version_of(
    spec: &table::PackageSpec,
    manifest: &Manifest,
    request: &PackageRequest,
) -> Result<PackageVersion, PackageError> {
    let epoch = match request.distro.format {
        Format::Deb => spec.deb_epoch,
        Format::Rpm => spec.rpm_epoch,
    };
    let upstream = match spec.version {
        table::VersionOf::Release => {
            // The engine's version, as its binaries are stamped (with a patch marker).
            let moby = manifest.component("moby");
            moby.map_or_else(|| manifest.version.clone(), |c| c.stamped_version())
        }
        table::VersionOf::Component(name) => manifest
            .component(name)
            .ok_or(PackageError::MissingComponent {
                bundle: request.bundle.clone(),
                component: name,
                package: spec.name,
            })?
            .stamped_version(),
    };
    Ok(request.distro.version(epoch, &upstream))
}

/// A path's parent folders, outermost first (`/usr`, `/usr/bin` for `/usr/bin/docker`).
pub(crate) fn parents(path: &str) -> Vec<String> {
    let mut all: Vec<String> = Utf8Path::new(path)
        .ancestors()
        .skip(1)
        .filter(|p| p.as_str() != "/" && !p.as_str().is_empty())
        .map(|p| p.to_string())
        .collect();
    all.reverse();
    all
}
