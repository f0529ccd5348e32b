//! The cli recipe against a cli-shaped fixture: vendor.mod and no go.mod.

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn builds_from_vendor_mod_without_writing_a_go_mod() {
    let fx = FixtureBuild::pinned(Kind::Cli, Linkage::Static);
    let docker = cli_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert!(docker.link.is_static(), "{}", docker.link);
    assert_eq!(
        run(&docker.path, &[]),
        format!(
            "Docker version 29.7.2, build {}\nbuilt 2023-11-14T22:13:20Z\n",
            &fx.repo.head[..7]
        )
    );
    assert!(
        !fx.opts.source.dir.join("go.mod").exists(),
        "no go.mod left in the source tree"
    );
    assert!(!fx.opts.source.dir.join("go.sum").exists());
}

#[test]
fn dynamic_cli_uses_cgo() {
    let fx = FixtureBuild::pinned(Kind::Cli, Linkage::Dynamic);
    let docker = cli_build::build(&fx.opts).unwrap().binaries.remove(0);
    assert!(!docker.link.is_static(), "{}", docker.link);
}
