#![doc = include_str!("../README.md")]

mod declared;
mod render;
mod version;

use build_core::Upstream;
use build_core::pins::Pin;
use build_core::progress::Progress;
use build_core::source::{Mirror, SourceCache, SourceError};
use build_core::url::RepoUrl;

pub use render::differences;
pub use version::{DockerVersion, nearest, supported_majors, supported_range};

/// One derived pin and where its version came from (a comment in `pins.lock`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DerivedPin {
    /// The pin.
    pub pin: Pin,
    /// `moby docker-v29.7.2 Dockerfile: RUNC_VERSION=v1.4.3`.
    pub from: String,
}

/// An upstream pinned at another tag than the release names (`rootlesskit=v3.0.1`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PinOverride {
    /// The upstream.
    pub upstream: Upstream,
    /// The tag to pin instead.
    pub tag: String,
}

impl std::str::FromStr for PinOverride {
    type Err = String;

    /// Parses `UPSTREAM=TAG`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (upstream, tag) = s
            .split_once('=')
            .filter(|(_, tag)| !tag.is_empty())
            .ok_or_else(|| format!("`{s}` is not UPSTREAM=TAG (rootlesskit=v3.0.1)"))?;
        let upstream = upstream.parse::<Upstream>().map_err(|e| e.to_string())?;
        Ok(PinOverride {
            upstream,
            tag: tag.to_owned(),
        })
    }
}

/// A whole release set.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReleaseSet {
    /// The release.
    pub version: DockerVersion,
    /// The Go release moby's Dockerfile builds with.
    pub go: String,
    /// Where `go` came from.
    pub go_from: String,
    /// One pin per upstream, sorted by name.
    pub pins: Vec<DerivedPin>,
    /// Upstreams of the release left out, and why (the CLI plugins, when docker-ce-packaging
    /// was not given as a path mirror).
    pub left_out: Vec<(Upstream, String)>,
}

/// Why a release set could not be derived.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    /// A repository could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Outside the release lines the recipes build.
    #[error(
        "Docker {version} is not supported: dockyard builds Docker {}",
        version::supported_range()
    )]
    Unsupported {
        /// The release asked for.
        version: DockerVersion,
    },
    /// A release candidate, not asked for as one.
    #[error("{version} is a pre-release; pre-releases are derived only when asked for")]
    PreRelease {
        /// The release asked for.
        version: DockerVersion,
    },
    /// moby has no such release tag.
    #[error("moby has no release tag {tag}; the nearest releases are {}", if nearest.is_empty() { "none".to_owned() } else { nearest.join(", ") })]
    NotARelease {
        /// The tag looked for.
        tag: String,
        /// Existing releases around it.
        nearest: Vec<String>,
    },
    /// A file the derivation reads is missing at the tag.
    #[error("moby {tag} has no {path}")]
    MissingFile {
        /// moby's tag.
        tag: String,
        /// The file.
        path: &'static str,
    },
    /// Neither the Dockerfile nor an installer declares a version.
    #[error("moby {tag} declares no {name} (in its Dockerfile or {installer})")]
    NotDeclared {
        /// moby's tag.
        tag: String,
        /// `RUNC_VERSION`.
        name: &'static str,
        /// The installer looked at.
        installer: &'static str,
    },
    /// The Dockerfile and an installer name different versions.
    #[error(
        "moby {tag} disagrees with itself: its Dockerfile says {name}={dockerfile} but {installer} says {installed}; pin this release by hand"
    )]
    Disagree {
        /// moby's tag.
        tag: String,
        /// `CONTAINERD_VERSION`.
        name: &'static str,
        /// The Dockerfile's value.
        dockerfile: String,
        /// The installer.
        installer: &'static str,
        /// The installer's value.
        installed: String,
    },
    /// moby's tag is the release itself, and docker-ce-packaging is never pinned.
    #[error(
        "{upstream} cannot be pinned by hand: moby's tag is the release, and docker-ce-packaging is only read"
    )]
    NotOverridable {
        /// The upstream.
        upstream: Upstream,
    },
    /// docker-ce-packaging has no branch for the release, or none that old.
    #[error(
        "docker-ce-packaging has none of the branches {branches} with a commit before moby {tag}"
    )]
    NoPackagingBranch {
        /// The branches looked for, in order.
        branches: String,
        /// moby's tag.
        tag: String,
    },
    /// docker-ce-packaging's `common.mk` names no version for a plugin.
    #[error("docker-ce-packaging {at} sets no {name} in its common.mk")]
    NotPackaged {
        /// `DOCKER_BUILDX_REF`.
        name: &'static str,
        /// The branch and commit read.
        at: String,
    },
    /// A component's repository lacks the tag the release names.
    #[error("{upstream} has no tag {tag} (named by {from})")]
    TagMissing {
        /// The upstream.
        upstream: Upstream,
        /// The tag.
        tag: String,
        /// Who named it.
        from: String,
    },
}

/// The versions moby declares for the other components, with the installer of older lines.
const DECLARED: [(Upstream, &str, &str); 4] = [
    (
        Upstream::Containerd,
        "CONTAINERD_VERSION",
        "hack/dockerfile/install/containerd.installer",
    ),
    (
        Upstream::Runc,
        "RUNC_VERSION",
        "hack/dockerfile/install/runc.installer",
    ),
    (
        Upstream::Tini,
        "TINI_VERSION",
        "hack/dockerfile/install/tini.installer",
    ),
    (
        Upstream::Rootlesskit,
        "ROOTLESSKIT_VERSION",
        "hack/dockerfile/install/rootlesskit.installer",
    ),
];

/// The CLI plugins a release ships, as docker-ce-packaging's `common.mk` names them. moby's
/// own `BUILDX_VERSION` and `COMPOSE_VERSION` are its development container's, never these.
const PACKAGED: [(Upstream, &str); 2] = [
    (Upstream::Buildx, "DOCKER_BUILDX_REF"),
    (Upstream::Compose, "DOCKER_COMPOSE_REF"),
];

/// Derives the release set of `version` from the upstream repositories (or `mirrors`).
/// `overrides` pin an upstream at another tag than the release names (a plugin released
/// later, a tag a mirror lacks); each such pin's comment says it was given by hand.
pub fn derive(
    cache: &SourceCache,
    mirrors: &[(Upstream, Mirror)],
    version: &DockerVersion,
    pre: bool,
    overrides: &[PinOverride],
    progress: &dyn Progress,
) -> Result<ReleaseSet, ReleaseError> {
    if let Some(o) = overrides
        .iter()
        .find(|o| matches!(o.upstream, Upstream::Moby | Upstream::Packaging))
    {
        return Err(ReleaseError::NotOverridable {
            upstream: o.upstream,
        });
    }
    if !supported_majors().contains(&version.major) {
        return Err(ReleaseError::Unsupported {
            version: version.clone(),
        });
    }
    if version.is_pre() && !pre {
        return Err(ReleaseError::PreRelease {
            version: version.clone(),
        });
    }
    let mirror = |u: Upstream| mirrors.iter().find(|(m, _)| *m == u).map(|(_, m)| m);

    let moby_tag = version.moby_tag();
    let moby_tags = cache.tags(
        Upstream::Moby,
        Upstream::Moby.repository(),
        mirror(Upstream::Moby),
        progress,
    )?;
    let Some(found) = moby_tags.iter().find(|t| t.name == moby_tag) else {
        let known: Vec<DockerVersion> = moby_tags
            .iter()
            .filter_map(|t| DockerVersion::from_moby_tag(&t.name))
            .filter(|v| pre || !v.is_pre())
            .collect();
        return Err(ReleaseError::NotARelease {
            tag: moby_tag,
            nearest: nearest(version, &known, 3)
                .iter()
                .map(ToString::to_string)
                .collect(),
        });
    };
    let moby = pin(
        Upstream::Moby,
        &moby_tag,
        found.commit.clone(),
        version.to_string(),
    );
    let mut paths = vec!["Dockerfile"];
    paths.extend(DECLARED.map(|(_, _, installer)| installer));
    let files = cache.read_files(&moby, mirror(Upstream::Moby), &paths, progress)?;
    let read = |path: &str| -> Option<String> {
        let i = paths.iter().position(|p| *p == path)?;
        files[i]
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    };
    let dockerfile = read("Dockerfile").ok_or_else(|| ReleaseError::MissingFile {
        tag: moby_tag.clone(),
        path: "Dockerfile",
    })?;
    let go =
        declared::dockerfile_arg(&dockerfile, "GO_VERSION").ok_or(ReleaseError::NotDeclared {
            tag: moby_tag.clone(),
            name: "GO_VERSION",
            installer: "no installer",
        })?;

    let mut pins = vec![DerivedPin {
        from: format!("moby's release tag for Docker {version}"),
        pin: moby.clone(),
    }];
    // The CLI is released with the same number; the Dockerfile's DOCKERCLI_VERSION is the
    // development container's client, never the release's.
    let mut wanted: Vec<(Upstream, String, String)> = vec![(
        Upstream::Cli,
        version.cli_tag(),
        format!("the CLI is released with moby as {}", version.cli_tag()),
    )];
    for (upstream, name, installer) in DECLARED {
        let in_dockerfile = declared::dockerfile_arg(&dockerfile, name);
        let in_installer = read(installer).and_then(|s| declared::installer_default(&s, name));
        let (tag, from) = match (in_dockerfile, in_installer) {
            (Some(d), Some(i)) if d != i => {
                return Err(ReleaseError::Disagree {
                    tag: moby_tag,
                    name,
                    dockerfile: d,
                    installer,
                    installed: i,
                });
            }
            (Some(d), Some(_)) => {
                let from = format!("moby {moby_tag} Dockerfile and {installer}: {name}={d}");
                (d, from)
            }
            (Some(d), None) => {
                let from = format!("moby {moby_tag} Dockerfile: {name}={d}");
                (d, from)
            }
            (None, Some(i)) => {
                let from = format!("moby {moby_tag} {installer}: {name}={i}");
                (i, from)
            }
            (None, None) => {
                return Err(ReleaseError::NotDeclared {
                    tag: moby_tag,
                    name,
                    installer,
                });
            }
        };
        wanted.push((upstream, tag, from));
    }
    let left_out = match mirror(Upstream::Packaging) {
        Some(Mirror::Path(path)) => {
            wanted.extend(packaged(cache, (&moby, mirror(Upstream::Moby)), path, version, progress)?);
            Vec::new()
        }
        _ => PACKAGED
            .iter()
            .map(|(upstream, name)| {
                let why = format!(
                    "its version is docker-ce-packaging's {name}, and docker-ce-packaging was not given as a path mirror"
                );
                (*upstream, why)
            })
            .collect(),
    };
    let mut left_out = left_out;
    for PinOverride { upstream, tag } in overrides {
        let by_hand = |instead: Option<&str>| match instead {
            Some(named) => format!("{tag} given by hand, instead of {named}"),
            None => format!("{tag} given by hand"),
        };
        match wanted.iter_mut().find(|(u, _, _)| u == upstream) {
            Some((_, wanted_tag, from)) => {
                *from = by_hand(Some(&format!("{wanted_tag} ({from})")));
                wanted_tag.clone_from(tag);
            }
            None => wanted.push((*upstream, tag.clone(), by_hand(None))),
        }
        left_out.retain(|(u, _)| u != upstream);
    }
    for (upstream, tag, from) in wanted {
        let tags = cache.tags(upstream, upstream.repository(), mirror(upstream), progress)?;
        let Some(found) = tags.iter().find(|t| t.name == tag) else {
            return Err(ReleaseError::TagMissing {
                upstream,
                tag,
                from,
            });
        };
        let version = tag.strip_prefix('v').unwrap_or(&tag).to_owned();
        let pin = pin(upstream, &tag, found.commit.clone(), version);
        // A pin names a commit that exists: fetch (or find) it now, not at build time.
        cache.ensure_commit(&pin, mirror(upstream), progress)?;
        pins.push(DerivedPin { from, pin });
    }
    pins.sort_by_key(|p| p.pin.upstream);
    Ok(ReleaseSet {
        version: version.clone(),
        go_from: format!("moby {moby_tag} Dockerfile: GO_VERSION={go}"),
        go,
        pins,
        left_out,
    })
}

/// The plugins' tags from docker-ce-packaging, as its release branch for `version` (`29.7`,
/// else `29.x`, else `master`) was when moby's release commit was made: the packaging is
/// bumped before a release is tagged, and for the next one after.
fn packaged(
    cache: &SourceCache,
    (moby, moby_mirror): (&Pin, Option<&Mirror>),
    packaging: &build_core::prelude::Utf8Path,
    version: &DockerVersion,
    progress: &dyn Progress,
) -> Result<Vec<(Upstream, String, String)>, ReleaseError> {
    let released = cache.commit_time(moby, moby_mirror, progress)?;
    let branches = [
        format!("{}.{}", version.major, version.minor),
        format!("{}.x", version.major),
        "master".to_owned(),
    ];
    let Some((branch, commit)) =
        SourceCache::branch_at(Upstream::Packaging, packaging, &branches, released)?
    else {
        return Err(ReleaseError::NoPackagingBranch {
            branches: branches.join(", "),
            tag: moby.tag.clone(),
        });
    };
    let at = pin(
        Upstream::Packaging,
        &branch,
        commit.clone(),
        version.to_string(),
    );
    let mirror = Mirror::Path(packaging.to_owned());
    let files = cache.read_files(&at, Some(&mirror), &["common.mk"], progress)?;
    let common = files
        .into_iter()
        .next()
        .flatten()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    PACKAGED
        .iter()
        .map(|(upstream, name)| {
            let tag = declared::make_default(&common, name).ok_or_else(|| {
                ReleaseError::NotPackaged {
                    name,
                    at: format!("{branch} at {}", commit.short(10)),
                }
            })?;
            let from = format!(
                "docker-ce-packaging {branch} at {} (its newest commit before moby {}), common.mk: {name}={tag}",
                commit.short(10),
                moby.tag
            );
            Ok((*upstream, tag, from))
        })
        .collect()
}

fn pin(upstream: Upstream, tag: &str, commit: build_core::pins::CommitId, version: String) -> Pin {
    Pin {
        upstream,
        // The repositories are Docker's own; a mirror only supplies their objects.
        repository: RepoUrl::parse(upstream.repository()).expect("upstream URLs are valid"),
        tag: tag.to_owned(),
        commit,
        version,
    }
}
