//! One component built alone exactly as the bundle builds it, from `pins.lock`: what a Rust tool
//! that depends on a single recipe crate needs to get the bundle's bytes. The bundle builds with
//! the pinned Go (not the one on `PATH`) and stamps each component with its own commit's time,
//! so [`PinnedSource`] prepares that component's source alone (no other upstream is fetched) and
//! hands out options that differ from the bundle's in nothing that reaches the binary.

use camino::Utf8PathBuf;

use crate::build::BuildOptions;
use crate::component::ReleaseLine;
use crate::pins::Pins;
use crate::progress::Progress;
use crate::source::{Mirror, Source, SourceCache, SourceError, SourceRequest};
use crate::toolchain::{GoToolchain, ToolchainError};
use crate::upstream::Upstream;

/// Why a pinned source could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinnedSourceError {
    /// The pinned source could not be had.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The pinned Go could not be had.
    #[error("the pinned Go {release}")]
    Go {
        /// The release `pins.lock` names.
        release: String,
        /// Why, and what to do.
        source: ToolchainError,
    },
    /// `pins.lock` has no table for the upstream asked for.
    #[error("pins.lock has no [{0}] table")]
    NotPinned(Upstream),
    /// moby's pinned version, the Docker release every build is for, is not a release.
    #[error("moby's pinned version {0} is not a Docker release (MAJOR.MINOR.PATCH)")]
    DockerRelease(String),
}

/// One pinned upstream's source, verified, and the pinned Go.
#[derive(Debug)]
pub struct PinnedSource {
    source: Source,
    docker_release: ReleaseLine,
    go: GoToolchain,
    offline: bool,
}

impl PinnedSource {
    /// Prepares `upstream`'s pinned source from `cache` (through `mirror`, a local clone that
    /// has the pinned commit, when one is given) and the Go release the pins name (Go downloads
    /// it once, unless `cache` is offline). Nothing of any other upstream is read but moby's
    /// pinned version, the Docker release the bundle is.
    pub fn prepare(
        pins: &Pins,
        upstream: Upstream,
        cache: &SourceCache,
        mirror: Option<Mirror>,
        progress: &dyn Progress,
    ) -> Result<PinnedSource, PinnedSourceError> {
        let pin = pins
            .get(upstream)
            .ok_or(PinnedSourceError::NotPinned(upstream))?;
        let moby =
            (pins.get(Upstream::Moby)).ok_or(PinnedSourceError::NotPinned(Upstream::Moby))?;
        let docker_release = ReleaseLine::parse(&moby.version)
            .ok_or_else(|| PinnedSourceError::DockerRelease(moby.version.clone()))?;
        let request = SourceRequest::Pinned {
            pin: pin.clone(),
            mirror,
        };
        let source = cache.prepare(&request, progress)?;
        let go = GoToolchain::release(&pins.go, cache.is_offline()).map_err(|source| {
            PinnedSourceError::Go {
                release: pins.go.clone(),
                source,
            }
        })?;
        Ok(PinnedSource {
            source,
            docker_release,
            go,
            offline: cache.is_offline(),
        })
    }

    /// The options the bundle builds the component with (static, for this machine): the pinned
    /// source for the pinned Docker release, the pinned Go, and the source's own commit time as
    /// `SOURCE_DATE_EPOCH`.
    pub fn options(&self, out_dir: Utf8PathBuf, work_dir: Utf8PathBuf) -> BuildOptions {
        let source = self.source.clone();
        let mut opts = BuildOptions::new(source, self.docker_release, out_dir, work_dir);
        opts.go = Some(self.go.clone());
        opts.offline = self.offline;
        opts
    }
}
