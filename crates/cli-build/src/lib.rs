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

/// The docker client, as every verb sees it.
pub const COMPONENT: Component =
    Component::new(&build_core::component_specs::CLI, Upstream::Cli, build)
        // 2: and the man pages.
        .with_recipe_version(2)
        .with_tools(&[Tool::Go, Tool::CCompiler])
        .with_supported(build_core::upstream::DOCKER_RELEASE_LINES)
        // `build/docker` is a symlink to this.
        .with_upstream_build(UpstreamBuild {
            command: &["scripts/with-go-mod.sh", "scripts/build/binary"],
            env: &[("VERSION", "{version}"), ("GITCOMMIT", "{commit:7}")],
            // `build/docker` is a symlink to this.
            outputs: &[("docker", "build/docker-linux-amd64")],
        });

/// The recipe, as data (`scripts/build/.variables` and `binary` at v29.7.2, v28.5.2, v27.5.1;
/// for Windows, `mkversioninfo` and `cmd/docker/docker_windows_*.go`'s `go generate`).
pub fn recipe(opts: &BuildOptions) -> Vec<GoBinary> {
    let dynamic = opts.linkage == Linkage::Dynamic && opts.target.has_cgo();
    // 29 adds grpcnotrace; before, a cgo build adds pkcs11 (scripts/build/binary).
    let tags = match (opts.release_line().0 >= 29, dynamic) {
        (true, _) => vec!["grpcnotrace"],
        (false, true) => vec!["pkcs11"],
        (false, false) => vec![],
    };
    // `.variables` adds osusergo and netgo to a static build with cgo, which Linux and Windows
    // default to (dockyard builds them with cgo off and the same tags); on Windows it drops
    // netgo again (Windows' own resolver). A cross build for macOS has cgo off: neither.
    let static_tags = match opts.target.os.as_str() {
        "darwin" => vec![],
        "windows" => vec!["osusergo"],
        _ => vec!["osusergo", "netgo"],
    };
    vec![GoBinary {
        cgo: dynamic,
        tags,
        static_tags,
        stamps: vec![
            (
                "github.com/docker/cli/cli/version.Version".to_owned(),
                opts.version_dirty(),
            ),
            (
                "github.com/docker/cli/cli/version.GitCommit".to_owned(),
                opts.commit_dirty(7),
            ),
            (
                "github.com/docker/cli/cli/version.BuildTime".to_owned(),
                opts.build_time_rfc3339(),
            ),
        ],
        buildmode: dynamic.then_some("pie"),
        module_file: ModuleFile::VendorMod,
        resources: (opts.target.os == "windows").then(|| resources(opts)),
        ..GoBinary::new("docker", "./cmd/docker")
    }]
}

/// goversioninfo at the version the CLI's Dockerfile installs (`GOVERSIONINFO_VERSION`).
pub fn goversioninfo(opts: &BuildOptions) -> GoTool {
    let (version, sum) = match opts.release_line().0 {
        ..=27 => ("v1.3.0", "h1:pmgDhWnG8I59p5kCR09J73s/gy9JqRPAtiaUK8jixtE="),
        28 => ("v1.4.1", "h1:5LvrkP+n0tg91J9yTkoVnt/QgNnrI1t4uSsWjIonrqY="),
        _ => ("v1.5.0", "h1:9TJtORoyf4YMoWSOo/cXFN9A/lB3PniJ91OxIH6e7Zg="),
    };
    GoTool {
        name: "goversioninfo",
        module: "github.com/josephspurrier/goversioninfo",
        version,
        sum,
        package: "cmd/goversioninfo",
    }
}

/// `scripts/build/mkversioninfo`'s `versioninfo.json` and `go generate`'s goversioninfo for the
/// target's architecture (`cmd/docker/docker_windows_ARCH.go`). The packager stays empty, as
/// in a from-source build; the original file name is the one `.variables` gives the build.
pub fn resources(opts: &BuildOptions) -> WindowsResources {
    let [major, minor, patch, build] = version_quad(&opts.version);
    let version = json_string(&opts.version_dirty());
    let year = &build_core::build::rfc3339(opts.source_date_epoch)[..4];
    let arch = &opts.target.arch;
    let json = format!(
        r#"{{
  "FixedFileInfo": {{
    "FileVersion": {{"Major": {major}, "Minor": {minor}, "Patch": {patch}, "Build": {build}}},
    "FileFlagsMask": "3f",
    "FileFlags ": "00",
    "FileOS": "040004",
    "FileType": "01",
    "FileSubType": "00"
  }},
  "StringFileInfo": {{
    "Comments": "",
    "CompanyName": "",
    "FileDescription": "Docker Client",
    "FileVersion": {version},
    "InternalName": "",
    "LegalCopyright": "Copyright © 2015-{year} Docker Inc.",
    "LegalTrademarks": "",
    "OriginalFilename": "docker-windows-{arch}.exe",
    "PrivateBuild": "",
    "ProductName": "Docker Client",
    "ProductVersion": {version},
    "SpecialBuild": {commit}
  }},
  "VarFileInfo": {{"Translation": {{"LangID": "0409", "CharsetID": "04B0"}}}}
}}
"#,
        commit = json_string(&opts.commit_dirty(7)),
    );
    // Where the icon and manifest are, and the package the object goes in.
    let (files, package_dir) = match opts.release_line().0 {
        ..=27 => (
            [
                "cmd/docker/winresources/docker.ico",
                "cmd/docker/winresources/docker.exe.manifest",
            ],
            "cli/winresources",
        ),
        _ => (
            [
                "cmd/docker/internal/assets/docker.ico",
                "cmd/docker/internal/assets/docker.exe.manifest",
            ],
            "cmd/docker/winresources",
        ),
    };
    let mut args: Vec<String> = match arch.as_str() {
        "amd64" => vec!["-64=true".into()],
        "arm64" => vec!["-arm=true".into(), "-64=true".into()],
        "arm" => vec!["-arm=true".into()],
        _ => vec![],
    };
    args.extend(
        [
            "-o=resource.syso",
            "-icon=docker.ico",
            "-manifest=docker.exe.manifest",
            "versioninfo.json",
        ]
        .map(String::from),
    );
    WindowsResources {
        tool: goversioninfo(opts),
        files: files.to_vec(),
        input: ("versioninfo.json", json),
        args,
        output: "resource.syso",
        package_dir,
    }
}

/// Builds `docker` into `opts.out_dir`.
pub fn build(opts: &BuildOptions) -> Result<Artifacts, Error> {
    go::build_with_man_pages(opts, &COMPONENT, &recipe(opts), man_pages(opts).as_ref())
}

/// The client's man pages, as `scripts/docs/generate-man.sh` makes them: `man/generate.go`
/// (built with the `manpages` tag) writes cobra's page of every command from `man/src`, then
/// go-md2man, vendored, turns `man/*.N.md` into `docker.1`, `docker-run.1`,
/// `docker-build.1` (over cobra's), `Dockerfile.5` and `docker-config-json.5`.
///
/// From 28.1 the tree vendors both programs' modules; before, upstream's script adds them to
/// a copy of the module and vendors again from the network, which a build from the pinned tree
/// does not do: those releases have no man pages.
pub fn man_pages(opts: &BuildOptions) -> Option<ManPageRecipe> {
    let program = |package, tags| TreeProgram {
        module_dir: ".",
        module_file: ModuleFile::VendorMod,
        package,
        tags,
    };
    (opts.release_line() >= (28, 1)).then(|| ManPageRecipe {
        generator: Some((
            program("./man/generate.go", &["manpages"]),
            // `--target`; its sources are its default, `man/src/`, as upstream's script
            // passes them.
            "target",
        )),
        md2man: program("github.com/cpuguy83/go-md2man/v2", &[]),
        markdown_dir: "man",
    })
}
