//! `cargo xtask doctor` and the preflight `bundle` runs: every tool a build needs, and what to
//! install when one is missing.

use anyhow::{Result, bail};
use build_core::go::GoToolchain;
use build_core::process::LoggedCommand;
use build_core::{BuildError, Linkage};

use crate::components::Component;
use crate::flags::DoctorArgs;
use crate::status::StatusLines;
use build_core::progress::Progress;

/// One requirement and how it was found.
pub(crate) struct Check {
    pub(crate) what: &'static str,
    pub(crate) found: Result<String, String>,
    pub(crate) fix: &'static str,
}

/// Which components need which tools.
fn needs(component: &str, tool: &str, linkage: Linkage) -> bool {
    match tool {
        "go" => component != "tini",
        "cmake" | "make" => component == "tini",
        "gcc" => true,
        "pkg-config" | "libseccomp" => component == "runc",
        "libc.a" => {
            linkage == Linkage::Static
                && matches!(component, "runc" | "tini" | "moby" | "containerd")
        }
        _ => false,
    }
}

pub(crate) fn checks(linkage: Linkage, components: &[&Component]) -> Vec<Check> {
    let wanted = |tool| components.iter().any(|c| needs(c.name, tool, linkage));
    let mut out = Vec::new();
    if wanted("go") {
        out.push(Check {
            what: "go",
            // The same question the build asks, so GOTOOLCHAIN is honoured here too.
            found: match GoToolchain::find("doctor") {
                Ok(go) => Ok(format!("go{} ({})", go.version, go.go)),
                Err(BuildError::Toolchain { problem, .. }) => Err(problem),
                Err(e) => Err(e.to_string()),
            },
            fix: "install Go 1.26 or newer (https://go.dev/dl) and put it on PATH",
        });
    }
    if wanted("gcc") {
        out.push(Check {
            what: "gcc",
            found: version_of("gcc", &["-dumpfullversion"]),
            fix: "apt-get install gcc (cgo and tini need a C compiler)",
        });
    }
    if wanted("cmake") {
        out.push(Check {
            what: "cmake",
            found: version_of("cmake", &["--version"]),
            fix: "apt-get install cmake",
        });
    }
    if wanted("make") {
        out.push(Check {
            what: "make",
            found: version_of("make", &["--version"]),
            fix: "apt-get install make (CMake's default generator)",
        });
    }
    if wanted("pkg-config") {
        out.push(Check {
            what: "pkg-config",
            found: version_of("pkg-config", &["--version"]),
            fix: "apt-get install pkg-config (runc finds libseccomp through it)",
        });
    }
    if wanted("libseccomp") {
        let found = version_of("pkg-config", &["--modversion", "libseccomp"]);
        let found = match (linkage, found) {
            (Linkage::Static, Ok(v)) => static_lib("libseccomp.a").map(|p| format!("{v} ({p})")),
            (_, found) => found,
        };
        out.push(Check {
            what: if linkage == Linkage::Static {
                "libseccomp (static)"
            } else {
                "libseccomp"
            },
            found,
            fix: "apt-get install libseccomp-dev (runc links it for seccomp support)",
        });
    }
    if wanted("libc.a") {
        out.push(Check {
            what: "libc (static)",
            found: static_lib("libc.a"),
            fix: "apt-get install libc6-dev (static binaries link libc.a)",
        });
    }
    out
}

/// The first line `program args` prints.
fn version_of(program: &str, args: &[&str]) -> Result<String, String> {
    if which::which(program).is_err() {
        return Err(format!("`{program}` is not on PATH"));
    }
    LoggedCommand::new(program)
        .args(args.iter().copied())
        .read()
        .map(|out| out.lines().next().unwrap_or("").to_owned())
        .map_err(|e| format!("{e}: {}", e.tail))
}

/// Where the C compiler finds a static library; it prints the bare name when it finds none.
fn static_lib(name: &str) -> Result<String, String> {
    let path = version_of("gcc", &[&format!("-print-file-name={name}")])?;
    if path.starts_with('/') && std::path::Path::new(&path).exists() {
        Ok(path)
    } else {
        Err(format!("{name} not found by gcc"))
    }
}

/// The C compiler's identity, part of every cgo component's cache key.
pub(crate) fn cc_version() -> String {
    version_of("gcc", &["--version"]).unwrap_or_else(|e| e)
}

/// Stops a bundle before any fetch when a tool is missing, with the same advice as `doctor`.
pub(crate) fn preflight(linkage: Linkage, components: &[&Component]) -> Result<()> {
    let missing: Vec<String> = checks(linkage, components)
        .into_iter()
        .filter_map(|c| {
            c.found
                .err()
                .map(|why| format!("  {}: {why}; fix: {}", c.what, c.fix))
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "the build needs tools that are missing (run `cargo xtask doctor`):\n{}",
            missing.join("\n")
        );
    }
    Ok(())
}

pub(crate) fn run(args: &DoctorArgs) -> Result<()> {
    let linkage = if args.dynamic {
        Linkage::Dynamic
    } else {
        Linkage::Static
    };
    let all: Vec<&Component> = crate::components::COMPONENTS.iter().collect();
    let progress = StatusLines::default();
    let mut failed = 0;
    for check in checks(linkage, &all) {
        match check.found {
            Ok(v) => progress.status("Found", &format!("{}: {v}", check.what)),
            Err(why) => {
                failed += 1;
                progress.status(
                    "Missing",
                    &format!("{}: {why}; fix: {}", check.what, check.fix),
                );
            }
        }
    }
    if failed > 0 {
        bail!("{failed} requirement(s) missing; install them and run `cargo xtask doctor` again");
    }
    progress.status("Ready", "everything a bundle needs is here");
    Ok(())
}
