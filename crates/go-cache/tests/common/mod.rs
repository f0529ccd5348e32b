//! Speaking the go command's side of the protocol to `serve`, in memory.

#![allow(dead_code, unreachable_pub)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use go_cache::{LocalCache, RemoteCache, Summary, serve};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`: a body's output ID.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// An action ID made from a name.
pub fn action(name: &str) -> [u8; 32] {
    sha256(format!("action {name}").as_bytes())
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Requests as the go command writes them: one JSON object a line, a `put`'s body after it.
#[derive(Default)]
pub struct Requests(String);

impl Requests {
    pub fn get(mut self, id: i64, action: &[u8; 32]) -> Self {
        self.line(&json!({"ID": id, "Command": "get", "ActionID": b64(action)}));
        self
    }

    pub fn put(self, id: i64, action: &[u8; 32], body: &[u8]) -> Self {
        self.put_claiming(id, action, &sha256(body), body)
    }

    /// A `put` whose OutputID is `output`, whatever the body hashes to.
    pub fn put_claiming(
        mut self,
        id: i64,
        action: &[u8; 32],
        output: &[u8; 32],
        body: &[u8],
    ) -> Self {
        let mut request =
            json!({"ID": id, "Command": "put", "ActionID": b64(action), "OutputID": b64(output)});
        if !body.is_empty() {
            request["BodySize"] = json!(body.len());
        }
        self.line(&request);
        if !body.is_empty() {
            // Go writes the body as a JSON string after an empty line.
            self.0.push('\n');
            self.line(&json!(b64(body)));
        }
        self
    }

    pub fn command(mut self, id: i64, command: &str) -> Self {
        self.line(&json!({"ID": id, "Command": command}));
        self
    }

    pub fn close(self, id: i64) -> Self {
        self.command(id, "close")
    }

    pub fn raw(mut self, text: &str) -> Self {
        self.0.push_str(text);
        self
    }

    fn line(&mut self, value: &Value) {
        self.0.push_str(&value.to_string());
        self.0.push('\n');
    }

    pub fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// What `serve` answered: the summary and the responses in the order they were written.
pub struct Session {
    pub summary: Summary,
    pub responses: Vec<Value>,
}

impl Session {
    /// The response to request `id`; panics unless there is exactly one.
    pub fn response(&self, id: i64) -> &Value {
        let found: Vec<&Value> = self.responses.iter().filter(|r| r["ID"] == id).collect();
        assert_eq!(found.len(), 1, "responses to {id}: {:?}", self.responses);
        found[0]
    }
}

/// Runs `serve` over `requests`; panics if it fails.
pub fn run(local: &LocalCache, remote: Option<&dyn RemoteCache>, requests: &Requests) -> Session {
    let mut out = Vec::new();
    let summary = serve(local, remote, requests.bytes(), &mut out).expect("serve");
    Session {
        summary,
        responses: parse(&out),
    }
}

/// Every line of `out` as JSON.
pub fn parse(out: &[u8]) -> Vec<Value> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// The contents of the file a response's DiskPath names.
pub fn disk_bytes(response: &Value) -> Vec<u8> {
    let path = response["DiskPath"].as_str().expect("a DiskPath");
    assert!(std::path::Path::new(path).is_absolute(), "{path}");
    std::fs::read(path).unwrap()
}

/// The files in `dir` and its subfolders, relative to it, sorted.
pub fn files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(dir).unwrap() {
        let sub = sub.unwrap().path();
        if sub.is_dir() {
            out.extend(
                files(&sub)
                    .into_iter()
                    .map(|f| format!("{}/{f}", sub.file_name().unwrap().to_string_lossy())),
            );
        } else {
            out.push(sub.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    out.sort();
    out
}
