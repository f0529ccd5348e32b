//! `cargo xtask install`: a verified bundle's binaries (and units) put in place.

use anyhow::{Context, Result};
use build_core::progress::Progress;

use crate::flags::InstallArgs;
use crate::publish::read_manifest;
use crate::status::StatusLines;

pub(crate) fn run(args: &InstallArgs) -> Result<()> {
    let dir = match &args.bundle {
        Some(dir) => dir.clone(),
        None => crate::verify::newest_bundle(&crate::project_root().join("target/dockyard"))?,
    };
    // Never install a damaged bundle.
    crate::verify::verify(&dir)?;
    let manifest = read_manifest(&dir)?;
    let bin = args.prefix.join("bin");
    std::fs::create_dir_all(&bin).with_context(|| format!("cannot create {bin}"))?;
    let progress = StatusLines::default();
    for file in manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("docker/"))
    {
        let name = file.path.trim_start_matches("docker/");
        let dest = bin.join(name);
        // Write aside, then rename: a running binary is replaced, never rewritten in place.
        let bytes = std::fs::read(dir.join(&file.path))?;
        build_core::fs::write_atomic(&dest, &bytes)
            .with_context(|| format!("cannot write {dest}"))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))?;
        progress.status("Installed", dest.as_str());
    }
    if let Some(units) = &args.systemd {
        std::fs::create_dir_all(units).with_context(|| format!("cannot create {units}"))?;
        for (name, text) in crate::systemd::units(&bin) {
            let dest = units.join(name);
            build_core::fs::write_atomic(&dest, text.as_bytes())
                .with_context(|| format!("cannot write {dest}"))?;
            progress.status("Installed", dest.as_str());
        }
        progress.status(
            "Next",
            "systemctl daemon-reload && systemctl enable --now containerd docker.socket docker",
        );
    }
    Ok(())
}
