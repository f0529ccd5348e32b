//! rootlesskit's recipe against the rootlesskit-shaped fixtures (v3, and v2.3 as Docker up to
//! 29.4 ships it).

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

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
fn a_pin_whose_version_the_source_does_not_carry_fails_the_check() {
    // rootlesskit's version is a constant in its source: a pin saying otherwise is caught by
    // the version check, not shipped.
    let mut fx = FixtureBuild::pinned(Kind::Rootlesskit, Linkage::Static);
    fx.opts.version = "3.0.9".into();
    let err = rootlesskit_build::build(&fx.opts).unwrap_err().to_string();
    assert!(err.contains("rootlesskit version 3.0.9"), "{err}");
}
