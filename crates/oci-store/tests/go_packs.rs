//! Packs of Go cache entries through a real registry (Debian's docker-registry on the
//! loopback): pushed from one machine's local tier, pulled into a fresh one.

mod common;

use go_cache::{LocalCache, RemoteCache};
use oci_store::{GoPacks, RegistryOptions, go_cache_remote};
use sha2::{Digest, Sha256};

fn options() -> RegistryOptions {
    let mut options = RegistryOptions::default();
    options.certs_dir = "/nonexistent".into();
    options
}

fn id(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn local(dir: &tempfile::TempDir) -> LocalCache {
    LocalCache::open(common::utf8(dir)).unwrap()
}

#[test]
fn a_pack_pushed_from_one_machine_fills_a_fresh_local_tier_in_one_pull() {
    let registry = common::registry();
    let reference = format!("{}/team/go", registry.address());
    let packs = GoPacks::for_remote(&reference, &options())
        .unwrap()
        .expect("a registry repository has packs");

    let from = tempfile::tempdir().unwrap();
    let team = local(&from);
    // A megabyte output among small ones, so the pack streams in many pieces.
    let big: Vec<u8> = (0..(1u32 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    let bodies: Vec<Vec<u8>> = vec![b"compiled fmt".to_vec(), big, b"compiled main".to_vec()];
    let actions: Vec<[u8; 32]> = (0..3).map(|i| id(&format!("action {i}"))).collect();
    for (action, body) in actions.iter().zip(&bodies) {
        team.put(action, &Sha256::digest(body).into(), body)
            .unwrap();
    }
    let tag = "gopack-moby-linux-amd64-static";
    assert!(
        packs.pull(tag, &team).unwrap().is_none(),
        "nothing pushed yet"
    );
    let pushed = packs.push(tag, &team, actions.clone()).unwrap();
    assert_eq!((pushed.entries, pushed.outputs), (3, 3), "{pushed:?}");

    let to = tempfile::tempdir().unwrap();
    let fresh = local(&to);
    let pulled = packs.pull(tag, &fresh).unwrap().expect("the pack");
    assert_eq!(
        (pulled.entries, pulled.outputs, pulled.skipped, pulled.bytes),
        (3, 3, 0, pushed.bytes),
        "{pulled:?}"
    );
    for (action, body) in actions.iter().zip(&bodies) {
        let entry = fresh.get(action).unwrap().expect("unpacked");
        assert_eq!(
            &std::fs::read(fresh.output_path(&entry.output_id)).unwrap(),
            body
        );
    }
    // No temporary file is left beside the tiers.
    for dir in [&from, &to] {
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    // Pushed again after another build: the tag now names the newer pack.
    let fewer = packs.push(tag, &team, actions[..1].to_vec()).unwrap();
    assert_eq!(fewer.entries, 1);
    let again = tempfile::tempdir().unwrap();
    let pulled = packs.pull(tag, &local(&again)).unwrap().unwrap();
    assert_eq!((pulled.entries, pulled.outputs), (1, 1));

    // The per-action tier is the same repository, and a pack is no entry of it.
    let remote: Box<dyn RemoteCache> = go_cache_remote(&reference, &options()).unwrap();
    assert_eq!(remote.lookup(&actions[0]).unwrap(), None);
}

#[test]
fn a_shared_folder_has_no_packs_and_a_foreign_tag_is_refused() {
    assert!(
        GoPacks::for_remote("/mnt/team/go", &options())
            .unwrap()
            .is_none()
    );
    assert!(
        GoPacks::for_remote("./team-go", &options())
            .unwrap()
            .is_none()
    );

    let registry = common::registry();
    let repo = common::open(&registry);
    let packs = GoPacks::for_remote(&repo.name(), &options())
        .unwrap()
        .unwrap();
    // A tag that is some other artifact is refused, not unpacked.
    let config = repo.push_blob(b"{}".to_vec()).unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
        "layers": [],
    });
    repo.push_manifest(
        "gopack-x",
        serde_json::to_vec(&manifest).unwrap(),
        "application/vnd.oci.image.manifest.v1+json",
    )
    .unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let err = packs.pull("gopack-x", &local(&fresh)).unwrap_err();
    assert!(err.to_string().contains("not a pack"), "{err}");
}
