//! A registry that misbehaves in ways Debian's `docker-registry` cannot: a body longer than its
//! `Content-Length` says, one that never ends, one that drips, a redirect to another host, sizes
//! that lie. A small HTTP server of the test's own on the loopback plays it, and each case
//! states what dockyard must do: refuse with the reason, within a deadline, with memory flat,
//! sending credentials to no host but the registry's.

mod hostile;

use std::io::Write;
use std::time::{Duration, Instant};

use camino::Utf8PathBuf;
use hostile::{Artifact, HostileRegistry, TYPE, endless, respond};
use oci_store::{RegistryOptions, StoreError, limits, pull_artifact, sha256_digest};
const USER: &str = "team";
const PASSWORD: &str = "s3cret-not-for-other-hosts";

fn options(deadline: Duration) -> RegistryOptions {
    let mut options = RegistryOptions::default();
    options.certs_dir = "/nonexistent".into();
    options.deadline = deadline;
    options.min_bytes_per_second = 1 << 30;
    options
}

fn honest(blob: &[u8]) -> Artifact {
    Artifact {
        blob: blob.to_vec(),
        declared: blob.len() as i64,
        layers: 1,
        wants_credentials: false,
        wants_token: false,
        endless_manifest: false,
        signatures: 0,
    }
}

fn pull(registry: &HostileRegistry, options: &RegistryOptions) -> Result<Utf8PathBuf, StoreError> {
    let dest = Utf8PathBuf::from_path_buf(tempfile::tempdir().unwrap().keep()).unwrap();
    pull_artifact(&registry.open(options), "t", TYPE, &dest, None)
        .map(|pulled| pulled.expect("the artifact is there").files[0].path.clone())
}

fn tampered(err: &StoreError, says: &str) {
    assert!(
        matches!(err, StoreError::Tampered { .. }) && err.to_string().contains(says),
        "{err}"
    );
}

/// The peak resident set of this process since the last reset, in KiB (the kernel's
/// `VmHWM`, reset by writing 5 to `clear_refs`).
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// A pull that must fail, and how much it grew this process's peak memory, in MiB.
fn failed_pull_growth(registry: &HostileRegistry) -> (StoreError, f64) {
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting VmHWM needs /proc");
    let before = peak_kib();
    let err = pull(registry, &options(Duration::from_secs(60))).unwrap_err();
    (err, peak_kib().saturating_sub(before) as f64 / 1024.0)
}

#[test]
fn a_body_longer_than_its_content_length_announces_is_refused_before_it_is_read() {
    let blob = vec![7u8; 1024];
    let registry = HostileRegistry::start(
        honest(&blob),
        Box::new(|stream, _| {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n");
            let _ = stream.write_all(&[0u8; 4096]);
        }),
    );
    let err = pull(&registry, &options(Duration::from_secs(20))).unwrap_err();
    tampered(
        &err,
        "announced as 1073741824 bytes, not the 1024 of its descriptor",
    );
}

#[test]
fn an_endless_body_is_cut_at_the_declared_size_with_memory_flat() {
    let blob = vec![7u8; 1 << 20];
    let registry = HostileRegistry::start(
        honest(&blob),
        // Chunked, so no length to check up front.
        Box::new(|stream, _| endless(stream, "200 OK")),
    );
    let (err, grew_mib) = failed_pull_growth(&registry);
    tampered(&err, "is longer than the 1048576 bytes of its descriptor");
    // Streamed to a file: a few buffers, never the body.
    assert!(
        grew_mib < 32.0,
        "the pull grew the process by {grew_mib:.1} MiB"
    );
}

#[test]
fn a_registry_that_drips_costs_its_deadline_then_an_error() {
    let blob = vec![7u8; 4096];
    let registry = HostileRegistry::start(
        honest(&blob),
        Box::new(|stream, blob| {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", blob.len());
            let _ = stream.write_all(head.as_bytes());
            for byte in blob {
                if stream.write_all(&[*byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }),
    );
    let started = Instant::now();
    let err = pull(&registry, &options(Duration::from_secs(2))).unwrap_err();
    assert!(matches!(err, StoreError::TimedOut { .. }), "{err}");
    assert!(
        err.to_string().contains("did not answer within 2 s"),
        "{err}"
    );
    // The whole blob would take 200 s at this pace.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_declared_size_beyond_the_limit_is_refused_before_any_request_for_it() {
    let blob = vec![7u8; 16];
    let registry = HostileRegistry::start(
        Artifact {
            declared: 1 << 62,
            ..honest(&blob)
        },
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let err = pull(&registry, &options(Duration::from_secs(20))).unwrap_err();
    tampered(
        &err,
        &format!(
            "is declared as 4611686018427387904 bytes, more than the {}",
            limits::FILE
        ),
    );
    assert_eq!(registry.blob_requests(), 0, "{:?}", registry.seen());
}

#[test]
fn sizes_that_lie_either_way_are_refused() {
    for declared in [15, 17, -1] {
        let blob = vec![7u8; 16];
        let registry = HostileRegistry::start(
            Artifact {
                declared,
                ..honest(&blob)
            },
            Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
        );
        let err = pull(&registry, &options(Duration::from_secs(20))).unwrap_err();
        assert!(
            matches!(err, StoreError::Tampered { .. }),
            "{declared}: {err}"
        );
    }
}

#[test]
fn ten_thousand_layers_are_refused_before_any_is_fetched() {
    let blob = vec![7u8; 16];
    let registry = HostileRegistry::start(
        Artifact {
            layers: 10_000,
            ..honest(&blob)
        },
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let err = pull(&registry, &options(Duration::from_secs(20))).unwrap_err();
    tampered(
        &err,
        &format!("has 10000 layers, more than the {}", limits::LAYERS),
    );
    assert_eq!(registry.blob_requests(), 0);
}

#[test]
fn a_redirect_to_another_host_carries_no_credentials() {
    // A registry that keeps its blobs elsewhere (as registries on object storage do): the other
    // host gets the request, and never the registry's credentials.
    let blob = b"the blob's bytes".to_vec();
    let elsewhere = HostileRegistry::start_on(
        "127.0.0.2",
        honest(&blob),
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let target = format!(
        "http://{}/v2/hostile/blobs/{}",
        elsewhere.address,
        sha256_digest(&blob)
    );
    let registry = HostileRegistry::start(
        Artifact {
            wants_credentials: true,
            ..honest(&blob)
        },
        Box::new(move |stream, _| {
            respond(
                stream,
                "307 Temporary Redirect",
                &[("Location", &target)],
                b"",
            )
        }),
    );
    let docker_config = tempfile::tempdir().unwrap();
    let auth = base64_basic(USER, PASSWORD);
    std::fs::write(
        docker_config.path().join("config.json"),
        serde_json::to_vec(&serde_json::json!({
            "auths": {registry.address.clone(): {"auth": auth}}
        }))
        .unwrap(),
    )
    .unwrap();
    // SAFETY: this test binary's tests read no other variable, and only this test sets one.
    unsafe { std::env::set_var("DOCKER_CONFIG", docker_config.path()) };
    let path = pull(&registry, &options(Duration::from_secs(20))).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), blob);
    let at_registry = registry.seen();
    assert!(
        at_registry
            .iter()
            .any(|s| s.path.contains("/blobs/") && s.authorization.is_some()),
        "the registry itself was sent the credentials: {at_registry:?}"
    );
    let at_elsewhere = elsewhere.seen();
    assert!(!at_elsewhere.is_empty(), "the redirect was not followed");
    assert!(
        at_elsewhere.iter().all(|s| s.authorization.is_none()),
        "credentials went to another host: {at_elsewhere:?}"
    );
}

fn base64_basic(user: &str, password: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

#[test]
fn it_works_when_called_from_inside_a_tokio_runtime() {
    // A Rust tool built on tokio calls the library from one of its tasks.
    let blob = b"bytes".to_vec();
    let registry = HostileRegistry::start(
        honest(&blob),
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = runtime
        .block_on(async { pull(&registry, &options(Duration::from_secs(20))) })
        .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), blob);
}

#[test]
fn an_honest_answer_from_the_same_server_is_pulled() {
    // The honest case, so every refusal above is a refusal of the lie and not of the server.
    let blob = b"honest".to_vec();
    let registry = HostileRegistry::start(
        honest(&blob),
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let path = pull(&registry, &options(Duration::from_secs(20))).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), blob);
}

#[test]
fn an_endless_manifest_is_cut_at_the_manifest_limit_with_memory_flat() {
    let registry = HostileRegistry::start(
        Artifact {
            endless_manifest: true,
            ..honest(b"x")
        },
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let (err, grew_mib) = failed_pull_growth(&registry);
    tampered(
        &err,
        &format!("more than the {} dockyard accepts", limits::MANIFEST),
    );
    assert!(
        grew_mib < 32.0,
        "the pull grew the process by {grew_mib:.1} MiB"
    );
}

#[test]
fn a_registry_handing_out_tokens_is_asked_for_one_and_then_answers() {
    let blob = b"behind a token".to_vec();
    let registry = HostileRegistry::start(
        Artifact {
            wants_token: true,
            ..honest(&blob)
        },
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let path = pull(&registry, &options(Duration::from_secs(20))).unwrap();
    assert_eq!(std::fs::read(path).unwrap(), blob);
    assert!(
        registry.seen().iter().any(|s| s.path.starts_with("/token")),
        "no token was asked for: {:?}",
        registry.seen()
    );
}

#[test]
fn ten_thousand_signature_referrers_cost_sixteen_requests_and_no_huge_payload() {
    let registry = HostileRegistry::start(
        Artifact {
            signatures: 10_000,
            ..honest(b"x")
        },
        Box::new(|stream, blob| respond(stream, "200 OK", &[], blob)),
    );
    let keys = tempfile::tempdir().unwrap();
    let keys_dir = camino::Utf8Path::from_path(keys.path()).unwrap();
    let (_, public) = test_fixtures::signing_key_pair(keys_dir, "team");
    let check = oci_store::SignatureCheck::from_pem_file(&public).unwrap();
    let dest = Utf8PathBuf::from_path_buf(tempfile::tempdir().unwrap().keep()).unwrap();
    let repo = registry.open(&options(Duration::from_secs(20)));
    let err = pull_artifact(&repo, "t", TYPE, &dest, Some(&check)).unwrap_err();
    assert!(matches!(err, StoreError::Unsigned { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("a signature payload of 1099511627776 bytes"),
        "{err}"
    );
    let signatures_fetched = registry
        .seen()
        .iter()
        .filter(|s| s.path.starts_with("/v2/hostile/manifests/sha256:"))
        .count();
    assert_eq!(signatures_fetched, limits::REFERRERS);
    // No payload was requested: its declared size was refused first.
    assert_eq!(registry.blob_requests(), 0, "{:?}", registry.seen());
}

#[test]
fn an_error_answered_with_an_endless_body_costs_512_bytes_of_it() {
    let registry = HostileRegistry::start(
        honest(&[7u8; 64]),
        Box::new(|stream, _| endless(stream, "500 Oops")),
    );
    let (err, grew_mib) = failed_pull_growth(&registry);
    assert!(
        matches!(err, StoreError::Registry { .. }) && err.to_string().contains("answered 500"),
        "{err}"
    );
    assert!(
        grew_mib < 32.0,
        "the pull grew the process by {grew_mib:.1} MiB"
    );
}
