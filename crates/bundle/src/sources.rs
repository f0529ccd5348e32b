//! Which source each upstream comes from: its pin, a mirror of it, or a replacement (a working
//! tree or a fork), turned into requests that keep their pin.

use std::collections::BTreeMap;

use build_core::pins::{CommitId, Pin, Pins};
use build_core::progress::Progress;
use build_core::source::{Mirror, Patch, Source, SourceCache, SourceRequest};
use build_core::{Component, Upstream};
use camino::Utf8PathBuf;

use crate::BundleError;

/// What replaces an upstream's pin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replacement {
    /// A developer's working tree, used as it is (an absolute path).
    WorkingTree(Utf8PathBuf),
    /// A fork at a branch, tag or commit (the remote's `HEAD` when `None`).
    Fork {
        /// https, ssh or `file://`.
        url: String,
        /// What to resolve.
        reference: Option<String>,
    },
}

/// Pins, where each comes from, and the cache they are prepared in.
#[derive(Debug)]
pub struct SourcePlan {
    /// The pins.
    pub pins: Pins,
    /// The cache of repositories and checkouts.
    pub cache: SourceCache,
    /// One request per pinned upstream, in `pins.lock` order.
    pub requests: Vec<SourceRequest>,
}

impl SourcePlan {
    /// Each pin from its mirror, if given; a replacement wins over a mirror. A replacement
    /// for an upstream `pins` does not pin is refused: it would replace nothing.
    pub fn new(
        pins: Pins,
        cache: SourceCache,
        mirrors: &[(Upstream, Mirror)],
        replacements: &[(Upstream, Replacement)],
    ) -> Result<SourcePlan, BundleError> {
        if let Some((upstream, _)) = replacements.iter().find(|(u, _)| pins.get(*u).is_none()) {
            return Err(BundleError::ReplacesNoPin {
                upstream: *upstream,
            });
        }
        let requests = pins
            .iter()
            .map(|pin| {
                let pin = pin.clone();
                match replacements.iter().find(|(u, _)| *u == pin.upstream) {
                    Some((_, Replacement::WorkingTree(path))) => SourceRequest::WorkingTree {
                        pin,
                        path: path.clone(),
                    },
                    Some((_, Replacement::Fork { url, reference })) => SourceRequest::Fork {
                        pin,
                        url: url.clone(),
                        reference: reference.clone(),
                    },
                    None => SourceRequest::Pinned {
                        mirror: mirrors
                            .iter()
                            .find(|(u, _)| *u == pin.upstream)
                            .map(|(_, m)| m.clone()),
                        pin,
                    },
                }
            })
            .collect();
        Ok(SourcePlan {
            pins,
            cache,
            requests,
        })
    }

    /// Applies each upstream's `patches` onto its pin (see [`crate::patches::collect`]).
    /// Patches apply to pins only: where a working tree or a fork replaces the pin, the
    /// replacement is built as it is, and `progress` is told so.
    pub fn with_patches(
        mut self,
        patches: Vec<(Upstream, Vec<Patch>)>,
        progress: &dyn Progress,
    ) -> SourcePlan {
        for (upstream, patches) in patches {
            let Some(request) = self.requests.iter_mut().find(|r| r.upstream() == upstream) else {
                continue;
            };
            let names = patches
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            match request {
                SourceRequest::Pinned { pin, mirror } => {
                    *request = SourceRequest::Patched {
                        pin: pin.clone(),
                        mirror: mirror.take(),
                        patches,
                    };
                }
                SourceRequest::Patched { patches: applied, .. } => applied.extend(patches),
                SourceRequest::WorkingTree { .. } | SourceRequest::Fork { .. } => progress.status(
                    "Warning",
                    &format!(
                        "{upstream}: built from your replacement as it is; its patches ({names}) apply to the pinned commit only"
                    ),
                ),
            }
        }
        self
    }

    /// The release a bundle is named for: moby's version.
    pub fn release(&self) -> Result<String, BundleError> {
        self.pins
            .get(Upstream::Moby)
            .map(|p| p.version.clone())
            .ok_or(BundleError::MissingPin {
                upstream: Upstream::Moby,
                why: "the bundle is named for moby's version",
            })
    }

    /// Describes every pinned upstream's source, in `pins.lock` order: a ready checkout is
    /// taken at its marker's word (it is verified again only if it must be built from), a
    /// working tree is hashed, a fork's ref is resolved.
    pub fn describe_all(
        &self,
        progress: &dyn Progress,
    ) -> Result<BTreeMap<Upstream, Source>, BundleError> {
        // Side by side: describing is mostly reading stats and refs, and it is on the path of
        // every rebuild.
        let described: Vec<_> = std::thread::scope(|scope| {
            let describing: Vec<_> = self
                .requests
                .iter()
                .map(|request| scope.spawn(move || self.cache.describe(request, progress)))
                .collect();
            describing.into_iter().map(|d| d.join()).collect()
        });
        let mut sources = BTreeMap::new();
        for (request, source) in self.requests.iter().zip(described) {
            let source = source.map_err(BundleError::panicked)??;
            sources.insert(request.upstream(), source);
        }
        self.warn_about_moved_tags(progress);
        Ok(sources)
    }

    /// Prepares every pinned upstream's source in full, in `pins.lock` order, each verified,
    /// warning as [`SourcePlan::describe_all`] does.
    pub fn prepare_all(&self, progress: &dyn Progress) -> Result<Vec<Source>, BundleError> {
        let sources = self
            .requests
            .iter()
            .map(|request| self.cache.prepare(request, progress))
            .collect::<Result<Vec<_>, _>>()?;
        self.warn_about_moved_tags(progress);
        Ok(sources)
    }

    /// The source of `upstream`, verified, to build from.
    pub fn prepare(
        &self,
        upstream: Upstream,
        progress: &dyn Progress,
    ) -> Result<Source, BundleError> {
        let request = self
            .requests
            .iter()
            .find(|r| r.upstream() == upstream)
            .ok_or(BundleError::MissingPin {
                upstream,
                why: "a component to build comes from it",
            })?;
        Ok(self.cache.prepare(request, progress)?)
    }

    /// Fails unless every component's upstream is pinned.
    pub fn check_pinned(&self, components: &[&Component]) -> Result<(), BundleError> {
        match components
            .iter()
            .find(|c| !self.requests.iter().any(|r| r.upstream() == c.upstream))
        {
            Some(unpinned) => Err(BundleError::MissingPin {
                upstream: unpinned.upstream,
                why: "a component to build comes from it",
            }),
            None => Ok(()),
        }
    }

    /// Tags in `pins.lock` document where a commit came from. Where a tag can be resolved
    /// without the network and names another commit, say so: the pinned commit is what is
    /// built, and the manifest records the tag only when it names that commit.
    fn warn_about_moved_tags(&self, progress: &dyn Progress) {
        for request in &self.requests {
            let (SourceRequest::Pinned { pin, mirror }
            | SourceRequest::Patched { pin, mirror, .. }) = request
            else {
                continue;
            };
            if let Some(tagged) = self.tag_commit(pin, mirror.as_ref())
                && tagged != pin.commit
            {
                progress.status(
                    "Warning",
                    &format!(
                        "{}: tag {} names {tagged}, not the pinned {}; building the pinned commit",
                        pin.upstream, pin.tag, pin.commit
                    ),
                );
            }
        }
    }

    /// A pinned tree's Go module file (`go.mod`, else the cli's `vendor.mod`), read from its
    /// commit: for a source described without a checkout.
    pub(crate) fn module_file(
        &self,
        upstream: Upstream,
        progress: &dyn Progress,
    ) -> Result<Option<(String, String)>, BundleError> {
        let Some(SourceRequest::Pinned { pin, mirror }) =
            self.requests.iter().find(|r| r.upstream() == upstream)
        else {
            return Ok(None);
        };
        let names = ["go.mod", "vendor.mod"];
        let files = self
            .cache
            .read_files(pin, mirror.as_ref(), &names, progress)?;
        Ok(names.iter().zip(files).find_map(|(name, bytes)| {
            let text = String::from_utf8_lossy(&bytes?).into_owned();
            Some((format!("{upstream} {}:{name}", pin.commit.short(12)), text))
        }))
    }

    /// The commit a pin's tag names, when known without the network.
    pub fn tag_commit(&self, pin: &Pin, mirror: Option<&Mirror>) -> Option<CommitId> {
        self.cache
            .local_tag(pin.upstream, pin.repository.as_str(), mirror, &pin.tag)
    }

    /// Folders a build reads from and must never write into: the cache, working trees and
    /// path mirrors.
    pub fn read_only_trees(&self) -> Vec<Utf8PathBuf> {
        let mut trees = vec![self.cache.root().to_owned()];
        for request in &self.requests {
            match request {
                SourceRequest::WorkingTree { path, .. } => trees.push(path.clone()),
                SourceRequest::Pinned {
                    mirror: Some(Mirror::Path(p)),
                    ..
                }
                | SourceRequest::Patched {
                    mirror: Some(Mirror::Path(p)),
                    ..
                } => trees.push(p.clone()),
                _ => {}
            }
        }
        trees
    }
}
