//! Provenance in a registry (Debian's `docker-registry` on the loopback): `push --sign`
//! attaches each bundle's signed provenance where cosign keeps attestations, and the real
//! `cosign verify-attestation` accepts it; `pull --verify` checks it against the pulled files
//! and keeps it beside them, and refuses one that was changed or signed by another key.

mod common;

use std::process::Command;

use build_core::progress::Silent;
use camino::{Utf8Path, Utf8PathBuf};
use common::{bundle_copy, key_pair};
use engine::Registry;
use oci_store::{
    ATTESTATION_MEDIA_TYPE, ArtifactSigner, RegistryOptions, Repository, STATEMENT_MEDIA_TYPE,
    SignatureCheck, StoreError, attestation_tag, pull_bundles, push_bundles,
};
use provenance::{Envelope, RegistryProvenance, Signing, Statement};
use serde_json::Value;

const TAG: &str = "29";

struct Pushed {
    _registry: Registry,
    repo: Repository,
    reference: String,
    index: String,
    manifest: String,
    _tmp: tempfile::TempDir,
    keys: Utf8PathBuf,
}

/// A registry on the loopback, and its repository `team/docker` (and that reference).
fn registry() -> (Registry, Repository, String) {
    let registry = Registry::start(None)
        .expect("Debian's docker-registry must be installed (.ci/run installs it)");
    let mut options = RegistryOptions::default();
    options.certs_dir = "/nonexistent".into();
    let reference = format!("{}/team/docker", registry.address());
    let repo = Repository::open(&reference, &options).unwrap();
    (registry, repo, reference)
}

/// Pulls the pushed set, checked with `cosign.pub`, into a fresh folder: the error, once it
/// is sure nothing was written.
fn refused_pull(p: &Pushed) -> StoreError {
    let check = SignatureCheck::from_pem_file(&p.keys.join("cosign.pub")).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let dest = Utf8Path::from_path(dest.path()).unwrap();
    let attestations = Some(&RegistryProvenance as &dyn oci_store::Attestations);
    let pulled = pull_bundles(&p.repo, TAG, &[], dest, Some(&check), attestations, &Silent);
    let left: Vec<_> = dest.read_dir_utf8().unwrap().collect();
    assert!(left.is_empty(), "nothing is written: {left:?}");
    pulled.unwrap_err()
}

/// The fixture bundle, its provenance signed with `cosign.key`, pushed signed with that key.
fn pushed() -> Pushed {
    let (tmp, dir) = bundle_copy();
    let keys = dir.parent().unwrap().to_owned();
    let (private, _) = key_pair(&keys, "cosign");
    key_pair(&keys, "other");
    provenance::attest(&dir, None, &Signing::Key(private.clone())).unwrap();
    let (registry, repo, reference) = registry();
    let signer = ArtifactSigner::from_pem_file(&private).unwrap();
    let pushed = push_bundles(
        &repo,
        TAG,
        &[dir],
        Some(&signer),
        Some(&RegistryProvenance),
        &Silent,
    )
    .unwrap();
    let manifest = pushed.platforms[0].1.clone();
    Pushed {
        _registry: registry,
        repo,
        reference,
        index: pushed.index,
        manifest,
        _tmp: tmp,
        keys,
    }
}

const IMAGE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// The manifest tagged with the attestations of `digest`, and its envelopes.
fn attestations(p: &Pushed, digest: &str) -> (Value, Vec<Envelope>) {
    let (bytes, _) = p.repo.manifest(&attestation_tag(digest)).unwrap().unwrap();
    let manifest: Value = serde_json::from_slice(&bytes).unwrap();
    let envelopes = (manifest["layers"].as_array().unwrap().iter())
        .map(|l| {
            let (digest, size) = (l["digest"].as_str().unwrap(), l["size"].as_u64().unwrap());
            let bytes = p.repo.blob_bytes(digest, size, 1 << 22).unwrap();
            serde_json::from_slice(&bytes).unwrap()
        })
        .collect();
    (manifest, envelopes)
}

fn statement(envelope: &Envelope) -> Statement {
    serde_json::from_slice(&envelope.body().unwrap()).unwrap()
}

fn names(statement: &Statement, digest: &str) -> bool {
    let hex = digest.strip_prefix("sha256:").unwrap();
    statement
        .subject
        .iter()
        .any(|s| s.is_manifest() && s.digest["sha256"] == hex)
}

/// cosign, built from Go's module proxy (`.ci/run` installs it).
fn cosign() -> Utf8PathBuf {
    test_fixtures::go_installed("cosign", "github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5")
}

fn cosign_verify_attestation(p: &Pushed, key: &str, reference: &str) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(cosign())
        .args(["verify-attestation", "--key"])
        .arg(p.keys.join(key))
        .args([
            "--type",
            "slsaprovenance1",
            "--insecure-ignore-tlog=true",
            "--allow-http-registry=true",
            "--output",
            "json",
            reference,
        ])
        .env("HOME", home.path())
        .env("SIGSTORE_NO_CACHE", "true")
        .output()
        .unwrap()
}

#[test]
fn a_signed_push_attaches_the_provenance_naming_the_manifest_and_the_index() {
    let p = pushed();
    let (manifest, envelopes) = attestations(&p, &p.manifest);
    assert_eq!(envelopes.len(), 1);
    let layer = &manifest["layers"][0];
    assert_eq!(layer["mediaType"], ATTESTATION_MEDIA_TYPE);
    let annotations = &layer["annotations"];
    assert_eq!(
        annotations["predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(annotations["dev.cosignproject.cosign/signature"], "");
    let check = SignatureCheck::from_pem_file(&p.keys.join("cosign.pub")).unwrap();
    envelopes[0].check(&check).unwrap();
    let pushed = statement(&envelopes[0]);
    assert!(names(&pushed, &p.manifest) && names(&pushed, &p.index));
    // Besides the two manifests, the subjects are the bundle's own files.
    let local = provenance::bundle_statement(&bundle_copy().1, &common::run()).unwrap();
    let files: Vec<_> = pushed.subject.iter().filter(|s| !s.is_manifest()).collect();
    assert_eq!(files.len(), local.subject.len());
    // The index carries the same envelope: a tag names the index.
    let (_, on_index) = attestations(&p, &p.index);
    assert_eq!(on_index, envelopes);
    // And each is an OCI 1.1 referrer of its manifest too, holding the same envelope.
    let referrers = (p.repo)
        .referrers(&p.manifest, Some(STATEMENT_MEDIA_TYPE))
        .unwrap();
    assert_eq!(referrers.len(), 1);
    let (bytes, _) = p.repo.manifest(&referrers[0].digest).unwrap().unwrap();
    let referrer: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(referrer["subject"]["digest"], p.manifest.as_str());
    assert_eq!(
        referrer["layers"][0]["digest"],
        manifest["layers"][0]["digest"]
    );
}

#[test]
fn cosign_verify_attestation_accepts_it_with_the_key_and_refuses_another() {
    let p = pushed();
    for reference in [
        format!("{}:{TAG}", p.reference),
        format!("{}@{}", p.reference, p.manifest),
    ] {
        let out = cosign_verify_attestation(&p, "cosign.pub", &reference);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{reference}: {stderr}");
        let envelope: Envelope = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            names(&statement(&envelope), &p.manifest),
            "cosign printed the statement naming the manifest"
        );
    }
    let out = cosign_verify_attestation(&p, "other.pub", &format!("{}:{TAG}", p.reference));
    assert!(!out.status.success(), "another key is refused");
}

#[test]
fn a_verified_pull_keeps_the_provenance_beside_the_bundle() {
    let p = pushed();
    let dest = tempfile::tempdir().unwrap();
    let dest = Utf8Path::from_path(dest.path()).unwrap();
    let check = SignatureCheck::from_pem_file(&p.keys.join("cosign.pub")).unwrap();
    let folders = pull_bundles(
        &p.repo,
        TAG,
        &[],
        dest,
        Some(&check),
        Some(&RegistryProvenance),
        &Silent,
    )
    .unwrap();
    let verified = provenance::verify(&folders[0], &check, None).unwrap();
    assert_eq!(verified.manifests, 2, "{verified}");
    assert!(verified.subjects > 10, "{verified}");
}

/// Replaces the attestations of the pushed manifest with `envelope`.
fn replace_attestation(p: &Pushed, envelope: &Envelope) {
    let tag = attestation_tag(&p.manifest);
    let (bytes, _) = p.repo.manifest(&tag).unwrap().unwrap();
    let mut manifest: Value = serde_json::from_slice(&bytes).unwrap();
    let line = serde_json::to_vec(envelope).unwrap();
    manifest["layers"][0]["size"] = line.len().into();
    manifest["layers"][0]["digest"] = p.repo.push_blob(line).unwrap().into();
    let bytes = serde_json::to_vec(&manifest).unwrap();
    p.repo.push_manifest(&tag, bytes, IMAGE_MANIFEST).unwrap();
}

#[test]
fn a_pull_refuses_provenance_changed_or_signed_by_another_key_and_writes_nothing() {
    let p = pushed();
    let (_, envelopes) = attestations(&p, &p.manifest);
    let mut changed = statement(&envelopes[0]);
    let file = (changed.subject.iter_mut()).find(|s| s.name == "manifest.json");
    file.unwrap()
        .digest
        .insert("sha256".into(), "00".repeat(32));
    let cases = [
        // Re-signed by the team's key, but it says another manifest.json.
        (
            Envelope::seal(&changed, Some(&signer(&p, "cosign.key"))),
            "manifest.json",
        ),
        // The pushed statement, signed by another key.
        (
            Envelope::seal(&statement(&envelopes[0]), Some(&signer(&p, "other.key"))),
            "signature",
        ),
    ];
    for (envelope, named) in cases {
        replace_attestation(&p, &envelope);
        let err = refused_pull(&p);
        assert!(matches!(err, StoreError::Attestation { .. }), "{err:?}");
        assert!(err.to_string().contains(named), "{err}");
    }
}

fn signer(p: &Pushed, key: &str) -> ArtifactSigner {
    ArtifactSigner::from_pem_file(&p.keys.join(key)).unwrap()
}

#[test]
fn a_push_refuses_provenance_signed_by_another_key_than_its_own() {
    let (_tmp, dir) = bundle_copy();
    let keys = dir.parent().unwrap().to_owned();
    let (theirs, _) = key_pair(&keys, "theirs");
    let (ours, _) = key_pair(&keys, "ours");
    provenance::attest(&dir, None, &Signing::Key(theirs)).unwrap();
    let (_registry, repo, _) = registry();
    let err = push_bundles(
        &repo,
        TAG,
        &[dir],
        Some(&ArtifactSigner::from_pem_file(&ours).unwrap()),
        Some(&RegistryProvenance),
        &Silent,
    )
    .unwrap_err();
    assert!(err.to_string().contains("another key"), "{err}");
    assert!(
        repo.manifest(TAG).unwrap().is_none(),
        "the tag was not pushed"
    );
}

#[test]
fn an_attestation_declaring_more_than_an_envelope_may_be_is_refused_before_it_is_fetched() {
    let p = pushed();
    let tag = attestation_tag(&p.manifest);
    let (bytes, _) = p.repo.manifest(&tag).unwrap().unwrap();
    let mut manifest: Value = serde_json::from_slice(&bytes).unwrap();
    manifest["layers"][0]["size"] = (1u64 << 40).into();
    let bytes = serde_json::to_vec(&manifest).unwrap();
    p.repo.push_manifest(&tag, bytes, IMAGE_MANIFEST).unwrap();
    let err = refused_pull(&p);
    assert!(err.to_string().contains("1099511627776"), "{err}");
}
