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
use proptest::sample::Index;
use proptest::test_runner::RngSeed;
use serde::{Deserialize, Serialize};

/// The record's shape (`bundle`'s `CachedArtifacts`): the key it was built under and what was
/// built.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    key: String,
    artifacts: Artifacts,
}

fn seed() -> Vec<u8> {
    let sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let record = Record {
        key: "runc-4f9a1c0d2e".into(),
        artifacts: Artifacts {
            binaries: vec![
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
            ],
            files: vec![ShippedFile {
                name: "dockerd-rootless.sh".into(),
                path: "/cache/artifacts/moby-1234/dockerd-rootless.sh".into(),
                sha256: sha.into(),
                size: 6_000,
            }],
        },
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

/// One edit of a text; positions are taken modulo its length when applied.
#[derive(Clone, Debug)]
enum Edit {
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    ReplaceLine(Index, String),
    Truncate(Index),
    Insert(Index, Vec<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::DeleteLine),
        any::<Index>().prop_map(Edit::DuplicateLine),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::ReplaceLine(i, s)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), fragment()).prop_map(|(i, s)| Edit::Insert(i, s.into_bytes())),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..4))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
    ]
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..5)
}

fn mutate(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut text = seed.to_vec();
    for edit in edits {
        let mut lines: Vec<Vec<u8>> = text
            .split_inclusive(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        match edit {
            Edit::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i.index(lines.len()));
            }
            Edit::DuplicateLine(i) if !lines.is_empty() => {
                let i = i.index(lines.len());
                lines.insert(i, lines[i].clone());
            }
            Edit::SwapLines(a, b) if !lines.is_empty() => {
                let (a, b) = (a.index(lines.len()), b.index(lines.len()));
                lines.swap(a, b);
            }
            Edit::ReplaceLine(i, s) if !lines.is_empty() => {
                let i = i.index(lines.len());
                lines[i] = format!("{s}\n").into_bytes();
            }
            Edit::Truncate(i) => {
                text.truncate(i.index(text.len() + 1));
                continue;
            }
            Edit::Insert(i, bytes) => {
                let at = i.index(text.len() + 1);
                text.splice(at..at, bytes.iter().copied());
                continue;
            }
            _ => continue,
        }
        text = lines.concat();
    }
    text
}

/// 256 cases from a fixed seed; `PROPTEST_CASES` (and `PROPTEST_RNG_SEED`) override them.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            256
        },
        rng_seed: if std::env::var_os("PROPTEST_RNG_SEED").is_some() {
            default.rng_seed
        } else {
            RngSeed::Fixed(0x5eed)
        },
        failure_persistence: None,
        ..default
    }
}

/// JSON that means something to a reader of these documents, and bytes that do not.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>().prop_map(|s| s.chars().take(8).collect()),
        "[\\x00-\\x7f]{1,6}",
        prop::sample::select(JSON_FRAGMENTS.to_vec()).prop_map(str::to_owned),
    ]
}

const JSON_FRAGMENTS: &[&str] = &[
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "1.5",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\\",
    "\t",
    "\n",
    "\r\n",
    "\0",
    "\u{feff}",
    "é",
    "{}",
    "[]",
    "\"\": 1,",
    "\"a\": {},",
    "sha256:",
    "\"sha256:\"",
    "\"size\": -1,",
    "\"size\": 1.5,",
    "\"size\": \"1\",",
];

#[test]
fn the_seed_record_decodes() {
    let record: Record = serde_json::from_slice(&seed()).unwrap();
    assert_eq!(record.artifacts.binaries.len(), 2);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_component_record_never_panics_and_round_trips_when_accepted(edits in edits()) {
        check(&mutate(&seed(), &edits))?;
    }

    #[test]
    fn arbitrary_bytes_as_a_component_record_never_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            prop::collection::vec(fragment(), 0..24).prop_map(|p| p.concat().into_bytes()),
        ]
    ) {
        check(&bytes)?;
    }
}
