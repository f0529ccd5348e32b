//! The misbehaving registry the `hostile_server` tests talk to: a small HTTP server of the
//! test's own on the loopback, serving one artifact and answering as each case needs.
#![allow(unreachable_pub)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use oci_store::{RegistryOptions, Repository, sha256_digest};

pub const TYPE: &str = "application/vnd.dockyard.test.v1+json";

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
}

/// How the server answers a blob request: the stream to write to, the blob's bytes.
pub type BlobAnswer = dyn Fn(&mut TcpStream, &[u8]) + Send + Sync;

/// A registry of one repository (`hostile`) holding one artifact tagged `t`: a config and one
/// layer, `file`, whose bytes are `blob` and whose declared size is `declared`. Blob requests
/// for the layer are answered by `answer`; everything else as a registry would.
pub struct HostileRegistry {
    pub address: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

pub struct Artifact {
    pub blob: Vec<u8>,
    pub declared: i64,
    pub layers: usize,
    /// Basic credentials wanted (a 401 with a Basic challenge until they come).
    pub wants_credentials: bool,
    /// A token wanted, as Docker Hub and most registries do: a 401 with a Bearer challenge
    /// naming this server's `/token`, which hands one out.
    pub wants_token: bool,
    /// The manifest request is answered with an endless body.
    pub endless_manifest: bool,
    /// Signature referrers listed for the manifest (each a signature whose payload declares
    /// 2^40 bytes).
    pub signatures: usize,
}

impl HostileRegistry {
    pub fn start(artifact: Artifact, answer: Box<BlobAnswer>) -> HostileRegistry {
        Self::start_on("127.0.0.1", artifact, answer)
    }

    pub fn start_on(host: &str, artifact: Artifact, answer: Box<BlobAnswer>) -> HostileRegistry {
        let listener = TcpListener::bind((host, 0)).unwrap();
        let address = format!("{host}:{}", listener.local_addr().unwrap().port());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let server = address.clone();
        let config = b"{\"k\":1}".to_vec();
        let layer_digest = sha256_digest(&artifact.blob);
        let layer = serde_json::json!({
            "mediaType": "application/octet-stream",
            "digest": layer_digest,
            "size": artifact.declared,
            "annotations": {"org.opencontainers.image.title": "file"},
        });
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": TYPE,
            "config": {
                "mediaType": "application/vnd.dockyard.test.config.v1+json",
                "digest": sha256_digest(&config),
                "size": config.len(),
            },
            "layers": vec![layer; artifact.layers],
        }))
        .unwrap();
        let signature = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": oci_store::SIGNATURE_ARTIFACT_TYPE,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                       "digest": sha256_digest(b"{}"), "size": 2},
            "layers": [{
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "digest": sha256_digest(b"payload"),
                "size": 1u64 << 40,
                "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ=="},
            }],
        }))
        .unwrap();
        let entry = serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256_digest(&signature),
            "size": signature.len(),
            "artifactType": oci_store::SIGNATURE_ARTIFACT_TYPE,
        });
        let referrers = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": vec![entry; artifact.signatures],
        }))
        .unwrap();
        let signature_path = format!("/v2/hostile/manifests/{}", sha256_digest(&signature));
        let state = Arc::new((artifact, answer, config, manifest, layer_digest));
        let signed = Arc::new((signature, referrers, signature_path));
        {
            let seen = seen.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    let (seen, state, address) = (seen.clone(), state.clone(), server.clone());
                    let signed = signed.clone();
                    std::thread::spawn(move || {
                        let (artifact, answer, config, manifest, layer_digest) = &*state;
                        let (signature, referrers, signature_path) = &*signed;
                        serve(stream, &seen, |stream, request| {
                            let authorized = match request.authorization.as_deref() {
                                _ if request.path.starts_with("/token") => true,
                                Some(a) if artifact.wants_token => a == "Bearer T0KEN",
                                Some(_) => true,
                                None => !artifact.wants_credentials && !artifact.wants_token,
                            };
                            let challenge = if artifact.wants_token {
                                format!(
                                    "Bearer realm=\"http://{address}/token\",service=\"hostile\""
                                )
                            } else {
                                "Basic realm=\"hostile\"".to_owned()
                            };
                            match request.path.as_str() {
                                _ if !authorized => respond(
                                    stream,
                                    "401 Unauthorized",
                                    &[("WWW-Authenticate", &challenge)],
                                    b"",
                                ),
                                p if p.starts_with("/token") => {
                                    respond(stream, "200 OK", &[], b"{\"token\":\"T0KEN\"}")
                                }
                                "/v2/" => respond(stream, "200 OK", &[], b"{}"),
                                "/v2/hostile/manifests/t" if artifact.endless_manifest => {
                                    endless(stream, "200 OK")
                                }
                                p if p.starts_with("/v2/hostile/referrers/")
                                    && artifact.signatures > 0 =>
                                {
                                    respond(stream, "200 OK", &[], referrers)
                                }
                                p if p == signature_path => {
                                    respond(stream, "200 OK", &[], signature)
                                }
                                "/v2/hostile/manifests/t" => respond(
                                    stream,
                                    "200 OK",
                                    &[(
                                        "Content-Type",
                                        "application/vnd.oci.image.manifest.v1+json",
                                    )],
                                    manifest,
                                ),
                                p if p
                                    == format!("/v2/hostile/blobs/{}", sha256_digest(config)) =>
                                {
                                    respond(stream, "200 OK", &[], config)
                                }
                                p if p == format!("/v2/hostile/blobs/{layer_digest}") => {
                                    answer(stream, &artifact.blob)
                                }
                                _ => respond(stream, "404 Not Found", &[], b"{\"errors\":[]}"),
                            }
                        });
                    });
                }
            });
        }
        HostileRegistry { address, seen }
    }

    pub fn open(&self, options: &RegistryOptions) -> Repository {
        Repository::open(&format!("{}/hostile", self.address), options).unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn blob_requests(&self) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path.contains("/blobs/") && !s.path.contains(&config_digest()))
            .count()
    }
}

pub fn config_digest() -> String {
    sha256_digest(b"{\"k\":1}")
}

/// Reads requests off `stream` (keep-alive) and answers each with `answer`.
pub fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, answer: impl Fn(&mut TcpStream, &Seen)) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
        let mut authorization = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("authorization")
            {
                authorization = Some(value.trim().to_owned());
            }
        }
        let request = Seen {
            path,
            authorization,
        };
        seen.lock().unwrap().push(request.clone());
        answer(&mut stream, &request);
    }
}

pub fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

/// A chunked body of 1 MiB chunks that never ends (until the client hangs up).
pub fn endless(stream: &mut TcpStream, status: &str) {
    let head = format!("HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\n\r\n");
    let _ = stream.write_all(head.as_bytes());
    let chunk = vec![b' '; 1 << 20];
    loop {
        let head = format!("{:x}\r\n", chunk.len());
        if stream.write_all(head.as_bytes()).is_err()
            || stream.write_all(&chunk).is_err()
            || stream.write_all(b"\r\n").is_err()
        {
            return;
        }
    }
}
