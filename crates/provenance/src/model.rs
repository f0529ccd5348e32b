//! The documents, as serde types of our own: an in-toto Statement v1
//! (<https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md>), its SLSA
//! Provenance v1 predicate (<https://slsa.dev/spec/v1.0/provenance>), and the ResourceDescriptor
//! both use. `schemas/` holds the same shapes as JSON Schema, written from the specifications;
//! the tests check what these types write against them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// `predicateType` of SLSA Provenance v1.
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";

/// An in-toto Statement v1 whose predicate is SLSA Provenance v1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// [`STATEMENT_TYPE`].
    #[serde(rename = "_type")]
    pub type_: String,
    /// What the provenance is about: each file, by name and SHA-256.
    pub subject: Vec<Subject>,
    /// [`PREDICATE_TYPE`].
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The provenance.
    pub predicate: Provenance,
}

/// One subject: a file, relative to the folder the statement describes; or, once pushed, a
/// registry manifest the folder was pushed as (with an OCI media type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Its path in the folder (`docker/runc`, `docker-ce_29.7.2-1~debian.12~bookworm_amd64.deb`),
    /// or a manifest's repository (`registry.example:5000/dockyard/docker`).
    pub name: String,
    /// `sha256`: lowercase hex.
    pub digest: BTreeMap<String, String>,
    /// A manifest's media type (an OCI image manifest or index); none for a file.
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

/// The media types a registry subject has: an OCI image manifest, an OCI image index.
pub const MANIFEST_MEDIA_TYPES: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
];

impl Subject {
    /// Whether it is a registry manifest (a push added it), not a file of the folder.
    pub fn is_manifest(&self) -> bool {
        (self.media_type.as_deref()).is_some_and(|m| MANIFEST_MEDIA_TYPES.contains(&m))
    }
}

/// SLSA Provenance v1's predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// What was built, from what, and how.
    pub build_definition: BuildDefinition,
    /// Who built it, and when.
    pub run_details: RunDetails,
}

/// `buildDefinition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildDefinition {
    /// The build type's URI (docs/provenance.md describes each).
    pub build_type: String,
    /// What the person asking for the build chose.
    pub external_parameters: serde_json::Value,
    /// What the builder chose itself.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub internal_parameters: serde_json::Value,
    /// Everything the build read: sources, patches, toolchains, libraries, dockyard.
    #[serde(default)]
    pub resolved_dependencies: Vec<ResourceDescriptor>,
}

/// `runDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunDetails {
    /// The builder.
    pub builder: Builder,
    /// This run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BuildMetadata>,
    /// What the run made besides the subjects (the SBOM).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byproducts: Vec<ResourceDescriptor>,
}

/// `runDetails.builder`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Builder {
    /// The builder's identity, a URI (a CI job's URL, a machine).
    pub id: String,
    /// Versions of the builder's parts (`dockyard`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub version: BTreeMap<String, String>,
}

/// `runDetails.metadata`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildMetadata {
    /// This run's identity.
    pub invocation_id: String,
    /// When the statement was made (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_on: Option<String>,
}

/// An in-toto ResourceDescriptor: at least one of `uri` and `digest`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDescriptor {
    /// What it is called here (`moby`, `patch runc/0001-fix.patch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Where it is (`git+https://github.com/moby/moby@refs/tags/docker-v29.7.2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// Its digests by algorithm (`gitCommit`, `sha256`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub digest: BTreeMap<String, String>,
    /// Its media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Facts a digest cannot carry (a working tree's `dirty` flag, a package's version).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, serde_json::Value>,
}

impl ResourceDescriptor {
    /// Named `name`, with one digest.
    pub fn named(name: impl Into<String>, algorithm: &str, digest: &str) -> ResourceDescriptor {
        ResourceDescriptor {
            name: Some(name.into()),
            digest: BTreeMap::from([(algorithm.to_owned(), digest.to_owned())]),
            ..ResourceDescriptor::default()
        }
    }

    /// Its digest by `algorithm`.
    pub fn digest_of(&self, algorithm: &str) -> Option<&str> {
        self.digest.get(algorithm).map(String::as_str)
    }
}
