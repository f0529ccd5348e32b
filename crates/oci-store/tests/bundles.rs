//! Published bundles as an OCI image index in a real registry (Debian's `docker-registry` on
//! the loopback): real fixture bundles, built once per run with `bundle::build_bundle` from
//! the fixture upstreams (the host's, and linux/arm64 cross-built as `xtask/tests/cross.rs`
//! does), pushed as a two-platform set, pulled back byte for byte, refused when damaged,
//! tampered with or signed by another key.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use build_core::Target;
use build_core::progress::Silent;
use oci_client::manifest::{OciImageIndex, OciImageManifest};
use oci_store::{
    ArtifactSigner, BUNDLE_ARTIFACT_TYPE, BUNDLE_MANIFEST_ARTIFACT_TYPE, SBOM_ARTIFACT_TYPE,
    SIGNATURE_ARTIFACT_TYPE, SignatureCheck, StoreError, TITLE, pull_bundles, push_bundles,
};

use common::*;

#[test]
fn a_two_platform_set_comes_back_byte_for_byte() {
    let f = fixtures();
    let registry = registry();
    let repo = open(&registry);
    let pushed = push_bundles(&repo, TAG, &f.both(), None, None, &Silent).unwrap();

    let index: OciImageIndex = fetch(&repo, TAG);
    assert_eq!(
        index.media_type.as_deref(),
        Some("application/vnd.oci.image.index.v1+json")
    );
    assert_eq!(index.artifact_type.as_deref(), Some(BUNDLE_ARTIFACT_TYPE));
    let epoch = bundle::Manifest::read(&f.host).unwrap().source_date_epoch;
    let annotations = index.annotations.clone().unwrap();
    assert_eq!(annotations["org.opencontainers.image.version"], VERSION);
    assert_eq!(
        annotations["org.opencontainers.image.created"],
        build_core::build::rfc3339(epoch)
    );
    // Each platform's os and architecture (no variant for these two), and its manifest.
    let listed: Vec<(String, &str)> = (index.manifests.iter())
        .map(|e| (e.platform.as_ref().unwrap(), e.digest.as_str()))
        .map(|(p, d)| (format!("{}/{}", p.os, p.architecture), d))
        .collect();
    assert!(
        index
            .manifests
            .iter()
            .all(|e| e.platform.as_ref().unwrap().variant.is_none())
    );
    let expected: Vec<(String, &str)> = (pushed.platforms.iter())
        .map(|(t, d)| (t.to_string(), d.as_str()))
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(listed[0].0, Target::host().to_string());
    assert_eq!(listed[1].0, f.other_target.to_string());

    // One layer per file, named by its path; manifest.json and the SBOM are not layers.
    let host: OciImageManifest = fetch(&repo, &pushed.platforms[0].1);
    assert_eq!(host.artifact_type.as_deref(), Some(BUNDLE_ARTIFACT_TYPE));
    let layers: BTreeMap<String, String> = host
        .layers
        .iter()
        .map(|l| {
            (
                l.annotations.as_ref().unwrap()[TITLE].clone(),
                l.media_type.clone(),
            )
        })
        .collect();
    assert_eq!(layers["docker/dockerd"], "application/octet-stream");
    assert_eq!(layers[&format!("docker-{VERSION}.tgz")], "application/gzip");
    assert_eq!(layers["SHA256SUMS"], "application/octet-stream");
    assert!(!layers.contains_key("manifest.json") && !layers.contains_key("sbom.spdx.json"));

    let dest = tempfile::tempdir().unwrap();
    let dest = utf8(&dest);
    let targets = [Target::host(), f.other_target.clone()];
    let pulled = pull_bundles(&repo, TAG, &targets, &dest, None, None, &Silent).unwrap();
    let folder = |t: &Target| {
        dest.join(t.architecture().unwrap().docker)
            .join(format!("docker-{VERSION}"))
    };
    assert_eq!(pulled, [folder(&targets[0]), folder(&targets[1])]);
    for (dir, source) in pulled.iter().zip([&f.host, &f.other]) {
        assert_eq!(
            std::fs::read(dir.join("SHA256SUMS")).unwrap(),
            std::fs::read(source.join("SHA256SUMS")).unwrap()
        );
        // Every file, its bytes and its mode, manifest.json and the SBOM included.
        assert_eq!(snapshot(dir), snapshot(source), "{dir}");
        assert!(bundle_format::verify(dir).unwrap() > 10);
        let mode = |p: &str| std::fs::metadata(dir.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("docker/dockerd"), 0o755);
        assert_eq!(mode("cli-plugins/docker-buildx"), 0o755);
        assert_eq!(mode("SHA256SUMS"), 0o644);
        assert_eq!(mode("manifest.json"), 0o644);
    }
    assert_eq!(
        bundle::Manifest::read(&pulled[1]).unwrap().target,
        f.other_target
    );
    // Nothing but the two folders: no staging folder is left behind.
    for parent in pulled.iter().map(|p| p.parent().unwrap()) {
        assert_eq!(names_in(parent), [format!("docker-{VERSION}")]);
    }
}

#[test]
fn each_platform_has_its_sbom_and_manifest_as_referrers() {
    let f = fixtures();
    let registry = registry();
    let repo = open(&registry);
    let pushed = push_bundles(&repo, TAG, &f.both(), None, None, &Silent).unwrap();
    for ((target, digest), source) in pushed.platforms.iter().zip([&f.host, &f.other]) {
        for (artifact_type, file) in [
            (SBOM_ARTIFACT_TYPE, "sbom.spdx.json"),
            (BUNDLE_MANIFEST_ARTIFACT_TYPE, "manifest.json"),
        ] {
            let referrers = repo.referrers(digest, Some(artifact_type)).unwrap();
            assert_eq!(referrers.len(), 1, "{target}: {artifact_type}");
            let referrer: OciImageManifest = fetch(&repo, &referrers[0].digest);
            assert_eq!(referrer.subject.as_ref().unwrap().digest, *digest);
            assert_eq!(referrer.artifact_type.as_deref(), Some(artifact_type));
            let [layer] = referrer.layers.as_slice() else {
                panic!(
                    "{target}: {artifact_type} has {} layers",
                    referrer.layers.len()
                );
            };
            assert_eq!(layer.annotations.as_ref().unwrap()[TITLE], file);
            let bytes = std::fs::read(source.join(file)).unwrap();
            assert_eq!(layer.digest, oci_store::sha256_digest(&bytes));
            assert_eq!(
                repo.blob_bytes(&layer.digest, layer.size as u64, oci_store::limits::FILE)
                    .unwrap(),
                bytes
            );
        }
        // Nothing else refers to an unsigned bundle.
        assert_eq!(repo.referrers(digest, None).unwrap().len(), 2, "{target}");
    }
}

#[test]
fn a_pull_without_platforms_takes_the_hosts_bundle_only() {
    let f = fixtures();
    let registry = registry();
    let repo = open(&registry);
    push_bundles(
        &repo,
        TAG,
        &[f.other.clone(), f.host.clone()],
        None,
        None,
        &Silent,
    )
    .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let dest = utf8(&dest);
    let pulled = pull_bundles(&repo, TAG, &[], &dest, None, None, &Silent).unwrap();
    assert_eq!(pulled, [dest.join(format!("docker-{VERSION}"))]);
    assert_eq!(names_in(&dest), [format!("docker-{VERSION}")]);
    assert_eq!(
        bundle::Manifest::read(&pulled[0]).unwrap().target,
        Target::host()
    );
    assert_eq!(snapshot(&pulled[0]), snapshot(&f.host));
    // Again, over the folder now there: replaced, and nothing left beside it.
    std::fs::write(pulled[0].join("docker/stray"), b"x").unwrap();
    let again = pull_bundles(&repo, TAG, &[], &dest, None, None, &Silent).unwrap();
    assert_eq!(again, pulled);
    assert_eq!(snapshot(&pulled[0]), snapshot(&f.host));
    assert_eq!(names_in(&dest), [format!("docker-{VERSION}")]);
}

#[test]
fn a_damaged_bundle_is_never_pushed_and_nothing_is_tagged() {
    let f = fixtures();
    let registry = registry();
    let repo = open(&registry);
    let copy = tempfile::tempdir().unwrap();
    let damaged = utf8(&copy).join(format!("docker-{VERSION}"));
    copy_bundle(&f.host, &damaged);
    let runc = damaged.join("docker/runc");
    let mut bytes = std::fs::read(&runc).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&runc, bytes).unwrap();

    let err = push_bundles(
        &repo,
        TAG,
        &[f.other.clone(), damaged.clone()],
        None,
        None,
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Bundle(_)), "{err}");
    assert!(err.to_string().contains("docker/runc"), "{err}");
    assert!(repo.manifest(TAG).unwrap().is_none(), "nothing is tagged");
    // Verified before anything is sent: not even the good bundle's manifest is there.
    let good = digest_of(&f.other, "docker/dockerd");
    assert!(!repo.has_blob(&good).unwrap());
}

#[test]
fn sets_that_cannot_share_a_tag_are_refused() {
    let f = fixtures();
    let registry = registry();
    let repo = open(&registry);
    let copy = tempfile::tempdir().unwrap();
    // The same platform twice.
    let twin = utf8(&copy).join("twin/docker-29.7.2");
    copy_bundle(&f.host, &twin);
    let err = push_bundles(
        &repo,
        TAG,
        &[f.host.clone(), twin.clone()],
        None,
        None,
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::BundleSet { .. }), "{err}");
    let said = err.to_string();
    assert!(
        said.contains(f.host.as_str()) && said.contains(twin.as_str()),
        "{said}"
    );
    assert!(said.contains(&Target::host().to_string()), "{said}");
    // Another release (manifest.json is not in SHA256SUMS, so this one still verifies).
    let newer = utf8(&copy).join("newer/docker-29.7.3");
    copy_bundle(&f.other, &newer);
    let text = std::fs::read_to_string(newer.join("manifest.json")).unwrap();
    let text = text.replacen("\"version\": \"29.7.2\"", "\"version\": \"29.7.3\"", 1);
    std::fs::write(newer.join("manifest.json"), text).unwrap();
    bundle_format::verify(&newer).unwrap();
    let err = push_bundles(
        &repo,
        TAG,
        &[f.host.clone(), newer.clone()],
        None,
        None,
        &Silent,
    )
    .unwrap_err();
    let said = err.to_string();
    assert!(matches!(err, StoreError::BundleSet { .. }), "{said}");
    assert!(
        said.contains("29.7.3") && said.contains(newer.as_str()),
        "{said}"
    );
    assert!(repo.manifest(TAG).unwrap().is_none(), "nothing is tagged");

    // A platform the set does not have.
    push_bundles(
        &repo,
        TAG,
        std::slice::from_ref(&f.host),
        None,
        None,
        &Silent,
    )
    .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let other = std::slice::from_ref(&f.other_target);
    let err = pull_bundles(&repo, TAG, other, &utf8(&dest), None, None, &Silent).unwrap_err();
    assert!(matches!(err, StoreError::NoPlatform { .. }), "{err}");
    let said = err.to_string();
    assert!(said.contains(&f.other_target.to_string()), "{said}");
    assert!(
        said.contains(&format!("it has {}", Target::host())),
        "{said}"
    );
    assert!(names_in(&utf8(&dest)).is_empty());
}

#[test]
fn a_tampered_blob_fails_the_pull_and_leaves_the_folder_there() {
    let f = fixtures();
    let registry = registry();
    let repo = open(&registry);
    push_bundles(&repo, TAG, &f.both(), None, None, &Silent).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let dest = utf8(&dest);
    let pulled = pull_bundles(&repo, TAG, &[], &dest, None, None, &Silent).unwrap();
    let before = snapshot(&pulled[0]);

    let digest = digest_of(&f.host, "docker/dockerd");
    let data = blob_data(&registry, &digest);
    let mut bytes = std::fs::read(&data).unwrap();
    bytes[100] ^= 0xff;
    std::fs::write(&data, bytes).unwrap();

    let err = pull_bundles(&repo, TAG, &[], &dest, None, None, &Silent).unwrap_err();
    assert!(matches!(err, StoreError::Tampered { .. }), "{err}");
    assert!(err.to_string().contains(&digest), "{err}");
    assert_eq!(
        snapshot(&pulled[0]),
        before,
        "the bundle there is untouched"
    );
    assert_eq!(
        names_in(&dest),
        [format!("docker-{VERSION}")],
        "no staging folder is left"
    );
}

#[test]
fn a_signed_set_pulls_with_its_key_and_not_with_another() {
    let f = fixtures();
    let registry = registry();
    let repo = open(&registry);
    let keys = tempfile::tempdir().unwrap();
    let (team_key, team_pub) = test_fixtures::signing_key_pair(&utf8(&keys), "team");
    let (_, other_pub) = test_fixtures::signing_key_pair(&utf8(&keys), "other");
    let signer = ArtifactSigner::from_pem_file(&team_key).unwrap();
    let pushed = push_bundles(&repo, TAG, &f.both(), Some(&signer), None, &Silent).unwrap();
    let signatures = |d: &str| repo.referrers(d, Some(SIGNATURE_ARTIFACT_TYPE)).unwrap();
    for digest in pushed
        .platforms
        .iter()
        .map(|(_, d)| d)
        .chain([&pushed.index])
    {
        assert_eq!(signatures(digest).len(), 1, "{digest}");
    }

    let team = SignatureCheck::from_pem_file(&team_pub).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let dest = utf8(&dest);
    let all = [Target::host(), f.other_target.clone()];
    let pulled = pull_bundles(
        &repo,
        &pushed.index,
        &all,
        &dest,
        Some(&team),
        None,
        &Silent,
    )
    .unwrap();
    assert_eq!(pulled.len(), 2);
    for dir in &pulled {
        bundle_format::verify(dir).unwrap();
    }

    let other = SignatureCheck::from_pem_file(&other_pub).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let err = pull_bundles(
        &repo,
        TAG,
        &all,
        &utf8(&elsewhere),
        Some(&other),
        None,
        &Silent,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Unsigned { .. }), "{err}");
    assert!(
        err.to_string().contains("a signature by another key"),
        "{err}"
    );
    assert!(names_in(&utf8(&elsewhere)).is_empty(), "nothing is written");

    // An unsigned set is refused when a key is required.
    push_bundles(
        &repo,
        "unsigned",
        std::slice::from_ref(&f.host),
        None,
        None,
        &Silent,
    )
    .unwrap();
    let err = pull_bundles(
        &repo,
        "unsigned",
        &[],
        &utf8(&elsewhere),
        Some(&team),
        None,
        &Silent,
    )
    .unwrap_err();
    assert!(err.to_string().contains("it has no signature"), "{err}");
}
