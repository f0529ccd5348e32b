//! Provenance in a registry: what `push --sign` attaches to each bundle's manifest (and the
//! index), as cosign stores attestations, and what `pull --verify` checks and keeps beside
//! the pulled folder. The statement pushed is the bundle's own, checked against its files,
//! with the manifests it was pushed as added to its subjects (`cosign verify-attestation`
//! accepts an attestation only when a subject is the manifest it is attached to), signed by
//! the push's key.

use std::collections::BTreeMap;

use camino::Utf8Path;
use oci_store::{ArtifactSigner, Attestations, PushedSubject, SignatureCheck};

use crate::dsse::Envelope;
use crate::model::{PREDICATE_TYPE, Statement, Subject};
use crate::verify::{check_statement, open, parse_envelope, read_envelope, statement_of};
use crate::{ProvenanceError, provenance_path};

/// A bundle's provenance, attached to what is pushed and checked on what is pulled.
#[derive(Debug, Default, Clone, Copy)]
pub struct RegistryProvenance;

impl Attestations for RegistryProvenance {
    fn predicate_type(&self) -> &str {
        PREDICATE_TYPE
    }

    fn attest(
        &self,
        dir: &Utf8Path,
        subjects: &[PushedSubject],
        signer: &ArtifactSigner,
    ) -> Result<Option<Vec<u8>>, String> {
        let path = provenance_path(dir);
        if !path.exists() {
            return Ok(None);
        }
        restate(dir, &path, subjects, signer)
            .map(Some)
            .map_err(|e| build_core::error::with_causes(&e))
    }

    fn check(
        &self,
        dir: &Utf8Path,
        envelope: &[u8],
        subjects: &[PushedSubject],
        key: &SignatureCheck,
    ) -> Result<(), String> {
        let label = Utf8Path::new("the attestation");
        let checked = parse_envelope(label, envelope).and_then(|envelope| {
            let statement = open(label, &envelope, key)?;
            if let Some(missing) = (subjects.iter())
                .map(subject)
                .find(|s| !statement.subject.contains(s))
            {
                return Err(ProvenanceError::Envelope {
                    path: label.to_owned(),
                    problem: format!(
                        "it does not name {}@sha256:{}",
                        missing.name, missing.digest["sha256"]
                    ),
                });
            }
            check_statement(dir, label, &statement, None)
        });
        checked
            .map(drop)
            .map_err(|e| build_core::error::with_causes(&e))
    }

    fn keep(&self, folder: &Utf8Path, envelope: &[u8]) -> Result<(), String> {
        let label = Utf8Path::new("the attestation");
        parse_envelope(label, envelope)
            .and_then(|envelope| crate::write(folder, &envelope))
            .map(drop)
            .map_err(|e| build_core::error::with_causes(&e))
    }
}

/// The provenance at `path` (beside the bundle `dir`), checked against the bundle (and, when
/// signed, against `signer`'s key), naming `subjects` instead of any manifests it named,
/// signed by `signer`.
fn restate(
    dir: &Utf8Path,
    path: &Utf8Path,
    subjects: &[PushedSubject],
    signer: &ArtifactSigner,
) -> Result<Vec<u8>, ProvenanceError> {
    let envelope = read_envelope(path)?;
    if envelope.is_signed() {
        envelope
            .check_signer(signer)
            .map_err(|why| ProvenanceError::Envelope {
                path: path.to_owned(),
                problem: format!("signed by another key than the push's: {why}"),
            })?;
    }
    let mut statement: Statement = statement_of(path, &envelope)?;
    check_statement(dir, path, &statement, None)?;
    statement.subject.retain(|s| !s.is_manifest());
    statement.subject.extend(subjects.iter().map(subject));
    let mut line = serde_json::to_vec(&Envelope::seal(&statement, Some(signer))).map_err(|e| {
        ProvenanceError::Envelope {
            path: path.to_owned(),
            problem: format!("encoding it again: {e}"),
        }
    })?;
    line.push(b'\n');
    Ok(line)
}

/// A pushed manifest as a subject: its repository, its digest, its media type.
fn subject(pushed: &PushedSubject) -> Subject {
    let hex = pushed
        .digest
        .strip_prefix("sha256:")
        .unwrap_or(&pushed.digest);
    Subject {
        name: pushed.repository.clone(),
        digest: BTreeMap::from([("sha256".to_owned(), hex.to_owned())]),
        media_type: Some(pushed.media_type.clone()),
    }
}
