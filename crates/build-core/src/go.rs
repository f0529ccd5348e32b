//! The one place dockyard runs `go build`.
//!
//! A component describes each binary as a [`GoBinary`] (package, cgo, tags, stamped variables);
//! [`build`] turns that into a reproducible `go build`: vendored modules only (`-mod=vendor`,
//! `GOPROXY=off`), or, for an upstream that vendors nothing, modules Go downloads through its
//! module proxy and checks against `go.sum` (`-mod=readonly`; `GOPROXY=off` offline, so they
//! must be in Go's module cache); `-trimpath`, an empty build id, no VCS stamping, and times
//! from `SOURCE_DATE_EPOCH`.

use camino::{Utf8Path, Utf8PathBuf};

use crate::artifact::Artifacts;
use crate::build::{BuildError, BuildOptions, Built, collect_artifacts};
use crate::component::{Component, verify_stamps};
use crate::platform::Linkage;
use crate::process::LoggedCommand;
use crate::toolchain::GoToolchain;

pub use crate::man::{ManPageRecipe, TreeProgram};
pub use crate::toolchain::ModuleFile;
pub use crate::winres::{GoTool, WindowsResources, json_string, version_quad};

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
    pub stamps: Vec<(String, String)>,
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
    /// Where its modules come from.
    pub modules: Modules,
    /// Windows resources linked into it (Windows builds of the client and dockerd).
    pub resources: Option<WindowsResources>,
}

/// Where a Go build's modules come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Modules {
    /// The tree's `vendor/` folder, and nothing else (most upstreams).
    Vendored,
    /// Go's module proxy, each module checked against the tree's `go.sum` (compose and
    /// rootlesskit vendor nothing); offline, only Go's module cache.
    Downloaded,
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
            modules: Modules::Vendored,
            resources: None,
        }
    }
}

/// Runs `go build` for each binary in turn.
fn compile<'a>(
    opts: &BuildOptions,
    go: &GoToolchain,
    component: &str,
    binaries: &'a [GoBinary],
    log: &Utf8Path,
) -> Result<Vec<Built<'a>>, BuildError> {
    let toolchain = |source| BuildError::Toolchain {
        component: component.to_owned(),
        source,
    };
    let mut outputs = Vec::new();
    for binary in binaries {
        go.check_module(&opts.source.dir, binary.module_file)
            .map_err(toolchain)?;
        opts.progress.status(
            "Compiling",
            &format!("{} ({component}, {})", binary.name, binary.package),
        );
        let out = opts.out_dir.join(binary.name);
        // With Windows resources, Go builds in a view of the tree holding their object.
        let view = opts.work_dir.join(format!("{}.tree", binary.name));
        let tree = match &binary.resources {
            Some(resources) => {
                let scratch = opts.work_dir.join(format!("{}.resources", binary.name));
                let object = resources.compile(opts, go, component, &scratch, log)?;
                crate::winres::tree_view(&opts.source.dir, &view, resources.package_dir, &object)
                    .map_err(BuildError::io(
                    component,
                    "making a view of the tree in",
                    &view,
                ))?;
                view.clone()
            }
            None => opts.source.dir.clone(),
        };
        let built = command(opts, go, binary, &out, &tree)?
            .run_logged(log)
            .map_err(|source| BuildError::Command {
                component: component.to_owned(),
                source: Box::new(source),
            });
        if binary.resources.is_some() {
            let _ = crate::fs::remove_dir_all_if_exists(&view);
        }
        built?;
        outputs.push(Built {
            name: binary.name,
            path: out,
            toolchain: format!("go{}", go.version),
            tags: tags_for(opts, binary)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            // Filled in by the caller, from the packages asked meanwhile.
            c_libraries: Vec::new(),
        });
    }
    Ok(outputs)
}

/// Builds each binary of `component` into `opts.out_dir` and describes the results.
pub fn build(
    opts: &BuildOptions,
    descriptor: &Component,
    binaries: &[GoBinary],
) -> Result<Artifacts, BuildError> {
    build_with_man_pages(opts, descriptor, binaries, None)
}

/// [`build`], and the component's man pages by `man_pages` (for a target whose packages
/// install them: Linux), made while the binaries compile.
pub fn build_with_man_pages(
    opts: &BuildOptions,
    descriptor: &Component,
    binaries: &[GoBinary],
    man_pages: Option<&ManPageRecipe>,
) -> Result<Artifacts, BuildError> {
    let component = descriptor.name();
    descriptor.check_version(&opts.version)?;
    let log = opts.prepare_dirs(component)?;
    let toolchain = |source| BuildError::Toolchain {
        component: component.to_owned(),
        source,
    };
    let go = match &opts.go {
        Some(go) => go.clone(),
        None => GoToolchain::find().map_err(toolchain)?,
    };
    let libraries = descriptor.c_libraries();
    // Only where the spec declares pages and the target's packages install them.
    let man_pages = man_pages.zip(descriptor.man_pages_for(&opts.target));
    let man_log = opts.work_dir.join(format!("{component}-man.log"));
    // The C libraries' package versions are asked, and the man pages made, while Go compiles.
    let (c_libraries, pages, outputs) = std::thread::scope(|scope| {
        let linked = scope.spawn(|| match binaries.iter().any(|b| b.cgo) {
            true => crate::clib::linked(&opts.target, opts.sysroot.as_ref(), &libraries),
            false => Vec::new(),
        });
        let (go, man_log) = (&go, &man_log);
        let pages = man_pages.map(|made| {
            scope.spawn(move || crate::man::generate(opts, go, component, made, man_log))
        });
        let outputs = compile(opts, go, component, binaries, &log);
        (linked.join(), pages.map(|p| p.join()), outputs)
    });
    // A panic in either is a bug: it goes on as itself, its message kept.
    let c_libraries = c_libraries.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let pages = pages
        .transpose()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    let mut outputs = outputs?;
    for (built, binary) in outputs.iter_mut().zip(binaries) {
        if binary.cgo {
            built.c_libraries = c_libraries.clone();
        }
    }
    let mut artifacts = collect_artifacts(opts, component, outputs)?;
    check_settings(opts, &go, component, binaries, &artifacts)?;
    artifacts.files = crate::build::ship_files(opts, descriptor)?;
    artifacts.man_pages = pages.transpose()?.unwrap_or_default();
    let stamped: Vec<(&str, Vec<(&str, &str)>)> = binaries
        .iter()
        .map(|b| {
            let stamps = b
                .stamps
                .iter()
                .map(|(var, value)| (var.as_str(), value.as_str()));
            (b.name, stamps.collect())
        })
        .collect();
    verify_stamps(descriptor, opts, &artifacts, &stamped)?;
    descriptor.check_produced(opts, &artifacts)?;
    Ok(artifacts)
}

/// What Go recorded in each binary (`go version -m`) must be what was asked: the Go release,
/// `GOOS`, `GOARCH`, `CGO_ENABLED` and the tags. A binary of another system is checked so
/// before it is ever run.
fn check_settings(
    opts: &BuildOptions,
    go: &GoToolchain,
    component: &str,
    binaries: &[GoBinary],
    artifacts: &Artifacts,
) -> Result<(), BuildError> {
    let paths: Vec<Utf8PathBuf> = artifacts.binaries.iter().map(|a| a.path.clone()).collect();
    let infos = crate::buildinfo::GoBuildInfo::read_all(go, &paths).map_err(|source| {
        BuildError::Toolchain {
            component: component.to_owned(),
            source,
        }
    })?;
    for (info, binary) in infos.iter().zip(binaries) {
        let mut tags = tags_for(opts, binary);
        tags.sort_unstable();
        let mut recorded = info.tags();
        recorded.sort_unstable();
        let cgo = if binary.cgo { "1" } else { "0" };
        let wanted = [
            ("go", format!("go{}", go.version), info.go_version.clone()),
            ("GOOS", opts.target.os.clone(), setting(info, "GOOS")),
            ("GOARCH", opts.target.arch.clone(), setting(info, "GOARCH")),
            ("CGO_ENABLED", cgo.to_owned(), setting(info, "CGO_ENABLED")),
            ("-tags", tags.join(","), recorded.join(",")),
        ];
        if let Some((key, expected, found)) = wanted.into_iter().find(|(_, e, f)| e != f) {
            return Err(BuildError::BuildSettings {
                component: component.to_owned(),
                binary: binary.name.to_owned(),
                expected: format!("{key}={expected}"),
                found: format!("{key}={found}"),
            });
        }
    }
    Ok(())
}

fn setting(info: &crate::buildinfo::GoBuildInfo, key: &str) -> String {
    info.setting(key).unwrap_or_default().to_owned()
}

/// `go build` of `binary` into `out`, in `tree` (the source tree, or a view of it).
fn command(
    opts: &BuildOptions,
    go: &GoToolchain,
    binary: &GoBinary,
    out: &Utf8Path,
    tree: &Utf8Path,
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
    if opts.debug {
        // A debugger needs the DWARF that -w and -s strip.
        ldflags.retain(|flag| flag != "-w" && flag != "-s");
    }

    // `readonly`: a module missing from `go.sum` is an error, never a new entry.
    let mod_flag = match binary.modules {
        Modules::Vendored => "-mod=vendor",
        Modules::Downloaded => "-mod=readonly",
    };
    let mut cmd = LoggedCommand::new(go.go.as_str()).arg("build").args([
        "-trimpath",
        "-buildvcs=false",
        mod_flag,
    ]);
    if binary.module_file == ModuleFile::VendorMod {
        cmd = cmd.arg(format!(
            "-overlay={}",
            write_vendor_mod_overlay(opts, binary.name, tree)?
        ));
    }
    if opts.debug {
        cmd = cmd.arg("-gcflags=all=-N -l");
    }
    if let Some(mode) = buildmode {
        cmd = cmd.arg(format!("-buildmode={mode}"));
    }
    if !tags.is_empty() {
        cmd = cmd.arg(format!("-tags={}", tags.join(",")));
    }
    cmd = go_env(cmd, opts, go)
        .arg(format!("-ldflags={}", ldflags.join(" ")))
        .arg("-o")
        .arg(out.as_str())
        .arg(binary.package)
        .cwd(tree)
        .env("GOFLAGS", mod_flag)
        .env("GOOS", &opts.target.os)
        .env("GOARCH", &opts.target.arch)
        .env("CGO_ENABLED", if binary.cgo { "1" } else { "0" })
        .env("SOURCE_DATE_EPOCH", opts.source_date_epoch.to_string());
    // Vendored builds never reach the network; downloaded ones reach Go's module proxy (the
    // user's GOPROXY, or Go's default) unless the run is offline.
    if binary.modules == Modules::Vendored || opts.offline {
        cmd = cmd.env("GOPROXY", "off");
    }
    if let Some(goarm) = opts.target.goarm() {
        cmd = cmd.env("GOARM", goarm);
    }
    // Cross cgo: the target's C compiler, and its libraries from the sysroot.
    if binary.cgo
        && !opts.target.is_host()
        && let Some(arch) = opts.target.architecture()
    {
        cmd = cmd.env("CC", format!("{}-gcc", arch.triplet));
        for (key, value) in opts.sysroot.iter().flat_map(|s| s.cgo_env(&opts.target)) {
            cmd = cmd.env(key, value);
        }
    }
    Ok(cmd)
}

/// What every `go` a build runs is given: module mode, never a workspace file, the pinned
/// toolchain, and the build's Go cache.
pub(crate) fn go_env(cmd: LoggedCommand, opts: &BuildOptions, go: &GoToolchain) -> LoggedCommand {
    let mut cmd = cmd
        .env("GOWORK", "off")
        .env("GO111MODULE", "on")
        .env("GOTOOLCHAIN", &go.gotoolchain);
    if let Some(cache) = &opts.go_cache {
        cmd = cmd.env("GOCACHE", cache.as_str());
    }
    if let Some(program) = &opts.go_cache_program {
        cmd = cmd.env("GOCACHEPROG", program);
    }
    cmd
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
pub(crate) fn write_vendor_mod_overlay(
    opts: &BuildOptions,
    name: &str,
    src: &Utf8Path,
) -> Result<Utf8PathBuf, BuildError> {
    let overlay = serde_json::json!({
        "Replace": {
            src.join("go.mod").as_str(): src.join("vendor.mod").as_str(),
            src.join("go.sum").as_str(): src.join("vendor.sum").as_str(),
        }
    });
    let path = opts.work_dir.join(format!("{name}.overlay.json"));
    std::fs::write(&path, overlay.to_string()).map_err(BuildError::io(
        name,
        "writing the module overlay",
        &path,
    ))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pins::CommitId;
    use crate::platform::Target;
    use crate::source::{Origin, Source};
    use crate::sysroot::Sysroot;
    use crate::upstream::Upstream;

    fn options(platform: &str) -> BuildOptions {
        let source = Source {
            upstream: Upstream::Runc,
            dir: "/src/runc".into(),
            commit: CommitId::parse(&"a".repeat(40)).unwrap(),
            version: "1.4.3".into(),
            dirty: false,
            content_id: "x".into(),
            commit_time: 0,
            origin: Origin::Cache,
            patches: Vec::new(),
        };
        let docker_29 = crate::ReleaseLine::new(29, 7);
        let mut opts = BuildOptions::new(source, docker_29, "/out".into(), "/work".into());
        opts.target = Target::parse(platform).unwrap();
        opts.sysroot = Some(Sysroot {
            dir: "/cache/sysroots/x".into(),
            packages: vec![],
            debs: Default::default(),
        });
        opts
    }

    fn go() -> GoToolchain {
        GoToolchain {
            go: "/usr/bin/go".into(),
            gotoolchain: "go1.26.5".into(),
            version: "1.26.5".into(),
        }
    }

    #[test]
    fn cross_cgo_builds_use_the_target_s_compiler_arm_level_and_libraries() {
        let cgo = GoBinary {
            cgo: true,
            ..GoBinary::new("runc", ".")
        };
        let opts = options("linux/arm/v7");
        let cmd = command(&opts, &go(), &cgo, "/out/runc".into(), "/src".into()).unwrap();
        assert_eq!(cmd.env_value("GOARCH"), Some("arm"));
        assert_eq!(cmd.env_value("GOARM"), Some("7"));
        assert_eq!(cmd.env_value("CC"), Some("arm-linux-gnueabihf-gcc"));
        assert_eq!(
            cmd.env_value("PKG_CONFIG_LIBDIR"),
            Some(
                "/cache/sysroots/x/usr/lib/arm-linux-gnueabihf/pkgconfig:/cache/sysroots/x/usr/share/pkgconfig"
            )
        );
        assert_eq!(
            cmd.env_value("CGO_LDFLAGS"),
            Some("-O2 -g -L/cache/sysroots/x/usr/lib/arm-linux-gnueabihf")
        );
        assert_eq!(cmd.env_value("PKG_CONFIG_SYSROOT_DIR"), None);

        // No cgo: no C compiler; the host's own build: the host's compiler and libraries.
        let pure = GoBinary::new("docker-proxy", "./cmd/docker-proxy");
        let cmd = command(
            &options("linux/ppc64le"),
            &go(),
            &pure,
            "/out/p".into(),
            "/src".into(),
        )
        .unwrap();
        assert_eq!((cmd.env_value("CC"), cmd.env_value("GOARM")), (None, None));
        assert_eq!(cmd.env_value("GOARCH"), Some("ppc64le"));
        let host = command(
            &options("linux/amd64"),
            &go(),
            &cgo,
            "/out/runc".into(),
            "/src".into(),
        )
        .unwrap();
        assert_eq!(host.env_value("CC"), None);
        assert_eq!(host.env_value("PKG_CONFIG_LIBDIR"), None);
    }
}
