//! The tools a build runs: the Go toolchain (which release, and whether it is new enough for a
//! module) and the other programs and static libraries components need, each with the way to
//! get it. Knows nothing of [`crate::build`], so options can carry a toolchain without a cycle.

use crate::clib::CLibrarySpec;
use camino::{Utf8Path, Utf8PathBuf};

use crate::platform::{Linkage, Target};
use crate::process::LoggedCommand;

/// A tool that is missing or unusable: what is wrong and how to get it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{problem}; {fix}")]
pub struct ToolchainError {
    /// What is wrong (`go 1.22.1 is older than go 1.24.0, which go.mod requires`).
    pub problem: String,
    /// What to do.
    pub fix: String,
}

/// Which file declares the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleFile {
    /// `go.mod` / `go.sum`, as usual.
    GoMod,
    /// `vendor.mod` / `vendor.sum` (docker/cli): given to Go through `-overlay`, so no file is
    /// ever written into the source tree.
    VendorMod,
}

impl ModuleFile {
    /// The file's name in the source tree.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ModuleFile::GoMod => "go.mod",
            ModuleFile::VendorMod => "vendor.mod",
        }
    }
}

/// A Go toolchain: the `go` command and the release it runs.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct GoToolchain {
    /// The `go` command.
    pub go: Utf8PathBuf,
    /// `GOTOOLCHAIN` as the user set it, else `local` (Go never downloads behind our back).
    pub gotoolchain: String,
    /// The release that runs with that `GOTOOLCHAIN`, e.g. `1.26.5`.
    pub version: String,
}

impl GoToolchain {
    /// Finds `go` on `PATH` and asks it which release it runs (honouring `GOTOOLCHAIN`).
    pub fn find() -> Result<GoToolchain, ToolchainError> {
        let gotoolchain = std::env::var("GOTOOLCHAIN")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "local".into());
        GoToolchain::with(gotoolchain, false)
    }

    /// Exactly Go `release` (`1.26.5`), through Go's own `GOTOOLCHAIN` mechanism: the `go` on
    /// `PATH` runs that release, which Go downloads once through its module proxy into its
    /// module cache. `offline` forbids that download (the release must be cached already).
    pub fn release(release: &str, offline: bool) -> Result<GoToolchain, ToolchainError> {
        let go = GoToolchain::with(format!("go{release}"), offline)?;
        if go.version != release {
            return Err(ToolchainError {
                problem: format!("GOTOOLCHAIN=go{release} runs go {}", go.version),
                fix: "check Go's GOTOOLCHAIN setting in `go env`".into(),
            });
        }
        Ok(go)
    }

    /// Whether Go `release` is ready without a download (the one on `PATH`, or cached).
    pub fn release_is_cached(release: &str) -> bool {
        GoToolchain::release(release, true).is_ok()
    }

    fn with(gotoolchain: String, offline: bool) -> Result<GoToolchain, ToolchainError> {
        let go = which::which("go").map_err(|_| ToolchainError {
            problem: "`go` is not on PATH".into(),
            fix: "install Go (https://go.dev/dl) and put its bin folder on PATH".into(),
        })?;
        let go = Utf8PathBuf::from_path_buf(go).map_err(|p| ToolchainError {
            problem: format!("the path of go is not UTF-8: {}", p.display()),
            fix: "install Go under a UTF-8 path".into(),
        })?;
        let mut ask = LoggedCommand::new(go.as_str())
            .args(["env", "GOVERSION"])
            .env("GOTOOLCHAIN", &gotoolchain);
        if offline {
            ask = ask.env("GOPROXY", "off");
        }
        let raw = ask.read().map_err(|e| {
            let wanted = gotoolchain.strip_prefix("go").filter(|_| gotoolchain != "local");
            match wanted {
                Some(release) if offline => ToolchainError {
                    problem: format!(
                        "Go {release} is not in Go's toolchain cache, and offline it may not be downloaded ({})",
                        e.tail.trim()
                    ),
                    fix: format!(
                        "run once online (Go downloads it through its module proxy), or run `GOTOOLCHAIN=go{release} go version` where the proxy is reachable"
                    ),
                },
                _ => ToolchainError {
                    problem: crate::error::with_causes(&e),
                    fix: "check that `go env GOVERSION` works (and GOTOOLCHAIN names a release you have)"
                        .into(),
                },
            }
        })?;
        Ok(GoToolchain {
            go,
            gotoolchain,
            version: release_of(&raw),
        })
    }

    /// Fails with both versions named when this Go is older than the `go` line of whichever
    /// module file the tree has (`go.mod`, else `vendor.mod`): lets a caller refuse a too-old Go
    /// before building anything.
    pub fn check_tree(&self, source: &Utf8Path) -> Result<(), ToolchainError> {
        let file = if source.join("go.mod").exists() {
            ModuleFile::GoMod
        } else {
            ModuleFile::VendorMod
        };
        self.check_module(source, file)
    }

    /// Fails with both versions named when this Go is older than the module's `go` line.
    pub(crate) fn check_module(
        &self,
        source: &Utf8Path,
        module_file: ModuleFile,
    ) -> Result<(), ToolchainError> {
        let file = source.join(module_file.name());
        let text = std::fs::read_to_string(&file).map_err(|e| ToolchainError {
            problem: format!("cannot read {file}: {e}"),
            fix: format!("is {source} the top of the source tree?"),
        })?;
        self.check_module_text(&text, file.as_str())
    }

    /// Fails with both versions named when this Go is older than the `go` line of a module
    /// file's `text` (read from git, say); `file` names it in the error.
    pub fn check_module_text(&self, text: &str, file: &str) -> Result<(), ToolchainError> {
        let Some(required) = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("go "))
            .map(str::trim)
        else {
            return Ok(());
        };
        if version_less(&self.version, required) {
            return Err(ToolchainError {
                problem: format!(
                    "go {} is older than go {required}, which {file} requires",
                    self.version
                ),
                fix: format!(
                    "install Go {required} or newer, or set GOTOOLCHAIN=go{required} to let Go select it"
                ),
            });
        }
        Ok(())
    }
}

/// `go1.26.5 X:nocoverageredesign` → `1.26.5`.
fn release_of(goversion: &str) -> String {
    let first = goversion.split_whitespace().next().unwrap_or("");
    first.strip_prefix("go").unwrap_or(first).to_owned()
}

/// Compares dotted releases numerically (`1.9` < `1.10`); pre-release suffixes count as older.
pub(crate) fn version_less(have: &str, need: &str) -> bool {
    fn parts(v: &str) -> Vec<u64> {
        v.split(|c: char| !c.is_ascii_digit())
            .take_while(|p| !p.is_empty())
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    }
    let (a, b) = (parts(have), parts(need));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x < y;
        }
    }
    false
}

/// A program or library a component's build needs on the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tool {
    /// `go`, honouring `GOTOOLCHAIN`.
    Go,
    /// `gcc`: cgo and C builds.
    CCompiler,
    /// `cmake`.
    CMake,
    /// `make`, CMake's default generator.
    Make,
    /// `pkg-config`, through which cgo finds C libraries.
    PkgConfig,
    /// A C library's headers and library (its archive for static builds), as the recipe
    /// declares it.
    CLibrary(&'static CLibrarySpec),
    /// `libc.a`; needed by static builds only.
    StaticLibc,
    /// qemu's user-mode emulator: runs another architecture's binaries to check them.
    Emulator,
    /// Wine: runs Windows binaries to check them.
    Wine,
}

impl Tool {
    /// What a person calls it, for the given linkage.
    pub fn name(self, linkage: Linkage) -> &'static str {
        match (self, linkage) {
            (Tool::Go, _) => "go",
            (Tool::CCompiler, _) => "gcc",
            (Tool::CMake, _) => "cmake",
            (Tool::Make, _) => "make",
            (Tool::PkgConfig, _) => "pkg-config",
            (Tool::CLibrary(lib), Linkage::Static) => lib.static_name,
            (Tool::CLibrary(lib), Linkage::Dynamic) => lib.name,
            (Tool::StaticLibc, _) => "libc (static)",
            (Tool::Emulator, _) => "qemu (user emulation)",
            (Tool::Wine, _) => "wine",
        }
    }

    /// Whether a build of that linkage needs it.
    pub(crate) fn needed_for(self, linkage: Linkage) -> bool {
        self != Tool::StaticLibc || linkage == Linkage::Static
    }

    /// Whether a build of that linkage for `target` needs it: no C tools where Go builds with
    /// cgo off (Windows, macOS); qemu for another Linux architecture, Wine for Windows.
    pub fn needed_for_target(self, linkage: Linkage, target: &Target) -> bool {
        let runner = target.foreign().and_then(|p| p.runner);
        self.needed_for(linkage)
            && match self {
                Tool::CCompiler | Tool::StaticLibc | Tool::PkgConfig | Tool::CLibrary(_) => {
                    target.has_cgo()
                }
                Tool::Emulator => !target.is_host() && target.architecture().is_some(),
                Tool::Wine => runner == Some(crate::platform::Runner::Wine),
                _ => true,
            }
    }

    /// How to get it on Debian, for `target`: another architecture's compiler, libc and
    /// libraries are packages of their own.
    pub(crate) fn fix_for(self, target: &Target) -> String {
        let Some(arch) = target.architecture().filter(|_| !target.is_host()) else {
            return self.fix();
        };
        match self {
            Tool::CCompiler => format!("apt-get install gcc-{}", arch.triplet),
            Tool::StaticLibc => format!("apt-get install libc6-dev-{}-cross", arch.debian),
            Tool::CLibrary(lib) => format!(
                "dockyard fetches {}:{} into its cache with apt-get: apt-get must reach Debian's archive",
                lib.dev_package, arch.debian
            ),
            _ => self.fix(),
        }
    }

    /// Looks for it as a build for `target` needs it: another architecture's compiler and
    /// static libc; its C libraries come from Debian's archive through apt.
    pub fn find_for(self, linkage: Linkage, target: &Target) -> Result<String, ToolchainError> {
        let Some(arch) = target.architecture().filter(|_| !target.is_host()) else {
            return self.find(linkage);
        };
        let cc = format!("{}-gcc", arch.triplet);
        let found = match self {
            Tool::CCompiler => {
                first_line_of(&cc, &["-dumpfullversion"]).map(|v| format!("{cc} {v}"))
            }
            Tool::StaticLibc => static_library(&cc, "libc.a"),
            Tool::CLibrary(lib) => which::which("apt-get")
                .map(|_| {
                    format!(
                        "{}:{} from Debian's archive, unpacked in the cache",
                        lib.dev_package, arch.debian
                    )
                })
                .map_err(|_| "`apt-get` is not on PATH".to_owned()),
            Tool::Emulator => first_line_of(&format!("qemu-{}-static", arch.qemu), &["--version"]),
            _ => return self.find(linkage),
        };
        found.map_err(|problem| ToolchainError {
            problem,
            fix: self.fix_for(target),
        })
    }

    /// How to get it on Debian.
    pub(crate) fn fix(self) -> String {
        match self {
            Tool::Go => "install Go 1.26 or newer (https://go.dev/dl) and put it on PATH".into(),
            Tool::CCompiler => "apt-get install gcc (cgo and C builds need a C compiler)".into(),
            Tool::CMake => "apt-get install cmake".into(),
            Tool::Make => "apt-get install make (CMake's default generator)".into(),
            Tool::PkgConfig => {
                "apt-get install pkg-config (cgo finds C libraries through it)".into()
            }
            Tool::CLibrary(lib) => format!("apt-get install {} ({})", lib.dev_package, lib.why),
            Tool::StaticLibc => "apt-get install libc6-dev (static binaries link libc.a)".into(),
            Tool::Emulator => {
                "apt-get install qemu-user-static (checks other architectures' binaries)".into()
            }
            Tool::Wine => "apt-get install wine wine64 (runs Windows builds to check them)".into(),
        }
    }

    /// This tool missing for `problem`, with the way to get it.
    pub fn missing(self, problem: impl Into<String>) -> ToolchainError {
        ToolchainError {
            problem: problem.into(),
            fix: self.fix(),
        }
    }

    /// Looks for it; says what was found (a version, a path) or what is missing and the fix.
    pub(crate) fn find(self, linkage: Linkage) -> Result<String, ToolchainError> {
        let found = match self {
            // The same question the build asks, so GOTOOLCHAIN is honoured here too.
            Tool::Go => {
                return GoToolchain::find().map(|go| format!("go{} ({})", go.version, go.go));
            }
            Tool::CCompiler => first_line_of("gcc", &["-dumpfullversion"]),
            Tool::CMake => first_line_of("cmake", &["--version"]),
            Tool::Make => first_line_of("make", &["--version"]),
            Tool::PkgConfig => first_line_of("pkg-config", &["--version"]),
            Tool::CLibrary(lib) => {
                let version = first_line_of("pkg-config", &["--modversion", lib.pkg_config]);
                match (linkage, version) {
                    (Linkage::Static, Ok(v)) => {
                        static_library("gcc", lib.archive).map(|p| format!("{v} ({p})"))
                    }
                    (_, found) => found,
                }
            }
            Tool::StaticLibc => static_library("gcc", "libc.a"),
            Tool::Emulator => Ok("not needed for the host's own binaries".to_owned()),
            Tool::Wine => first_line_of("wine", &["--version"]),
        };
        found.map_err(|problem| self.missing(problem))
    }
}

/// The first line `program args` prints.
fn first_line_of(program: &str, args: &[&str]) -> Result<String, String> {
    if which::which(program).is_err() {
        return Err(format!("`{program}` is not on PATH"));
    }
    LoggedCommand::new(program)
        .args(args.iter().copied())
        .read()
        .map(|out| out.lines().next().unwrap_or("").to_owned())
        .map_err(|e| crate::error::with_causes(&e))
}

/// Where the C compiler `cc` finds a static library; it prints the bare name when it finds none.
fn static_library(cc: &str, name: &str) -> Result<String, String> {
    let path = first_line_of(cc, &[&format!("-print-file-name={name}")])?;
    if path.starts_with('/') && Utf8Path::new(&path).exists() {
        Ok(path)
    } else {
        Err(format!("{name} not found by {cc}"))
    }
}

/// The identity of the C compiler that builds for `target` (`gcc --version`'s first line),
/// part of every cgo build's cache key: a compiler that cannot say it is an error, never a key
/// made of the error's text.
pub fn c_compiler_version_for(target: &Target) -> Result<String, ToolchainError> {
    let cc = match target.architecture().filter(|_| !target.is_host()) {
        Some(arch) => format!("{}-gcc", arch.triplet),
        None => "gcc".to_owned(),
    };
    compiler_identity(&cc).map_err(|problem| ToolchainError {
        problem,
        fix: Tool::CCompiler.fix_for(target),
    })
}

fn compiler_identity(cc: &str) -> Result<String, String> {
    match first_line_of(cc, &["--version"])? {
        line if line.trim().is_empty() => Err(format!("`{cc} --version` printed nothing")),
        line => Ok(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compiler_that_cannot_say_what_it_is_gives_no_identity() {
        let missing = compiler_identity("no-such-gcc-dockyard").unwrap_err();
        assert!(missing.contains("not on PATH"), "{missing}");
        let failing = compiler_identity("false").unwrap_err();
        assert!(failing.contains("false --version"), "{failing}");
        // A program that succeeds and prints nothing: no line to key a build on.
        let dir = tempfile::tempdir().unwrap();
        let silent = Utf8Path::from_path(dir.path()).unwrap().join("cc");
        std::fs::write(&silent, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&silent, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let silent = compiler_identity(silent.as_str()).unwrap_err();
        assert!(silent.contains("printed nothing"), "{silent}");
        assert!(compiler_identity("gcc").unwrap().contains("gcc"));
    }

    #[test]
    fn releases_compare_numerically() {
        assert!(version_less("1.9", "1.10"));
        assert!(version_less("1.24.0", "1.24.1"));
        assert!(!version_less("1.26.8", "1.24"));
        assert!(!version_less("1.24", "1.24.0"));
        assert_eq!(release_of("go1.26.5 X:foo"), "1.26.5");
    }
}
