//! rootlesskit's recipe against the rootlesskit-shaped fixtures (v3, and v2.3 as Docker 27 to
//! 29.4 ship it): rootlesskit for every Docker release, and beside it, for Docker 27 only,
//! rootlesskit-docker-proxy.

use build_core::process::LoggedCommand;
use build_core::testing::{FixtureBuild, Kind, run};
use build_core::{Linkage, ReleaseLine};

fn names(artifacts: &build_core::Artifacts) -> Vec<&str> {
    artifacts.binaries.iter().map(|a| a.name.as_str()).collect()
}

#[test]
fn rootlesskit_is_static_and_shows_its_version() {
    for kind in [Kind::Rootlesskit, Kind::Rootlesskit2] {
        let fx = FixtureBuild::pinned(kind, Linkage::Static);
        let rootlesskit = rootlesskit_build::build(&fx.opts)
            .unwrap()
            .binaries
            .remove(0);
        assert!(rootlesskit.link.is_static(), "{}", rootlesskit.link);
        assert_eq!(
            run(&rootlesskit.path, &["--version"]),
            format!("rootlesskit version {}\n", kind.version())
        );
    }
}

#[test]
fn docker_27_gets_rootlesskit_docker_proxy_beside_rootlesskit() {
    // Docker 27.3 to 27.5 pin rootlesskit 2.3; moby 27's installer builds both commands.
    let mut fx = FixtureBuild::pinned(Kind::Rootlesskit2, Linkage::Static);
    fx.opts.docker_release = ReleaseLine::new(27, 5);
    let artifacts = rootlesskit_build::build(&fx.opts).unwrap();
    assert_eq!(
        names(&artifacts),
        ["rootlesskit", "rootlesskit-docker-proxy"]
    );
    let proxy = artifacts.get("rootlesskit-docker-proxy").unwrap();
    assert!(proxy.link.is_static(), "{}", proxy.link);
    assert_eq!(proxy.path, fx.opts.out_dir.join("rootlesskit-docker-proxy"));
    // It prints no version; its usage (what its version probe asks) shows it is the proxy.
    let usage = LoggedCommand::new(proxy.path.as_str())
        .arg("-h")
        .output()
        .unwrap();
    assert!(usage.stderr.contains("-container-ip"), "{}", usage.stderr);
}

#[test]
fn docker_28_and_29_get_rootlesskit_alone_though_the_tree_has_the_proxy() {
    // rootlesskit 2.3 and 3.0 still carry cmd/rootlesskit-docker-proxy; Docker 28 and later
    // do not ship it, so it is not built.
    for (kind, release) in [
        (Kind::Rootlesskit2, ReleaseLine::new(28, 0)),
        (Kind::Rootlesskit2, ReleaseLine::new(29, 4)),
        (Kind::Rootlesskit, ReleaseLine::new(29, 7)),
    ] {
        let mut fx = FixtureBuild::pinned(kind, Linkage::Static);
        assert!(
            fx.repo
                .path
                .join("cmd/rootlesskit-docker-proxy/main.go")
                .is_file()
        );
        fx.opts.docker_release = release;
        let artifacts = rootlesskit_build::build(&fx.opts).unwrap();
        assert_eq!(names(&artifacts), ["rootlesskit"], "Docker {release}");
        assert!(!fx.opts.out_dir.join("rootlesskit-docker-proxy").exists());
    }
}

#[test]
fn a_pin_whose_version_the_source_does_not_carry_fails_the_check() {
    // rootlesskit's version is a constant in its source: a pin saying otherwise is caught by
    // the version check, not shipped.
    let mut fx = FixtureBuild::pinned(Kind::Rootlesskit, Linkage::Static);
    fx.opts.version = "3.0.9".into();
    let err = rootlesskit_build::build(&fx.opts).unwrap_err().to_string();
    assert!(err.contains("rootlesskit version 3.0.9"), "{err}");
}
