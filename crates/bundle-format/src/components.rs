//! The six components as plain data: what a bundle's reader needs to know of each (its
//! binaries, how each shows its version, which daemon runs it), without their recipes. The
//! recipe crates' descriptors say the same; a test in `bundle`, which sees both, keeps them
//! equal.

use build_core::component::VersionProbe;

/// One component, as a bundle holds it.
#[derive(Debug, PartialEq, Eq)]
pub struct ComponentSpec {
    /// The name people type (`moby`, `proxy`).
    pub name: &'static str,
    /// Its installed binaries.
    pub binaries: &'static [&'static str],
    /// How each binary shows its version and commit.
    pub version_probes: &'static [VersionProbe],
    /// `(binary, daemon)`: the daemon that must restart to use a new build of the binary.
    pub restarts: &'static [(&'static str, &'static str)],
}

const fn probe(
    binary: &'static str,
    args: &'static [&'static str],
    shows: &'static [&'static str],
) -> VersionProbe {
    VersionProbe {
        binary,
        args,
        shows,
    }
}

/// Every component of a full bundle, in build order.
pub const COMPONENTS: [&ComponentSpec; 6] = [
    &ComponentSpec {
        name: "tini",
        binaries: &["docker-init"],
        version_probes: &[probe(
            "docker-init",
            &["--version"],
            &["tini version {version} - git.{commit:7}"],
        )],
        restarts: &[],
    },
    &ComponentSpec {
        name: "runc",
        binaries: &["runc"],
        version_probes: &[probe(
            "runc",
            &["--version"],
            &["runc version {version}", "commit: {commit}"],
        )],
        restarts: &[],
    },
    &ComponentSpec {
        name: "proxy",
        binaries: &["docker-proxy"],
        version_probes: &[probe(
            "docker-proxy",
            &["--version"],
            &["docker-proxy (commit {commit:7}) version {version}"],
        )],
        restarts: &[("docker-proxy", "dockerd")],
    },
    &ComponentSpec {
        name: "containerd",
        binaries: &["containerd", "containerd-shim-runc-v2", "ctr"],
        version_probes: &[
            probe("containerd", &["--version"], &["v{version} {commit}"]),
            probe(
                "containerd-shim-runc-v2",
                &["-v"],
                &["v{version}", "{commit}"],
            ),
            probe("ctr", &["--version"], &["v{version}"]),
        ],
        restarts: &[
            ("containerd", "containerd"),
            ("containerd-shim-runc-v2", "containerd"),
        ],
    },
    &ComponentSpec {
        name: "cli",
        binaries: &["docker"],
        version_probes: &[probe(
            "docker",
            &["--version"],
            &["Docker version {version}, build {commit:7}"],
        )],
        restarts: &[],
    },
    &ComponentSpec {
        name: "moby",
        binaries: &["dockerd"],
        version_probes: &[probe(
            "dockerd",
            &["--version"],
            &["Docker version {version}, build {commit:7}"],
        )],
        restarts: &[("dockerd", "dockerd")],
    },
];

/// Every binary of a full bundle, sorted as the tarball lists them.
pub fn all_binaries() -> Vec<&'static str> {
    let mut all: Vec<&str> = COMPONENTS
        .iter()
        .flat_map(|c| c.binaries.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

/// The component that builds `binary`.
pub fn building(binary: &str) -> Option<&'static ComponentSpec> {
    COMPONENTS
        .into_iter()
        .find(|c| c.binaries.contains(&binary))
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
    fn every_binary_has_a_version_probe() {
        for c in super::COMPONENTS {
            for b in c.binaries {
                assert!(
                    c.version_probes.iter().any(|p| p.binary == *b),
                    "{}: no version probe for {b}",
                    c.name
                );
            }
        }
    }
}
