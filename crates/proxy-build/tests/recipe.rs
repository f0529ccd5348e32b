//! docker-proxy's recipe against the moby-shaped fixture.

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn docker_proxy_is_static_even_in_a_dynamic_build_and_shows_moby_stamps() {
    for linkage in [Linkage::Static, Linkage::Dynamic] {
        let fx = FixtureBuild::pinned(Kind::Moby, linkage);
        let proxy = proxy_build::build(&fx.opts).unwrap().binaries.remove(0);
        assert!(proxy.link.is_static(), "{linkage:?}: {}", proxy.link);
        assert_eq!(
            run(&proxy.path, &["--version"]),
            format!(
                "docker-proxy (commit {}) version 29.7.2\n",
                &fx.repo.head[..7]
            )
        );
    }
}

#[test]
fn docker_proxy_carries_the_same_module_tags_and_stamps_as_dockerd_on_every_line() {
    let mut fx = FixtureBuild::pinned(Kind::Moby, Linkage::Static);
    for version in ["29.7.2", "28.5.2", "27.5.1"] {
        fx.opts.version = version.into();
        let moby = moby_build::line(&fx.opts);
        let mut moby_tags: Vec<&str> = moby.tags.to_vec();
        moby_tags.extend(moby_build::STATIC_TAGS);
        let (module, module_file, mut proxy_tags) = proxy_build::line(&fx.opts);
        moby_tags.sort_unstable();
        proxy_tags.sort_unstable();
        assert_eq!(proxy_tags, moby_tags, "{version}: moby's static tags");
        assert_eq!(
            (module, module_file),
            (moby.module, moby.module_file),
            "{version}"
        );
        assert_eq!(proxy_build::stamps(&fx.opts), moby_build::stamps(&fx.opts));
    }
}

#[test]
fn a_28_line_docker_proxy_is_stamped_through_docker_docker() {
    let fx = FixtureBuild::pinned(Kind::Moby28, Linkage::Static);
    let proxy = proxy_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert_eq!(
        run(&proxy.path, &["--version"]),
        format!(
            "docker-proxy (commit {}) version 28.5.2\n",
            &fx.repo.head[..7]
        )
    );
}
