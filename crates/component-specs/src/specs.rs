//! The nine components of a full bundle.

use crate::{Archive, BinarySpec, ComponentSpec, ManPages, SourceFile, VersionProbe};

/// What the docker CLI runs a plugin with to learn its version and vendor: the plugins' second
/// probe, and no subcommand a person types.
pub const PLUGIN_METADATA: &str = "docker-cli-plugin-metadata";

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

/// tini, installed as `docker-init`: what `docker run --init` runs as PID 1.
pub const TINI: ComponentSpec = ComponentSpec {
    name: "tini",
    binaries: &[BinarySpec::new("docker-init")],
    archive: Archive::Static,
    version_probes: &[probe(
        "docker-init",
        &["--version"],
        &["tini version {version} - git.{commit:7}"],
    )],
    restarts: &[],
    files: &[],
    man_pages: None,
};

/// runc, the OCI runtime containerd's shim runs per container.
pub const RUNC: ComponentSpec = ComponentSpec {
    name: "runc",
    binaries: &[BinarySpec::new("runc")],
    archive: Archive::Static,
    version_probes: &[probe(
        "runc",
        &["--version"],
        &["runc version {version}", "commit: {commit}"],
    )],
    restarts: &[],
    files: &[],
    man_pages: None,
};

/// docker-proxy, moby's userland proxy for published ports.
pub const PROXY: ComponentSpec = ComponentSpec {
    name: "proxy",
    binaries: &[BinarySpec::new("docker-proxy")],
    archive: Archive::Static,
    version_probes: &[probe(
        "docker-proxy",
        &["--version"],
        &["docker-proxy (commit {commit:7}) version {version}"],
    )],
    restarts: &[("docker-proxy", "dockerd")],
    files: &[],
    man_pages: None,
};

/// containerd, its runc shim and `ctr`.
pub const CONTAINERD: ComponentSpec = ComponentSpec {
    name: "containerd",
    binaries: &[
        BinarySpec::new("containerd"),
        BinarySpec::new("containerd-shim-runc-v2"),
        BinarySpec::new("ctr"),
    ],
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
    man_pages: None,
};

/// The `docker` client.
pub const CLI: ComponentSpec = ComponentSpec {
    name: "cli",
    binaries: &[BinarySpec::new("docker")],
    archive: Archive::Static,
    version_probes: &[probe(
        "docker",
        &["--version"],
        &["Docker version {version}, build {commit:7}"],
    )],
    restarts: &[],
    // docker-ce's deb carries the CLI's README as its documentation (docker-ce-packaging's
    // `debian/docs`, which debhelper gives the first package).
    files: &[SourceFile {
        path: "README.md",
        name: "cli-README.md",
        archive: None,
    }],
    // docker-ce-cli's: one section-1 page per command (about 180) and two of section 5
    // (`Dockerfile.5`, `docker-config-json.5`).
    man_pages: Some(ManPages {
        sections: &[1, 5],
        max_pages: 1000,
    }),
};

/// moby's `dockerd`, and the scripts of its tree that run it without root.
pub const MOBY: ComponentSpec = ComponentSpec {
    name: "moby",
    binaries: &[BinarySpec::new("dockerd")],
    archive: Archive::Static,
    version_probes: &[probe(
        "dockerd",
        &["--version"],
        &["Docker version {version}, build {commit:7}"],
    )],
    restarts: &[("dockerd", "dockerd")],
    // What Docker's rootless extras take from moby (docker-ce-packaging's static build and
    // its docker-ce-rootless-extras package copy them from `contrib/`).
    files: &[
        SourceFile {
            path: "contrib/dockerd-rootless.sh",
            name: "dockerd-rootless.sh",
            archive: Some(Archive::RootlessExtras),
        },
        SourceFile {
            path: "contrib/dockerd-rootless-setuptool.sh",
            name: "dockerd-rootless-setuptool.sh",
            archive: Some(Archive::RootlessExtras),
        },
        // docker-ce's deb installs them as /etc/init.d/docker and /etc/default/docker
        // (docker-ce-packaging's `docker-ce.docker.init` and `.default` link to these).
        SourceFile {
            path: "contrib/init/sysvinit-debian/docker",
            name: "docker.init",
            archive: None,
        },
        SourceFile {
            path: "contrib/init/sysvinit-debian/docker.default",
            name: "docker.default",
            archive: None,
        },
    ],
    // docker-ce's `dockerd.8`.
    man_pages: Some(ManPages {
        sections: &[8],
        max_pages: 16,
    }),
};

/// rootlesskit, which rootless dockerd runs in, and for Docker 27 its userland proxy.
pub const ROOTLESSKIT: ComponentSpec = ComponentSpec {
    name: "rootlesskit",
    binaries: &[
        BinarySpec::new("rootlesskit"),
        // Docker 27's rootless dockerd will not start without it on PATH: it is its userland
        // proxy there (moby v27's `daemon/config/config_linux.go`, `pkg/rootless`), moby's
        // `rootlesskit.installer` builds it beside rootlesskit, and docker-ce-packaging's 27.x
        // ships it (`static/Makefile`, the rootless extras' deb and rpm). moby 28 forwards
        // ports through rootlesskit's API itself, and docker-ce-packaging dropped it for 28.
        BinarySpec::new("rootlesskit-docker-proxy").dropped_in(28, 0),
    ],
    archive: Archive::RootlessExtras,
    version_probes: &[
        probe(
            "rootlesskit",
            &["--version"],
            &["rootlesskit version {version}"],
        ),
        // It has no version to show (no flag prints one, nothing is stamped): its usage, from
        // Go's flag package, shows it runs and is the proxy.
        probe("rootlesskit-docker-proxy", &["-h"], &["-container-ip"]),
    ],
    restarts: &[],
    files: &[],
    man_pages: None,
};

/// The buildx CLI plugin (`docker buildx`).
pub const BUILDX: ComponentSpec = ComponentSpec {
    name: "buildx",
    binaries: &[BinarySpec::new("docker-buildx")],
    archive: Archive::Plugin,
    version_probes: &[
        probe(
            "docker-buildx",
            &["version"],
            &["github.com/docker/buildx v{version} {commit:7}"],
        ),
        probe(
            "docker-buildx",
            &[PLUGIN_METADATA],
            &["\"Version\": \"v{version}\""],
        ),
    ],
    restarts: &[],
    files: &[],
    man_pages: None,
};

/// The compose CLI plugin (`docker compose`).
pub const COMPOSE: ComponentSpec = ComponentSpec {
    name: "compose",
    binaries: &[BinarySpec::new("docker-compose")],
    archive: Archive::Plugin,
    version_probes: &[
        probe(
            "docker-compose",
            &["version"],
            &["Docker Compose version v{version}"],
        ),
        probe(
            "docker-compose",
            &[PLUGIN_METADATA],
            &["\"Version\": \"v{version}\""],
        ),
    ],
    restarts: &[],
    files: &[],
    man_pages: None,
};

/// Every component of a full bundle, in build order: quick ones first, so a broken toolchain
/// shows early; the CLI plugins last.
pub const COMPONENTS: [&ComponentSpec; 9] = [
    &TINI,
    &RUNC,
    &PROXY,
    &CONTAINERD,
    &CLI,
    &MOBY,
    &ROOTLESSKIT,
    &BUILDX,
    &COMPOSE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReleaseLine;

    #[test]
    fn every_binary_has_a_version_probe_and_every_probe_a_binary() {
        for c in COMPONENTS {
            for b in c.every_binary() {
                assert!(
                    c.version_probes.iter().any(|p| p.binary == b),
                    "{}: no version probe for {b}",
                    c.name
                );
            }
            for p in c.version_probes {
                assert!(
                    c.every_binary().any(|b| b == p.binary),
                    "{}: {}",
                    c.name,
                    p.binary
                );
            }
        }
    }

    #[test]
    fn docker_27_s_rootless_extras_have_rootlesskit_docker_proxy_and_later_releases_not() {
        let rootlesskit = |major, minor| ROOTLESSKIT.binaries_for(ReleaseLine::new(major, minor));
        for docker_27 in [(27, 0), (27, 5)] {
            assert_eq!(
                rootlesskit(docker_27.0, docker_27.1),
                ["rootlesskit", "rootlesskit-docker-proxy"]
            );
        }
        for later in [(28, 0), (28, 5), (29, 7)] {
            assert_eq!(rootlesskit(later.0, later.1), ["rootlesskit"]);
        }
        // Its probe is asked only of the releases that ship it.
        let probed =
            |release| -> Vec<&str> { ROOTLESSKIT.probes_for(release).map(|p| p.binary).collect() };
        assert_eq!(probed(ReleaseLine::new(29, 7)), ["rootlesskit"]);
        assert_eq!(
            probed(ReleaseLine::new(27, 0)),
            ["rootlesskit", "rootlesskit-docker-proxy"]
        );
        // Every other component ships the same binaries in every release.
        for c in COMPONENTS.iter().filter(|c| c.name != "rootlesskit") {
            let all: Vec<&str> = c.every_binary().collect();
            assert_eq!(c.binaries_for(ReleaseLine::new(27, 0)), all, "{}", c.name);
        }
    }

    #[test]
    fn names_binaries_and_shipped_files_are_unique() {
        let mut names: Vec<&str> = COMPONENTS.iter().map(|c| c.name).collect();
        let mut shipped: Vec<&str> = COMPONENTS
            .iter()
            .flat_map(|c| c.every_binary().chain(c.files.iter().map(|f| f.name)))
            .collect();
        for list in [&mut names, &mut shipped] {
            let all = list.len();
            list.sort_unstable();
            list.dedup();
            assert_eq!(list.len(), all, "{list:?}");
        }
    }

    #[test]
    fn a_restart_names_a_binary_of_its_component() {
        for c in COMPONENTS {
            for (binary, _) in c.restarts {
                assert!(
                    c.every_binary().any(|b| b == *binary),
                    "{}: {binary}",
                    c.name
                );
            }
        }
    }

    #[test]
    fn a_plugin_is_one_docker_prefixed_binary() {
        for c in COMPONENTS.iter().filter(|c| c.archive == Archive::Plugin) {
            assert!(
                matches!(c.binaries, [b] if b.name.starts_with("docker-") && b.dropped_in.is_none()),
                "{}: {:?}",
                c.name,
                c.binaries
            );
        }
    }
}
