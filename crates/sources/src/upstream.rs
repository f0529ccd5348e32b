//! The upstream repositories dockyard knows.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The Docker release lines dockyard builds, as version prefixes: the lines moby's, the CLI's
/// and docker-proxy's recipes build, and the releases `pins` derives sets for. Written once.
pub const DOCKER_RELEASE_LINES: &[&str] = &["27.", "28.", "29."];

/// One upstream repository pinned in `pins.lock`.
///
/// Build components map onto these: `docker-proxy` builds from [`Upstream::Moby`], so there are
/// eight upstreams for nine component crates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Upstream {
    /// docker/buildx: the `docker-buildx` CLI plugin (`docker build` through BuildKit).
    Buildx,
    /// docker/cli: the `docker` client.
    Cli,
    /// docker/compose: the `docker-compose` CLI plugin.
    Compose,
    /// containerd/containerd: `containerd`, `containerd-shim-runc-v2`, `ctr`.
    Containerd,
    /// moby/moby: `dockerd` and `docker-proxy`.
    Moby,
    /// docker/docker-ce-packaging: never built or pinned; `pins` reads which buildx and
    /// compose a release ships from its `common.mk`.
    Packaging,
    /// rootless-containers/rootlesskit: `rootlesskit`, for rootless dockerd.
    Rootlesskit,
    /// opencontainers/runc: `runc`.
    Runc,
    /// krallin/tini: `docker-init`.
    Tini,
}

impl Upstream {
    /// Every upstream, in the order `pins.lock` lists them (`packaging` is read, never pinned).
    pub const ALL: [Upstream; 9] = [
        Upstream::Buildx,
        Upstream::Cli,
        Upstream::Compose,
        Upstream::Containerd,
        Upstream::Moby,
        Upstream::Packaging,
        Upstream::Rootlesskit,
        Upstream::Runc,
        Upstream::Tini,
    ];

    /// The name used in `pins.lock` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Upstream::Buildx => "buildx",
            Upstream::Cli => "cli",
            Upstream::Compose => "compose",
            Upstream::Containerd => "containerd",
            Upstream::Moby => "moby",
            Upstream::Packaging => "packaging",
            Upstream::Rootlesskit => "rootlesskit",
            Upstream::Runc => "runc",
            Upstream::Tini => "tini",
        }
    }

    /// Where its releases are published.
    pub fn repository(self) -> &'static str {
        match self {
            Upstream::Buildx => "https://github.com/docker/buildx",
            Upstream::Cli => "https://github.com/docker/cli",
            Upstream::Compose => "https://github.com/docker/compose",
            Upstream::Containerd => "https://github.com/containerd/containerd",
            Upstream::Moby => "https://github.com/moby/moby",
            Upstream::Packaging => "https://github.com/docker/docker-ce-packaging",
            Upstream::Rootlesskit => "https://github.com/rootless-containers/rootlesskit",
            Upstream::Runc => "https://github.com/opencontainers/runc",
            Upstream::Tini => "https://github.com/krallin/tini",
        }
    }

    /// The valid names, for error messages.
    pub fn valid_names() -> String {
        Upstream::ALL.map(Upstream::name).join(", ")
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Upstream::ALL`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown component `{given}`: valid names are {}",
    Upstream::valid_names()
)]
#[non_exhaustive]
pub struct UnknownUpstream {
    /// What was given.
    pub given: String,
}

impl FromStr for Upstream {
    type Err = UnknownUpstream;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Upstream::ALL
            .into_iter()
            .find(|u| u.name() == s)
            .ok_or_else(|| UnknownUpstream {
                given: s.to_owned(),
            })
    }
}
