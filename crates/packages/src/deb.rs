//! A `.deb`: the staged tree, its `DEBIAN/` control files, packed by Debian's own `dpkg-deb`.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};
use md5::{Digest, Md5};

use crate::stage::Staged;
use crate::{Format, Package, PackageError};

/// Writes `root/DEBIAN/` and packs `root` into `dest`; returns the package file.
pub(crate) fn build(package: &Package<'_>, dest: &Utf8Path) -> Result<Utf8PathBuf, PackageError> {
    let Package {
        staged,
        root,
        version,
        manifest,
        request,
        ..
    } = *package;
    let spec = staged.spec;
    let arch = Format::Deb.architecture(&manifest.target).ok_or_else(|| {
        PackageError::UnknownArchitecture {
            format: Format::Deb,
            target: manifest.target.to_string(),
        }
    })?;
    let control_dir = root.join("DEBIAN");
    std::fs::create_dir_all(&control_dir).map_err(PackageError::io("creating", &control_dir))?;
    // Whatever the umask: dpkg-deb refuses a control folder that is not 0755.
    std::fs::set_permissions(&control_dir, std::fs::Permissions::from_mode(0o755))
        .map_err(PackageError::io("setting the mode of", &control_dir))?;

    let installs = staged.installs();
    let mut md5sums = String::new();
    let mut kib = 0u64;
    for path in &installs {
        let file = root.join(path.trim_start_matches('/'));
        let bytes = std::fs::read(&file).map_err(PackageError::io("reading", &file))?;
        kib += (bytes.len() as u64).div_ceil(1024);
        let _ = writeln!(
            md5sums,
            "{}  {}",
            build_core::digest::hex(&Md5::digest(&bytes)),
            path.trim_start_matches('/')
        );
    }
    // dpkg-gencontrol counts each folder as 1 KiB.
    kib += staged.folders().len() as u64;

    let mut control = format!(
        "Package: {}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: {}\nInstalled-Size: {kib}\n",
        spec.name, request.maintainer
    );
    for (field, value) in package.relations {
        let _ = writeln!(control, "{field}: {value}");
    }
    let _ = write!(
        control,
        "Section: admin\nPriority: optional\nHomepage: {}\nDescription: {}\n{}",
        spec.homepage,
        spec.summary,
        folded(spec.description)
    );
    write(&control_dir.join("control"), control.as_bytes(), 0o644)?;
    write(&control_dir.join("md5sums"), md5sums.as_bytes(), 0o644)?;
    let conffiles = staged.config_files();
    if !conffiles.is_empty() {
        let text: String = conffiles.iter().map(|c| format!("{c}\n")).collect();
        write(&control_dir.join("conffiles"), text.as_bytes(), 0o644)?;
    }
    for (name, script) in scripts(staged) {
        write(&control_dir.join(name), script.as_bytes(), 0o755)?;
    }

    let file = dest.join(format!(
        "{}_{}_{arch}.deb",
        spec.name,
        version.without_epoch()
    ));
    // `--root-owner-group`: every entry 0:0; SOURCE_DATE_EPOCH: the ar members' times and every
    // tar entry's mtime clamped to it; dpkg-deb sorts the entries itself.
    LoggedCommand::new("dpkg-deb")
        .args(["--root-owner-group", "-Zxz", "--build"])
        .arg(root.as_str())
        .arg(file.as_str())
        .env("SOURCE_DATE_EPOCH", staged.epoch.to_string())
        .read()?;
    Ok(file)
}

fn write(path: &Utf8Path, bytes: &[u8], mode: u32) -> Result<(), PackageError> {
    std::fs::write(path, bytes).map_err(PackageError::io("writing", path))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(PackageError::io("setting the mode of", path))
}

/// A long description as a control file holds it: lines of at most 79 characters, each
/// starting with a space.
fn folded(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > 78 {
            let _ = writeln!(out, " {line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, " {line}");
    }
    out
}

/// The maintainer scripts: the `docker` group, and the units enabled and started as
/// debhelper's `dh_installsystemd` does it (started only where systemd runs).
fn scripts(staged: &Staged<'_>) -> Vec<(&'static str, String)> {
    let s = &staged.spec.scripts;
    if !s.docker_group && s.units.is_empty() && s.sysv_init.is_none() {
        return Vec::new();
    }
    let units = s.units.join(" ");
    let mut postinst = String::from("#!/bin/sh\nset -e\n\n");
    if s.docker_group {
        postinst.push_str(
            "# docker.socket gives the API socket to the docker group.\n\
             if [ \"$1\" = configure ] && [ -z \"$2\" ] && ! getent group docker >/dev/null; then\n\
             \tgroupadd --system docker\n\
             fi\n\n",
        );
    }
    if !s.units.is_empty() {
        let _ = write!(
            postinst,
            "if [ \"$1\" = configure ] || [ \"$1\" = abort-upgrade ] || [ \"$1\" = abort-deconfigure ] || [ \"$1\" = abort-remove ]; then\n\
             \tfor unit in {units}; do\n\
             \t\t# Only removes masks made on removal; enables on first install.\n\
             \t\tdeb-systemd-helper unmask \"$unit\" >/dev/null || true\n\
             \t\tif deb-systemd-helper --quiet was-enabled \"$unit\"; then\n\
             \t\t\tdeb-systemd-helper enable \"$unit\" >/dev/null || true\n\
             \t\telse\n\
             \t\t\tdeb-systemd-helper update-state \"$unit\" >/dev/null || true\n\
             \t\tfi\n\
             \tdone\n\
             \tif [ -d /run/systemd/system ]; then\n\
             \t\tsystemctl --system daemon-reload >/dev/null || true\n\
             \t\tif [ -n \"$2\" ]; then action=restart; else action=start; fi\n\
             \t\tdeb-systemd-invoke \"$action\" {units} >/dev/null || true\n\
             \tfi\n\
             fi\n"
        );
    }
    if let Some(init) = s.sysv_init {
        // Where no systemd runs, the init script starts dockerd; invoke-rc.d leaves it to
        // systemd where systemd does, and to the local policy (policy-rc.d) in a chroot.
        let _ = write!(
            postinst,
            "if [ \"$1\" = configure ] || [ \"$1\" = abort-upgrade ] || [ \"$1\" = abort-deconfigure ] || [ \"$1\" = abort-remove ]; then\n\
             \tif [ -x /etc/init.d/{init} ]; then\n\
             \t\tupdate-rc.d {init} defaults >/dev/null\n\
             \t\tif [ -n \"$2\" ]; then action=restart; else action=start; fi\n\
             \t\tinvoke-rc.d --skip-systemd-native {init} \"$action\" || exit 1\n\
             \tfi\n\
             fi\n"
        );
    }
    let mut prerm = String::new();
    let mut postrm = String::new();
    if let Some(init) = s.sysv_init {
        let _ = write!(
            prerm,
            "if [ -x /etc/init.d/{init} ] && [ \"$1\" = remove ]; then\n\
             \tinvoke-rc.d --skip-systemd-native {init} stop || exit 1\nfi\n"
        );
        let _ = write!(
            postrm,
            "if [ \"$1\" = purge ]; then\n\tupdate-rc.d {init} remove >/dev/null\nfi\n"
        );
    }
    if !s.units.is_empty() {
        let _ = write!(
            prerm,
            "if [ -d /run/systemd/system ] && [ \"$1\" = remove ]; then\n\
             \tdeb-systemd-invoke stop {units} >/dev/null || true\nfi\n"
        );
        let _ = write!(
            postrm,
            "if [ \"$1\" = remove ] && [ -d /run/systemd/system ]; then\n\
             \tsystemctl --system daemon-reload >/dev/null || true\nfi\n\
             if [ \"$1\" = remove ] && [ -x /usr/bin/deb-systemd-helper ]; then\n\
             \tdeb-systemd-helper mask {units} >/dev/null || true\nfi\n\
             if [ \"$1\" = purge ] && [ -x /usr/bin/deb-systemd-helper ]; then\n\
             \tdeb-systemd-helper purge {units} >/dev/null || true\n\
             \tdeb-systemd-helper unmask {units} >/dev/null || true\nfi\n"
        );
    }
    let script = |body: String| format!("#!/bin/sh\nset -e\n\n{body}");
    let mut all = vec![("postinst", postinst)];
    if !prerm.is_empty() {
        all.push(("prerm", script(prerm)));
    }
    if !postrm.is_empty() {
        all.push(("postrm", script(postrm)));
    }
    all
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_description_is_folded_into_space_led_lines() {
        let text = "word ".repeat(40);
        let folded = super::folded(&text);
        assert!(folded.lines().all(|l| l.starts_with(' ') && l.len() <= 79));
        assert_eq!(folded.split_whitespace().count(), 40);
    }
}
