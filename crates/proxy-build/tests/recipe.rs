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
