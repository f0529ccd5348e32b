//! The DSSE envelope (<https://github.com/secure-systems-lab/dsse/blob/master/envelope.md>)
//! a statement travels in: its payload the statement's JSON, signed over the pre-authentication
//! encoding (PAE) with the same ECDSA P-256 keys as dockyard's registry signatures, as cosign
//! signs attestations.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oci_store::{ArtifactSigner, SignatureCheck};
use serde::{Deserialize, Serialize};

use crate::model::Statement;

/// The payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// [`PAYLOAD_TYPE`].
    pub payload_type: String,
    /// The statement's JSON, base64.
    pub payload: String,
    /// Signatures over [`pae`] of the type and the payload's bytes; none when unsigned.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Which key (empty: the verifier brings the key, as cosign's key files do).
    #[serde(default)]
    pub keyid: String,
    /// The DER-encoded ECDSA signature, base64.
    pub sig: String,
}

/// DSSE's pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`,
/// lengths as ASCII decimal byte counts.
pub fn pae(payload_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

impl Envelope {
    /// `statement` in an envelope, signed by `signer` when one is given.
    pub fn seal(statement: &Statement, signer: Option<&ArtifactSigner>) -> Envelope {
        // A statement of strings, numbers and maps always encodes.
        let body = serde_json::to_vec(statement).unwrap_or_default();
        let signatures = signer
            .map(|s| EnvelopeSignature {
                keyid: String::new(),
                sig: STANDARD.encode(s.sign_bytes(&pae(PAYLOAD_TYPE, &body))),
            })
            .into_iter()
            .collect();
        Envelope {
            payload_type: PAYLOAD_TYPE.into(),
            payload: STANDARD.encode(body),
            signatures,
        }
    }

    /// Whether it carries any signature.
    pub fn is_signed(&self) -> bool {
        !self.signatures.is_empty()
    }

    /// The payload's bytes, or why it has none.
    pub fn body(&self) -> Result<Vec<u8>, String> {
        STANDARD
            .decode(&self.payload)
            .map_err(|_| "its payload is not base64".to_owned())
    }

    /// Succeeds when one of its signatures is `key`'s over its type and payload; otherwise
    /// says why not.
    pub fn check(&self, key: &SignatureCheck) -> Result<(), String> {
        self.check_by(&|message, der| key.verifies(message, der))
    }

    /// [`Envelope::check`] against the public half of `signer`.
    pub fn check_signer(&self, signer: &ArtifactSigner) -> Result<(), String> {
        self.check_by(&|message, der| signer.verifies(message, der))
    }

    fn check_by(&self, verifies: &dyn Fn(&[u8], &[u8]) -> bool) -> Result<(), String> {
        if self.signatures.is_empty() {
            return Err("it is unsigned".into());
        }
        let signed = pae(&self.payload_type, &self.body()?);
        let by_key = self.signatures.iter().any(|s| {
            STANDARD
                .decode(&s.sig)
                .is_ok_and(|der| verifies(&signed, &der))
        });
        if by_key {
            Ok(())
        } else {
            Err(format!(
                "none of its {} signature(s) is the key's over its payload",
                self.signatures.len()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_specifications_encoding() {
        // The example of DSSE's protocol.md.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }
}
