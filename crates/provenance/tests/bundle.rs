//! A bundle's provenance: what it names, where it goes, and what its check refuses.

mod common;

use bundle_format::Manifest;
use camino::Utf8Path;
use common::{bundle_copy, fixture, flip_byte, key_pair, run};
use oci_store::{ArtifactSigner, SignatureCheck};
use provenance::{Envelope, ProvenanceError, Statement};

fn signed(dir: &Utf8Path, key: &Utf8Path) -> Statement {
    let statement = provenance::bundle_statement(dir, &run()).unwrap();
    let signer = ArtifactSigner::from_pem_file(key).unwrap();
    provenance::write(dir, &Envelope::seal(&statement, Some(&signer))).unwrap();
    statement
}

fn check(dir: &Utf8Path, public: &Utf8Path) -> Result<provenance::Verified, ProvenanceError> {
    provenance::verify(dir, &SignatureCheck::from_pem_file(public).unwrap(), None)
}

#[test]
fn every_shipped_file_sha256sums_and_the_manifest_are_subjects_with_their_sha256() {
    let dir = fixture();
    let manifest = Manifest::read(dir).unwrap();
    let statement = provenance::bundle_statement(dir, &run()).unwrap();
    let mut expected: Vec<(String, String)> = manifest
        .files
        .iter()
        .map(|f| (f.path.clone(), f.sha256.clone()))
        .collect();
    for record in ["SHA256SUMS", "manifest.json"] {
        let sha = build_core::digest::sha256_file(&dir.join(record)).unwrap();
        expected.push((record.into(), sha));
    }
    let named: Vec<(String, String)> = statement
        .subject
        .iter()
        .map(|s| (s.name.clone(), s.digest["sha256"].clone()))
        .collect();
    assert_eq!(named, expected);
    assert!(named.iter().any(|(n, _)| n == "docker/runc"), "{named:?}");
    assert!(named.iter().any(|(n, _)| n == "SHA256SUMS"), "{named:?}");
}

#[test]
fn resolved_dependencies_are_the_manifests_commits_go_the_c_libraries_and_dockyard() {
    let dir = fixture();
    let manifest = Manifest::read(dir).unwrap();
    let statement = provenance::bundle_statement(dir, &run()).unwrap();
    let build = &statement.predicate.build_definition;
    assert_eq!(build.build_type, provenance::BUNDLE_BUILD_TYPE);
    assert_eq!(build.external_parameters["release"], manifest.version);
    assert_eq!(
        build.internal_parameters["sourceDateEpoch"],
        manifest.source_date_epoch
    );
    // What links C names the compiler that built it (the runc fixture's cgo), and only that.
    let built = build.internal_parameters["components"].as_array().unwrap();
    for c in &manifest.components {
        let recorded = built.iter().find(|b| b["name"] == c.name.as_str()).unwrap();
        assert_eq!(recorded["cCompiler"].as_str(), c.c_compiler.as_deref());
    }
    let runc = manifest
        .components
        .iter()
        .find(|c| c.name == "runc")
        .unwrap();
    assert!(
        runc.c_compiler.as_deref().unwrap().starts_with("gcc"),
        "{runc:?}"
    );
    let deps = &build.resolved_dependencies;
    // The host's glibc is an installed package, not a download: no digest is claimed for it.
    let host_glibc = deps.iter().find(|d| d.name.as_deref() == Some("glibc"));
    assert!(host_glibc.unwrap().digest.is_empty());
    for c in &manifest.components {
        let repo = c.repository.as_deref().unwrap();
        let tag = c.tag.as_deref().unwrap();
        let uri = format!("git+{repo}@refs/tags/{tag}");
        assert!(
            deps.iter().any(|d| d.uri.as_deref() == Some(uri.as_str())
                && d.digest_of("gitCommit") == Some(c.commit.as_str())),
            "{} at {} is not resolved: {deps:#?}",
            c.name,
            c.commit
        );
    }
    let go = manifest
        .components
        .iter()
        .find_map(|c| c.go.clone())
        .unwrap();
    assert!(
        deps.iter()
            .any(|d| d.name.as_deref() == Some("go") && d.annotations["version"] == go.as_str())
    );
    let glibc = deps
        .iter()
        .find(|d| d.name.as_deref() == Some("glibc"))
        .unwrap();
    assert!(
        glibc
            .uri
            .as_deref()
            .unwrap()
            .starts_with("pkg:deb/debian/libc6-dev@"),
        "{glibc:?}"
    );
    let (commit, dirty) = build_core::source::tree_head(Utf8Path::new(".")).unwrap();
    let dockyard = deps
        .iter()
        .find(|d| d.name.as_deref() == Some("dockyard"))
        .unwrap();
    assert_eq!(dockyard.digest_of("gitCommit"), Some(commit.as_str()));
    assert_eq!(dockyard.annotations["dirty"], dirty);
    let run = &statement.predicate.run_details;
    assert_eq!(run.builder.id, "https://ci.example/jobs/42");
    assert_eq!(run.byproducts[0].name.as_deref(), Some("sbom.spdx.json"));
}

#[test]
fn a_signed_statement_is_written_beside_the_folder_and_verifies() {
    let (_tmp, dir) = bundle_copy();
    let (private, public) = key_pair(dir.parent().unwrap(), "cosign");
    let statement = signed(&dir, &private);
    let path = dir
        .parent()
        .unwrap()
        .join("docker-29.7.2.provenance.intoto.jsonl");
    assert!(path.is_file(), "written beside the bundle");
    // Nothing was added to the folder: it still verifies, no extra file.
    bundle_format::verify(&dir).unwrap();
    let checked = check(&dir, &public).unwrap();
    assert_eq!(checked.envelope, path);
    assert_eq!(checked.subjects, statement.subject.len());
    let manifest = Manifest::read(&dir).unwrap();
    assert!(
        checked.sources >= manifest.components.len() - 1,
        "{checked:?}"
    );
    // One line, the payload the statement itself.
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 1);
    let envelope: Envelope = serde_json::from_str(&text).unwrap();
    let payload: Statement = serde_json::from_slice(&envelope.body().unwrap()).unwrap();
    assert_eq!(payload, statement);
}

#[test]
fn a_tampered_byte_in_a_shipped_file_is_refused_naming_the_file() {
    let (_tmp, dir) = bundle_copy();
    let (private, public) = key_pair(dir.parent().unwrap(), "cosign");
    signed(&dir, &private);
    flip_byte(&dir.join("docker/runc"));
    let e = check(&dir, &public).unwrap_err();
    assert!(matches!(e, ProvenanceError::Subject { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("{dir}/docker/runc is refused: its SHA-256")),
        "{e}"
    );
}

#[test]
fn a_tampered_manifest_is_refused_naming_it() {
    let (_tmp, dir) = bundle_copy();
    let (private, public) = key_pair(dir.parent().unwrap(), "cosign");
    signed(&dir, &private);
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let commit = &Manifest::read(&dir).unwrap().components[0].commit;
    let forged = text.replacen(commit.as_str(), &"0".repeat(40), 1);
    assert_ne!(forged, text);
    std::fs::write(&path, forged).unwrap();
    let e = check(&dir, &public).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!("{path} is refused")),
        "{e}"
    );
}

#[test]
fn a_tampered_envelope_is_refused_naming_it() {
    let (_tmp, dir) = bundle_copy();
    let (private, public) = key_pair(dir.parent().unwrap(), "cosign");
    signed(&dir, &private);
    let path = provenance::provenance_path(&dir);
    // One byte of the payload changed, the signature kept: a subject's digest, forged.
    let mut envelope: Envelope =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let body = String::from_utf8(envelope.body().unwrap()).unwrap();
    let manifest = Manifest::read(&dir).unwrap();
    let runc = &manifest
        .files
        .iter()
        .find(|f| f.path == "docker/runc")
        .unwrap()
        .sha256;
    let forged = body.replacen(runc.as_str(), &format!("{}0", &runc[..63]), 1);
    assert_ne!(forged, body);
    use base64::Engine;
    envelope.payload = base64::engine::general_purpose::STANDARD.encode(forged);
    std::fs::write(&path, serde_json::to_string(&envelope).unwrap()).unwrap();
    let e = check(&dir, &public).unwrap_err();
    assert!(matches!(e, ProvenanceError::Unsigned { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with(&format!("the provenance envelope {path} is refused")),
        "{e}"
    );
    // And a byte of the file itself: no longer JSON.
    flip_byte(&path);
    let e = check(&dir, &public).unwrap_err();
    assert!(e.to_string().contains(path.as_str()), "{e}");
}

#[test]
fn another_key_or_no_signature_is_refused() {
    let (_tmp, dir) = bundle_copy();
    let parent = dir.parent().unwrap().to_owned();
    let (private, _) = key_pair(&parent, "ours");
    let (_, theirs) = key_pair(&parent, "theirs");
    signed(&dir, &private);
    let e = check(&dir, &theirs).unwrap_err();
    assert!(
        e.to_string()
            .contains("none of its 1 signature(s) is the key's"),
        "{e}"
    );
    let statement = provenance::bundle_statement(&dir, &run()).unwrap();
    let unsigned = Envelope::seal(&statement, None);
    assert!(!unsigned.is_signed());
    provenance::write(&dir, &unsigned).unwrap();
    let e = check(&dir, &theirs).unwrap_err();
    assert!(e.to_string().contains("it is unsigned"), "{e}");
}

#[test]
fn resolved_dependencies_that_are_not_the_manifests_are_refused_naming_it() {
    let (_tmp, dir) = bundle_copy();
    let (private, public) = key_pair(dir.parent().unwrap(), "cosign");
    let signer = ArtifactSigner::from_pem_file(&private).unwrap();
    let manifest = Manifest::read(&dir).unwrap();
    let commit = manifest.components[0].commit.clone();
    // A statement a builder signed, naming another commit than the manifest records.
    let mut statement = provenance::bundle_statement(&dir, &run()).unwrap();
    for d in &mut statement.predicate.build_definition.resolved_dependencies {
        if d.digest_of("gitCommit") == Some(commit.as_str()) {
            d.digest.insert("gitCommit".into(), "1".repeat(40));
        }
    }
    provenance::write(&dir, &Envelope::seal(&statement, Some(&signer))).unwrap();
    let e = check(&dir, &public).unwrap_err();
    assert!(matches!(e, ProvenanceError::Manifest { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{dir}/manifest.json and the provenance disagree")),
        "{text}"
    );
    assert!(text.contains(&commit), "{text}");
}
