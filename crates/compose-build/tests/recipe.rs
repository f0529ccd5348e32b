//! docker-compose's recipe against the compose-shaped fixtures (v5, and v2 as Docker 27 and 28
//! ship it).

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn docker_compose_is_static_and_shows_the_pinned_tag() {
    let fx = FixtureBuild::pinned(Kind::Compose, Linkage::Static);
    let compose = compose_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(compose.name, "docker-compose");
    assert!(compose.link.is_static(), "{}", compose.link);
    assert_eq!(compose.tags, ["e2e"]);
    assert_eq!(
        run(&compose.path, &["version"]),
        "Docker Compose version v5.4.0\n"
    );
    let metadata = run(&compose.path, &["docker-cli-plugin-metadata"]);
    assert!(metadata.contains("\"Version\": \"v5.4.0\""), "{metadata}");
}

#[test]
fn compose_2_is_stamped_through_its_own_module_path() {
    let fx = FixtureBuild::pinned(Kind::Compose2, Linkage::Static);
    assert_eq!(
        compose_build::module(&fx.opts),
        "github.com/docker/compose/v2"
    );
    let compose = compose_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(
        run(&compose.path, &["version"]),
        "Docker Compose version v2.39.4\n"
    );
}

#[test]
fn offline_a_module_missing_from_go_s_cache_fails_naming_it() {
    let mut fx = FixtureBuild::pinned(Kind::Compose, Linkage::Static);
    // A dependency no cache holds: offline, Go may not download it.
    let tree = fx.opts.source.dir.clone();
    let copy = fx.dir.path().join("compose-with-a-dependency");
    let copy = compose_build::Utf8PathBuf::from_path_buf(copy).unwrap();
    build_core::fs::copy_tree(&tree, &copy, &[]).unwrap();
    std::fs::write(
        copy.join("go.mod"),
        "module github.com/docker/compose/v5\n\ngo 1.24.0\n\nrequire example.invalid/nowhere v1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        copy.join("go.sum"),
        "example.invalid/nowhere v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nexample.invalid/nowhere v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
    )
    .unwrap();
    std::fs::write(
        copy.join("internal/dep.go"),
        "package internal\n\nimport _ \"example.invalid/nowhere\"\n",
    )
    .unwrap();
    fx.opts.source.dir = copy;
    fx.opts.offline = true;
    fx.opts.go_cache =
        Some(compose_build::Utf8PathBuf::from_path_buf(fx.dir.path().join("gocache")).unwrap());
    // The command's output is the error's cause, not its message.
    let err = build_core::error::with_causes(&compose_build::build(&fx.opts).unwrap_err());
    assert!(
        err.contains("example.invalid/nowhere")
            && err.contains("module lookup disabled by GOPROXY=off"),
        "{err}"
    );
}
