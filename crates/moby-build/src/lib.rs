#![doc = include_str!("../README.md")]

pub use build_core::BuildError as Error;
pub use build_core::go::GoBinary;
use build_core::go::{
    self, GoTool, ManPageRecipe, ModuleFile, TreeProgram, WindowsResources, json_string,
    version_quad,
};
pub use build_core::prelude::*;
// The types of this crate's public items (`COMPONENT`, `recipe`), nameable from it.
pub use build_core::Component;
use build_core::component::UpstreamBuild;
use build_core::toolchain::Tool;

/// dockerd, as every verb sees it.
pub const COMPONENT: Component =
    Component::new(&build_core::component_specs::MOBY, Upstream::Moby, build)
        // 2: ships the rootless scripts; 3: and dockerd.8.
        .with_recipe_version(3)
        .with_tools(&[Tool::Go, Tool::CCompiler, Tool::StaticLibc])
        .with_supported(build_core::upstream::DOCKER_RELEASE_LINES)
        // One entry point builds dockerd and docker-proxy.
        .with_upstream_build(UpstreamBuild {
            command: &["hack/make.sh", "binary"],
            env: &[("DOCKER_GITCOMMIT", "{commit:7}"), ("VERSION", "{version}")],
            outputs: &[
                ("dockerd", "bundles/binary-daemon/dockerd"),
                ("docker-proxy", "bundles/binary-daemon/docker-proxy"),
            ],
        });

/// What differs between moby's release lines.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Line {
    /// The Go module (`go.mod` from 29: `github.com/moby/moby/v2`; before, `vendor.mod`:
    /// `github.com/docker/docker`, which upstream links to `go.mod` with `hack/with-go-mod.sh`).
    pub module: &'static str,
    /// Which file declares it.
    pub module_file: ModuleFile,
    /// Tags of every build (`hack/make.sh`); `nri_no_wasm` from 29.
    pub tags: &'static [&'static str],
    /// Where the Windows resources' files are in the tree (`.mkwinres` names them from
    /// `winres.json`'s folder), and the package their object belongs to (`go generate`'s
    /// `--out`).
    pub winres: (&'static [&'static str], &'static str),
}

/// The line `opts.version` belongs to.
pub fn line(opts: &BuildOptions) -> Line {
    if opts.release_line().0 >= 29 {
        Line {
            module: "github.com/moby/moby/v2",
            module_file: ModuleFile::GoMod,
            tags: &["nri_no_wasm"],
            winres: (
                &[
                    "cmd/dockerd/winresources/docker.ico",
                    "cmd/dockerd/winresources/event_messages.bin",
                ],
                "cmd/dockerd",
            ),
        }
    } else {
        Line {
            module: "github.com/docker/docker",
            module_file: ModuleFile::VendorMod,
            tags: &[],
            winres: (
                &[
                    "cli/winresources/docker.ico",
                    "cli/winresources/event_messages.bin",
                ],
                "cli/winresources/dockerd",
            ),
        }
    }
}

/// Tags added to static builds; dropped for dynamic ones, as `hack/make/dynbinary-daemon` does.
pub const STATIC_TAGS: &[&str] = &["netgo", "osusergo", "static_build"];

/// The resource compiler moby's Dockerfile installs (`GOWINRES_VERSION`, the same from 27 to
/// 29); bump the recipe version with it.
pub const GO_WINRES: GoTool = GoTool {
    name: "go-winres",
    module: "github.com/tc-hib/go-winres",
    version: "v0.3.1",
    sum: "h1:9r67V7Ep34yyx8SL716BzcKePRvEBOjan47SmMnxEdE=",
    package: ".",
};

/// `hack/make/.go-autogen`: the `dockerversion` variables, shared with `docker-proxy`.
/// `PlatformName`, `ProductName` and `DefaultProductLicense` stay empty, as in a from-source
/// build: they name Docker's own products.
pub fn stamps(opts: &BuildOptions) -> Vec<(String, String)> {
    let module = line(opts).module;
    vec![
        (
            format!("{module}/dockerversion.Version"),
            opts.version_dirty(),
        ),
        (
            format!("{module}/dockerversion.GitCommit"),
            opts.commit_dirty(7),
        ),
        (
            format!("{module}/dockerversion.BuildTime"),
            opts.build_time_rfc3339(),
        ),
    ]
}

/// The recipe, as data (`hack/make.sh`, `hack/make/.binary`, `binary-daemon`, `.go-autogen`
/// and, for Windows, `.mkwinres` at docker-v29.7.2, v28.5.2 and v27.5.1).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let line = line(opts);
    let pie = !matches!(
        opts.target.arch.as_str(),
        "mips" | "mipsle" | "mips64" | "mips64le" | "ppc64"
    );
    let windows = opts.target.os == "windows";
    // `.binary` drops netgo on Windows: dockerd uses Windows' own resolver there.
    let static_tags = STATIC_TAGS
        .iter()
        .copied()
        .filter(|t| !(windows && *t == "netgo"))
        .collect();
    // cgo is optional for dockerd (btrfs and quota helpers): off where static cgo binaries do
    // not start, and on Windows, where nothing of dockerd uses it.
    vec![GoBinary {
        cgo: opts.target.has_cgo()
            && (opts.linkage == Linkage::Dynamic || opts.target.static_cgo()),
        tags: line.tags.to_vec(),
        static_tags,
        stamps: stamps(opts),
        ldflags: vec!["-w"],
        static_ldflags: vec!["-extldflags -static"],
        buildmode: pie.then_some("pie"),
        module_file: line.module_file,
        resources: windows.then(|| resources(opts, &line)),
        ..GoBinary::new("dockerd", "./cmd/dockerd")
    }]
}

/// `hack/make/.mkwinres`'s `winres.json` and `go generate`'s go-winres (cmd/dockerd's
/// `//go:generate` line), for the target's architecture alone: Go links only its `.syso`.
/// Product and packager stay empty, as in a from-source build.
pub fn resources(opts: &BuildOptions, line: &Line) -> WindowsResources {
    let quad = version_quad(&opts.version).map(|n| n.to_string()).join(".");
    let version = json_string(&opts.version_dirty());
    let year = &build_core::build::rfc3339(opts.source_date_epoch)[..4];
    let manifest = r#"{"identity": {}, "description": "Docker Engine", "minimum-os": "vista", "execution-level": "", "ui-access": false, "auto-elevate": false, "dpi-awareness": "unaware", "disable-theming": false, "disable-window-filtering": false, "high-resolution-scrolling-aware": false, "ultra-high-resolution-scrolling-aware": false, "long-path-aware": false, "printer-driver-isolation": false, "gdi-scaling": false, "segment-heap": false, "use-common-controls-v6": false}"#;
    let json = format!(
        r##"{{
  "RT_GROUP_ICON": {{"#1": {{"0409": "docker.ico"}}}},
  "RT_MANIFEST": {{"#1": {{"0409": {manifest}}}}},
  "RT_MESSAGETABLE": {{"#1": {{"0409": "event_messages.bin"}}}},
  "RT_VERSION": {{"#1": {{"0409": {{
    "fixed": {{"file_version": "{quad}", "product_version": "{quad}", "type": "Unknown"}},
    "info": {{"0000": {{
      "CompanyName": "",
      "FileVersion": {version},
      "LegalCopyright": "Copyright © 2015-{year} Docker Inc.",
      "OriginalFileName": "dockerd.exe",
      "ProductName": "",
      "ProductVersion": {version},
      "SpecialBuild": {commit}
    }}}}
  }}}}}}
}}
"##,
        commit = json_string(&opts.commit_dirty(7)),
    );
    let arch = &opts.target.arch;
    let (files, package_dir) = line.winres;
    WindowsResources {
        tool: GO_WINRES,
        files: files.to_vec(),
        input: ("winres.json", json),
        // `--arch`, `--in`, `--out` as the `go:generate` line has them; urfave/cli reads one dash
        // as two.
        args: vec![
            "make".into(),
            format!("-arch={arch}"),
            "-in=winres.json".into(),
            "-out=resource".into(),
        ],
        output: match arch.as_str() {
            "amd64" => "resource_windows_amd64.syso",
            "arm64" => "resource_windows_arm64.syso",
            "386" => "resource_windows_386.syso",
            _ => "resource_windows_arm.syso",
        },
        package_dir,
    }
}

/// Builds `dockerd` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build_with_man_pages(opts, &COMPONENT, &recipe(opts), man_pages(opts).as_ref())
}

/// `dockerd.8`, as `man/Makefile` makes it: go-md2man from the vendored `man/` module (a
/// module of its own), over `man/dockerd.8.md`. The tree has it from 27.2; before, the CLI's
/// tree kept the page.
pub fn man_pages(opts: &BuildOptions) -> Option<ManPageRecipe> {
    (opts.release_line() >= (27, 2)).then_some(ManPageRecipe {
        generator: None,
        md2man: TreeProgram {
            module_dir: "man",
            module_file: ModuleFile::GoMod,
            package: "github.com/cpuguy83/go-md2man/v2",
            tags: &[],
        },
        markdown_dir: "man",
    })
}
