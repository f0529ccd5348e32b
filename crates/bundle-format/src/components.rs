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
    /// `docker-rootless-extras-VERSION.tgz`, folder `docker-rootless-extras/`: rootlesskit and
    /// moby's two scripts that run dockerd without root.
    RootlessExtras,
}

impl Archive {
    /// The folder of the bundle (and, for the static tgz, of the archive) holding its binaries.
    pub fn folder(self) -> &'static str {
        match self {
            Archive::Static => "docker",
            Archive::Plugin => "cli-plugins",
            Archive::RootlessExtras => "docker-rootless-extras",
        }
    }

    /// Every archive, in the order a bundle lists its tarballs.
    pub const ALL: [Archive; 3] = [Archive::Static, Archive::RootlessExtras, Archive::Plugin];

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
    /// Files of its source tree shipped as they are, and the archive each ships in.
    pub files: &'static [(&'static str, Archive)],
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
pub const COMPONENTS: [&ComponentSpec; 9] = [
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
        files: &[],
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
        files: &[],
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
        files: &[],
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
        files: &[],
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
        files: &[],
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
        files: &[
            ("dockerd-rootless.sh", Archive::RootlessExtras),
            ("dockerd-rootless-setuptool.sh", Archive::RootlessExtras),
        ],
    },
    &ComponentSpec {
        name: "rootlesskit",
        binaries: &["rootlesskit"],
        archive: Archive::RootlessExtras,
        version_probes: &[probe(
            "rootlesskit",
            &["--version"],
            &["rootlesskit version {version}"],
        )],
        restarts: &[],
        files: &[],
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
        files: &[],
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
        files: &[],
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

/// Every file `archive` holds in a full bundle, binaries and shipped files, sorted as its
/// tarball lists them.
pub fn contents_of(archive: Archive) -> Vec<&'static str> {
    let mut all = binaries_in(archive);
    all.extend(
        COMPONENTS
            .iter()
            .flat_map(|c| c.files.iter())
            .filter(|(_, a)| *a == archive)
            .map(|(name, _)| *name),
    );
    all.sort_unstable();
    all
}

/// The archive that ships `name`, a binary or a shipped file.
pub fn archive_of(name: &str) -> Option<Archive> {
    COMPONENTS.iter().find_map(|c| {
        if c.binaries.contains(&name) {
            return Some(c.archive);
        }
        c.files.iter().find(|(f, _)| *f == name).map(|(_, a)| *a)
    })
}

/// A binary's or shipped file's path in a bundle folder, from the archive that ships it.
pub fn path_of(name: &str) -> Option<String> {
    archive_of(name).map(|a| a.path_of(name))
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
    fn a_full_bundle_has_docker_s_eight_binaries_its_two_plugins_and_the_rootless_extras() {
        use super::Archive;
        assert_eq!(
            super::contents_of(Archive::RootlessExtras),
            [
                "dockerd-rootless-setuptool.sh",
                "dockerd-rootless.sh",
                "rootlesskit"
            ]
        );
        assert_eq!(
            super::path_of("dockerd-rootless.sh").as_deref(),
            Some("docker-rootless-extras/dockerd-rootless.sh")
        );
        assert_eq!(
            super::contents_of(Archive::Static),
            super::binaries_in(Archive::Static)
        );
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
