//! A registry as teams run them: HTTPS with a certificate from their own CA, and htpasswd
//! accounts, with credentials taken from Docker's `config.json` as `docker login` writes it.
//! One test function: it sets `DOCKER_CONFIG` for the whole process.

use std::collections::BTreeMap;

use base64::Engine;
use camino::{Utf8Path, Utf8PathBuf};
use engine::{Registry, RegistryAuth, RegistryTls};
use oci_store::{
    ArtifactFile, NewArtifact, RegistryOptions, Repository, StoreError, pull_artifact,
    push_artifact,
};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

const TYPE: &str = "application/vnd.dockyard.test.v1+json";

/// A CA, and a certificate it signed for 127.0.0.1: `(ca.crt, server.crt, server.key)`.
fn test_ca(dir: &Utf8Path) -> (Utf8PathBuf, Utf8PathBuf, Utf8PathBuf) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let paths = (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    std::fs::write(&paths.0, ca_cert.pem()).unwrap();
    std::fs::write(&paths.1, server_cert.pem()).unwrap();
    std::fs::write(&paths.2, server_key.serialize_pem()).unwrap();
    (paths.0, paths.1, paths.2)
}

/// `config.json` as `docker login` writes it.
fn docker_login(config_dir: &Utf8Path, registry: &str, user: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let config = serde_json::json!({ "auths": { registry: { "auth": auth } } });
    std::fs::write(config_dir.join("config.json"), config.to_string()).unwrap();
}

#[test]
fn https_from_a_team_ca_with_docker_login_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Utf8PathBuf::from_path_buf(tmp.path().to_owned()).unwrap();
    let (ca, cert, key) = test_ca(&dir);
    let account = RegistryAuth {
        user: "ci".into(),
        password: "s3cret-pass".into(),
    };
    let tls = RegistryTls {
        certificate: cert,
        key,
    };
    let registry = Registry::start_with(Some(&account), Some(&tls))
        .expect("Debian's docker-registry must be installed (.ci/run installs it)");
    let address = registry.address();
    // Docker's layout: certs.d/HOST:PORT/ca.crt.
    let certs_dir = dir.join("certs.d");
    std::fs::create_dir_all(certs_dir.join(&address)).unwrap();
    std::fs::copy(&ca, certs_dir.join(&address).join("ca.crt")).unwrap();
    let mut options = RegistryOptions::default();
    options.certs_dir = certs_dir.clone();
    let config_dir = dir.join("docker-config");
    std::fs::create_dir_all(&config_dir).unwrap();
    // SAFETY: this test binary has one test; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var("DOCKER_CONFIG", &config_dir) };

    let file = dir.join("runc");
    std::fs::write(&file, b"runc bytes").unwrap();
    let artifact = NewArtifact {
        artifact_type: TYPE,
        config: None,
        files: vec![ArtifactFile {
            name: "runc".into(),
            path: file,
            media_type: "application/octet-stream".into(),
        }],
        annotations: BTreeMap::new(),
    };
    let reference = format!("{address}/team/cache");

    // Anonymous access to an authenticated registry: refused, and the fix is named.
    let repo = Repository::open(&reference, &options).unwrap();
    let err = push_artifact(&repo, &artifact, Some("t"), None).unwrap_err();
    assert!(matches!(err, StoreError::Unauthorized { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("docker login {address}")),
        "{err}"
    );

    // Wrong credentials: the same, and the password is nowhere in the message.
    docker_login(&config_dir, &address, "ci", "wrong-password");
    let repo = Repository::open(&reference, &options).unwrap();
    let err = push_artifact(&repo, &artifact, Some("t"), None).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            err,
            StoreError::Unauthorized {
                had_credentials: true,
                ..
            }
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!("docker login {address}")),
        "{message}"
    );
    assert!(!message.contains("wrong-password"), "{message}");

    // The right ones: a round trip over HTTPS, trusting the team's CA only through certs.d.
    docker_login(&config_dir, &address, "ci", "s3cret-pass");
    let repo = Repository::open(&reference, &options).unwrap();
    push_artifact(&repo, &artifact, Some("t"), None).unwrap();
    let dest = dir.join("pulled");
    let pulled = pull_artifact(&repo, "t", TYPE, &dest, None)
        .unwrap()
        .unwrap();
    assert_eq!(pulled.files.len(), 1);
    assert_eq!(std::fs::read(dest.join("runc")).unwrap(), b"runc bytes");

    // Without the CA the server's certificate is not trusted: never a silent downgrade.
    let mut untrusting = RegistryOptions::default();
    untrusting.certs_dir = dir.join("no-certs");
    let repo = Repository::open(&reference, &untrusting).unwrap();
    let err = pull_artifact(&repo, "t", TYPE, &dir.join("pulled2"), None).unwrap_err();
    assert!(matches!(err, StoreError::Registry { .. }), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
}
