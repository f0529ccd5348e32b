//! The checks every build runs after it compiles: each binary shows the stamps it was given
//! (run natively, under qemu, under Wine, or read from a macOS binary's symbol table).

use crate::artifact::Artifacts;
use crate::build::{BuildError, BuildOptions, StampMismatch};
use crate::platform::Target;
use crate::process::LoggedCommand;
use crate::toolchain::{Tool, ToolchainError};

use super::{Component, Stamps};

/// No silent stamps: runs each built binary's version probe (natively, or under qemu's user
/// emulator for another architecture) and fails, naming the binary and the variables, when
/// what it shows lacks a stamped value. Go's
/// linker ignores `-X` for a variable that does not exist, so a recipe written for another
/// release line builds fine and stamps nothing.
///
/// `stamped` lists, per binary, the `(variable, value)` pairs the recipe set.
pub fn verify_stamps(
    component: &Component,
    opts: &BuildOptions,
    artifacts: &Artifacts,
    stamped: &[(&str, Vec<(&str, &str)>)],
) -> Result<(), BuildError> {
    // A patched binary must show its patch marker; -dirty and +debug are accepted either way.
    let version = format!(
        "{}{}",
        opts.version,
        opts.source.patch_marker().unwrap_or_default()
    );
    let stamps = Stamps {
        version: &version,
        commit: opts.source.commit.as_str(),
    };
    let foreign = opts.target.foreign();
    // Nothing runs a macOS binary here: its stamped variables are read from its symbols.
    if foreign.is_some_and(|p| p.runner.is_none()) {
        return read_stamps(component, opts, artifacts, stamped);
    }
    let wine = foreign.is_some_and(|p| p.runner == Some(crate::platform::Runner::Wine));
    for probe in component.spec.probes_for(opts.docker_release) {
        let Some(artifact) = artifacts.get(probe.binary) else {
            continue;
        };
        let command = match wine {
            true => crate::wine::command(&opts.tools_dir(), &artifact.path, opts.progress.as_ref()),
            false => runnable(&opts.target, &artifact.path),
        };
        let out = command
            .map_err(|source| BuildError::Toolchain {
                component: component.name().to_owned(),
                source,
            })?
            .args(probe.args.iter().copied())
            .output()
            .map_err(|source| BuildError::Command {
                component: component.name().to_owned(),
                source: Box::new(source),
            })?;
        let shows = format!("{}{}", out.stdout, out.stderr);
        let command = format!("{} {}", probe.binary, probe.args.join(" "));
        let first_lines = |s: &str| s.trim().lines().take(4).collect::<Vec<_>>().join(" | ");
        // Killed by a signal: natively no exit code; under qemu, its report of the guest's signal.
        if out.code.is_none() || shows.contains("qemu: uncaught target signal") {
            return Err(BuildError::Crashed {
                component: component.name().to_owned(),
                binary: probe.binary.to_owned(),
                command,
                target: opts.target.to_string(),
                shows: match first_lines(&shows) {
                    s if s.is_empty() => out.status.to_string(),
                    s => s,
                },
            });
        }
        let missing = probe.missing(stamps, &shows);
        if missing.is_empty() {
            continue;
        }
        let variables: Vec<String> = stamped
            .iter()
            .filter(|(binary, _)| *binary == probe.binary)
            .flat_map(|(_, vars)| vars.iter())
            .filter(|(_, value)| !value.trim().is_empty() && !shows.contains(value.trim()))
            .map(|(var, value)| format!("{var}={value}"))
            .collect();
        return Err(BuildError::StampNotShown(Box::new(StampMismatch {
            component: component.name().to_owned(),
            binary: probe.binary.to_owned(),
            command,
            expected: missing,
            variables,
            shows: first_lines(&shows),
        })));
    }
    Ok(())
}

/// The stamped variables of each binary in `artifacts`, read back from its symbol table: each
/// must hold the value it was stamped with. A binary without stamps given cannot be checked
/// this way, and fails.
fn read_stamps(
    component: &Component,
    opts: &BuildOptions,
    artifacts: &Artifacts,
    stamped: &[(&str, Vec<(&str, &str)>)],
) -> Result<(), BuildError> {
    for artifact in &artifacts.binaries {
        let name = component.name().to_owned();
        let Some((_, vars)) = stamped.iter().find(|(b, _)| *b == artifact.name) else {
            return Err(BuildError::StampsUnread {
                component: name,
                binary: artifact.name.clone(),
                target: opts.target.to_string(),
            });
        };
        let variables: Vec<&str> = vars.iter().map(|(v, _)| *v).collect();
        let found =
            crate::executable::go_strings(&artifact.path, &variables).map_err(|source| {
                BuildError::Elf {
                    component: name.clone(),
                    source,
                }
            })?;
        let wrong: Vec<String> = vars
            .iter()
            .zip(&found)
            .filter(|((_, value), found)| found.as_deref() != Some(*value))
            .map(|((var, value), _)| format!("{var}={value}"))
            .collect();
        if !wrong.is_empty() {
            let shows = vars
                .iter()
                .zip(&found)
                .map(|((var, _), found)| match found {
                    Some(value) => format!("{var}={value:?}"),
                    None => format!("no {var}"),
                })
                .collect::<Vec<_>>()
                .join(", ");
            return Err(BuildError::StampNotShown(Box::new(StampMismatch {
                component: name,
                binary: artifact.name.clone(),
                command: format!("its symbol table ({})", artifact.name),
                expected: wrong.clone(),
                variables: wrong,
                shows,
            })));
        }
    }
    Ok(())
}

/// A command that runs `binary` of `target` here: itself, or under `qemu-ARCH-static` (named
/// explicitly: binfmt_misc may not be registered).
pub fn runnable(
    target: &Target,
    binary: &camino::Utf8Path,
) -> Result<LoggedCommand, ToolchainError> {
    if target.is_host() {
        return Ok(LoggedCommand::new(binary.as_str()));
    }
    let qemu = target
        .architecture()
        .map(|a| format!("qemu-{}-static", a.qemu))
        .ok_or_else(|| Tool::Emulator.missing(format!("no emulator is known for {target}")))?;
    if which::which(&qemu).is_err() {
        return Err(Tool::Emulator.missing(format!("`{qemu}` is not on PATH")));
    }
    Ok(LoggedCommand::new(qemu).arg(binary.as_str()))
}
