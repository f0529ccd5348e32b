//! The cli recipe against a cli-shaped fixture: vendor.mod and no go.mod.

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn builds_from_vendor_mod_without_writing_a_go_mod() {
    let fx = FixtureBuild::pinned(Kind::Cli, Linkage::Static);
    let docker = cli_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert!(docker.link.is_static(), "{}", docker.link);
    assert_eq!(
        run(&docker.path, &[]),
        format!(
            "Docker version 29.7.2, build {}\nbuilt 2023-11-14T22:13:20Z\n",
            &fx.repo.head[..7]
        )
    );
    assert!(
        !fx.opts.source.dir.join("go.mod").exists(),
        "no go.mod left in the source tree"
    );
    assert!(!fx.opts.source.dir.join("go.sum").exists());
}

#[test]
fn dynamic_cli_uses_cgo() {
    let fx = FixtureBuild::pinned(Kind::Cli, Linkage::Dynamic);
    let docker = cli_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert!(!docker.link.is_static(), "{}", docker.link);
}

#[test]
fn a_macos_client_is_a_mach_o_whose_stamps_are_read_back_from_its_symbols() {
    let mut fx = FixtureBuild::pinned(Kind::Cli, Linkage::Static);
    fx.opts.target = build_core::Target::parse("darwin/arm64").unwrap();
    // Nothing runs it here: the build reads its stamped variables back, and would fail on one
    // that did not take.
    let docker = cli_build::build(&fx.opts).unwrap().binaries.remove(0);
    let facts = build_core::executable::inspect(&docker.path).unwrap();
    assert_eq!(
        facts.format,
        build_core::executable::ExecutableFormat::MachO {
            cputype: 0x0100_000c
        }
    );
    assert!(
        docker.link.is_static(),
        "only macOS's own libraries: {}",
        docker.link
    );
    assert_eq!(
        docker.tags,
        ["grpcnotrace"],
        "a cross build for macOS has cgo off"
    );
    let commit = build_core::executable::go_strings(
        &docker.path,
        &["github.com/docker/cli/cli/version.GitCommit"],
    )
    .unwrap();
    assert_eq!(commit, [Some(fx.repo.head[..7].to_owned())]);
}

#[test]
fn the_windows_client_has_upstream_s_tags_and_version_resource() {
    let mut fx = FixtureBuild::pinned(Kind::Cli, Linkage::Static);
    fx.opts.target = build_core::Target::parse("windows/amd64").unwrap();
    let docker = cli_build::recipe(&fx.opts).remove(0);
    assert!(!docker.cgo);
    assert_eq!(
        (docker.tags, docker.static_tags),
        (vec!["grpcnotrace"], vec!["osusergo"])
    );
    let resources = docker.resources.unwrap();
    assert_eq!(
        (resources.tool.name, resources.tool.version),
        ("goversioninfo", "v1.5.0")
    );
    assert_eq!(resources.package_dir, "cmd/docker/winresources");
    let (name, json) = &resources.input;
    assert_eq!(*name, "versioninfo.json");
    for field in [
        r#""Major": 29, "Minor": 7, "Patch": 2, "Build": 0"#,
        r#""FileVersion": "29.7.2""#,
        r#""OriginalFilename": "docker-windows-amd64.exe""#,
        r#""LegalCopyright": "Copyright © 2015-2023 Docker Inc.""#,
    ] {
        assert!(json.contains(field), "{field}: {json}");
    }
    assert!(json.contains(&format!(r#""SpecialBuild": "{}""#, &fx.repo.head[..7])));
}

/// As `scripts/docs/generate-man.sh`: the generator's page of each command, dated from the
/// commit; go-md2man's of each `man/NAME.N.md`, over the generator's where both write one;
/// nothing from the README; the tree untouched; the same bytes from a second build.
#[test]
fn man_pages_are_the_generator_s_and_the_markdown_s_dated_from_the_commit() {
    let fx = FixtureBuild::pinned(Kind::Cli, Linkage::Static);
    let pages = cli_build::build(&fx.opts).unwrap().man_pages;
    let names: Vec<&str> = pages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Dockerfile.5", "docker-version.1", "docker.1"]);
    let text = |name: &str| {
        let page = pages.iter().find(|p| p.name == name).unwrap();
        assert_eq!(page.path, fx.opts.out_dir.join("man").join(name));
        std::fs::read_to_string(&page.path).unwrap()
    };
    assert!(
        text("docker-version.1").starts_with(".TH \"DOCKER\" \"1\" \"Nov 2023\""),
        "{}",
        text("docker-version.1")
    );
    assert!(text("docker.1").contains("docker - from docker.1.md"));
    assert!(text("Dockerfile.5").starts_with(".TH \"DOCKERFILE\" \"5\""));
    let tree = fx.opts.source.dir.join("man");
    assert!(!tree.join("man1").exists() && !tree.join("docker.1").exists());

    let again = cli_build::build(&fx.opts).unwrap().man_pages;
    let sums =
        |p: &[build_core::ShippedFile]| p.iter().map(|f| f.sha256.clone()).collect::<Vec<_>>();
    assert_eq!(sums(&again), sums(&pages));
}

/// A page of a section the CLI does not declare (its are 1 and 5) fails the build, named.
#[test]
fn a_page_of_an_undeclared_section_fails_the_build_naming_it() {
    let fx = FixtureBuild::working_tree(Kind::Cli, Linkage::Static, |repo| {
        repo.write("man/dockerd.8.md", "% \"DOCKERD\" \"8\"\nbody\n")
    });
    let err = cli_build::build(&fx.opts).unwrap_err().to_string();
    assert_eq!(
        err,
        "cli: man page `dockerd.8` is not a page of section 1 or 5; the recipe does not fit this release"
    );
}

/// Before 28.1 the tree does not vendor what makes its pages: no man pages, and no attempt.
#[test]
fn releases_before_28_1_make_no_man_pages() {
    let mut fx = FixtureBuild::pinned(Kind::Cli, Linkage::Static);
    for (version, made) in [
        ("27.5.1", false),
        ("28.0.4", false),
        ("28.1.0", true),
        ("29.7.2", true),
    ] {
        fx.opts.version = version.into();
        assert_eq!(cli_build::man_pages(&fx.opts).is_some(), made, "{version}");
    }
}
