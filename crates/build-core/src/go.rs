//! The one place dockyard runs `go build`.
//!
//! A component describes each binary as a [`GoBinary`] (package, cgo, tags, stamped variables);
//! [`build`] turns that into a reproducible, offline `go build`: vendored modules only
//! (`-mod=vendor`, `GOPROXY=off`), `-trimpath`, an empty build id, no VCS stamping, and times
//! from `SOURCE_DATE_EPOCH`.

use camino::{Utf8Path, Utf8PathBuf};

use crate::artifact::Artifacts;
use crate::build::{BuildError, BuildOptions, Built, Linkage, collect_artifacts};
use crate::process::LoggedCommand;

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
    fn name(self) -> &'static str {
        match self {
            ModuleFile::GoMod => "go.mod",
            ModuleFile::VendorMod => "vendor.mod",
        }
    }
}

/// One Go binary of a component: the recipe, as data.
///
/// Fields mirror upstream's own Makefile variables, so a reader can hold the two side by side.
#[derive(Clone, Debug)]
pub struct GoBinary {
    /// The installed name (`containerd-shim-runc-v2`).
    pub name: &'static str,
    /// The package to build, relative to the source root (`./cmd/containerd`).
    pub package: &'static str,
    /// Whether cgo is on.
    pub cgo: bool,
    /// Tags for every build.
    pub tags: Vec<&'static str>,
    /// Tags added for static builds (`netgo osusergo static_build`).
    pub static_tags: Vec<&'static str>,
    /// `-X` variables: full import path of the variable, and its value.
    pub stamps: Vec<(&'static str, String)>,
    /// Linker flags for every build (`-s -w`).
    pub ldflags: Vec<&'static str>,
    /// Linker flags added for static builds (`-extldflags -static`).
    pub static_ldflags: Vec<&'static str>,
    /// `-buildmode` for dynamic builds (`pie`).
    pub buildmode: Option<&'static str>,
    /// `-buildmode` for static builds (`pie` with `-static-pie`).
    pub static_buildmode: Option<&'static str>,
    /// Which file declares the module.
    pub module_file: ModuleFile,
}

impl GoBinary {
    /// A `CGO_ENABLED=0` binary from `package`, with no tags, stamps or flags yet.
    pub fn new(name: &'static str, package: &'static str) -> GoBinary {
        GoBinary {
            name,
            package,
            cgo: false,
            tags: Vec::new(),
            static_tags: Vec::new(),
            stamps: Vec::new(),
            ldflags: Vec::new(),
            static_ldflags: Vec::new(),
            buildmode: None,
            static_buildmode: None,
            module_file: ModuleFile::GoMod,
        }
    }
}

/// A Go toolchain: the `go` command and the release it runs.
#[derive(Clone, Debug)]
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
    pub fn find(component: &str) -> Result<GoToolchain, BuildError> {
        let go = which::which("go").map_err(|_| BuildError::Toolchain {
            component: component.to_owned(),
            problem: "`go` is not on PATH".into(),
            fix: "install Go (https://go.dev/dl) and put its bin folder on PATH".into(),
        })?;
        let go = Utf8PathBuf::from_path_buf(go).map_err(|p| BuildError::Toolchain {
            component: component.to_owned(),
            problem: format!("the path of go is not UTF-8: {}", p.display()),
            fix: "install Go under a UTF-8 path".into(),
        })?;
        let gotoolchain = std::env::var("GOTOOLCHAIN")
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "local".into());
        let raw = LoggedCommand::new(go.as_str())
            .args(["env", "GOVERSION"])
            .env("GOTOOLCHAIN", &gotoolchain)
            .read()
            .map_err(|e| BuildError::Toolchain {
                component: component.to_owned(),
                problem: format!("{e}: {}", e.tail),
                fix:
                    "check that `go env GOVERSION` works (and GOTOOLCHAIN names a release you have)"
                        .into(),
            })?;
        Ok(GoToolchain {
            go,
            gotoolchain,
            version: release_of(&raw),
        })
    }

    /// [`GoToolchain::check_module`] for whichever module file the tree has (`go.mod`, else
    /// `vendor.mod`): lets a caller refuse a too-old Go before building anything.
    pub fn check_tree(&self, component: &str, source: &Utf8Path) -> Result<(), BuildError> {
        let file = if source.join("go.mod").exists() {
            ModuleFile::GoMod
        } else {
            ModuleFile::VendorMod
        };
        self.check_module(component, source, file)
    }

    /// Fails with both versions named when this Go is older than the module's `go` line.
    pub fn check_module(
        &self,
        component: &str,
        source: &Utf8Path,
        module_file: ModuleFile,
    ) -> Result<(), BuildError> {
        let file = source.join(module_file.name());
        let text = std::fs::read_to_string(&file).map_err(|e| BuildError::Toolchain {
            component: component.to_owned(),
            problem: format!("cannot read {file}: {e}"),
            fix: format!("is {source} the top of the {component} source tree?"),
        })?;
        let Some(required) = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("go "))
            .map(str::trim)
        else {
            return Ok(());
        };
        if version_less(&self.version, required) {
            return Err(BuildError::Toolchain {
                component: component.to_owned(),
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
pub fn version_less(have: &str, need: &str) -> bool {
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

/// Builds each binary of `component` into `opts.out_dir` and describes the results.
pub fn build(
    opts: &BuildOptions,
    component: &str,
    binaries: &[GoBinary],
) -> Result<Artifacts, BuildError> {
    let log = opts.prepare_dirs(component)?;
    let go = match &opts.go {
        Some(go) => go.clone(),
        None => GoToolchain::find(component)?,
    };
    let mut outputs = Vec::new();
    for binary in binaries {
        go.check_module(component, &opts.source.dir, binary.module_file)?;
        opts.progress.status(
            "Compiling",
            &format!("{} ({component}, {})", binary.name, binary.package),
        );
        let out = opts.out_dir.join(binary.name);
        command(opts, &go, binary, &out)?
            .run_logged(&log)
            .map_err(|source| BuildError::Command {
                component: component.to_owned(),
                source,
            })?;
        outputs.push(Built {
            name: binary.name,
            path: out,
            toolchain: format!("go{}", go.version),
            tags: tags_for(opts, binary)
                .into_iter()
                .map(str::to_owned)
                .collect(),
        });
    }
    collect_artifacts(opts, component, outputs)
}

fn command(
    opts: &BuildOptions,
    go: &GoToolchain,
    binary: &GoBinary,
    out: &Utf8Path,
) -> Result<LoggedCommand, BuildError> {
    let is_static = opts.linkage == Linkage::Static;
    let tags = tags_for(opts, binary);

    // An empty build id and -trimpath make the output depend on the inputs alone.
    let mut ldflags = vec!["-buildid=".to_owned()];
    for (var, value) in &binary.stamps {
        ldflags.push(format!("-X '{var}={value}'"));
    }
    ldflags.extend(binary.ldflags.iter().map(|s| (*s).to_owned()));
    let buildmode = if is_static {
        ldflags.extend(binary.static_ldflags.iter().map(|s| (*s).to_owned()));
        binary.static_buildmode
    } else {
        binary.buildmode
    };
    ldflags.extend(opts.extra_ldflags.iter().cloned());

    let mut cmd = LoggedCommand::new(go.go.as_str()).arg("build").args([
        "-trimpath",
        "-buildvcs=false",
        "-mod=vendor",
    ]);
    if binary.module_file == ModuleFile::VendorMod {
        cmd = cmd.arg(format!(
            "-overlay={}",
            write_vendor_mod_overlay(opts, binary)?
        ));
    }
    if let Some(mode) = buildmode {
        cmd = cmd.arg(format!("-buildmode={mode}"));
    }
    if !tags.is_empty() {
        cmd = cmd.arg(format!("-tags={}", tags.join(",")));
    }
    cmd = cmd
        .arg(format!("-ldflags={}", ldflags.join(" ")))
        .arg("-o")
        .arg(out.as_str())
        .arg(binary.package)
        .cwd(opts.source.dir.clone())
        // Offline and exact: vendored modules only, never the network or a workspace file.
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=vendor")
        .env("GOWORK", "off")
        .env("GO111MODULE", "on")
        .env("GOTOOLCHAIN", &go.gotoolchain)
        .env("GOOS", &opts.target.os)
        .env("GOARCH", &opts.target.arch)
        .env("CGO_ENABLED", if binary.cgo { "1" } else { "0" })
        .env("SOURCE_DATE_EPOCH", opts.source_date_epoch.to_string());
    if let Some(cache) = &opts.go_cache {
        cmd = cmd.env("GOCACHE", cache.as_str());
    }
    Ok(cmd)
}

fn tags_for<'a>(opts: &'a BuildOptions, binary: &'a GoBinary) -> Vec<&'a str> {
    let mut tags: Vec<&str> = binary.tags.clone();
    if opts.linkage == Linkage::Static {
        tags.extend(&binary.static_tags);
    }
    tags.extend(opts.extra_tags.iter().map(String::as_str));
    tags
}

/// docker/cli keeps its module in `vendor.mod`; an overlay shows it to Go as `go.mod` without
/// touching the tree (upstream symlinks it in place, scripts/with-go-mod.sh).
fn write_vendor_mod_overlay(
    opts: &BuildOptions,
    binary: &GoBinary,
) -> Result<Utf8PathBuf, BuildError> {
    let src = &opts.source.dir;
    let overlay = serde_json::json!({
        "Replace": {
            src.join("go.mod").as_str(): src.join("vendor.mod").as_str(),
            src.join("go.sum").as_str(): src.join("vendor.sum").as_str(),
        }
    });
    let path = opts.work_dir.join(format!("{}.overlay.json", binary.name));
    std::fs::write(&path, overlay.to_string()).map_err(|source| BuildError::Io {
        component: binary.name.to_owned(),
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_compare_numerically() {
        assert!(version_less("1.9", "1.10"));
        assert!(version_less("1.24.0", "1.24.1"));
        assert!(!version_less("1.26.8", "1.24"));
        assert!(!version_less("1.24", "1.24.0"));
        assert_eq!(release_of("go1.26.5 X:foo"), "1.26.5");
    }
}
