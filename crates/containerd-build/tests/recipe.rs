//! containerd's recipe against a containerd-shaped fixture.

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn builds_three_static_binaries_stamped_with_version_revision_and_package() {
    let fx = FixtureBuild::pinned(Kind::Containerd, Linkage::Static);
    let artifacts = containerd_build::build(&fx.opts).unwrap();
    let names: Vec<&str> = artifacts.binaries.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, containerd_build::COMPONENT.binaries);
    for binary in &artifacts.binaries {
        assert!(
            binary.link.is_static(),
            "{} is {}",
            binary.name,
            binary.link
        );
        let out = run(&binary.path, &[]);
        assert_eq!(
            out,
            format!(
                "{} github.com/containerd/containerd/v2 v2.3.3 {}\n",
                binary.name, fx.repo.head
            ),
            "{}",
            binary.name
        );
    }
    let shim = artifacts.get("containerd-shim-runc-v2").unwrap();
    assert!(shim.tags.contains(&"no_grpc".to_owned()), "{:?}", shim.tags);
}

#[test]
fn dynamic_build_keeps_the_shim_static() {
    let fx = FixtureBuild::pinned(Kind::Containerd, Linkage::Dynamic);
    let artifacts = containerd_build::build(&fx.opts).unwrap();
    assert!(
        artifacts
            .get("containerd-shim-runc-v2")
            .unwrap()
            .link
            .is_static()
    );
}
