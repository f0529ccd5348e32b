#![doc = include_str!("../README.md")]

pub mod dsse;
mod error;
pub mod model;
mod pushed;
mod statement;
mod verify;

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};

pub use dsse::Envelope;
pub use error::ProvenanceError;
pub use model::{ResourceDescriptor, Statement};
pub use pushed::RegistryProvenance;
pub use statement::{bundle_statement, packages_statement};
pub use verify::{Verified, verify};

/// The build type of a bundle's provenance (docs/provenance.md).
pub const BUNDLE_BUILD_TYPE: &str = "https://dockyard.invalid/provenance/bundle/v1";
/// The build type of a package set's provenance (docs/provenance.md).
pub const PACKAGES_BUILD_TYPE: &str = "https://dockyard.invalid/provenance/packages/v1";
/// What the provenance file's name ends with, after the folder's name.
pub const SUFFIX: &str = ".provenance.intoto.jsonl";

/// What varies by run, kept out of the bundle: who built it, this run's identity and time,
/// and the dockyard that did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Run {
    /// The builder's identity, a URI.
    pub builder_id: String,
    /// This run's identity (`urn:uuid:…`).
    pub invocation_id: String,
    /// When the statement was made, in seconds since the epoch.
    pub finished_on: i64,
    /// dockyard itself.
    pub dockyard: Dockyard,
}

impl Run {
    /// A run by `builder_id` (a URI: a CI job's URL; by default `urn:dockyard:host:NAME`, this
    /// machine's name), now, with a fresh invocation id.
    pub fn new(builder_id: Option<String>, dockyard: Dockyard) -> Result<Run, ProvenanceError> {
        let kernel = |file: &str| {
            let path = Utf8Path::new("/proc/sys/kernel").join(file);
            std::fs::read_to_string(&path)
                .map(|s| s.trim().to_owned())
                .map_err(ProvenanceError::io("reading", path))
        };
        let builder_id = match builder_id {
            Some(id) => id,
            None => format!("urn:dockyard:host:{}", kernel("hostname")?),
        };
        let scheme = builder_id.split_once(':').map(|(s, _)| s);
        let is_uri = scheme.is_some_and(|s| {
            s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        if !is_uri || builder_id.chars().any(char::is_whitespace) {
            return Err(ProvenanceError::BuilderId { id: builder_id });
        }
        let finished_on = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Ok(Run {
            builder_id,
            invocation_id: format!("urn:uuid:{}", kernel("random/uuid")?),
            finished_on,
            dockyard,
        })
    }
}

/// The dockyard that made the statement: its version, and the commit of the tree it was built
/// from and whether that tree had changes, when it runs from a git checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockyard {
    /// The crates' version.
    pub version: String,
    /// Its checkout's HEAD.
    pub commit: Option<String>,
    /// Its checkout had changes.
    pub dirty: bool,
}

impl Dockyard {
    /// The dockyard built from the checkout at `root` (what `cargo xtask` runs from).
    pub fn of_tree(root: &Utf8Path) -> Dockyard {
        let head = build_core::source::tree_head(root);
        Dockyard {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            dirty: head.as_ref().is_some_and(|(_, dirty)| *dirty),
            commit: head.map(|(commit, _)| commit.to_string()),
        }
    }

    pub(crate) fn descriptor(&self) -> ResourceDescriptor {
        let mut d = ResourceDescriptor {
            name: Some("dockyard".into()),
            annotations: BTreeMap::from([
                ("version".into(), self.version.clone().into()),
                ("dirty".into(), self.dirty.into()),
            ]),
            ..ResourceDescriptor::default()
        };
        match &self.commit {
            Some(commit) => {
                d.digest.insert("gitCommit".into(), commit.clone());
            }
            None => d.uri = Some(format!("urn:dockyard:version:{}", self.version)),
        }
        d
    }
}

/// How provenance is signed: with a private key file (an unencrypted P-256 PEM, the
/// registry signatures' kind), or not at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    /// Written unsigned.
    Unsigned,
    /// Signed with this key file.
    Key(Utf8PathBuf),
}

impl From<Option<Utf8PathBuf>> for Signing {
    fn from(key: Option<Utf8PathBuf>) -> Signing {
        key.map_or(Signing::Unsigned, Signing::Key)
    }
}

/// Provenance written.
#[derive(Debug)]
#[non_exhaustive]
pub struct Attested {
    /// Its file.
    pub path: Utf8PathBuf,
    /// Subjects it names.
    pub subjects: usize,
    /// The key it was signed with; none when unsigned.
    pub key: Option<Utf8PathBuf>,
}

impl std::fmt::Display for Attested {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} subjects in {}, ", self.subjects, self.path)?;
        match &self.key {
            Some(key) => write!(f, "signed with {key}"),
            None => f.write_str("unsigned (no key given)"),
        }
    }
}

/// Makes, signs as `signing` says and writes the provenance of `folder`: a bundle folder, or,
/// with `made_from` (the bundle and the distribution release), a packages folder. The run is
/// this one: its builder `$DOCKYARD_BUILDER` when set (a CI job's URL), else this machine;
/// dockyard is the checkout this crate was built from.
pub fn attest(
    folder: &Utf8Path,
    made_from: Option<(&Utf8Path, &str)>,
    signing: &Signing,
) -> Result<Attested, ProvenanceError> {
    let builder = std::env::var("DOCKYARD_BUILDER")
        .ok()
        .filter(|b| !b.is_empty());
    let run = Run::new(
        builder,
        Dockyard::of_tree(Utf8Path::new(env!("CARGO_MANIFEST_DIR"))),
    )?;
    let statement = match made_from {
        Some((bundle, distro)) => packages_statement(folder, bundle, distro, &run)?,
        None => bundle_statement(folder, &run)?,
    };
    let (signer, key) = match signing {
        Signing::Unsigned => (None, None),
        Signing::Key(key) => (
            Some(oci_store::ArtifactSigner::from_pem_file(key)?),
            Some(key.clone()),
        ),
    };
    let path = write(folder, &Envelope::seal(&statement, signer.as_ref()))?;
    Ok(Attested {
        path,
        subjects: statement.subject.len(),
        key,
    })
}

/// [`verify`] with the public key in the file `key` (a PEM `PUBLIC KEY`, P-256: `cosign.pub`).
pub fn verify_with_key_file(
    folder: &Utf8Path,
    key: &Utf8Path,
    bundle: Option<&Utf8Path>,
) -> Result<Verified, ProvenanceError> {
    verify(
        folder,
        &oci_store::SignatureCheck::from_pem_file(key)?,
        bundle,
    )
}

/// Where the provenance of `folder` goes: beside it, `FOLDER.provenance.intoto.jsonl`.
pub fn provenance_path(folder: &Utf8Path) -> Utf8PathBuf {
    let name = folder.file_name().unwrap_or("output");
    folder.with_file_name(format!("{name}{SUFFIX}"))
}

/// Writes `envelope` as the one line of `folder`'s provenance file (atomically, replacing an
/// older one); returns its path.
pub fn write(folder: &Utf8Path, envelope: &Envelope) -> Result<Utf8PathBuf, ProvenanceError> {
    let path = provenance_path(folder);
    let mut line = serde_json::to_vec(envelope).unwrap_or_default();
    line.push(b'\n');
    build_core::fs::write_atomic(&path, &line).map_err(ProvenanceError::io("writing", &path))?;
    Ok(path)
}
