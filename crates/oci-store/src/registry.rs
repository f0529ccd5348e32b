//! One repository of one registry, spoken to through `oci-client`, with Docker's credentials
//! and Docker's rules for TLS (a CA in `certs.d`, plain HTTP only on the loopback).

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream, ToSocketAddrs};
use std::sync::OnceLock;
use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference, RegistryOperation};
use sha2::{Digest, Sha256};

use crate::StoreError;
use crate::credentials;

/// Where Docker keeps a registry's CA (`/etc/docker/certs.d/HOST:PORT/*.crt`), and the rest of
/// what opening a repository needs from the machine.
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Docker's `certs.d` folder: each registry's extra CA certificates.
    pub certs_dir: Utf8PathBuf,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            certs_dir: Utf8PathBuf::from("/etc/docker/certs.d"),
        }
    }
}

/// The one async runtime every repository's requests run on; callers stay synchronous.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        // ring is the one TLS provider linked (aws-lc would add a C build to every clean
        // build); rustls deprecates it only for lacking post-quantum key exchange. A second
        // install attempt is harmless.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .thread_name("dockyard-registry")
            .build()
            .unwrap_or_else(|e| panic!("cannot start the registry client's runtime: {e}"))
    })
}

/// A repository (`HOST[:PORT]/NAME`), opened with the credentials Docker keeps for its host.
pub struct Repository {
    client: Client,
    base: Reference,
    auth: RegistryAuth,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Repository {
    /// Opens `reference` (a tag or digest in it is ignored: see [`split_reference`]).
    pub fn open(reference: &str, options: &RegistryOptions) -> Result<Repository, StoreError> {
        let (base, _) = split_reference(reference)?;
        // Also installs the TLS provider the client is built with.
        runtime();
        let registry = base.resolve_registry().to_owned();
        let auth = credentials::for_registry(&registry)?;
        let mut config = ClientConfig {
            extra_root_certificates: certificates(&options.certs_dir.join(&registry))?,
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(120)),
            ..ClientConfig::default()
        };
        // Docker's rule: a registry on the loopback may speak plain HTTP; anything else is HTTPS.
        if is_loopback(&registry) && speaks_plain_http(&registry) {
            config.protocol = ClientProtocol::HttpsExcept(vec![registry.clone()]);
        }
        let client = Client::try_from(config).map_err(|e| StoreError::Registry {
            registry: registry.clone(),
            message: format!("cannot make a client: {e}"),
        })?;
        Ok(Repository { client, base, auth })
    }

    /// `host[:port]`.
    pub fn registry(&self) -> &str {
        self.base.resolve_registry()
    }

    /// The repository's path in its registry.
    pub fn repository(&self) -> &str {
        self.base.repository()
    }

    /// `host[:port]/repository`, for messages.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry(), self.repository())
    }

    fn tagged(&self, tag: &str) -> Reference {
        Reference::with_tag(
            self.base.registry().to_owned(),
            self.base.repository().to_owned(),
            tag.to_owned(),
        )
    }

    fn at(&self, reference: &str) -> Reference {
        if reference.starts_with("sha256:") {
            Reference::with_digest(
                self.base.registry().to_owned(),
                self.base.repository().to_owned(),
                reference.to_owned(),
            )
        } else {
            self.tagged(reference)
        }
    }

    fn block_on<T>(
        &self,
        operation: RegistryOperation,
        future: impl Future<Output = Result<T, OciDistributionError>>,
    ) -> Result<T, StoreError> {
        let image = self.tagged("latest");
        runtime()
            .block_on(async {
                self.client
                    .store_auth_if_needed(image.resolve_registry(), &self.auth)
                    .await;
                future.await
            })
            .map_err(|e| self.classify(operation, e))
    }

    /// Turns oci-client's error into one a person can act on; credentials are never in it.
    fn classify(&self, operation: RegistryOperation, error: OciDistributionError) -> StoreError {
        let unauthorized = StoreError::Unauthorized {
            registry: self.registry().to_owned(),
            repository: self.repository().to_owned(),
            operation: match operation {
                RegistryOperation::Push => "push to",
                RegistryOperation::Pull => "pull from",
            },
            had_credentials: !matches!(self.auth, RegistryAuth::Anonymous),
        };
        let message = match &error {
            OciDistributionError::UnauthorizedError { .. }
            | OciDistributionError::AuthenticationFailure(_) => return unauthorized,
            // A blob that does not hash to its digest: content, not the network.
            OciDistributionError::DigestError(e) => return self.tampered(e.to_string()),
            OciDistributionError::ServerError { code: 401, .. }
            | OciDistributionError::ServerError { code: 403, .. } => return unauthorized,
            OciDistributionError::RegistryError { envelope, .. }
                if envelope.errors.iter().any(|e| {
                    matches!(
                        e.code,
                        oci_client::errors::OciErrorCode::Unauthorized
                            | oci_client::errors::OciErrorCode::Denied
                    )
                }) =>
            {
                return unauthorized;
            }
            OciDistributionError::RequestError(e)
                if e.status()
                    .is_some_and(|s| s.as_u16() == 401 || s.as_u16() == 403) =>
            {
                return unauthorized;
            }
            OciDistributionError::RequestError(e) => {
                let mut message = e.to_string();
                let mut cause = std::error::Error::source(e);
                while let Some(c) = cause {
                    message = format!("{message}: {c}");
                    cause = c.source();
                }
                message
            }
            other => other.to_string(),
        };
        StoreError::Registry {
            registry: self.registry().to_owned(),
            message,
        }
    }

    /// Whether the repository holds the blob.
    pub fn has_blob(&self, digest: &str) -> Result<bool, StoreError> {
        let image = self.tagged("latest");
        self.block_on(
            RegistryOperation::Pull,
            self.client.blob_exists(&image, digest),
        )
    }

    /// Uploads `bytes` unless the repository has them; returns their digest.
    pub fn push_blob(&self, bytes: Vec<u8>) -> Result<String, StoreError> {
        let digest = sha256_digest(&bytes);
        if self.has_blob(&digest)? {
            return Ok(digest);
        }
        let image = self.tagged("latest");
        self.block_on(
            RegistryOperation::Push,
            self.client.push_blob(&image, bytes, &digest),
        )?;
        Ok(digest)
    }

    /// Downloads a blob to `dest` (through a temporary file beside it, renamed only once its
    /// size and SHA-256 are the descriptor's).
    pub fn pull_blob(&self, digest: &str, size: u64, dest: &Utf8Path) -> Result<(), StoreError> {
        let bytes = self.blob_bytes(digest, size)?;
        let parent = dest.parent().unwrap_or(Utf8Path::new("."));
        std::fs::create_dir_all(parent).map_err(StoreError::io("creating", parent))?;
        let mut file = tempfile::NamedTempFile::new_in(parent)
            .map_err(StoreError::io("creating a file in", parent))?;
        file.write_all(&bytes)
            .map_err(StoreError::io("writing", dest))?;
        file.persist(dest)
            .map_err(|e| StoreError::io("writing", dest)(e.error))?;
        Ok(())
    }

    /// A blob's bytes, checked against its descriptor's size and digest.
    pub fn blob_bytes(&self, digest: &str, size: u64) -> Result<Vec<u8>, StoreError> {
        let image = self.tagged("latest");
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        let descriptor = oci_client::manifest::OciDescriptor {
            digest: digest.to_owned(),
            size: i64::try_from(size).unwrap_or(i64::MAX),
            ..Default::default()
        };
        self.block_on(
            RegistryOperation::Pull,
            self.client.pull_blob(&image, &descriptor, &mut bytes),
        )?;
        // oci-client checks the digest too; this is the check we own, and it checks the size.
        if bytes.len() as u64 != size || sha256_digest(&bytes) != digest {
            return Err(self.tampered(format!(
                "blob {digest} arrived as {} bytes hashing to {}",
                bytes.len(),
                sha256_digest(&bytes)
            )));
        }
        Ok(bytes)
    }

    /// The manifest a tag or digest names, with its digest; `None` if there is none.
    pub fn manifest(&self, reference: &str) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let image = self.at(reference);
        let accepted = [
            oci_client::manifest::OCI_IMAGE_MEDIA_TYPE,
            oci_client::manifest::OCI_IMAGE_INDEX_MEDIA_TYPE,
        ];
        let pulled = runtime().block_on(async {
            self.client
                .pull_manifest_raw(&image, &self.auth, &accepted)
                .await
        });
        match pulled {
            Ok((bytes, _)) => {
                // The digest of the bytes we hold, never the one the server claims.
                let digest = sha256_digest(&bytes);
                if reference.starts_with("sha256:") && digest != reference {
                    return Err(self.tampered(format!("manifest {reference} hashes to {digest}")));
                }
                Ok(Some((bytes.to_vec(), digest)))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(self.classify(RegistryOperation::Pull, e)),
        }
    }

    /// Puts a manifest under a tag (or its digest); returns its digest.
    pub fn push_manifest(
        &self,
        reference: &str,
        bytes: Vec<u8>,
        media_type: &str,
    ) -> Result<String, StoreError> {
        let digest = sha256_digest(&bytes);
        let image = self.at(reference);
        let content_type = media_type.parse().map_err(|_| StoreError::Registry {
            registry: self.registry().to_owned(),
            message: format!("`{media_type}` is not a media type"),
        })?;
        self.block_on(
            RegistryOperation::Push,
            self.client.push_manifest_raw(&image, bytes, content_type),
        )?;
        Ok(digest)
    }

    pub(crate) fn tampered(&self, what: String) -> StoreError {
        StoreError::Tampered {
            registry: self.registry().to_owned(),
            repository: self.repository().to_owned(),
            what,
        }
    }
}

/// `HOST[:PORT]/NAME[:TAG|@DIGEST]` read as Docker reads it, returned as the repository and
/// the tag or digest given, if any.
pub fn split_reference(reference: &str) -> Result<(Reference, Option<String>), StoreError> {
    let bad = |message: String| StoreError::BadReference {
        reference: reference.to_owned(),
        message,
    };
    if !reference.contains('/') {
        return Err(bad("it names no registry host".into()));
    }
    let parsed: Reference = reference.parse().map_err(|e| bad(format!("{e}")))?;
    let given = if let Some(digest) = parsed.digest() {
        Some(digest.to_owned())
    } else {
        // A tag only if one was written: oci-client defaults to `latest`.
        let last = reference.rsplit('/').next().unwrap_or_default();
        last.contains(':')
            .then(|| parsed.tag().unwrap_or("latest").to_owned())
    };
    let base = Reference::with_tag(
        parsed.registry().to_owned(),
        parsed.repository().to_owned(),
        "latest".into(),
    );
    Ok((base, given))
}

/// `sha256:` and the hex of `bytes`' SHA-256.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", build_core::digest::hex(&Sha256::digest(bytes)))
}

fn certificates(dir: &Utf8Path) -> Result<Vec<Certificate>, StoreError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut paths: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "crt"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let data = std::fs::read(&path).map_err(|source| StoreError::Io {
                action: "reading the registry CA",
                path: Utf8PathBuf::from(path.to_string_lossy().into_owned()),
                source,
            })?;
            Ok(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            })
        })
        .collect()
}

/// A manifest or repository the registry does not have.
fn is_not_found(error: &OciDistributionError) -> bool {
    use oci_client::errors::OciErrorCode;
    match error {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code: 404, .. } => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().all(|e| {
            matches!(
                e.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound
            )
        }),
        _ => false,
    }
}

fn is_loopback(registry: &str) -> bool {
    let host = registry
        .rsplit_once(':')
        .map_or(registry, |(host, _)| host)
        .trim_matches(['[', ']']);
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether the server answers a plain HTTP request as a registry (a TLS server does not): Docker, too, talks
/// plain HTTP to a loopback registry only when HTTPS is not what it speaks.
fn speaks_plain_http(registry: &str) -> bool {
    let Some(addr) = registry.to_socket_addrs().ok().and_then(|mut a| a.next()) else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /v2/ HTTP/1.0\r\nHost: {registry}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    // A registry answers `/v2/` with 200, or 401 when it wants credentials; an HTTPS server
    // answers plain HTTP with 400 (Go's "Client sent an HTTP request to an HTTPS server").
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok()
        && head.starts_with(b"HTTP/1.")
        && matches!(&head[9..12], b"200" | b"401")
}

impl Repository {
    /// The manifests naming `digest` as their subject, of `artifact_type` if given: through
    /// the referrers API, or its tag schema where the registry has no such API.
    pub fn referrers(
        &self,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> Result<Vec<oci_client::manifest::ImageIndexEntry>, StoreError> {
        let image = self.at(digest);
        let index = self.block_on(
            RegistryOperation::Pull,
            self.client.pull_referrers(&image, artifact_type),
        )?;
        Ok(index
            .manifests
            .into_iter()
            .filter(|m| artifact_type.is_none_or(|t| m.artifact_type.as_deref() == Some(t)))
            .collect())
    }
}
