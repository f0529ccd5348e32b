//! Upstream's own build entry points, as the bench runs them beside dockyard's builds.

use build_core::component::UpstreamBuild;
use build_core::pins::Pins;
use build_core::source::Source;
use build_core::{Component, Upstream};

/// One upstream build entry point, stamped as the pins say, to run in a scratch tree.
#[derive(Debug)]
#[non_exhaustive]
pub struct EntryPoint {
    /// Its upstream.
    pub upstream: Upstream,
    /// The command and what it makes (the component's descriptor's).
    pub build: &'static UpstreamBuild,
    /// The pinned version.
    pub version: String,
    /// The source's commit.
    pub commit: String,
    /// What it produces, relative to the tree: `(installed name, path)`.
    pub outputs: Vec<(&'static str, &'static str)>,
}

/// The entry point of each of `components` that has one, for its source among `sources`.
pub fn entry_points(
    components: &[&'static Component],
    sources: &[Source],
    pins: &Pins,
) -> Vec<EntryPoint> {
    components
        .iter()
        .filter_map(|c| {
            let build = c.upstream_build.as_ref()?;
            let source = sources.iter().find(|s| s.upstream == c.upstream)?;
            Some(EntryPoint {
                upstream: c.upstream,
                build,
                version: pins.get(c.upstream)?.version.clone(),
                commit: source.commit.as_str().to_owned(),
                outputs: build.outputs.to_vec(),
            })
        })
        .collect()
}
