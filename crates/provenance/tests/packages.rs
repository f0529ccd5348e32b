//! A package set's provenance: each package a subject, the bundle it was made from a resolved
//! dependency, and a changed package or bundle refused.

mod common;

use camino::{Utf8Path, Utf8PathBuf};
use common::{bundle_copy, flip_byte, key_pair, run};
use oci_store::{ArtifactSigner, SignatureCheck};
use provenance::{Envelope, ProvenanceError};

/// Two package files beside the bundle, as `package` lays them out (DIR/packages/DISTRO/).
fn packages(root: &Utf8Path) -> Utf8PathBuf {
    let dir = root.join("packages/debian-12");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb"),
        b"ce",
    )
    .unwrap();
    std::fs::write(
        dir.join("docker-ce-cli_29.7.2-1~debian.12~bookworm_amd64.deb"),
        b"cli",
    )
    .unwrap();
    dir
}

#[test]
fn each_package_is_a_subject_and_the_bundle_is_checked_with_them() {
    let (_tmp, bundle) = bundle_copy();
    let root = bundle.parent().unwrap().to_owned();
    let dir = packages(&root);
    let (private, public) = key_pair(&root, "cosign");
    let signer = ArtifactSigner::from_pem_file(&private).unwrap();
    let statement = provenance::packages_statement(&dir, &bundle, "debian-12", &run()).unwrap();
    let names: Vec<&str> = statement.subject.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "docker-ce-cli_29.7.2-1~debian.12~bookworm_amd64.deb",
            "docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb"
        ]
    );
    let build = &statement.predicate.build_definition;
    assert_eq!(build.build_type, provenance::PACKAGES_BUILD_TYPE);
    assert_eq!(build.external_parameters["distro"], "debian-12");
    assert!(
        build
            .resolved_dependencies
            .iter()
            .any(|d| d.name.as_deref() == Some("docker-29.7.2/manifest.json"))
    );
    let path = provenance::write(&dir, &Envelope::seal(&statement, Some(&signer))).unwrap();
    assert_eq!(
        path,
        root.join("packages/debian-12.provenance.intoto.jsonl")
    );
    let key = SignatureCheck::from_pem_file(&public).unwrap();
    let checked = provenance::verify(&dir, &key, Some(&bundle)).unwrap();
    assert!(
        checked.manifest_checked && checked.sources > 0,
        "{checked:?}"
    );
    let alone = provenance::verify(&dir, &key, None).unwrap();
    assert!(!alone.manifest_checked);

    // Another bundle's manifest (one byte of it changed) is not the one the packages came from.
    flip_byte(&bundle.join("manifest.json"));
    let e = provenance::verify(&dir, &key, Some(&bundle)).unwrap_err();
    assert!(matches!(e, ProvenanceError::Manifest { .. }), "{e:?}");
    // A package changed, or one added, is named.
    flip_byte(&dir.join("docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb"));
    let e = provenance::verify(&dir, &key, None).unwrap_err();
    assert!(
        e.to_string()
            .contains("docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb is refused: its SHA-256"),
        "{e}"
    );
    std::fs::write(dir.join("extra_1_amd64.deb"), b"x").unwrap();
    std::fs::write(
        dir.join("docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb"),
        b"ce",
    )
    .unwrap();
    let e = provenance::verify(&dir, &key, None).unwrap_err();
    assert!(
        e.to_string()
            .contains("extra_1_amd64.deb is refused: the provenance does not name it"),
        "{e}"
    );
}
