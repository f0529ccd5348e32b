//! Every read from a registry, bounded. oci-client reads a body whole before anyone can look at
//! its size (a manifest, a referrers list, or the error a blob request got), so a registry
//! could answer with gigabytes; here a manifest's body is refused as soon as it is longer than
//! [`limits::MANIFEST`], whatever its `Content-Length` says, a blob's is read by the caller
//! against its descriptor's size, and an error's is read to 512 bytes. Authentication is
//! oci-client's (its token request), and reqwest's redirects drop credentials when they leave
//! the registry's host.

use std::sync::Mutex;
use std::time::Duration;

use oci_client::RegistryOperation;
use oci_client::client::Certificate;
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;

use crate::registry::limits;
use crate::{Repository, StoreError};

/// An HTTP client for one registry's small, bounded reads, and the pull token it was given.
pub(crate) struct BoundedReads {
    http: reqwest::Client,
    /// `scheme://host[:port]/v2`.
    base: String,
    token: Mutex<Option<String>>,
}

impl BoundedReads {
    pub(crate) fn new(
        registry: &str,
        plain_http: bool,
        certificates: &[Certificate],
    ) -> Result<BoundedReads, reqwest::Error> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(Duration::from_secs(120));
        for certificate in certificates {
            builder =
                builder.add_root_certificate(reqwest::Certificate::from_pem(&certificate.data)?);
        }
        let scheme = if plain_http { "http" } else { "https" };
        Ok(BoundedReads {
            http: builder.build()?,
            base: format!("{scheme}://{registry}/v2"),
            token: Mutex::new(None),
        })
    }

    /// `GET /v2/REPOSITORY/PATH`: its body (at most [`limits::MANIFEST`] bytes), or `None` for
    /// a 404.
    pub(crate) async fn get(
        &self,
        repo: &Repository,
        path: &str,
        accepted: &[&str],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(mut response) = self.send(repo, path, accepted).await? else {
            return Ok(None);
        };
        let too_long = |length: u64| {
            repo.tampered(format!(
                "{path} is {length} bytes or more, more than the {} dockyard accepts",
                limits::MANIFEST
            ))
        };
        let announced = response.content_length().unwrap_or(0);
        if announced > limits::MANIFEST {
            return Err(too_long(announced));
        }
        let mut body = Vec::with_capacity(announced as usize);
        while let Some(chunk) = next_chunk(repo, &mut response).await? {
            if (body.len() + chunk.len()) as u64 > limits::MANIFEST {
                return Err(too_long((body.len() + chunk.len()) as u64));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Some(body))
    }

    /// `GET /v2/REPOSITORY/PATH` with the registry's credentials (a pull token asked for once
    /// when the registry wants one): the response of a success, whose body the caller reads
    /// with its own bound; `None` for a 404; an error naming the status, with at most 512
    /// bytes of what the registry said, for anything else.
    pub(crate) async fn send(
        &self,
        repo: &Repository,
        path: &str,
        accepted: &[&str],
    ) -> Result<Option<reqwest::Response>, StoreError> {
        let url = format!("{}/{}/{path}", self.base, repo.repository());
        let failed = |e: OciDistributionError| repo.classify(RegistryOperation::Pull, e);
        for attempt in 0..2 {
            let token = self.token.lock().map(|t| t.clone()).unwrap_or_default();
            let mut request = self.http.get(&url).header("Accept", accepted.join(", "));
            request = match (&token, &repo.auth) {
                (Some(token), _) => request.bearer_auth(token),
                (None, RegistryAuth::Basic(user, password)) => {
                    request.basic_auth(user, Some(password))
                }
                _ => request,
            };
            let mut response = request
                .send()
                .await
                .map_err(|e| failed(OciDistributionError::RequestError(e)))?;
            let unauthorized =
                || failed(OciDistributionError::UnauthorizedError { url: url.clone() });
            match response.status().as_u16() {
                // A registry that hands out tokens: ask for one once, as oci-client does.
                401 if attempt == 0 => {
                    let image = repo.tagged("latest");
                    match repo
                        .client
                        .auth(&image, &repo.auth, RegistryOperation::Pull)
                        .await
                    {
                        Ok(Some(token)) => {
                            if let Ok(mut slot) = self.token.lock() {
                                *slot = Some(token);
                            }
                        }
                        Ok(None) if token.is_some() => {
                            if let Ok(mut slot) = self.token.lock() {
                                *slot = None;
                            }
                        }
                        Ok(None) => return Err(unauthorized()),
                        Err(e) => return Err(failed(e)),
                    }
                }
                401 | 403 => return Err(unauthorized()),
                404 => return Ok(None),
                200..=299 => return Ok(Some(response)),
                status => {
                    // A few hundred bytes of what it said are enough for a person.
                    let mut said = Vec::new();
                    while said.len() < 512
                        && let Ok(Some(chunk)) = response.chunk().await
                    {
                        said.extend_from_slice(&chunk);
                    }
                    said.truncate(512);
                    return Err(StoreError::Registry {
                        registry: repo.registry().to_owned(),
                        message: format!(
                            "GET {path} answered {status}: {}",
                            String::from_utf8_lossy(&said).trim()
                        ),
                    });
                }
            }
        }
        Err(failed(OciDistributionError::UnauthorizedError { url }))
    }
}

/// The next piece of a response's body, as it arrives.
pub(crate) async fn next_chunk(
    repo: &Repository,
    response: &mut reqwest::Response,
) -> Result<Option<bytes::Bytes>, StoreError> {
    response.chunk().await.map_err(|e| {
        repo.classify(
            RegistryOperation::Pull,
            OciDistributionError::RequestError(e),
        )
    })
}
