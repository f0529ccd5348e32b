//! dockerd's recipe against a moby-shaped fixture with no `.git` in the built tree.

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn static_dockerd_shows_version_short_commit_and_build_time_from_the_commit() {
    let fx = FixtureBuild::pinned(Kind::Moby, Linkage::Static);
    assert!(
        !fx.opts.source.dir.join(".git").exists(),
        "the pinned tree has no .git"
    );
    let dockerd = moby_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert!(dockerd.link.is_static(), "{}", dockerd.link);
    let out = run(&dockerd.path, &[]);
    assert_eq!(
        out,
        format!(
            "Docker version 29.7.2, build {}\nbuilt 2023-11-14T22:13:20Z\n",
            &fx.repo.head[..7]
        )
    );
}

#[test]
fn a_dirty_working_tree_marks_version_and_commit() {
    let fx = FixtureBuild::working_tree(Kind::Moby, Linkage::Static, |repo| {
        repo.write("NOTES", "local change\n")
    });
    let dockerd = moby_build::build(&fx.opts).unwrap().binaries.remove(0);
    let out = run(&dockerd.path, &[]);
    assert!(
        out.starts_with(&format!(
            "Docker version 29.7.2-dirty, build {}-dirty\n",
            &fx.repo.head[..7]
        )),
        "{out}"
    );
}

#[test]
fn a_28_line_moby_builds_from_vendor_mod_with_docker_docker_stamps() {
    let fx = FixtureBuild::pinned(Kind::Moby28, Linkage::Static);
    assert!(
        !fx.opts.source.dir.join("go.mod").exists(),
        "28.x has only vendor.mod"
    );
    let dockerd = moby_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert!(dockerd.link.is_static(), "{}", dockerd.link);
    assert!(
        !dockerd.tags.contains(&"nri_no_wasm".to_owned()),
        "{:?}",
        dockerd.tags
    );
    assert!(run(&dockerd.path, &[]).starts_with(&format!(
        "Docker version 28.5.2, build {}\n",
        &fx.repo.head[..7]
    )));
    assert!(
        !fx.opts.source.dir.join("go.mod").exists(),
        "nothing written into the tree"
    );
}

#[test]
fn dockerd_uses_cgo_except_where_static_cgo_binaries_do_not_start() {
    let fx = FixtureBuild::pinned(Kind::Moby, Linkage::Static);
    let cgo_by_platform = [
        ("linux/amd64", true),
        ("linux/arm64", true),
        ("linux/arm/v7", false),
        ("linux/arm/v6", false),
        ("linux/ppc64le", true),
        ("linux/s390x", true),
        ("linux/riscv64", true),
    ];
    // Every architecture of the table, so a new one's static cgo is decided here too.
    let listed: Vec<&str> = cgo_by_platform
        .iter()
        .map(|(p, _)| {
            build_core::Target::parse(p)
                .unwrap()
                .architecture()
                .unwrap()
                .docker
        })
        .collect();
    let table: Vec<&str> = build_core::platform::ARCHITECTURES
        .iter()
        .map(|a| a.docker)
        .collect();
    assert_eq!(listed, table);
    for (platform, cgo) in cgo_by_platform {
        let mut opts = fx.opts.clone();
        opts.target = build_core::Target::parse(platform).unwrap();
        assert_eq!(moby_build::recipe(&opts)[0].cgo, cgo, "{platform}, static");
        opts.linkage = Linkage::Dynamic;
        assert!(moby_build::recipe(&opts)[0].cgo, "{platform}, dynamic");
    }
}

#[test]
fn a_windows_dockerd_drops_netgo_and_carries_mkwinres_resources() {
    let mut fx = FixtureBuild::pinned(Kind::Moby, Linkage::Static);
    fx.opts.target = build_core::Target::parse("windows/amd64").unwrap();
    let dockerd = moby_build::recipe(&fx.opts).remove(0);
    assert!(!dockerd.cgo, "nothing of dockerd uses cgo on Windows");
    assert_eq!(dockerd.static_tags, ["osusergo", "static_build"]);
    let resources = dockerd.resources.unwrap();
    assert_eq!(resources.tool, moby_build::GO_WINRES);
    assert_eq!(resources.output, "resource_windows_amd64.syso");
    assert_eq!(resources.package_dir, "cmd/dockerd");
    assert_eq!(resources.args[1], "-arch=amd64");
    let json = &resources.input.1;
    for field in [
        r#""file_version": "29.7.2.0""#,
        r#""OriginalFileName": "dockerd.exe""#,
        r#""0409": "event_messages.bin""#,
    ] {
        assert!(json.contains(field), "{field}: {json}");
    }
}

/// `man/Makefile`: go-md2man from the `man/` module's own vendor folder over `dockerd.8.md`;
/// `man/README.md` is no page.
#[test]
fn dockerd_8_is_made_from_the_man_module() {
    let fx = FixtureBuild::pinned(Kind::Moby, Linkage::Static);
    let pages = moby_build::build(&fx.opts).unwrap().man_pages;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(pages[0].name, "dockerd.8");
    let text = std::fs::read_to_string(&pages[0].path).unwrap();
    assert_eq!(
        text,
        ".TH \"DOCKERD\" \"8\" \"SEPTEMBER 2015\" \"Docker Community\"\n.SH NAME\ndockerd - from dockerd.8.md\n"
    );
}
