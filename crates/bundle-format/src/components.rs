//! The components as plain data: what a bundle's reader needs to know of each (its binaries,
//! which of Docker's downloads holds them, how each shows its version, which daemon runs it),
//! without their recipes. The
//! recipe crates' descriptors say the same; a test in `bundle`, which sees both, keeps them
//! equal.

use build_core::component::VersionProbe;

/// Which of Docker's downloads holds a component's binaries, and so where they are in a
/// bundle folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Archive {
    /// `docker-VERSION.tgz`, folder `docker/`: the engine, its runtime and the client.
    Static,
    /// A CLI plugin, tarred alone as `NAME-plugin-VERSION.tgz` (buildx's download; compose's
    /// the same way); in a bundle folder, `cli-plugins/`.
    Plugin,
}

impl Archive {
    /// The folder of the bundle (and, for the static tgz, of the archive) holding its binaries.
    pub fn folder(self) -> &'static str {
        match self {
            Archive::Static => "docker",
            Archive::Plugin => "cli-plugins",
        }
    }

    /// A binary's path in a bundle folder (`docker/runc`, `cli-plugins/docker-buildx`).
    pub fn path_of(self, binary: &str) -> String {
        format!("{}/{binary}", self.folder())
    }
}

/// One component, as a bundle holds it.
#[derive(Debug, PartialEq, Eq)]
pub struct ComponentSpec {
    /// The name people type (`moby`, `proxy`).
    pub name: &'static str,
    /// Its installed binaries.
    pub binaries: &'static [&'static str],
    /// Where they are shipped.
    pub archive: Archive,
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
pub const COMPONENTS: [&ComponentSpec; 8] = [
    &ComponentSpec {
        name: "tini",
        binaries: &["docker-init"],
        archive: Archive::Static,
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
        archive: Archive::Static,
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
        archive: Archive::Static,
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
        archive: Archive::Static,
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
        archive: Archive::Static,
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
        archive: Archive::Static,
        version_probes: &[probe(
            "dockerd",
            &["--version"],
            &["Docker version {version}, build {commit:7}"],
        )],
        restarts: &[("dockerd", "dockerd")],
    },
    &ComponentSpec {
        name: "buildx",
        binaries: &["docker-buildx"],
        archive: Archive::Plugin,
        version_probes: &[
            probe(
                "docker-buildx",
                &["version"],
                &["github.com/docker/buildx v{version} {commit:7}"],
            ),
            probe(
                "docker-buildx",
                &["docker-cli-plugin-metadata"],
                &["\"Version\": \"v{version}\""],
            ),
        ],
        restarts: &[],
    },
    &ComponentSpec {
        name: "compose",
        binaries: &["docker-compose"],
        archive: Archive::Plugin,
        version_probes: &[
            probe(
                "docker-compose",
                &["version"],
                &["Docker Compose version v{version}"],
            ),
            probe(
                "docker-compose",
                &["docker-cli-plugin-metadata"],
                &["\"Version\": \"v{version}\""],
            ),
        ],
        restarts: &[],
    },
];

/// Every binary `archive` holds in a full bundle, sorted as its tarballs list them.
pub fn binaries_in(archive: Archive) -> Vec<&'static str> {
    let mut all: Vec<&str> = COMPONENTS
        .iter()
        .filter(|c| c.archive == archive)
        .flat_map(|c| c.binaries.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

/// A binary's path in a bundle folder, from the archive of the component that builds it.
pub fn path_of(binary: &str) -> Option<String> {
    building(binary).map(|c| c.archive.path_of(binary))
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
    fn a_full_bundle_has_docker_s_eight_binaries_and_its_two_plugins() {
        use super::Archive;
        assert_eq!(
            super::binaries_in(Archive::Plugin),
            ["docker-buildx", "docker-compose"]
        );
        assert_eq!(
            super::path_of("docker-buildx").as_deref(),
            Some("cli-plugins/docker-buildx")
        );
        assert_eq!(super::path_of("runc").as_deref(), Some("docker/runc"));
        assert_eq!(
            super::binaries_in(Archive::Static),
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
