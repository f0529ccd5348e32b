//! Property test of reading Go's `GOCACHEPROG` request stream (`serve`): for arbitrary lines
//! and mutated valid requests, serving never panics; a malformed request is answered with an
//! error response or ends the session with an error that says what was wrong, never a crash;
//! and every response written is one JSON object a line.
//!
//! Seeded and bounded for CI (256 cases each, a fixed seed); `PROPTEST_CASES=10000` runs them
//! longer by hand.

mod common;

use common::{Requests, action, b64};
use go_cache::{Error, LocalCache, serve};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};
use test_fixtures::mutations::{self, Edit, JSON_SYNTAX, config};

/// A session as the go command speaks it: puts (with and without a body), gets that hit and
/// miss, an unknown command, and close.
fn seed() -> Vec<u8> {
    let a = action("compile fmt");
    Requests::default()
        .put(1, &a, b"package archive bytes\n")
        .get(2, &a)
        .get(3, &action("never put"))
        .put(4, &action("empty output"), b"")
        .command(5, "flush")
        .close(6)
        .bytes()
        .to_vec()
}

/// Serves `input` against an empty local cache and checks the session either way.
fn check(input: &[u8]) -> Result<(), TestCaseError> {
    let tmp = tempfile::tempdir().unwrap();
    let local = LocalCache::open(tmp.path().join("go").to_str().unwrap()).unwrap();
    let mut out = Vec::new();
    let served = serve(&local, None, input, &mut out);
    // Every response is one JSON object a line with an integer ID, the first announcing the
    // commands.
    let text = String::from_utf8(out).expect("responses are UTF-8");
    let responses: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect();
    prop_assert!(!responses.is_empty());
    prop_assert_eq!(
        &responses[0],
        &json!({"ID": 0, "KnownCommands": ["get", "put", "close"]})
    );
    for response in &responses {
        prop_assert!(response["ID"].is_i64(), "{}", response);
        if let Some(err) = response.get("Err") {
            prop_assert!(err.as_str().is_some_and(|e| !e.is_empty()), "{}", response);
        }
    }
    match served {
        Ok(summary) => {
            // Without a remote tier every get and put is answered before serve returns.
            prop_assert!(
                responses.len() as u64 > summary.gets + summary.puts,
                "{} responses for {:?}",
                responses.len(),
                summary
            );
            prop_assert!(
                summary.gets >= summary.local_hits + summary.misses,
                "{:?}",
                summary
            );
        }
        // The stream is not the protocol: said, with where it broke.
        Err(err @ Error::ReadRequest(_)) => {
            let Error::ReadRequest(json) = &err else {
                unreachable!()
            };
            let shown = err.with_cause();
            prop_assert!(json.line() >= 1, "{}", shown);
            prop_assert!(
                shown.contains(&format!("line {}", json.line())),
                "{}",
                shown
            );
        }
        Err(Error::MissingBody { .. } | Error::UnexpectedBody { .. }) => {}
        Err(other) => prop_assert!(false, "a request stream ended the session with: {}", other),
    }
    Ok(())
}

/// One edit of the stream; positions are taken modulo its length when applied.
#[derive(Clone, Debug)]
enum StreamEdit {
    /// An edit of its text.
    Text(Edit),
    /// Sets one field of one request object to another JSON value.
    SetField(Index, &'static str, Value),
    /// Removes one field of one request object.
    RemoveField(Index, &'static str),
}

const FIELDS: [&str; 5] = ["ID", "Command", "ActionID", "OutputID", "BodySize"];

/// Values a field of a request may be given instead of its own.
fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::from)),
        prop::sample::select(vec!["get", "put", "close", "", "GET", "\u{0}"]).prop_map(Value::from),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Value::from(b64(&b))),
        "[A-Za-z0-9+/=!_-]{0,48}".prop_map(Value::from),
        Just(json!({})),
        Just(json!([])),
        Just(json!([1, 2])),
        Just(json!({"ID": 1})),
    ]
}

/// JSON and requests that mean something to the server, and text that does not.
fn fragment() -> BoxedStrategy<String> {
    mutations::fragment(&[
        JSON_SYNTAX,
        &[
            "0",
            "9223372036854775808",
            "\"aGk=\"",
            "\"!!\"",
            "\"\\ud800\"",
            "\n",
            "\r\n",
            "\0",
            "{\"ID\":7,\"Command\":\"put\",\"BodySize\":3}",
            "{\"ID\":8,\"Command\":\"get\",\"ActionID\":\"AAAA\"}",
            "{\"ID\":9}",
            "{\"Command\":1}",
        ],
    ])
}

fn edit() -> impl Strategy<Value = StreamEdit> {
    prop_oneof![
        // Each of the seven edits of a text as likely as removing a field.
        7 => mutations::edit(fragment()).prop_map(StreamEdit::Text),
        3 => (any::<Index>(), prop::sample::select(&FIELDS[..]), value())
            .prop_map(|(i, f, v)| StreamEdit::SetField(i, f, v)),
        1 => (any::<Index>(), prop::sample::select(&FIELDS[..]))
            .prop_map(|(i, f)| StreamEdit::RemoveField(i, f)),
    ]
}

fn mutate(seed: &[u8], edits: &[StreamEdit]) -> Vec<u8> {
    let mut text = seed.to_vec();
    for edit in edits {
        let (i, field) = match edit {
            StreamEdit::Text(edit) => {
                edit.apply_to(&mut text);
                continue;
            }
            StreamEdit::SetField(i, field, _) | StreamEdit::RemoveField(i, field) => (i, field),
        };
        let mut lines = mutations::lines(&text);
        let objects: Vec<usize> = (0..lines.len())
            .filter(|&n| lines[n].starts_with(b"{"))
            .collect();
        if objects.is_empty() {
            continue;
        }
        let n = objects[i.index(objects.len())];
        let Ok(Value::Object(mut request)) = serde_json::from_slice(&lines[n]) else {
            continue;
        };
        match edit {
            StreamEdit::SetField(_, _, value) => request.insert((*field).to_owned(), value.clone()),
            _ => request.remove(*field),
        };
        lines[n] = format!("{}\n", Value::Object(request)).into_bytes();
        text = lines.concat();
    }
    text
}

#[test]
fn the_seed_session_is_served() {
    let tmp = tempfile::tempdir().unwrap();
    let local = LocalCache::open(tmp.path().join("go").to_str().unwrap()).unwrap();
    let mut out = Vec::new();
    let summary = serve(&local, None, seed().as_slice(), &mut out).unwrap();
    assert_eq!((summary.gets, summary.puts, summary.local_hits), (2, 2, 1));
    assert_eq!(summary.errors, 1, "the unknown command");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_mutated_request_stream_is_answered_or_refused_with_an_error_never_panics(
        edits in mutations::several(edit())
    ) {
        check(&mutate(&seed(), &edits))?;
    }

    #[test]
    fn a_get_or_put_whose_action_id_is_not_32_bytes_is_answered_with_an_error_naming_it(
        put in any::<bool>(),
        id in prop::collection::vec(any::<u8>(), 0..64).prop_filter("32 bytes", |b| b.len() != 32),
    ) {
        let command = if put { "put" } else { "get" };
        let request = json!({"ID": 7, "Command": command, "ActionID": b64(&id), "OutputID": b64(&[0; 32])});
        let input = format!("{request}\n{}\n", json!({"ID": 8, "Command": "close"}));
        check(input.as_bytes())?;
        let tmp = tempfile::tempdir().unwrap();
        let local = LocalCache::open(tmp.path().join("go").to_str().unwrap()).unwrap();
        let mut out = Vec::new();
        let summary = serve(&local, None, input.as_bytes(), &mut out).unwrap();
        prop_assert_eq!(summary.errors, 1);
        let answer: Value = String::from_utf8(out).unwrap().lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|r| r["ID"] == 7)
            .expect("request 7 is answered");
        let err = answer["Err"].as_str().unwrap_or_default();
        prop_assert!(err.contains("ActionID") && err.contains(&format!("{} bytes", id.len())), "{}", answer);
    }

    #[test]
    fn arbitrary_lines_as_requests_are_refused_with_an_error_never_panic(
        input in mutations::arbitrary_lines(fragment())
    ) {
        check(&input)?;
    }
}
