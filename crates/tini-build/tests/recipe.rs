//! tini's recipe against a tini-shaped fixture (CMake, configured header, writes into its source).

use build_core::Linkage;
use build_core::elf::LinkKind;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn docker_init_is_static_and_shows_the_git_suffix_a_pinned_tree_cannot_compute() {
    let fx = FixtureBuild::pinned(Kind::Tini, Linkage::Static);
    let init = tini_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(init.name, "docker-init");
    assert_eq!(init.link, LinkKind::Static);
    assert_eq!(
        run(&init.path, &["--version"]),
        format!("tini version 0.19.0 - git.{}\n", &fx.repo.head[..7])
    );
}

#[test]
fn configuring_does_not_touch_the_source_tree() {
    let fx = FixtureBuild::pinned(Kind::Tini, Linkage::Static);
    tini_build::build(&fx.opts).unwrap();
    let readme = std::fs::read_to_string(fx.opts.source.dir.join("README.md")).unwrap();
    assert_eq!(readme, "fixture tini, as committed\n");
    assert!(!fx.opts.source.dir.join("tiniConfig.h").exists());
}

#[test]
fn docker_init_is_static_even_in_a_dynamic_build() {
    // It runs as PID 1 inside containers whose image may have no libc.
    let fx = FixtureBuild::pinned(Kind::Tini, Linkage::Dynamic);
    let init = tini_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(init.link, LinkKind::Static);
}
