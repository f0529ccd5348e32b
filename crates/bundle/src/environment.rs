//! What every build of one run shares, found before anything is built: the Go and C
//! toolchains, the described sources, the target's C libraries. `build_bundle` and `plan`
//! both start here, so a plan's keys are the keys a build computes.

use build_core::clib::CLibrarySpec;
use std::collections::BTreeMap;
use std::sync::Arc;

use build_core::progress::Progress;
use build_core::source::{Origin, Source};
use build_core::toolchain::{GoToolchain, ToolchainError, c_compiler_version_for};
use build_core::{BuildError, Component, ReleaseLine, Upstream};

use crate::BundleError;
use crate::artifacts::BuildEnv;
use crate::requirements::missing_tools;
use crate::run::{BundleRequest, GoChoice};

/// The Go found and the release's version, once the tools are known to be there.
pub(crate) struct CheckedToolchain {
    go: GoToolchain,
    /// The release the pins are (`29.7.2`).
    pub(crate) version: String,
    /// Its line, which decides the binaries only some releases ship.
    docker_release: ReleaseLine,
}

/// `component`'s pin; `why` says what needs it, for the error when `pins.lock` has none.
pub(crate) fn pin_of<'a>(
    request: &'a BundleRequest<'_>,
    component: &Component,
    why: &'static str,
) -> Result<&'a build_core::pins::Pin, BundleError> {
    request
        .plan
        .pins
        .get(component.upstream)
        .ok_or(BundleError::MissingPin {
            upstream: component.upstream,
            why,
        })
}

/// The check every build makes first, made for all before anything is fetched.
pub(crate) fn check_versions(request: &BundleRequest<'_>) -> Result<(), BundleError> {
    for component in &request.components {
        if let Some(pin) = request.plan.pins.get(component.upstream) {
            component.check_version(&pin.version)?;
        }
    }
    Ok(())
}

/// Checks the tools the components need and finds the Go that builds them.
pub(crate) fn check_toolchain(
    request: &BundleRequest<'_>,
    progress: &dyn Progress,
) -> Result<CheckedToolchain, BundleError> {
    let plan = request.plan;
    // The Go probe (a `go env`) runs while the tools are looked for: both are on the path of
    // every rebuild.
    let (missing, probed) = std::thread::scope(|scope| {
        let probed = scope.spawn(|| probe_go(request));
        let missing = missing_tools(request.linkage, &request.target, &request.components);
        (missing, probed.join())
    });
    if !missing.is_empty() {
        return Err(BundleError::MissingTools { missing });
    }
    let probed = probed.map_err(BundleError::panicked)?;
    let go = go_for(request, probed, progress)?;
    let version = plan.release()?;
    // What every build is for, even one without moby's (`--only rootlesskit`).
    let docker_release =
        ReleaseLine::parse(&version).ok_or_else(|| BuildError::UnparsableVersion {
            component: build_core::component_specs::MOBY.name,
            version: version.clone(),
        })?;
    Ok(CheckedToolchain {
        go,
        version,
        docker_release,
    })
}

/// Describes every source and finds what each component's key holds: the run's [`BuildEnv`].
pub(crate) fn prepare(
    request: &BundleRequest<'_>,
    checked: CheckedToolchain,
    progress: Arc<dyn Progress>,
) -> Result<(BuildEnv, BTreeMap<Upstream, Source>), BundleError> {
    let plan = request.plan;
    let go = checked.go;
    plan.check_pinned(&request.components)?;
    // Every upstream, even with --only: the epoch is the newest commit of the whole set, so a
    // component built alone is the very one the full bundle uses.
    let (sources, cc) = std::thread::scope(|scope| {
        let cc = scope.spawn(|| c_compiler_version_for(&request.target));
        (plan.describe_all(progress.as_ref()), cc.join())
    });
    let sources = sources?;
    // A Go too old for any module fails here, before anything is built.
    for component in request.components.iter().filter(|c| c.uses_go()) {
        let source = &sources[&component.upstream];
        let checked = match source.origin {
            // No tree on disk: its module file from git.
            Origin::Described => match plan.module_file(component.upstream, progress.as_ref())? {
                Some((file, text)) => go.check_module_text(&text, &file),
                None => Ok(()),
            },
            _ => go.check_tree(&source.dir),
        };
        checked.map_err(|source| BuildError::Toolchain {
            component: component.name().to_owned(),
            source,
        })?;
    }
    // The C libraries the components link, another architecture's from Debian's archive.
    let mut libraries: Vec<&CLibrarySpec> = Vec::new();
    for lib in request.components.iter().flat_map(|c| c.c_libraries()) {
        if !libraries.contains(&lib) {
            libraries.push(lib);
        }
    }
    let sysroot = match (request.target.is_host(), libraries.is_empty()) {
        (false, false) => Some(
            build_core::sysroot::prepare(
                plan.cache.layout(),
                &request.target,
                &libraries,
                progress.as_ref(),
            )
            .map_err(|source| BundleError::Toolchain {
                what: "the target's C libraries",
                source,
            })?,
        ),
        _ => None,
    };
    let cc = cc
        .map_err(BundleError::panicked)?
        .map_err(|source| BundleError::Toolchain {
            what: "the C compiler (part of every build's cache key)",
            source,
        })?;
    // The packages of the C libraries linked, asked once: each component's key names glibc's
    // and its own libraries' (a newer libseccomp-dev builds another runc, and nothing else).
    let c_libraries = build_core::clib::linked(&request.target, sysroot.as_ref(), &libraries);
    let env = BuildEnv {
        docker_release: checked.docker_release,
        linkage: request.linkage,
        target: request.target.clone(),
        go,
        cc,
        c_libraries,
        sysroot,
        debug: request.debug,
        offline: plan.cache.is_offline(),
        cache: plan.cache.layout().clone(),
        // The newest commit of the run: the bundle changes when any of its sources does.
        source_date_epoch: sources.values().map(|s| s.commit_time).max().unwrap_or(0),
        progress: progress.clone(),
        shared: request.shared.clone(),
        go_cache: (request.go_cache.clone())
            .map(|sharing| crate::go_cache::GoCache::open(sharing, progress.as_ref())),
    };
    Ok((env, sources))
}

/// The Go that builds, as far as it is known without a download: the one on `PATH`, or the
/// pinned release if Go's cache holds it (one `go env`, as it nearly always does).
fn probe_go(request: &BundleRequest<'_>) -> Result<GoToolchain, ToolchainError> {
    match request.go {
        GoChoice::Local => GoToolchain::find(),
        GoChoice::Pinned => GoToolchain::release(&request.plan.pins.go, true),
    }
}

/// The Go that builds, from what [`probe_go`] found: a pinned release missing from Go's cache
/// is downloaded by Go itself, unless the run is offline.
fn go_for(
    request: &BundleRequest<'_>,
    probed: Result<GoToolchain, ToolchainError>,
    progress: &dyn Progress,
) -> Result<GoToolchain, BundleError> {
    let release = &request.plan.pins.go;
    match (request.go, probed) {
        (_, Ok(go)) => Ok(go),
        (GoChoice::Local, Err(source)) => Err(BundleError::Toolchain {
            what: "the Go on PATH",
            source,
        }),
        (GoChoice::Pinned, Err(_)) if !request.plan.cache.is_offline() => {
            progress.status(
                "Fetching",
                &format!("Go {release} (pinned; Go downloads it once through its module proxy)"),
            );
            GoToolchain::release(release, false).map_err(|source| BundleError::PinnedGo {
                release: release.clone(),
                source,
            })
        }
        (GoChoice::Pinned, Err(source)) => Err(BundleError::PinnedGo {
            release: release.clone(),
            source,
        }),
    }
}
