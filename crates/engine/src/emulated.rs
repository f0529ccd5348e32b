//! `smoke` for a bundle of another architecture: its engine cannot run here, so each binary is
//! checked under qemu's user emulator instead (called by name: binfmt_misc may not be
//! registered): the ELF is for the target, every version command shows the manifest's
//! version and commit, `runc features` reports seccomp, and dockerd accepts a configuration.

use std::time::Instant;

use build_core::component::runnable;
use build_core::process::Captured;
use build_core::progress::Progress;
use bundle_format::Manifest;
use camino::Utf8Path;

use crate::EngineError;
use crate::smoke::SmokeReport;
use crate::versions::{RunBinary, binaries_show_stamps};

/// Runs the emulated checks over `bundle`, reporting each as `Passed` or `Failed`.
pub fn smoke_emulated(
    bundle: &Utf8Path,
    progress: &dyn Progress,
) -> Result<SmokeReport, EngineError> {
    bundle_format::verify(bundle)?;
    let manifest = Manifest::read(bundle)?;
    let bin = bundle.join("docker");
    let run = |binary: &str, args: &[&str]| -> Result<Captured, EngineError> {
        let command = runnable(&manifest.target, &path_in(bundle, binary))
            .map_err(|e| EngineError::Check(format!("{}; fix: {}", e.problem, e.fix)))?;
        Ok(command.args(args.iter().copied()).output()?)
    };
    type Step<'a> = (
        &'static str,
        Box<dyn Fn() -> Result<String, EngineError> + 'a>,
    );
    let steps: Vec<Step<'_>> = vec![
        (
            "every binary is an ELF for the target",
            Box::new(|| machines(bundle, &manifest)),
        ),
        (
            "every binary shows its version and commit (under qemu)",
            Box::new(|| binaries_show_stamps(&run, &manifest)),
        ),
        (
            "runc features reports seccomp",
            Box::new(|| runc_seccomp(&run)),
        ),
        (
            "dockerd --validate accepts an empty configuration",
            Box::new(|| {
                let config = tempfile::NamedTempFile::new()
                    .map_err(EngineError::io("creating a configuration in", "/tmp"))?;
                std::fs::write(config.path(), "{}\n").map_err(EngineError::io(
                    "writing",
                    config.path().to_string_lossy().as_ref(),
                ))?;
                let path = config.path().to_string_lossy();
                // As the engine runs it: with the bundle's docker-proxy.
                let proxy = format!("--userland-proxy-path={}", bin.join("docker-proxy"));
                let out = run("dockerd", &["--validate", "--config-file", &path, &proxy])?;
                let said = format!("{}{}", out.stdout, out.stderr).trim().to_owned();
                match out.code {
                    Some(0) => Ok(said),
                    code => Err(EngineError::Check(format!("exit code {code:?}: {said}"))),
                }
            }),
        ),
    ];
    let mut failed = 0;
    for (name, step) in &steps {
        let started = Instant::now();
        let result = step();
        let seconds = started.elapsed().as_secs_f64();
        match result {
            Ok(detail) => progress.status("Passed", &format!("{name} ({seconds:.1}s): {detail}")),
            Err(e) => {
                failed += 1;
                progress.status(
                    "Failed",
                    &format!("{name}: {}", build_core::error::with_causes(&e)),
                );
            }
        }
    }
    Ok(SmokeReport {
        total: steps.len(),
        failed,
        cleanup: Ok(()),
        emulated: true,
    })
}

/// Where `binary` is in `bundle`: its component's archive folder.
fn path_in(bundle: &Utf8Path, binary: &str) -> camino::Utf8PathBuf {
    bundle.join(bundle_format::path_of(binary).unwrap_or_else(|| format!("docker/{binary}")))
}

fn machines(bundle: &Utf8Path, manifest: &Manifest) -> Result<String, EngineError> {
    let arch = manifest.target.architecture().ok_or_else(|| {
        EngineError::Check(format!(
            "{} is not a platform dockyard builds",
            manifest.target
        ))
    })?;
    let mut wrong = Vec::new();
    let release = crate::versions::release_of(manifest)?;
    let binaries: Vec<&str> = bundle_format::COMPONENTS
        .iter()
        .flat_map(|c| c.binaries_for(release))
        .collect();
    for binary in &binaries {
        let facts = build_core::elf::inspect(&path_in(bundle, binary))
            .map_err(|e| EngineError::Check(e.to_string()))?;
        if (facts.machine, facts.elf64) != (arch.elf_machine, arch.elf64) {
            wrong.push(format!("{binary} (machine {})", facts.machine));
        }
    }
    if !wrong.is_empty() {
        return Err(EngineError::Check(format!(
            "not for {}: {}",
            manifest.target,
            wrong.join(", ")
        )));
    }
    Ok(format!(
        "{} binaries for {}",
        binaries.len(),
        manifest.target
    ))
}

fn runc_seccomp(run: &RunBinary<'_>) -> Result<String, EngineError> {
    let out = run("runc", &["features"])?;
    let features: serde_json::Value = serde_json::from_str(&out.stdout).map_err(|e| {
        EngineError::Check(format!(
            "runc features printed no JSON ({e}): {}",
            out.stderr.trim()
        ))
    })?;
    let seccomp = &features["linux"]["seccomp"];
    if seccomp["enabled"] != true {
        return Err(EngineError::Check(format!(
            "seccomp is not enabled: {seccomp}"
        )));
    }
    let version = features["annotations"]["io.github.seccomp.libseccomp.version"].as_str();
    Ok(format!(
        "enabled, libseccomp {}",
        version.unwrap_or("(version not shown)")
    ))
}
