//! Putting a verified bundle's binaries (and, if asked, its systemd units) in place.

use build_core::progress::Progress;
use camino::{Utf8Path, Utf8PathBuf};

use crate::FormatError;
use crate::components::Archive;
use crate::manifest::Manifest;

/// Where `install` puts each kind of file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Destinations {
    /// The static tgz's binaries and the rootless extras (`PREFIX/bin`), as Docker's
    /// packages put them in `/usr/bin`.
    pub bin: Utf8PathBuf,
    /// The CLI plugins: a folder the docker CLI searches.
    pub cli_plugins: Utf8PathBuf,
    /// The systemd units, when asked for.
    pub units: Option<Utf8PathBuf>,
}

impl Destinations {
    /// One user's install (`user`), or a system-wide one under `prefix` (`/usr/local`).
    pub fn choose(user: bool, prefix: Option<&Utf8Path>) -> Result<Destinations, FormatError> {
        match (user, prefix) {
            (true, prefix) => Destinations::for_user(prefix),
            (false, prefix) => Ok(Destinations::under(
                prefix.unwrap_or(Utf8Path::new("/usr/local")),
            )),
        }
    }

    /// A system-wide install under `prefix`: `PREFIX/bin`, and the plugins in
    /// `PREFIX/libexec/docker/cli-plugins` (the CLI searches `/usr/libexec/docker/cli-plugins`
    /// and `/usr/local/libexec/docker/cli-plugins`).
    pub fn under(prefix: &Utf8Path) -> Destinations {
        Destinations {
            bin: prefix.join("bin"),
            cli_plugins: prefix.join("libexec/docker/cli-plugins"),
            units: None,
        }
    }

    /// One user's install: the plugins in the CLI's per-user folder,
    /// `$DOCKER_CONFIG/cli-plugins` (`~/.docker/cli-plugins` when `DOCKER_CONFIG` is unset),
    /// and the binaries in `~/.local/bin`, or `PREFIX/bin` when a prefix is given.
    pub fn for_user(prefix: Option<&Utf8Path>) -> Result<Destinations, FormatError> {
        let home = std::env::var("HOME")
            .ok()
            .filter(|h| h.starts_with('/'))
            .map(Utf8PathBuf::from);
        let config = match std::env::var("DOCKER_CONFIG") {
            Ok(dir) if dir.starts_with('/') => Utf8PathBuf::from(dir),
            _ => home.as_ref().ok_or(FormatError::NoHome)?.join(".docker"),
        };
        let bin = match prefix {
            Some(prefix) => prefix.join("bin"),
            None => home.ok_or(FormatError::NoHome)?.join(".local/bin"),
        };
        Ok(Destinations {
            bin,
            cli_plugins: config.join("cli-plugins"),
            units: None,
        })
    }
}

/// Verifies `bundle` (a damaged one is never installed), then writes its binaries and the
/// rootless extras into `to.bin`, its CLI plugins into `to.cli_plugins` and, when `to.units`
/// is set, the systemd units there.
pub fn install(
    bundle: &Utf8Path,
    to: &Destinations,
    progress: &dyn Progress,
) -> Result<(), FormatError> {
    use std::os::unix::fs::PermissionsExt;
    crate::verify::verify(bundle)?;
    let manifest = Manifest::read(bundle)?;
    for file in &manifest.files {
        let Some((folder, name)) = file.path.split_once('/') else {
            continue;
        };
        let dest = match Archive::ALL.into_iter().find(|a| a.folder() == folder) {
            Some(Archive::Static | Archive::RootlessExtras) => to.bin.join(name),
            Some(Archive::Plugin) => to.cli_plugins.join(name),
            None => continue,
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
    if let Some(units) = &to.units {
        std::fs::create_dir_all(units).map_err(FormatError::io("creating", units))?;
        for (name, text) in crate::systemd::units(&to.bin) {
            let dest = units.join(name);
            build_core::fs::write_atomic(&dest, text.as_bytes())
                .map_err(FormatError::io("writing", &dest))?;
            progress.status("Installed", dest.as_str());
        }
    }
    Ok(())
}
