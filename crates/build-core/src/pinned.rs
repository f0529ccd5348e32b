//! One component built alone exactly as the bundle builds it, from `pins.lock`: what a Rust tool
//! that depends on a single recipe crate needs to get the bundle's bytes. The bundle builds with
//! the pinned Go (not the one on `PATH`) and stamps every component with one
//! `SOURCE_DATE_EPOCH`, the newest commit time of the whole pinned set (not the component's own
//! commit): [`PinnedSet`] prepares every pinned source to know it, and hands out options that
//! differ from the bundle's in nothing that reaches the binary.

use std::collections::BTreeMap;

use camino::Utf8PathBuf;

use crate::build::BuildOptions;
use crate::pins::Pins;
use crate::progress::Progress;
use crate::source::{Mirror, Source, SourceCache, SourceError, SourceRequest};
use crate::toolchain::{GoToolchain, ToolchainError};
use crate::upstream::Upstream;

/// Why a pinned set could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PinnedSetError {
    /// A pinned source could not be had.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The pinned Go could not be had.
    #[error("the pinned Go {release}: {source}")]
    Go {
        /// The release `pins.lock` names.
        release: String,
        /// Why, and what to do.
        source: ToolchainError,
    },
    /// `pins.lock` has no table for the upstream asked for.
    #[error("pins.lock has no [{0}] table")]
    NotPinned(Upstream),
}

/// Every pinned upstream's source, verified, and the pinned Go.
#[derive(Debug)]
pub struct PinnedSet {
    sources: BTreeMap<Upstream, Source>,
    go: GoToolchain,
    offline: bool,
}

impl PinnedSet {
    /// Prepares every upstream `pins` names from `cache`, through its mirror in `mirrors` where
    /// one is given, and the Go release the pins name (Go downloads it once, unless `cache` is
    /// offline).
    pub fn prepare(
        pins: &Pins,
        cache: &SourceCache,
        mirrors: &[(Upstream, Mirror)],
        progress: &dyn Progress,
    ) -> Result<PinnedSet, PinnedSetError> {
        let mut sources = BTreeMap::new();
        for pin in pins.iter() {
            let mirror = mirrors
                .iter()
                .find(|(u, _)| *u == pin.upstream)
                .map(|(_, m)| m.clone());
            let request = SourceRequest::Pinned {
                pin: pin.clone(),
                mirror,
            };
            sources.insert(pin.upstream, cache.prepare(&request, progress)?);
        }
        let go = GoToolchain::release(&pins.go, cache.is_offline()).map_err(|source| {
            PinnedSetError::Go {
                release: pins.go.clone(),
                source,
            }
        })?;
        Ok(PinnedSet {
            sources,
            go,
            offline: cache.is_offline(),
        })
    }

    /// The options the bundle builds `upstream`'s component with (static, for this machine):
    /// its pinned source, the pinned Go and the set's epoch.
    pub fn options(
        &self,
        upstream: Upstream,
        out_dir: Utf8PathBuf,
        work_dir: Utf8PathBuf,
    ) -> Result<BuildOptions, PinnedSetError> {
        let source = self
            .sources
            .get(&upstream)
            .ok_or(PinnedSetError::NotPinned(upstream))?;
        let mut opts = BuildOptions::new(source.clone(), out_dir, work_dir);
        opts.go = Some(self.go.clone());
        opts.offline = self.offline;
        opts.source_date_epoch = source_date_epoch(self.sources.values());
        Ok(opts)
    }
}

/// The `SOURCE_DATE_EPOCH` of a set of sources: the newest commit time among them (0 for none),
/// so a component built alone is stamped as in the full set.
pub fn source_date_epoch<'a>(sources: impl IntoIterator<Item = &'a Source>) -> i64 {
    sources
        .into_iter()
        .map(|s| s.commit_time)
        .max()
        .unwrap_or(0)
}
