//! containerd's recipe against a containerd-shaped fixture.

use build_core::Linkage;
use build_core::testing::{FixtureBuild, Kind, run};

#[test]
fn builds_three_static_binaries_stamped_with_version_revision_and_package() {
    let fx = FixtureBuild::pinned(Kind::Containerd, Linkage::Static);
    let artifacts = containerd_build::build(&fx.opts).unwrap();
    let names: Vec<&str> = artifacts.binaries.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["containerd", "containerd-shim-runc-v2", "ctr"]);
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

#[test]
fn containerd_1_7_is_stamped_through_its_own_module_path() {
    let fx = FixtureBuild::pinned(Kind::Containerd17, Linkage::Static);
    let artifacts = containerd_build::build(&fx.opts).unwrap();
    let containerd = artifacts.get("containerd").unwrap();
    assert_eq!(
        run(&containerd.path, &["--version"]),
        format!(
            "containerd github.com/containerd/containerd v1.7.28 {}\n",
            fx.repo.head
        )
    );
    let shim = artifacts.get("containerd-shim-runc-v2").unwrap();
    assert!(
        !shim.tags.contains(&"no_grpc".to_owned()),
        "1.7's shim keeps gRPC: {:?}",
        shim.tags
    );
}

#[test]
fn a_stamp_that_does_not_take_fails_naming_the_binary_and_variable() {
    // A 2.x tree pinned as 1.7: the recipe stamps github.com/containerd/containerd/version.*,
    // which this tree does not have, and Go's linker ignores -X for it.
    let mut fx = FixtureBuild::pinned(Kind::Containerd, Linkage::Static);
    fx.opts.version = "1.7.28".into();
    let err = containerd_build::build(&fx.opts).unwrap_err();
    let build_core::BuildError::StampNotShown(mismatch) = &err else {
        panic!("expected a stamp error, got {err}");
    };
    let (binary, variables, shows) = (&mismatch.binary, &mismatch.variables, &mismatch.shows);
    assert_eq!(binary, "containerd");
    assert!(
        variables
            .iter()
            .any(|v| v.starts_with("github.com/containerd/containerd/version.Version=v1.7.28")),
        "{variables:?}"
    );
    assert!(shows.contains("2.3.3+unknown"), "{shows}");
    assert!(err.to_string().contains("did not take"), "{err}");
}
