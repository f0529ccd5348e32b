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
use serde::Serialize;
use serde::de::DeserializeOwned;
use test_fixtures::mutations::{self, JSON_RECORDS, JSON_SYNTAX, config};

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

/// JSON that means something to a reader of these documents, and bytes that do not.
fn fragment() -> BoxedStrategy<String> {
    mutations::fragment(&[JSON_SYNTAX, JSON_RECORDS])
}

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
        edits in mutations::edits(fragment()),
    ) {
        let seed = if index { INDEX } else { MANIFEST };
        check_all(&mutations::apply(seed.as_bytes(), &edits))?;
    }

    #[test]
    fn arbitrary_bytes_as_an_oci_manifest_or_index_never_panic(
        bytes in mutations::arbitrary_bytes(fragment())
    ) {
        check_all(&bytes)?;
    }
}
