//! Checking provenance: the envelope's signature, every subject's digest against its file, and
//! the resolved dependencies against the manifest's commits and patches.

use std::collections::BTreeSet;

use bundle_format::Manifest;
use bundle_format::manifest::MANIFEST;
use camino::{Utf8Path, Utf8PathBuf};
use oci_store::SignatureCheck;

use crate::dsse::{Envelope, PAYLOAD_TYPE};
use crate::model::{PREDICATE_TYPE, ResourceDescriptor, STATEMENT_TYPE, Statement};
use crate::statement::{RECORDS, bundle_manifest, sha256, source_dependencies};
use crate::{BUNDLE_BUILD_TYPE, PACKAGES_BUILD_TYPE, ProvenanceError, provenance_path};

/// What a check found.
#[derive(Debug)]
#[non_exhaustive]
pub struct Verified {
    /// The envelope checked.
    pub envelope: Utf8PathBuf,
    /// The public key that signed it.
    pub key: Utf8PathBuf,
    /// Files whose digests matched.
    pub subjects: usize,
    /// Registry manifests it names (a push added them; not files).
    pub manifests: usize,
    /// Commits and patches found to be the manifest's.
    pub sources: usize,
    /// Whether a package set's bundle was checked too (always, for a bundle).
    pub manifest_checked: bool,
}

/// Checks the provenance beside `folder` (a bundle folder or a packages folder) with `key`: its
/// signature, that every subject is the file of that name in `folder` and every file is a
/// subject, and that its commits and patches are the manifest's (a bundle's own; for packages,
/// `bundle`'s when given, whose `manifest.json` must be the one the provenance names). The
/// bundle's own checks (`SHA256SUMS`, the SBOM) are [`bundle_format::verify`]'s.
pub fn verify(
    folder: &Utf8Path,
    key: &SignatureCheck,
    bundle: Option<&Utf8Path>,
) -> Result<Verified, ProvenanceError> {
    let path = provenance_path(folder);
    let envelope = read_envelope(&path)?;
    let statement = open(&path, &envelope, key)?;
    let sources = check_statement(folder, &path, &statement, bundle)?;
    let manifests = statement.subject.iter().filter(|s| s.is_manifest()).count();
    Ok(Verified {
        envelope: path,
        key: key.path().to_owned(),
        subjects: statement.subject.len() - manifests,
        manifests,
        sources: sources.unwrap_or(0),
        manifest_checked: sources.is_some(),
    })
}

/// The envelope in the provenance file at `path`: one line, at most
/// [`oci_store::MAX_ENVELOPE`] bytes (checked before it is read).
pub(crate) fn read_envelope(path: &Utf8Path) -> Result<Envelope, ProvenanceError> {
    let size = std::fs::metadata(path)
        .map_err(ProvenanceError::io("reading", path))?
        .len();
    if size > oci_store::MAX_ENVELOPE {
        return Err(refused(
            path,
            format!(
                "it is {size} bytes, over the {} an envelope may be",
                oci_store::MAX_ENVELOPE
            ),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(ProvenanceError::io("reading", path))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let (Some(line), None) = (lines.next(), lines.next()) else {
        return Err(refused(
            path,
            "it does not hold exactly one envelope".into(),
        ));
    };
    parse_envelope(path, line.as_bytes())
}

/// `bytes` as an envelope of an in-toto statement; `path` names it in an error.
pub(crate) fn parse_envelope(path: &Utf8Path, bytes: &[u8]) -> Result<Envelope, ProvenanceError> {
    let envelope: Envelope = serde_json::from_slice(bytes)
        .map_err(|e| refused(path, format!("not a DSSE envelope: {e}")))?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(refused(
            path,
            format!("its payload type is {}", envelope.payload_type),
        ));
    }
    Ok(envelope)
}

/// Checks `statement` (from the envelope at `path`) against `folder`: every file subject is
/// the file of that name in it and every file a subject; its commits and patches are the
/// manifest's. Returns how many commits and patches were checked, none when no manifest was
/// at hand (packages checked without their bundle).
pub(crate) fn check_statement(
    folder: &Utf8Path,
    path: &Utf8Path,
    statement: &Statement,
    bundle: Option<&Utf8Path>,
) -> Result<Option<usize>, ProvenanceError> {
    let build_type = statement.predicate.build_definition.build_type.as_str();
    let expected: BTreeSet<String> = match build_type {
        BUNDLE_BUILD_TYPE => {
            let mut names: BTreeSet<String> = Manifest::read(folder)?
                .files
                .into_iter()
                .map(|f| f.path)
                .collect();
            names.extend(RECORDS.map(str::to_owned));
            names
        }
        PACKAGES_BUILD_TYPE => package_files(folder)?,
        other => {
            return Err(refused(
                path,
                format!("its build type {other} is not dockyard's"),
            ));
        }
    };
    check_subjects(folder, statement, &expected)?;
    let dependencies = &statement.predicate.build_definition.resolved_dependencies;
    let manifest_dir = match (build_type, bundle) {
        (BUNDLE_BUILD_TYPE, _) => Some(folder),
        (_, Some(bundle)) => {
            let named = bundle_manifest(bundle)?;
            if !dependencies.contains(&named) {
                return Err(ProvenanceError::Manifest {
                    path: bundle.join(MANIFEST),
                    problem: "the provenance names another bundle's manifest".into(),
                });
            }
            Some(bundle)
        }
        _ => None,
    };
    manifest_dir
        .map(|dir| check_sources(dir, dependencies))
        .transpose()
}

impl std::fmt::Display for Verified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: signed with {}; {} files match",
            self.envelope, self.key, self.subjects
        )?;
        if self.manifests > 0 {
            write!(f, " (and it names {} registry manifests)", self.manifests)?;
        }
        if self.manifest_checked {
            write!(
                f,
                "; its {} commits and patches are the manifest's",
                self.sources
            )?;
        }
        Ok(())
    }
}

/// The statement in `envelope` (from `path`), once its signature is `key`'s.
pub(crate) fn open(
    path: &Utf8Path,
    envelope: &Envelope,
    key: &SignatureCheck,
) -> Result<Statement, ProvenanceError> {
    envelope
        .check(key)
        .map_err(|why| ProvenanceError::Unsigned {
            path: path.to_owned(),
            key: key.path().to_owned(),
            why,
        })?;
    statement_of(path, envelope)
}

/// The statement in `envelope` (from `path`), signed or not.
pub(crate) fn statement_of(
    path: &Utf8Path,
    envelope: &Envelope,
) -> Result<Statement, ProvenanceError> {
    let body = envelope.body().map_err(|e| refused(path, e))?;
    let statement: Statement = serde_json::from_slice(&body)
        .map_err(|e| refused(path, format!("its payload is not SLSA provenance: {e}")))?;
    if statement.type_ != STATEMENT_TYPE || statement.predicate_type != PREDICATE_TYPE {
        return Err(refused(
            path,
            format!(
                "its payload is a {} of {}",
                statement.type_, statement.predicate_type
            ),
        ));
    }
    Ok(statement)
}

fn check_subjects(
    folder: &Utf8Path,
    statement: &Statement,
    expected: &BTreeSet<String>,
) -> Result<(), ProvenanceError> {
    let subject_err = |name: &str, problem: String| ProvenanceError::Subject {
        path: folder.join(name),
        problem,
    };
    let mut seen = BTreeSet::new();
    for s in statement.subject.iter().filter(|s| !s.is_manifest()) {
        if !expected.contains(&s.name) || !seen.insert(s.name.as_str()) {
            return Err(subject_err(
                &s.name,
                "the provenance names it, but it is not a file of this folder's (or named twice)"
                    .into(),
            ));
        }
        let file = folder.join(&s.name);
        if !file.is_file() {
            return Err(subject_err(&s.name, "missing".into()));
        }
        let actual = sha256(&file)?;
        let recorded = s.digest.get("sha256").map_or("none", String::as_str);
        if actual != recorded {
            return Err(subject_err(
                &s.name,
                format!("its SHA-256 is {actual}, the provenance says {recorded}"),
            ));
        }
    }
    if let Some(missing) = expected.iter().find(|n| !seen.contains(n.as_str())) {
        return Err(subject_err(
            missing,
            "the provenance does not name it".into(),
        ));
    }
    Ok(())
}

/// Every commit and patch in `dir`'s manifest is a resolved dependency, and the statement
/// names no other commit or patch.
fn check_sources(
    dir: &Utf8Path,
    dependencies: &[ResourceDescriptor],
) -> Result<usize, ProvenanceError> {
    let manifest = Manifest::read(dir)?;
    let disagree = |problem: String| ProvenanceError::Manifest {
        path: dir.join(MANIFEST),
        problem,
    };
    let recorded = source_dependencies(&manifest);
    let describe = |d: &ResourceDescriptor| {
        let digest = d.digest_of("gitCommit").or(d.digest_of("sha256"));
        format!(
            "{} at {}",
            d.uri
                .as_deref()
                .or(d.name.as_deref())
                .unwrap_or("a dependency"),
            digest.unwrap_or("no digest")
        )
    };
    if let Some(d) = recorded.iter().find(|d| !dependencies.contains(d)) {
        return Err(disagree(format!(
            "it records {}, which the provenance does not name",
            describe(d)
        )));
    }
    let is_source = |d: &&ResourceDescriptor| {
        d.digest_of("gitCommit").is_some() && d.name.as_deref() != Some("dockyard")
            || d.name.as_deref().is_some_and(|n| n.starts_with("patches/"))
    };
    if let Some(d) = dependencies
        .iter()
        .filter(is_source)
        .find(|d| !recorded.contains(d))
    {
        return Err(disagree(format!(
            "the provenance names {}, which it does not record",
            describe(d)
        )));
    }
    Ok(recorded.len())
}

/// The package files in a packages folder.
pub(crate) fn package_files(folder: &Utf8Path) -> Result<BTreeSet<String>, ProvenanceError> {
    let mut names = BTreeSet::new();
    for entry in folder
        .read_dir_utf8()
        .map_err(ProvenanceError::io("reading", folder))?
    {
        let entry = entry.map_err(ProvenanceError::io("reading", folder))?;
        let name = entry.file_name();
        if !name.starts_with('.') && (name.ends_with(".deb") || name.ends_with(".rpm")) {
            names.insert(name.to_owned());
        }
    }
    Ok(names)
}

fn refused(path: &Utf8Path, problem: String) -> ProvenanceError {
    ProvenanceError::Envelope {
        path: path.to_owned(),
        problem,
    }
}
