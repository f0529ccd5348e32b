//! docker-buildx's recipe against the buildx-shaped fixture.

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn docker_buildx_is_static_and_stamped_as_docker_s_packaging_stamps_it() {
    let fx = FixtureBuild::pinned(Kind::Buildx, Linkage::Static);
    let buildx = buildx_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(buildx.name, "docker-buildx");
    assert!(buildx.link.is_static(), "{}", buildx.link);
    assert_eq!(
        run(&buildx.path, &["version"]),
        format!("github.com/docker/buildx v0.34.1 {}\n", &fx.repo.head[..7])
    );
    // What the docker CLI reads to list the plugin, and what the packaging's test checks.
    let metadata = run(&buildx.path, &["docker-cli-plugin-metadata"]);
    assert!(metadata.contains("\"Version\": \"v0.34.1\""), "{metadata}");
}

#[test]
fn a_dirty_working_tree_marks_both_version_and_revision() {
    let fx = FixtureBuild::working_tree(Kind::Buildx, Linkage::Static, |repo| {
        repo.write("version/extra.go", "package version\n");
    });
    let buildx = buildx_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(
        run(&buildx.path, &["version"]),
        format!(
            "github.com/docker/buildx v0.34.1-dirty {}-dirty\n",
            &fx.repo.head[..7]
        )
    );
}

#[test]
fn a_line_docker_never_shipped_is_refused_before_building() {
    let mut fx = FixtureBuild::pinned(Kind::Buildx, Linkage::Static);
    fx.opts.version = "0.12.1".into();
    let err = buildx_build::build(&fx.opts).unwrap_err().to_string();
    assert!(err.contains("0.12.1") && err.contains("0.34."), "{err}");
    assert!(!fx.opts.out_dir.join("docker-buildx").exists());
}
