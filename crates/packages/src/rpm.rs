//! An `.rpm`: a spec of our own over the staged tree, built by rpm's own `rpmbuild`.

use std::fmt::Write as _;

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};

use crate::{Format, Package, PackageError};

/// Writes a spec for `package` and builds it with `rpmbuild` in `work`; moves the package
/// into `dest` and returns it.
pub(crate) fn build(
    package: &Package<'_>,
    work: &Utf8Path,
    dest: &Utf8Path,
) -> Result<Utf8PathBuf, PackageError> {
    let (staged, manifest) = (package.staged, package.manifest);
    let spec = staged.spec;
    let arch = Format::Rpm.architecture(&manifest.target).ok_or_else(|| {
        PackageError::UnknownArchitecture {
            format: Format::Rpm,
            target: manifest.target.to_string(),
        }
    })?;
    let top = work.join("rpmbuild");
    let text = spec_text(package, arch);
    let spec_path = work.join(format!("{}.spec", spec.name));
    std::fs::write(&spec_path, text).map_err(PackageError::io("writing", &spec_path))?;
    // No stripping, no debug packages, no build-id links: the bundle's bytes, as they are.
    // Times from SOURCE_DATE_EPOCH and a fixed build host make two builds identical.
    LoggedCommand::new("rpmbuild")
        .args(["-bb", "--quiet"])
        .args(["--define", &format!("_topdir {top}")])
        .args(["--define", "_build_id_links none"])
        .args(["--define", "debug_package %{nil}"])
        .args(["--define", "__os_install_post %{nil}"])
        .args(["--define", "_buildhost dockyard"])
        .args(["--define", "use_source_date_epoch_as_buildtime 1"])
        .args(["--define", "clamp_mtime_to_source_epoch 1"])
        .args(["--define", "_binary_payload w9.gzdio"])
        .arg(spec_path.as_str())
        .env("SOURCE_DATE_EPOCH", staged.epoch.to_string())
        .env("TZ", "UTC")
        .read()?;
    let name = format!(
        "{}-{}.{arch}.rpm",
        spec.name,
        package.version.without_epoch()
    );
    let built = top.join("RPMS").join(arch).join(&name);
    let file = dest.join(&name);
    std::fs::rename(&built, &file).map_err(PackageError::io("moving into place", &built))?;
    Ok(file)
}

/// The spec: the package's fields and relations, `%install` copying the staged tree, `%files`
/// listing it, and scriptlets written out (Debian's rpm has no systemd macros).
fn spec_text(package: &Package<'_>, arch: &str) -> String {
    let Package {
        staged,
        root,
        version,
        request,
        ..
    } = *package;
    let spec = staged.spec;
    let licence = spec.copyright.1;
    let mut s = format!(
        "Name: {}\nVersion: {}\nRelease: {}\n",
        spec.name, version.upstream, version.release
    );
    if let Some(epoch) = version.epoch {
        let _ = writeln!(s, "Epoch: {epoch}");
    }
    let _ = write!(
        s,
        "Summary: {}\nLicense: {licence}\nURL: {}\nPackager: {}\nGroup: Tools/Docker\nBuildArch: {arch}\n",
        spec.summary, spec.homepage, request.maintainer
    );
    for (field, value) in package.relations {
        let _ = writeln!(s, "{field}: {value}");
    }
    let _ = write!(
        s,
        "\n%description\n{}\n\n%install\nmkdir -p \"%{{buildroot}}\"\ncp -a '{root}/.' \"%{{buildroot}}/\"\n\n%files\n",
        spec.description
    );
    for dir in staged.own_dirs() {
        let _ = writeln!(s, "%dir {dir}");
    }
    let config = staged.config_files();
    for path in staged.installs() {
        match config.contains(&path.as_str()) {
            true => {
                let _ = writeln!(s, "%config(noreplace) {path}");
            }
            false => {
                let _ = writeln!(s, "{path}");
            }
        }
    }
    let scripts = &spec.scripts;
    let units = scripts.units.join(" ");
    let mut post = String::new();
    if scripts.docker_group {
        post.push_str(
            "if ! getent group docker > /dev/null; then\n\tgroupadd --system docker\nfi\n",
        );
    }
    if !units.is_empty() {
        // As %systemd_post, %systemd_preun and %systemd_postun_with_restart do.
        let _ = write!(
            post,
            "if [ $1 -eq 1 ] && [ -x /usr/bin/systemctl ]; then\n\tsystemctl --no-reload preset {units} >/dev/null 2>&1 || :\nfi\n"
        );
        let _ = write!(
            s,
            "\n%preun\nif [ $1 -eq 0 ] && [ -x /usr/bin/systemctl ]; then\n\tsystemctl --no-reload disable --now {units} >/dev/null 2>&1 || :\nfi\n\n%postun\nif [ $1 -ge 1 ] && [ -x /usr/bin/systemctl ]; then\n\tsystemctl try-restart {units} >/dev/null 2>&1 || :\nfi\n"
        );
    }
    if !post.is_empty() {
        let _ = write!(s, "\n%post\n{post}");
    }
    s
}
