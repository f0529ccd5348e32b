//! What the crate writes, checked against the JSON Schemas in `schemas/` (written from the
//! in-toto, SLSA and DSSE specifications) by check-jsonschema, a validator of its own.

mod common;

use std::path::Path;

use camino::Utf8Path;
use common::{fixture, key_pair, run};
use oci_store::ArtifactSigner;
use provenance::Envelope;

/// Whether `value` passes the schema `schemas/NAME`, and what the validator said.
fn validate(schema: &str, value: &serde_json::Value, dir: &Utf8Path) -> (bool, String) {
    let file = dir.join(format!("instance-{schema}"));
    std::fs::write(&file, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(schema);
    let out = test_fixtures::check_jsonschema()
        .arg("--schemafile")
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("running check-jsonschema");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

const STATEMENT: &str = "in-toto-statement-v1.schema.json";
const PROVENANCE: &str = "slsa-provenance-v1.schema.json";
const ENVELOPE: &str = "dsse-envelope.schema.json";

#[test]
fn the_statement_its_predicate_and_the_envelope_pass_their_schemas() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8Path::from_path(tmp.path()).unwrap();
    let statement = provenance::bundle_statement(fixture(), &run()).unwrap();
    let value = serde_json::to_value(&statement).unwrap();
    for (schema, instance) in [(STATEMENT, &value), (PROVENANCE, &value["predicate"])] {
        let (ok, said) = validate(schema, instance, dir);
        assert!(ok, "{schema}: {said}");
    }
    let (private, _) = key_pair(dir, "cosign");
    let signer = ArtifactSigner::from_pem_file(&private).unwrap();
    let envelope = Envelope::seal(&statement, Some(&signer));
    let (ok, said) = validate(ENVELOPE, &serde_json::to_value(&envelope).unwrap(), dir);
    assert!(ok, "{ENVELOPE}: {said}");
}

#[test]
fn the_schemas_refuse_what_the_specifications_forbid() {
    // So the test above cannot pass by a schema that accepts anything.
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8Path::from_path(tmp.path()).unwrap();
    let statement = provenance::bundle_statement(fixture(), &run()).unwrap();
    let good = serde_json::to_value(&statement).unwrap();
    let broken = |schema: &str, path: &[&str], edit: serde_json::Value| {
        let mut v = if schema == PROVENANCE {
            good["predicate"].clone()
        } else {
            good.clone()
        };
        let mut at = &mut v;
        for p in path {
            at = match p.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[*p],
            };
        }
        *at = edit;
        let (ok, said) = validate(schema, &v, dir);
        assert!(!ok, "{schema} accepted {path:?} changed: {said}");
    };
    broken(
        STATEMENT,
        &["_type"],
        "https://in-toto.io/Statement/v0.1".into(),
    );
    broken(STATEMENT, &["subject"], serde_json::json!([]));
    broken(
        STATEMENT,
        &["subject", "0", "digest"],
        serde_json::json!({"sha256": "XYZ"}),
    );
    broken(
        PROVENANCE,
        &["runDetails", "builder", "id"],
        "not a uri".into(),
    );
    broken(
        PROVENANCE,
        &["buildDefinition", "resolvedDependencies", "0"],
        serde_json::json!({"name": "no uri, no digest"}),
    );
    broken(
        PROVENANCE,
        &["runDetails", "metadata", "finishedOn"],
        "yesterday".into(),
    );
    let (ok, _) = validate(
        ENVELOPE,
        &serde_json::json!({"payloadType": "text/plain", "payload": "", "signatures": []}),
        dir,
    );
    assert!(!ok, "the envelope schema accepted another payload type");
}
