//! The files of a bundle no download holds, only Linux packages install: the components'
//! shipped files without an archive (moby's SysV init script and its defaults, the CLI's
//! README) in the packaging folder, and the man pages, one folder per section
//! (`man/man1/docker-run.1`, as `MANPATH` reads them).

use build_core::ShippedFile;
use camino::Utf8Path;

use crate::BundleError;
use crate::manifest::ManifestFile;
use crate::publish::{Bundle, copy_verified};
use crate::published::Previous;
use crate::tgz::{BINARY_MODE, TarFile};
use bundle_format::Layout;

/// A man page's mode: a document, not a program.
const PAGE_MODE: u32 = 0o644;

/// Puts them into `staging` (linked from the previous bundle when unchanged) and lists them in
/// `files`; nothing for a layout without packages.
pub(crate) fn stage(
    staging: &Utf8Path,
    bundle: &Bundle,
    layout: Layout,
    previous: &Previous,
    files: &mut Vec<ManifestFile>,
) -> Result<(), BundleError> {
    if !layout.has_packaging() {
        return Ok(());
    }
    let artifacts = || bundle.components.iter().map(|c| &c.artifacts);
    let mut packaging: Vec<(String, &ShippedFile, u32)> = artifacts()
        .flat_map(|a| &a.files)
        .filter(|f| bundle_format::archive_of(&f.name).is_none())
        .map(|f| {
            let path = format!("{}/{}", bundle_format::PACKAGING_FOLDER, f.name);
            (path, f, BINARY_MODE)
        })
        .collect();
    for page in artifacts().flat_map(|a| &a.man_pages) {
        // Every name was checked against its component's pattern when built or pulled.
        let path = bundle_format::man_page_path(&page.name).ok_or_else(|| {
            BundleError::io("placing the man page", page.path.clone())(std::io::Error::other(
                "its name is no man page's (NAME.N)",
            ))
        })?;
        packaging.push((path, page, PAGE_MODE));
    }
    packaging.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, shipped, mode) in packaging {
        let file = TarFile::from(shipped);
        let dest = staging.join(&path);
        if let Some(folder) = dest.parent() {
            std::fs::create_dir_all(folder).map_err(BundleError::io("creating", folder))?;
        }
        if !previous.link_unchanged(file, &path, &dest) {
            copy_verified(file, &dest, mode)?;
        }
        files.push(ManifestFile {
            path,
            sha256: shipped.sha256.clone(),
            size: shipped.size,
            link: None,
        });
    }
    Ok(())
}
