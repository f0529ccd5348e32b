//! Packs: a round trip between two local tiers, and what a hostile or damaged pack gets.

mod common;

use common::{action, files, sha256};
use go_cache::{Error, LocalCache, PackLimits, pack, read_journal, unpack};

const LIMITS: PackLimits = PackLimits {
    max_bytes: 1 << 20,
    max_entries: 100,
};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A local tier holding three entries (two share an output), and their actions.
fn filled(dir: &std::path::Path) -> (LocalCache, Vec<[u8; 32]>) {
    let local = LocalCache::open(camino::Utf8Path::from_path(dir).unwrap()).unwrap();
    let bodies: [&[u8]; 3] = [b"compiled fmt", b"compiled greet", b"compiled fmt"];
    let actions: Vec<[u8; 32]> = (0..3).map(|i| action(&format!("step {i}"))).collect();
    for (a, body) in actions.iter().zip(bodies) {
        local.put(a, &sha256(body), body).unwrap();
    }
    (local, actions)
}

fn fresh(dir: &tempfile::TempDir) -> LocalCache {
    LocalCache::open(camino::Utf8Path::from_path(dir.path()).unwrap()).unwrap()
}

fn packed(local: &LocalCache, actions: &[[u8; 32]]) -> Vec<u8> {
    let mut bytes = Vec::new();
    pack(local, actions.iter().copied(), &mut bytes).unwrap();
    bytes
}

/// No temporary file left in a tier.
fn assert_whole(dir: &tempfile::TempDir) {
    let stray: Vec<String> = files(dir.path())
        .into_iter()
        .filter(|f| f.contains(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn a_pack_brings_every_entry_and_output_into_a_fresh_tier() {
    let from = tempfile::tempdir().unwrap();
    let (local, mut actions) = filled(from.path());
    actions.push(action("never built"));
    let mut bytes = Vec::new();
    let count = pack(&local, actions.iter().copied(), &mut bytes).unwrap();
    assert_eq!(
        (count.entries, count.outputs, count.skipped),
        (3, 2, 1),
        "{count:?}"
    );
    assert_eq!(count.bytes, bytes.len() as u64);

    let to = tempfile::tempdir().unwrap();
    let other = fresh(&to);
    let count = unpack(&other, bytes.as_slice(), LIMITS).unwrap();
    assert_eq!(
        (count.entries, count.outputs, count.skipped),
        (3, 2, 0),
        "{count:?}"
    );
    for a in &actions[..3] {
        let entry = other.get(a).unwrap().expect("the entry came with the pack");
        assert_eq!(Some(entry), local.get(a).unwrap());
        let body = std::fs::read(other.output_path(&entry.output_id)).unwrap();
        assert_eq!(sha256(&body), entry.output_id);
    }
    assert_eq!(other.get(&actions[3]).unwrap(), None);
    // Unpacked again over itself: nothing changes, nothing is refused.
    let again = unpack(&other, bytes.as_slice(), LIMITS).unwrap();
    assert_eq!((again.entries, again.skipped), (3, 0));
    assert_whole(&to);
}

#[test]
fn the_journal_names_what_serve_answered_and_stored() {
    let dir = tempfile::tempdir().unwrap();
    let journal = camino::Utf8PathBuf::from_path_buf(dir.path().join("journal")).unwrap();
    let local = fresh(&dir).with_journal(&journal).unwrap();
    let (stored, missed) = (action("stored"), action("missed"));
    let requests = common::Requests::default()
        .put(1, &stored, b"bytes")
        .get(2, &stored)
        .get(3, &missed)
        .close(4);
    common::run(&local, None, &requests);
    // Noted twice (stored, then found), read back once; the miss is not noted.
    assert_eq!(
        read_journal(&journal)
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [stored]
    );
    assert!(
        read_journal(dir.path().join("none").to_str().unwrap())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_tampered_output_is_skipped_and_its_entry_with_it() {
    let from = tempfile::tempdir().unwrap();
    let (local, actions) = filled(from.path());
    let mut bytes = packed(&local, &actions);
    let at = bytes
        .windows(14)
        .position(|w| w == b"compiled greet")
        .unwrap();
    bytes[at] ^= 0x20;
    let to = tempfile::tempdir().unwrap();
    let other = fresh(&to);
    let count = unpack(&other, bytes.as_slice(), LIMITS).unwrap();
    // The damaged output, and the one entry naming it.
    assert_eq!(
        (count.entries, count.outputs, count.skipped),
        (2, 1, 2),
        "{count:?}"
    );
    assert_eq!(other.get(&actions[1]).unwrap(), None);
    assert!(other.get(&actions[0]).unwrap().is_some());
    assert_whole(&to);
}

#[test]
fn hostile_names_are_skipped_before_any_path_is_made() {
    let body = b"hello";
    let id = hex(&sha256(body));
    let a = hex(&action("a"));
    let mut pack = b"dockyard-go-pack v1\n".to_vec();
    for line in [
        format!("a ../../../../etc/passwd {id} 5 0\n"),
        format!("a {} {id} 5 0\n", a.to_uppercase()),
        format!("a {a} {id} +5 0\n"),
        format!("o ../../escaped 5\n{}", "hello"),
        format!("o {} 5\n{}", id.to_uppercase(), "hello"),
        "end\n".to_owned(),
    ] {
        pack.extend_from_slice(line.as_bytes());
    }
    let to = tempfile::tempdir().unwrap();
    let other = fresh(&to);
    let count = unpack(&other, pack.as_slice(), LIMITS).unwrap();
    assert_eq!(
        (count.entries, count.outputs, count.skipped),
        (0, 0, 5),
        "{count:?}"
    );
    assert_eq!(files(to.path()), Vec::<String>::new());
    assert!(!to.path().parent().unwrap().join("escaped").exists());
}

/// A pack refused part-way: the error names why, and nothing but checked outputs stays.
fn refused(pack: &[u8], limits: PackLimits) -> (String, tempfile::TempDir) {
    let to = tempfile::tempdir().unwrap();
    let other = fresh(&to);
    let err = unpack(&other, pack, limits).unwrap_err();
    assert!(matches!(err, Error::Pack { .. }), "{err:?}");
    assert_whole(&to);
    assert!(
        files(&to.path().join("a")).is_empty(),
        "no entry is written"
    );
    (err.to_string(), to)
}

#[test]
fn an_oversized_output_is_refused_from_its_header_without_reading_on() {
    let id = hex(&sha256(b"x"));
    // A terabyte announced, a few bytes sent: refused at the header, nothing allocated.
    let pack = format!("dockyard-go-pack v1\no {id} 1099511627776\nxx");
    let (why, _) = refused(pack.as_bytes(), LIMITS);
    assert!(why.contains("1099511627776 bytes"), "{why}");

    // The whole stream is bounded too, as it arrives, however it is cut up.
    let from = tempfile::tempdir().unwrap();
    let (local, actions) = filled(from.path());
    let bytes = packed(&local, &actions);
    let small = PackLimits {
        max_bytes: bytes.len() as u64 - 10,
        ..LIMITS
    };
    let (why, _) = refused(&bytes, small);
    assert!(why.contains("a pack may hold"), "{why}");

    // And the entries.
    let few = PackLimits {
        max_entries: 2,
        ..LIMITS
    };
    let (why, _) = refused(&bytes, few);
    assert!(why.contains("more than 2 entries"), "{why}");
}

#[test]
fn a_broken_stream_is_refused_where_it_breaks() {
    let from = tempfile::tempdir().unwrap();
    let (local, actions) = filled(from.path());
    let bytes = packed(&local, &actions);
    let (why, _) = refused(b"not a pack at all", LIMITS);
    assert!(why.contains("does not start as a pack"), "{why}");
    let endless = [b"dockyard-go-pack v1\n".as_slice(), &[b'a'; 10_000]].concat();
    let (why, _) = refused(&endless, LIMITS);
    assert!(why.contains("longer than"), "{why}");
    let (why, _) = refused(&bytes[..bytes.len() - 30], LIMITS);
    assert!(why.contains("ends before its end record"), "{why}");
    let (why, _) = refused(&[bytes.as_slice(), b"more"].concat(), LIMITS);
    assert!(why.contains("after its end"), "{why}");
    let odd = [b"dockyard-go-pack v1\n".as_slice(), b"x y z\n"].concat();
    let (why, _) = refused(&odd, LIMITS);
    assert!(why.contains("not an entry"), "{why}");
}
