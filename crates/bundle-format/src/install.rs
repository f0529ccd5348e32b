//! Putting a verified bundle's binaries (and, if asked, its systemd units) in place.

use build_core::progress::Progress;
use camino::Utf8Path;

use crate::FormatError;
use crate::manifest::Manifest;

/// Verifies `bundle` (a damaged one is never installed), then writes its binaries into
/// `prefix/bin`, its CLI plugins into `prefix/libexec/docker/cli-plugins` (where the docker
/// CLI looks for them) and, with `units`, the systemd units into that folder.
pub fn install(
    bundle: &Utf8Path,
    prefix: &Utf8Path,
    units: Option<&Utf8Path>,
    progress: &dyn Progress,
) -> Result<(), FormatError> {
    use std::os::unix::fs::PermissionsExt;
    crate::verify::verify(bundle)?;
    let manifest = Manifest::read(bundle)?;
    let bin = prefix.join("bin");
    let plugins = prefix.join("libexec/docker/cli-plugins");
    for file in &manifest.files {
        let dest = match file.path.split_once('/') {
            Some(("docker", name)) => bin.join(name),
            Some(("cli-plugins", name)) => plugins.join(name),
            _ => continue,
        };
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(FormatError::io("creating", dir))?;
        }
        let from = bundle.join(&file.path);
        // Write aside, then rename: a running binary is replaced, never rewritten in place.
        let bytes = std::fs::read(&from).map_err(FormatError::io("reading", &from))?;
        build_core::fs::write_atomic(&dest, &bytes).map_err(FormatError::io("writing", &dest))?;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
            .map_err(FormatError::io("setting the mode of", &dest))?;
        progress.status("Installed", dest.as_str());
    }
    if let Some(units) = units {
        std::fs::create_dir_all(units).map_err(FormatError::io("creating", units))?;
        for (name, text) in crate::systemd::units(&bin) {
            let dest = units.join(name);
            build_core::fs::write_atomic(&dest, text.as_bytes())
                .map_err(FormatError::io("writing", &dest))?;
            progress.status("Installed", dest.as_str());
        }
    }
    Ok(())
}
