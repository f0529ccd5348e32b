//! Artifacts of files in a real registry (Debian's `docker-registry` on the loopback):
//! anonymous round trips, tampering, a registry that dies mid-push, and signatures.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use engine::Registry;
use oci_store::{
    ArtifactFile, ArtifactSigner, NewArtifact, RegistryOptions, Repository, SignatureCheck,
    StoreError, pull_artifact, push_artifact,
};

const TYPE: &str = "application/vnd.dockyard.test.v1+json";

fn utf8(dir: &tempfile::TempDir) -> Utf8PathBuf {
    Utf8PathBuf::from_path_buf(dir.path().to_owned()).unwrap()
}

fn registry() -> Registry {
    Registry::start(None).expect("Debian's docker-registry must be installed (.ci/run installs it)")
}

fn open(registry: &Registry, name: &str) -> Repository {
    let mut options = RegistryOptions::default();
    options.certs_dir = "/nonexistent".into();
    Repository::open(&format!("{}/{name}", registry.address()), &options).unwrap()
}

fn files(dir: &Utf8Path, contents: &[(&str, Vec<u8>)]) -> Vec<ArtifactFile> {
    contents
        .iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            ArtifactFile {
                name: (*name).to_owned(),
                path,
                media_type: "application/octet-stream".into(),
            }
        })
        .collect()
}

fn artifact(files: Vec<ArtifactFile>) -> NewArtifact<'static> {
    NewArtifact {
        artifact_type: TYPE,
        config: Some((
            "application/vnd.dockyard.test.config.v1+json",
            b"{\"k\":1}".to_vec(),
        )),
        files,
        annotations: BTreeMap::new(),
    }
}

/// Where distribution keeps a blob's bytes.
fn blob_data(registry: &Registry, digest: &str) -> Utf8PathBuf {
    let hex = digest.trim_start_matches("sha256:");
    registry.storage().join(format!(
        "docker/registry/v2/blobs/sha256/{}/{hex}/data",
        &hex[..2]
    ))
}

#[test]
fn an_artifact_pushed_anonymously_comes_back_byte_for_byte() {
    let registry = registry();
    let repo = open(&registry, "team/cache");
    let src = tempfile::tempdir().unwrap();
    let pushed = push_artifact(
        &repo,
        &artifact(files(
            &utf8(&src),
            &[("runc", b"\x7fELF runc".to_vec()), ("notes", b"n".to_vec())],
        )),
        Some("runc-0123"),
        None,
    )
    .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let pulled = pull_artifact(&repo, "runc-0123", TYPE, &utf8(&dest), None)
        .unwrap()
        .expect("the tag is there");
    assert_eq!(pulled.digest, pushed.digest);
    assert_eq!(pulled.config, b"{\"k\":1}");
    let names: Vec<&str> = pulled.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["runc", "notes"]);
    assert_eq!(
        std::fs::read(utf8(&dest).join("runc")).unwrap(),
        b"\x7fELF runc"
    );
    // A tag nobody pushed is simply absent.
    assert!(
        pull_artifact(&repo, "runc-4567", TYPE, &utf8(&dest), None)
            .unwrap()
            .is_none()
    );
}

#[test]
fn a_tampered_blob_is_refused_and_nothing_is_written() {
    let registry = registry();
    let repo = open(&registry, "team/cache");
    let src = tempfile::tempdir().unwrap();
    let pushed_bytes = b"the real binary".to_vec();
    push_artifact(
        &repo,
        &artifact(files(&utf8(&src), &[("dockerd", pushed_bytes.clone())])),
        Some("moby-1"),
        None,
    )
    .unwrap();
    let digest = oci_store::sha256_digest(&pushed_bytes);
    // Someone with write access to the storage swaps the bytes (same length).
    std::fs::write(blob_data(&registry, &digest), b"a poisoned bin!").unwrap();
    let dest = tempfile::tempdir().unwrap();
    let err = pull_artifact(&repo, "moby-1", TYPE, &utf8(&dest), None).unwrap_err();
    assert!(matches!(err, StoreError::Tampered { .. }), "{err}");
    assert!(err.to_string().contains(&digest), "{err}");
    assert!(
        !utf8(&dest).join("dockerd").exists(),
        "a refused blob is never written"
    );
}

#[test]
fn a_registry_stopped_mid_push_publishes_nothing() {
    let mut registry = registry();
    let repo = open(&registry, "team/cache");
    let src = tempfile::tempdir().unwrap();
    // Big enough that uploading takes a while; different bytes so no blob is shared.
    let big: Vec<(String, Vec<u8>)> = (0..4u8)
        .map(|i| (format!("part{i}"), vec![i; 48 << 20]))
        .collect();
    let contents: Vec<(&str, Vec<u8>)> = big.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let new = artifact(files(&utf8(&src), &contents));
    let first_blob = blob_data(&registry, &oci_store::sha256_digest(&big[0].1));
    let pushed = std::thread::scope(|scope| {
        let push = scope.spawn(|| push_artifact(&repo, &new, Some("containerd-9"), None));
        // Stop the server as soon as the first file has landed. That file is another
        // process's, under folders the registry has yet to make: no event of ours to block
        // on, so this polls, with a deadline.
        let landed = build_core::wait::until(
            std::time::Duration::from_secs(120),
            std::time::Duration::from_millis(2),
            || {
                if first_blob.exists() {
                    Some(true)
                } else {
                    push.is_finished().then_some(false)
                }
            },
        );
        match landed {
            Ok(true) => {}
            Ok(false) => panic!("the push finished before it could be interrupted"),
            Err(e) => panic!("the first blob never landed: {e}"),
        }
        registry.stop();
        push.join().unwrap()
    });
    let err = pushed.expect_err("a push to a registry that died fails");
    assert!(matches!(err, StoreError::Registry { .. }), "{err}");
    registry.resume().unwrap();
    let dest = tempfile::tempdir().unwrap();
    assert!(
        pull_artifact(&repo, "containerd-9", TYPE, &utf8(&dest), None)
            .unwrap()
            .is_none(),
        "no tag points at a half-pushed artifact"
    );
}

#[test]
fn only_artifacts_signed_with_the_trusted_key_are_used() {
    let registry = registry();
    let repo = open(&registry, "team/cache");
    let keys = tempfile::tempdir().unwrap();
    let (team_key, team_pub) = test_fixtures::signing_key_pair(&utf8(&keys), "team");
    let (other_key, _) = test_fixtures::signing_key_pair(&utf8(&keys), "other");
    let src = tempfile::tempdir().unwrap();
    let signer = ArtifactSigner::from_pem_file(&team_key).unwrap();
    let intruder = ArtifactSigner::from_pem_file(&other_key).unwrap();
    let check = SignatureCheck::from_pem_file(&team_pub).unwrap();
    let new = |bytes: &[u8]| artifact(files(&utf8(&src), &[("tini", bytes.to_vec())]));
    push_artifact(&repo, &new(b"signed"), Some("signed"), Some(&signer)).unwrap();
    push_artifact(&repo, &new(b"unsigned"), Some("unsigned"), None).unwrap();
    push_artifact(&repo, &new(b"intruder"), Some("intruder"), Some(&intruder)).unwrap();

    let dest = tempfile::tempdir().unwrap();
    let pulled = pull_artifact(&repo, "signed", TYPE, &utf8(&dest), Some(&check)).unwrap();
    assert!(pulled.is_some());
    for (tag, why) in [
        ("unsigned", "it has no signature"),
        ("intruder", "a signature by another key"),
    ] {
        let err = pull_artifact(&repo, tag, TYPE, &utf8(&dest), Some(&check)).unwrap_err();
        assert!(matches!(err, StoreError::Unsigned { .. }), "{err}");
        assert!(err.to_string().contains(why), "{tag}: {err}");
        assert!(err.to_string().contains(team_pub.as_str()), "{err}");
    }
}
