//! The six component crates, as one table the verbs iterate over.

use anyhow::{Result, bail};
use build_core::{Artifacts, BuildError, BuildOptions, Upstream};

/// One component crate.
#[derive(Debug)]
pub(crate) struct Component {
    /// The name in `--only` and in status lines.
    pub(crate) name: &'static str,
    /// The pinned repository it builds from.
    pub(crate) upstream: Upstream,
    /// What it produces.
    pub(crate) binaries: &'static [&'static str],
    /// Changes when the recipe changes what it produces.
    pub(crate) recipe_version: u32,
    pub(crate) build: fn(&BuildOptions) -> Result<Artifacts, BuildError>,
}

/// Build order: quick ones first, so a broken toolchain shows early.
pub(crate) const COMPONENTS: &[Component] = &[
    Component {
        name: "tini",
        upstream: Upstream::Tini,
        binaries: tini_build::BINARIES,
        recipe_version: tini_build::RECIPE_VERSION,
        build: tini_build::build,
    },
    Component {
        name: "runc",
        upstream: Upstream::Runc,
        binaries: runc_build::BINARIES,
        recipe_version: runc_build::RECIPE_VERSION,
        build: runc_build::build,
    },
    Component {
        name: "proxy",
        upstream: Upstream::Moby,
        binaries: proxy_build::BINARIES,
        recipe_version: proxy_build::RECIPE_VERSION,
        build: proxy_build::build,
    },
    Component {
        name: "containerd",
        upstream: Upstream::Containerd,
        binaries: containerd_build::BINARIES,
        recipe_version: containerd_build::RECIPE_VERSION,
        build: containerd_build::build,
    },
    Component {
        name: "cli",
        upstream: Upstream::Cli,
        binaries: cli_build::BINARIES,
        recipe_version: cli_build::RECIPE_VERSION,
        build: cli_build::build,
    },
    Component {
        name: "moby",
        upstream: Upstream::Moby,
        binaries: moby_build::BINARIES,
        recipe_version: moby_build::RECIPE_VERSION,
        build: moby_build::build,
    },
];

/// Every binary of a full bundle, sorted as the tarball lists them.
pub(crate) fn all_binaries() -> Vec<&'static str> {
    let mut all: Vec<&str> = COMPONENTS
        .iter()
        .flat_map(|c| c.binaries.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

/// The components named by `--only` (all when empty), in build order.
pub(crate) fn select(only: &[String]) -> Result<Vec<&'static Component>> {
    let valid = || {
        COMPONENTS
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for name in only {
        if !COMPONENTS.iter().any(|c| c.name == name) {
            bail!(
                "--only {name}: unknown component; valid names are {}",
                valid()
            );
        }
    }
    Ok(COMPONENTS
        .iter()
        .filter(|c| only.is_empty() || only.iter().any(|n| n == c.name))
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_full_bundle_has_docker_s_eight_binaries() {
        assert_eq!(
            super::all_binaries(),
            [
                "containerd",
                "containerd-shim-runc-v2",
                "ctr",
                "docker",
                "docker-init",
                "docker-proxy",
                "dockerd",
                "runc"
            ]
        );
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = super::select(&["contianerd".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("contianerd") && err.contains("containerd, cli"),
            "{err}"
        );
    }
}
