//! `bundle --provenance KEY` writes signed provenance beside the bundle, and `verify
//! --provenance KEY` checks it, refusing a changed file, envelope or manifest by name.

mod common;

use camino::Utf8Path;
use common::{stderr, world, xtask};

/// A P-256 key pair made by openssl, as the docs make one: `(private, public)`.
fn key_pair(dir: &Utf8Path) -> (String, String) {
    let (private, public) = test_fixtures::signing_key_pair(dir, "cosign");
    (private.into_string(), public.into_string())
}

fn verify(dir: &Utf8Path, key: &str) -> std::process::Output {
    xtask()
        .args(["verify", dir.as_str(), "--provenance", key])
        .output()
        .unwrap()
}

#[test]
fn a_signed_bundle_verifies_and_a_changed_file_envelope_or_manifest_is_named() {
    let w = world();
    let out = w.root.join("out");
    let (private, public) = key_pair(&w.root);
    let said = w.bundle_ok(&out, &["--provenance", &private]);
    let dir = out.join("docker-29.7.2");
    let envelope = out.join("docker-29.7.2.provenance.intoto.jsonl");
    assert!(
        said.contains(&format!("in {envelope}, signed with {private}")),
        "{said}"
    );
    let ok = verify(&dir, &public);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stderr(&ok).contains("commits and patches are the manifest's"),
        "{}",
        stderr(&ok)
    );

    // A changed shipped file (which the bundle's own check names first), a manifest still
    // meaning the same to a JSON reader (a space after its first brace), a byte inside the
    // envelope's payload.
    for (path, at, named) in [
        (
            dir.join("packaging/docker.default"),
            None,
            "packaging/docker.default".to_owned(),
        ),
        (
            dir.join("manifest.json"),
            Some(1),
            format!("{dir}/manifest.json is refused"),
        ),
        (
            envelope.clone(),
            None,
            format!("the provenance envelope {envelope} is refused"),
        ),
    ] {
        let before = std::fs::read(&path).unwrap();
        let mut changed = before.clone();
        let at = at.unwrap_or(changed.len() / 2);
        changed.insert(at, b' ');
        std::fs::write(&path, &changed).unwrap();
        let refused = verify(&dir, &public);
        assert!(
            !refused.status.success(),
            "{path} changed, and verify passed"
        );
        assert!(
            stderr(&refused).contains(&named),
            "{path}: {}",
            stderr(&refused)
        );
        std::fs::write(&path, before).unwrap();
    }
    assert!(verify(&dir, &public).status.success(), "restored");
    // Without a key it is written unsigned, said so, and refused by verify.
    let said = w.bundle_ok(&out, &["--provenance"]);
    assert!(said.contains("unsigned (no key given)"), "{said}");
    let refused = verify(&dir, &public);
    assert!(
        stderr(&refused).contains("it is unsigned"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn packages_made_with_provenance_verify_against_the_bundle_they_were_made_from() {
    let w = world();
    let out = w.root.join("packages-provenance");
    let keys = out.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let (private, public) = key_pair(&keys);
    w.bundle_ok(&out, &[]);
    let dir = out.join("docker-29.7.2");
    let made = xtask()
        .args(["package", "deb", dir.as_str(), "--out", out.as_str()])
        .args(["--provenance", &private])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let packages = out.join("packages/debian-12");
    let check = || {
        xtask()
            .args(["verify", dir.as_str(), "--provenance", &public])
            .args(["--packages", packages.as_str()])
            .output()
            .unwrap()
    };
    let ok = check();
    let said = stderr(&ok);
    assert!(ok.status.success(), "{said}");
    assert!(
        said.contains("packages/debian-12.provenance.intoto.jsonl: signed with")
            && said.contains("commits and patches are the manifest's"),
        "{said}"
    );
    // A changed package is refused, named.
    let deb = (packages.read_dir_utf8().unwrap())
        .map(|e| e.unwrap().path().to_owned())
        .find(|p| p.as_str().ends_with(".deb"))
        .unwrap();
    let mut bytes = std::fs::read(&deb).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&deb, bytes).unwrap();
    let refused = check();
    assert!(!refused.status.success(), "a changed package verified");
    assert!(
        stderr(&refused).contains(deb.as_str()),
        "{}",
        stderr(&refused)
    );
}
