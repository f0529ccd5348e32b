//! runc's recipe against a runc-shaped fixture (cgo, embedded VERSION, main.gitCommit).

use build_core::elf::LinkKind;
use build_core::testing::{FixtureBuild, Kind, run};
use build_core::{BuildError, Linkage};

#[test]
fn static_runc_is_static_pie_and_stamped_with_the_pinned_commit() {
    let fx = FixtureBuild::pinned(Kind::Runc, Linkage::Static);
    let artifacts = runc_build::build(&fx.opts).unwrap();
    let runc = artifacts.get("runc").unwrap();
    assert_eq!(
        runc.link,
        LinkKind::StaticPie,
        "runc links static-pie on amd64"
    );
    let out = run(&runc.path, &["--version"]);
    assert!(out.contains("runc version 1.4.3"), "{out}");
    assert!(out.contains(&format!("commit: {}", fx.repo.head)), "{out}");
    assert!(out.contains("cgo: 42"), "cgo was linked in: {out}");
    assert_eq!(
        runc.sha256,
        build_core::digest::sha256_file(&runc.path).unwrap()
    );
    assert!(runc.tags.contains(&"seccomp".to_owned()) && runc.tags.contains(&"netgo".to_owned()));
}

#[test]
fn dynamic_runc_links_libc() {
    let fx = FixtureBuild::pinned(Kind::Runc, Linkage::Dynamic);
    let runc = runc_build::build(&fx.opts).unwrap().binaries.remove(0);
    match &runc.link {
        LinkKind::Dynamic { needed, .. } => assert!(
            needed.iter().any(|l| l.starts_with("libc.so")),
            "{needed:?}"
        ),
        other => panic!("expected a dynamic runc, got {other}"),
    }
}

#[test]
fn a_dirty_working_tree_is_stamped_dirty() {
    let fx = FixtureBuild::working_tree(Kind::Runc, Linkage::Static, |repo| {
        repo.write(
            "main.go",
            &std::fs::read_to_string(repo.path.join("main.go"))
                .unwrap()
                .replace("fixture runc", "patched runc"),
        );
    });
    assert!(fx.opts.source.dirty);
    let runc = runc_build::build(&fx.opts).unwrap().binaries.remove(0);
    let out = run(&runc.path, &["--version"]);
    assert!(
        out.contains(&format!("commit: {}-dirty", fx.repo.head)),
        "{out}"
    );
    assert_eq!(
        run(&runc.path, &[]),
        "patched runc\n",
        "the working tree's edit was built"
    );
}

#[test]
fn a_go_syntax_error_names_the_component_the_log_and_its_last_lines() {
    let fx = FixtureBuild::working_tree(Kind::Runc, Linkage::Static, |repo| {
        repo.write("broken.go", "package main\n\nfunc broken( {\n");
    });
    let err = runc_build::build(&fx.opts).unwrap_err();
    let BuildError::Command { component, source } = &err else {
        panic!("{err}")
    };
    assert_eq!(component, "runc");
    assert!(
        source.tail.contains("broken.go"),
        "the tail shows the compiler's error: {}",
        source.tail
    );
    let log = source.log.as_ref().expect("a log path");
    assert!(std::fs::read_to_string(log).unwrap().contains("broken.go"));
    // The message is its context; the command, its log and its tail are the cause's.
    assert_eq!(err.to_string(), "runc: build failed");
    let message = build_core::error::with_causes(&err);
    assert!(
        message.starts_with("runc: build failed") && message.contains(log.as_str()),
        "{message}"
    );
}

#[test]
fn builds_are_reproducible_in_different_directories() {
    // Each with a compile cache of its own: nothing compiled for one is reused by the other.
    let a = FixtureBuild::pinned(Kind::Runc, Linkage::Static).with_own_go_cache();
    let b = FixtureBuild::pinned(Kind::Runc, Linkage::Static).with_own_go_cache();
    assert_ne!(a.opts.go_cache, b.opts.go_cache);
    // Same content, same commit time: the two fixtures are the same commit.
    assert_eq!(a.repo.head, b.repo.head);
    let (a, b) = (
        runc_build::build(&a.opts).unwrap(),
        runc_build::build(&b.opts).unwrap(),
    );
    assert_eq!(a.binaries[0].sha256, b.binaries[0].sha256);
}

#[test]
fn the_build_never_writes_into_the_source_tree() {
    let fx = FixtureBuild::pinned(Kind::Runc, Linkage::Static);
    let before = listing(&fx.opts.source.dir);
    runc_build::build(&fx.opts).unwrap();
    assert_eq!(before, listing(&fx.opts.source.dir));
}

fn listing(dir: &camino::Utf8Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[test]
fn runc_1_2_gets_its_version_from_the_stamp_not_an_embedded_file() {
    let fx = FixtureBuild::pinned(Kind::Runc12, Linkage::Static);
    let runc = runc_build::build(&fx.opts).unwrap().binaries.remove(0);
    let out = run(&runc.path, &["--version"]);
    assert!(out.contains("runc version 1.2.4\n"), "{out}");
    assert!(out.contains(&format!("commit: {}", fx.repo.head)), "{out}");
}

#[test]
fn every_architecture_docker_ships_gets_runc_s_own_link_mode() {
    let fx = FixtureBuild::pinned(Kind::Runc, Linkage::Static);
    let modes = [
        ("linux/amd64", true),
        ("linux/arm64", true),
        ("linux/arm/v7", false),
        ("linux/arm/v6", false),
        ("linux/ppc64le", false),
        ("linux/s390x", false),
        // PIE in runc's dynamic builds, but not among its -static-pie architectures.
        ("linux/riscv64", false),
    ];
    // Every architecture of the table, so a new one gets its mode from runc's Makefile here.
    let listed: Vec<&str> = modes
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
    for (platform, static_pie) in modes {
        let mut opts = fx.opts.clone();
        opts.target = build_core::Target::parse(platform).unwrap();
        let runc = runc_build::recipe(&opts).remove(0);
        assert!(runc.cgo, "{platform}: libseccomp needs cgo");
        // runc's Makefile: -buildmode=pie for dynamic builds on every one of them.
        assert_eq!(runc.buildmode, Some("pie"), "{platform}");
        // runc's Makefile: -static-pie only where Go supports it with external linking.
        if static_pie {
            assert_eq!(runc.static_buildmode, Some("pie"), "{platform}");
            assert!(
                runc.static_ldflags.contains(&"-extldflags -static-pie"),
                "{platform}"
            );
        } else {
            assert_eq!(runc.static_buildmode, None, "{platform}");
            assert_eq!(runc.static_ldflags, ["-extldflags -static"], "{platform}");
        }
    }
}

#[test]
fn a_binary_that_crashes_at_start_is_named_as_not_starting_not_as_a_stamp_error() {
    // What 32-bit ARM's static cgo binaries did under qemu: killed before printing anything.
    let fx = FixtureBuild::working_tree(Kind::Runc, Linkage::Static, |repo| {
        repo.write(
            "crash.go",
            "package main\n\nimport (\n\t\"os\"\n\t\"syscall\"\n)\n\nfunc init() {\n\tif len(os.Args) > 1 {\n\t\tsyscall.Kill(os.Getpid(), syscall.SIGKILL)\n\t}\n}\n",
        );
    });
    let err = runc_build::build(&fx.opts).unwrap_err();
    let BuildError::Crashed { binary, shows, .. } = &err else {
        panic!("expected a crash, got {err}")
    };
    assert_eq!(binary, "runc");
    assert!(shows.contains("signal: 9"), "{shows}");
    let message = err.to_string();
    assert!(
        message.contains("`runc --version` crashed")
            && message.contains("does not start on linux/"),
        "{message}"
    );
}

#[test]
fn a_patched_runc_shows_the_patch_marker_after_its_pinned_version() {
    let fx = FixtureBuild::patched(Kind::Runc, Linkage::Static, |repo| {
        let main = std::fs::read_to_string(repo.path.join("main.go")).unwrap();
        repo.write(
            "main.go",
            &main.replace("\"fixture runc\"", "\"patched runc\""),
        );
    });
    let marker = fx.opts.source.patch_marker().unwrap();
    let runc = runc_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(run(&runc.path, &[]), "patched runc\n");
    let version = run(&runc.path, &["--version"]);
    assert!(
        version.starts_with(&format!("runc version 1.4.3{marker}\n")),
        "{version}"
    );
    assert!(
        version.contains(&format!("commit: {}", fx.opts.source.commit)),
        "{version}"
    );
}

#[test]
fn runc_1_1_is_built_as_its_makefile_does_with_seccomp_as_its_only_tag() {
    let fx = FixtureBuild::pinned(Kind::Runc11, Linkage::Static);
    runc_build::COMPONENT.check_version("1.1.13").unwrap();
    let runc = runc_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(runc.link, LinkKind::StaticPie);
    let out = run(&runc.path, &["--version"]);
    assert!(out.contains("runc version 1.1.13\n"), "{out}");
    assert!(out.contains(&format!("commit: {}", fx.repo.head)), "{out}");
    // Go records the tags in the binary: they are 1.1's Makefile's, not 1.2's.
    // The fixture builds with the go on PATH.
    let info = run("go".into(), &["version", "-m", runc.path.as_str()]);
    assert!(info.contains("-tags=seccomp,netgo,osusergo\n"), "{info}");
    assert!(!info.contains("urfave_cli_no_docs"), "{info}");
}

#[test]
fn runc_1_0_is_refused_naming_the_lines_the_recipe_builds() {
    let err = runc_build::COMPONENT.check_version("1.0.3").unwrap_err();
    assert_eq!(
        err.to_string(),
        "runc 1.0.3 is not supported: its recipe builds 1.1.x, 1.2.x, 1.3.x, 1.4.x"
    );
}
