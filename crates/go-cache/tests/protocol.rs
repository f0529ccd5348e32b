//! The protocol as the go command speaks it, against the local tier alone.

mod common;

use common::{Requests, action, b64, disk_bytes, files, run, sha256};
use go_cache::{Error, LocalCache, serve};
use serde_json::json;

fn local() -> (tempfile::TempDir, LocalCache) {
    let dir = tempfile::tempdir().unwrap();
    let cache = LocalCache::open(dir.path().join("local").to_str().unwrap()).unwrap();
    (dir, cache)
}

#[test]
fn the_first_response_has_id_0_and_announces_get_put_and_close() {
    let (_dir, cache) = local();
    let session = run(&cache, None, &Requests::default().close(1));
    assert_eq!(
        session.responses[0],
        json!({"ID": 0, "KnownCommands": ["get", "put", "close"]})
    );
}

#[test]
fn a_put_then_a_get_hits_with_the_same_bytes_on_disk() {
    let (_dir, cache) = local();
    let body = b"package archive bytes\n".repeat(1000);
    let a = action("compile fmt");
    let session = run(
        &cache,
        None,
        &Requests::default().put(1, &a, &body).get(2, &a).close(3),
    );
    let put = session.response(1);
    assert_eq!(put.get("Err"), None, "{put}");
    assert_eq!(disk_bytes(put), body);
    let get = session.response(2);
    assert_eq!(get.get("Miss"), None, "{get}");
    assert_eq!(get["OutputID"], json!(b64(&sha256(&body))));
    assert_eq!(get["Size"], json!(body.len()));
    assert_eq!(get["DiskPath"], put["DiskPath"]);
    assert_eq!(disk_bytes(get), body);
    // Go parses Time as RFC 3339.
    let time = get["Time"].as_str().unwrap();
    assert!(time.len() == 30 && time.ends_with('Z'), "{time}");
    assert_eq!(session.summary.puts, 1);
    assert_eq!(session.summary.gets, 1);
    assert_eq!(session.summary.local_hits, 1);
    assert_eq!(session.summary.misses, 0);
}

#[test]
fn a_get_of_an_unknown_action_is_a_miss() {
    let (_dir, cache) = local();
    let session = run(
        &cache,
        None,
        &Requests::default().get(7, &action("never put")).close(8),
    );
    assert_eq!(session.response(7), &json!({"ID": 7, "Miss": true}));
    assert_eq!(session.summary.misses, 1);
    assert_eq!(session.summary.gets, 1);
}

#[test]
fn a_put_whose_body_does_not_hash_to_its_output_id_is_refused_and_not_stored() {
    let (dir, cache) = local();
    let a = action("liar");
    let session = run(
        &cache,
        None,
        &Requests::default()
            .put_claiming(1, &a, &sha256(b"what was promised"), b"what was sent")
            .get(2, &a)
            .close(3),
    );
    let err = session.response(1)["Err"].as_str().unwrap();
    assert!(err.contains("not to its output ID"), "{err}");
    assert_eq!(session.response(1).get("DiskPath"), None);
    assert_eq!(session.response(2)["Miss"], json!(true));
    assert_eq!(session.summary.errors, 1);
    assert!(files(&dir.path().join("local")).is_empty());
}

#[test]
fn close_is_answered_last_and_returns_the_summary() {
    let (_dir, cache) = local();
    let (a, b) = (action("a"), action("b"));
    let session = run(
        &cache,
        None,
        &Requests::default()
            .put(1, &a, b"one")
            .put(2, &b, b"two")
            .get(3, &a)
            .get(4, &action("c"))
            .close(5),
    );
    assert_eq!(session.responses.last().unwrap(), &json!({"ID": 5}));
    assert_eq!(session.responses.len(), 6);
    let s = session.summary;
    assert_eq!((s.gets, s.local_hits, s.misses, s.puts), (2, 1, 1, 2));
    assert_eq!(
        (s.uploads, s.upload_failures, s.remote_errors, s.errors),
        (0, 0, 0, 0)
    );
}

#[test]
fn the_end_of_input_without_close_still_returns_the_summary() {
    let (_dir, cache) = local();
    let session = run(
        &cache,
        None,
        &Requests::default().put(1, &action("a"), b"x"),
    );
    assert_eq!(session.summary.puts, 1);
    assert_eq!(session.responses.len(), 2);
}

#[test]
fn an_empty_output_is_stored_without_a_body() {
    let (_dir, cache) = local();
    let a = action("empty");
    let session = run(
        &cache,
        None,
        &Requests::default().put(1, &a, b"").get(2, &a).close(3),
    );
    assert_eq!(disk_bytes(session.response(1)), b"");
    let get = session.response(2);
    assert_eq!(get["OutputID"], json!(b64(&sha256(b""))));
    assert_eq!(get.get("Size"), None, "Go omits a zero size: {get}");
    assert_eq!(disk_bytes(get), b"");
}

#[test]
fn entries_outlive_the_session_that_put_them() {
    let (_dir, cache) = local();
    let a = action("kept");
    run(
        &cache,
        None,
        &Requests::default().put(1, &a, b"kept").close(2),
    );
    let reopened = LocalCache::open(cache.dir()).unwrap();
    let session = run(&reopened, None, &Requests::default().get(1, &a).close(2));
    assert_eq!(disk_bytes(session.response(1)), b"kept");
    assert_eq!(session.summary.local_hits, 1);
}

#[test]
fn the_cache_folder_holds_outputs_and_actions_and_no_temporary_files() {
    let (dir, cache) = local();
    let (a, body) = (action("a"), b"body".as_slice());
    run(&cache, None, &Requests::default().put(1, &a, body).close(2));
    let hex = |id: &[u8; 32]| id.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(
        files(&dir.path().join("local")),
        [
            format!("a/{}", hex(&a)),
            format!("o/{}", hex(&sha256(body)))
        ]
    );
    let entry = cache.get(&a).unwrap().unwrap();
    assert_eq!((entry.output_id, entry.size), (sha256(body), 4));
    assert_eq!(
        std::fs::read(cache.output_path(&entry.output_id)).unwrap(),
        body
    );
}

#[test]
fn an_action_whose_output_file_is_gone_is_a_miss() {
    let (_dir, cache) = local();
    let a = action("a");
    let entry = cache.put(&a, &sha256(b"gone"), b"gone").unwrap();
    std::fs::remove_file(cache.output_path(&entry.output_id)).unwrap();
    assert_eq!(cache.get(&a).unwrap(), None);
}

#[test]
fn an_unknown_command_and_a_short_action_id_get_errors() {
    let (_dir, cache) = local();
    let session = run(
        &cache,
        None,
        &Requests::default()
            .command(1, "get2")
            .raw(&format!(
                "{}\n",
                json!({"ID": 2, "Command": "get", "ActionID": b64(b"short")})
            ))
            .close(3),
    );
    assert!(
        session.response(1)["Err"]
            .as_str()
            .unwrap()
            .contains("get2")
    );
    assert!(
        session.response(2)["Err"]
            .as_str()
            .unwrap()
            .contains("5 bytes")
    );
    assert_eq!(session.summary.errors, 2);
}

#[test]
fn a_stream_that_is_not_json_ends_the_session_with_an_error() {
    let (_dir, cache) = local();
    let mut out = Vec::new();
    let err = serve(
        &cache,
        None,
        &b"{\"ID\": 1, \"Command\": \"get\"}\nnot json"[..],
        &mut out,
    )
    .unwrap_err();
    assert!(matches!(err, Error::ReadRequest(_)), "{err}");
}

#[test]
fn a_put_whose_announced_body_never_comes_ends_the_session_with_an_error() {
    let (_dir, cache) = local();
    let request = json!({"ID": 4, "Command": "put", "ActionID": b64(&action("a")),
        "OutputID": b64(&sha256(b"abc")), "BodySize": 3});
    let input = format!("{request}\n");
    let mut out = Vec::new();
    let err = serve(&cache, None, input.as_bytes(), &mut out).unwrap_err();
    assert!(
        matches!(err, Error::MissingBody { id: 4, size: 3 }),
        "{err}"
    );
}

#[test]
fn a_body_whose_length_is_not_the_announced_one_is_refused() {
    let (_dir, cache) = local();
    let request = json!({"ID": 1, "Command": "put", "ActionID": b64(&action("a")),
        "OutputID": b64(&sha256(b"abc")), "BodySize": 4});
    let input = Requests::default()
        .raw(&format!("{request}\n\n{}\n", json!(b64(b"abc"))))
        .close(2);
    let session = run(&cache, None, &input);
    let err = session.response(1)["Err"].as_str().unwrap();
    assert!(err.contains("3 bytes long, not the announced 4"), "{err}");
}
