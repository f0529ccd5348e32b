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

/// Where Docker keeps a registry's CA (`/etc/docker/certs.d/HOST:PORT/*.crt`), how long a
/// registry may take, and the rest of what opening a repository needs from the machine.
/// [`Default`] is Docker's own; set the fields that differ on it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RegistryOptions {
    /// Docker's `certs.d` folder: each registry's extra CA certificates.
    pub certs_dir: Utf8PathBuf,
    /// The most one request may take, whatever it carries: a registry that stalls or drips
    /// costs this much, then an error.
    pub deadline: Duration,
    /// The slowest transfer believed to be progressing: a blob of `size` bytes may take
    /// `deadline` plus `size / min_bytes_per_second` seconds.
    pub min_bytes_per_second: u64,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            certs_dir: Utf8PathBuf::from("/etc/docker/certs.d"),
            deadline: Duration::from_secs(60),
            min_bytes_per_second: 256 << 10,
        }
    }
}

impl RegistryOptions {
    /// [`Default`], with `DOCKYARD_CERTS_D` naming another `certs.d` folder when it is set.
    pub fn from_environment() -> RegistryOptions {
        let mut options = RegistryOptions::default();
        if let Some(dir) = std::env::var_os("DOCKYARD_CERTS_D") {
            options.certs_dir = Utf8PathBuf::from(dir.to_string_lossy().into_owned());
        }
        options
    }
}

/// The most bytes dockyard believes a registry about, per kind of content: checked against
/// what a manifest declares before a request is made, and against what arrives while it
/// arrives, so no answer can make it allocate or write more.
pub mod limits {
    /// A manifest or index (distribution's own limit is 4 MiB).
    pub const MANIFEST: u64 = 4 << 20;
    /// A config blob: a component's record, a signature's payload.
    pub const CONFIG: u64 = 1 << 20;
    /// One file of an artifact: a binary (dockerd is about 100 MB) or a compressed tar member.
    pub const FILE: u64 = 1 << 30;
    /// A pack of Go cache entries (moby's is a few hundred megabytes).
    pub const GO_PACK: u64 = 8 << 30;
    /// Entries, and outputs, in one pack of Go cache entries (moby's build uses about 6,000).
    pub const GO_PACK_ENTRIES: u64 = 1 << 20;
    /// Layers in one artifact's manifest (a bundle is a layer per file: about 200 with the
    /// CLI's man pages).
    pub const LAYERS: usize = 1024;
    /// Signature referrers examined for one manifest.
    pub const REFERRERS: usize = 16;
}

/// The one async runtime every repository's requests run on; callers stay synchronous.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
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
    pub(crate) client: Client,
    /// Every read, bounded (oci-client reads a body whole).
    pub(crate) reads: crate::bounded::BoundedReads,
    pub(crate) base: Reference,
    pub(crate) auth: RegistryAuth,
    deadline: Duration,
    min_bytes_per_second: u64,
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
        let certificates = certificates(&options.certs_dir.join(&registry))?;
        let mut config = ClientConfig {
            extra_root_certificates: certificates.clone(),
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(120)),
            ..ClientConfig::default()
        };
        // Docker's rule: a registry on the loopback may speak plain HTTP; anything else is HTTPS.
        let plain = is_loopback(&registry) && speaks_plain_http(&registry);
        if plain {
            config.protocol = ClientProtocol::HttpsExcept(vec![registry.clone()]);
        }
        let cannot = |e: &dyn std::fmt::Display| StoreError::Registry {
            registry: registry.clone(),
            message: format!("cannot make a client: {e}"),
        };
        let client = Client::try_from(config).map_err(|e| cannot(&e))?;
        let reads = crate::bounded::BoundedReads::new(&registry, plain, &certificates)
            .map_err(|e| cannot(&e))?;
        Ok(Repository {
            client,
            reads,
            base,
            auth,
            deadline: options.deadline,
            min_bytes_per_second: options.min_bytes_per_second.max(1),
        })
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

    pub(crate) fn tagged(&self, tag: &str) -> Reference {
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

    /// How long a request carrying `size` bytes may take.
    pub(crate) fn deadline_for(&self, size: u64) -> Duration {
        self.deadline + Duration::from_secs(size / self.min_bytes_per_second)
    }

    fn block_on<T: Send>(
        &self,
        operation: RegistryOperation,
        future: impl Future<Output = Result<T, OciDistributionError>> + Send,
    ) -> Result<T, StoreError> {
        self.run(self.deadline, async {
            future.await.map_err(|e| self.classify(operation, e))
        })
    }

    /// Runs `future` on the registry runtime within `deadline`. From a thread that is itself
    /// inside a tokio runtime (a Rust tool built on tokio calling this library), the runtime
    /// is driven from a thread of its own, since tokio refuses to block inside a runtime.
    pub(crate) fn run<T: Send>(
        &self,
        deadline: Duration,
        future: impl Future<Output = Result<T, StoreError>> + Send,
    ) -> Result<T, StoreError> {
        let image = self.tagged("latest");
        let within = async {
            self.client
                .store_auth_if_needed(image.resolve_registry(), &self.auth)
                .await;
            tokio::time::timeout(deadline, future).await
        };
        let outcome = if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .name("dockyard-registry-call".into())
                    .spawn_scoped(scope, || runtime().block_on(within))
                    .map_err(|e| StoreError::Registry {
                        registry: self.registry().to_owned(),
                        message: format!("cannot start a thread for the request: {e}"),
                    })?
                    .join()
                    .map_err(|panic| StoreError::Registry {
                        registry: self.registry().to_owned(),
                        message: format!(
                            "the request's thread panicked: {}",
                            build_core::error::panic_message(panic)
                        ),
                    })
            })?
        } else {
            runtime().block_on(within)
        };
        outcome.map_err(|_| StoreError::TimedOut {
            registry: self.registry().to_owned(),
            after: deadline,
        })?
    }

    /// Turns oci-client's error into one a person can act on; credentials are never in it.
    pub(crate) fn classify(
        &self,
        operation: RegistryOperation,
        error: OciDistributionError,
    ) -> StoreError {
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

    /// The manifest a tag or digest names, with its digest; `None` if there is none. At most
    /// [`limits::MANIFEST`] bytes are read.
    pub fn manifest(&self, reference: &str) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let accepted = [
            oci_client::manifest::OCI_IMAGE_MEDIA_TYPE,
            oci_client::manifest::OCI_IMAGE_INDEX_MEDIA_TYPE,
        ];
        let path = format!("manifests/{reference}");
        let Some(bytes) = self.run(self.deadline, self.reads.get(self, &path, &accepted))? else {
            return Ok(None);
        };
        // The digest of the bytes we hold, never the one the server claims.
        let digest = sha256_digest(&bytes);
        if reference.starts_with("sha256:") && digest != reference {
            return Err(self.tampered(format!("manifest {reference} hashes to {digest}")));
        }
        Ok(Some((bytes, digest)))
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

/// The tag `HOST[:PORT]/NAME:TAG` names, which a push needs (a digest is what a push makes).
pub fn tag_to_push(reference: &str) -> Result<String, StoreError> {
    let (_, given) = split_reference(reference)?;
    given
        .filter(|t| !t.starts_with("sha256:"))
        .ok_or_else(|| StoreError::BadReference {
            reference: reference.to_owned(),
            message: "it names no tag to push to (REPOSITORY:TAG)".into(),
        })
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
            let data = std::fs::read(&path).map_err(StoreError::io(
                "reading the registry CA",
                path.to_string_lossy().into_owned(),
            ))?;
            Ok(Certificate {
                encoding: CertificateEncoding::Pem,
                data,
            })
        })
        .collect()
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
    /// the referrers API, or its tag schema where the registry has no such API. The first
    /// [`limits::REFERRERS`] only: each is a request, and a registry listing thousands must not
    /// make a pull take forever.
    pub fn referrers(
        &self,
        digest: &str,
        artifact_type: Option<&str>,
    ) -> Result<Vec<oci_client::manifest::ImageIndexEntry>, StoreError> {
        let accepted = [oci_client::manifest::OCI_IMAGE_INDEX_MEDIA_TYPE];
        let path = match artifact_type {
            Some(t) => format!("referrers/{digest}?artifactType={t}"),
            None => format!("referrers/{digest}"),
        };
        // A registry without the referrers API answers 404: its tag schema's index then.
        let bytes = match self.run(self.deadline, self.reads.get(self, &path, &accepted))? {
            Some(bytes) => Some(bytes),
            None => self
                .manifest(&crate::referrers::schema_tag(digest))?
                .map(|(bytes, _)| bytes),
        };
        let Some(bytes) = bytes else {
            return Ok(Vec::new());
        };
        let index: oci_client::manifest::OciImageIndex =
            serde_json::from_slice(&bytes).map_err(|e| {
                self.tampered(format!("the referrers of {digest} are not an index: {e}"))
            })?;
        Ok(index
            .manifests
            .into_iter()
            .filter(|m| artifact_type.is_none_or(|t| m.artifact_type.as_deref() == Some(t)))
            .take(limits::REFERRERS)
            .collect())
    }
}
