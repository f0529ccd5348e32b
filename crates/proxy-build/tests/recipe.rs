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
fn docker_proxy_carries_the_same_tags_and_stamps_as_dockerd() {
    let fx = FixtureBuild::pinned(Kind::Moby, Linkage::Static);
    let mut moby_tags: Vec<&str> = moby_build::TAGS.to_vec();
    moby_tags.extend(moby_build::STATIC_TAGS);
    let mut proxy_tags = proxy_build::TAGS.to_vec();
    moby_tags.sort_unstable();
    proxy_tags.sort_unstable();
    assert_eq!(
        proxy_tags, moby_tags,
        "docker-proxy builds with moby's static tags"
    );
    assert_eq!(proxy_build::stamps(&fx.opts), moby_build::stamps(&fx.opts));
}
