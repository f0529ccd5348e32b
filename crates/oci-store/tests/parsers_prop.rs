//! Property test of the OCI documents a registry hands oci-store: image manifests
//! (`OciImageManifest`: components, Go cache entries, signatures) and indexes (`OciImageIndex`:
//! published bundles, referrers). For arbitrary and mutated bytes, decoding never panics, a
//! refusal says where (line and column), and whatever is accepted writes back to JSON that
//! reads as the same document.
//!
//! Seeded and bounded for CI (256 cases each, a fixed seed); `PROPTEST_CASES=10000` runs them
//! longer by hand.

use oci_client::manifest::{OciImageIndex, OciImageManifest, OciManifest};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A component as the team's cache holds it: an artifact manifest with a subject.
const MANIFEST: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "artifactType": "application/vnd.dockyard.component.v1",
  "config": {
    "mediaType": "application/vnd.oci.empty.v1+json",
    "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    "size": 2,
    "data": "e30="
  },
  "layers": [
    {
      "mediaType": "application/vnd.dockyard.component.record.v1+json",
      "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "size": 1234,
      "annotations": {
        "org.opencontainers.image.title": "artifacts.json"
      }
    },
    {
      "mediaType": "application/vnd.dockyard.file.v1",
      "digest": "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
      "size": 11534336,
      "urls": ["https://mirror.example.com/runc"],
      "annotations": {
        "org.opencontainers.image.title": "runc"
      }
    }
  ],
  "subject": {
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
    "size": 512
  },
  "annotations": {
    "org.opencontainers.image.created": "2026-01-01T00:00:00Z"
  }
}
"#;

/// A published bundle: an index of per-platform manifests, and a referrer.
const INDEX: &str = r#"{
  "schemaVersion": 2,
  "mediaType": "application/vnd.oci.image.index.v1+json",
  "manifests": [
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9",
      "size": 1400,
      "platform": {
        "architecture": "arm",
        "os": "linux",
        "variant": "v7",
        "os.version": "6.1",
        "os.features": ["x"],
        "features": ["y"]
      }
    },
    {
      "mediaType": "application/vnd.oci.image.manifest.v1+json",
      "digest": "sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
      "size": 700,
      "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
      "annotations": {
        "dev.sigstore.cosign/signature": "MEUCIQ=="
      }
    }
  ],
  "annotations": {
    "org.opencontainers.image.version": "29.7.2"
  }
}
"#;

/// Decodes `bytes` as `T`: what is accepted round-trips, what is refused says where.
fn check<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<(), TestCaseError> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(document) => {
            let written = serde_json::to_value(&document).unwrap();
            let again: T = serde_json::from_value(written.clone())
                .expect("a decoded document writes back to JSON that decodes");
            prop_assert_eq!(serde_json::to_value(&again).unwrap(), written);
        }
        Err(err) => {
            let shown = err.to_string();
            prop_assert!(
                err.line() >= 1 && shown.contains(&format!("line {}", err.line())),
                "{}",
                shown
            );
        }
    }
    Ok(())
}

fn check_all(bytes: &[u8]) -> Result<(), TestCaseError> {
    check::<OciImageManifest>(bytes)?;
    check::<OciImageIndex>(bytes)?;
    // Either of the two (untagged: serde's refusal of an untagged enum has no position).
    if let Ok(document) = serde_json::from_slice::<OciManifest>(bytes) {
        let written = serde_json::to_value(&document).unwrap();
        let again: OciManifest = serde_json::from_value(written.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&again).unwrap(), written);
    }
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
fn the_seed_documents_decode() {
    let manifest: OciImageManifest = serde_json::from_str(MANIFEST).unwrap();
    assert_eq!(manifest.layers.len(), 2);
    let index: OciImageIndex = serde_json::from_str(INDEX).unwrap();
    assert_eq!(index.manifests.len(), 2);
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_oci_manifest_or_index_never_panics_and_round_trips_when_accepted(
        index in any::<bool>(),
        edits in edits(),
    ) {
        let seed = if index { INDEX } else { MANIFEST };
        check_all(&mutate(seed.as_bytes(), &edits))?;
    }

    #[test]
    fn arbitrary_bytes_as_an_oci_manifest_or_index_never_panic(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            prop::collection::vec(fragment(), 0..24).prop_map(|p| p.concat().into_bytes()),
        ]
    ) {
        check_all(&bytes)?;
    }
}
