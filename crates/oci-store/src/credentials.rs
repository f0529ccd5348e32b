//! The credentials Docker keeps for a registry: `$DOCKER_CONFIG/config.json` (or
//! `~/.docker/config.json`), its `auths`, `credsStore` and `credHelpers`, read through the
//! `docker_credential` crate as `docker login` wrote them. They go to the registry and nowhere
//! else: no message, log or file names them.

use docker_credential::{CredentialRetrievalError, DockerCredential};
use oci_client::secrets::RegistryAuth;

use crate::StoreError;

/// What to authenticate to `registry` (`host[:port]`) with: anonymous when Docker keeps
/// nothing for it.
pub(crate) fn for_registry(registry: &str) -> Result<RegistryAuth, StoreError> {
    // Docker Hub's credentials are kept under its v1 address.
    let server = match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        other => other,
    };
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::home_dir().map(|home| home.join(".docker")));
    if !dir.is_some_and(|d| d.join("config.json").is_file()) {
        return Ok(RegistryAuth::Anonymous);
    }
    match docker_credential::get_credential(server) {
        Ok(DockerCredential::UsernamePassword(user, password)) => {
            Ok(RegistryAuth::Basic(user, password))
        }
        Ok(DockerCredential::IdentityToken(token)) => Ok(RegistryAuth::Bearer(token)),
        Err(
            CredentialRetrievalError::NoCredentialConfigured
            | CredentialRetrievalError::ConfigNotFound,
        ) => Ok(RegistryAuth::Anonymous),
        // A helper's message may quote what it was given; say only which kind of failure.
        Err(e) => Err(StoreError::Credentials {
            registry: registry.to_owned(),
            message: match e {
                CredentialRetrievalError::HelperFailure { helper, .. } => {
                    format!("the credential helper docker-credential-{helper} failed")
                }
                CredentialRetrievalError::ConfigReadError => {
                    "Docker's config.json cannot be read as JSON".into()
                }
                other => format!("{other:?}"),
            },
        }),
    }
}
