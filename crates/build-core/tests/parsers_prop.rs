//! Property test of the component record's JSON (`{key, artifacts}`, as the bundle's artifact
//! cache writes and reads `build_core::Artifacts`): for arbitrary and mutated bytes, decoding
//! never panics, a refusal says where (line and column), and whatever is accepted writes back
//! to JSON that reads as the same record.
//!
//! Seeded and bounded for CI (256 cases each, a fixed seed); `PROPTEST_CASES=10000` runs them
//! longer by hand.

use build_core::clib::CLibrary;
use build_core::elf::LinkKind;
use build_core::{Artifact, Artifacts, ShippedFile};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use test_fixtures::mutations::{self, JSON_RECORDS, JSON_SYNTAX, config};

/// The record's shape (`bundle`'s `CachedArtifacts`): the key it was built under and what was
/// built.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    key: String,
    artifacts: Artifacts,
}

fn seed() -> Vec<u8> {
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let mut artifacts = Artifacts::default();
    artifacts.binaries = vec![
        Artifact {
            name: "runc".into(),
            path: "/cache/artifacts/runc-4f9a1c0d2e/runc".into(),
            sha256: sha.into(),
            size: 11_534_336,
            link: LinkKind::Static,
            toolchain: "go1.26.5".into(),
            tags: vec!["seccomp".into(), "urfave_cli_no_docs".into()],
            c_libraries: vec![CLibrary {
                name: "libseccomp".into(),
                version: Some("2.5.4".into()),
                package: "libseccomp-dev".into(),
                package_version: Some("2.5.4-1+deb12u1".into()),
                package_sha256: None,
            }],
        },
        Artifact {
            name: "docker-init".into(),
            path: "/cache/artifacts/tini-77aa/docker-init".into(),
            sha256: sha.into(),
            size: 24_576,
            link: LinkKind::Dynamic {
                interpreter: Some("/lib64/ld-linux-x86-64.so.2".into()),
                needed: vec!["libc.so.6".into()],
            },
            toolchain: "cmake".into(),
            tags: Vec::new(),
            c_libraries: Vec::new(),
        },
    ];
    artifacts.files = vec![ShippedFile {
        name: "dockerd-rootless.sh".into(),
        path: "/cache/artifacts/moby-1234/dockerd-rootless.sh".into(),
        sha256: sha.into(),
        size: 6_000,
    }];
    let record = Record {
        key: "runc-4f9a1c0d2e".into(),
        artifacts,
    };
    serde_json::to_vec_pretty(&record).unwrap()
}

/// Decodes `bytes`: what is accepted round-trips, what is refused says where.
fn check(bytes: &[u8]) -> Result<(), TestCaseError> {
    match serde_json::from_slice::<Record>(bytes) {
        Ok(record) => {
            let again: Record = serde_json::from_slice(&serde_json::to_vec(&record).unwrap())
                .expect("a decoded record writes back to JSON that decodes");
            prop_assert_eq!(again, record);
        }
        Err(err) => {
            let shown = err.to_string();
            prop_assert!(err.line() >= 1, "{}", shown);
            prop_assert!(shown.contains(&format!("line {}", err.line())), "{}", shown);
        }
    }
    // The artifacts alone, as another reader may hold them.
    let _ = serde_json::from_slice::<Artifacts>(bytes);
    Ok(())
}

/// JSON that means something to a reader of these documents, and bytes that do not.
fn fragment() -> BoxedStrategy<String> {
    mutations::fragment(&[JSON_SYNTAX, JSON_RECORDS])
}

#[test]
fn the_seed_record_decodes() {
    let record: Record = serde_json::from_slice(&seed()).unwrap();
    assert_eq!(record.artifacts.binaries.len(), 2);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_component_record_never_panics_and_round_trips_when_accepted(
        edits in mutations::edits(fragment())
    ) {
        check(&mutations::apply(&seed(), &edits))?;
    }

    #[test]
    fn arbitrary_bytes_as_a_component_record_never_panic(
        bytes in mutations::arbitrary_bytes(fragment())
    ) {
        check(&bytes)?;
    }
}
