//! The packages, as data: names, contents and relations of Docker's own packages
//! (docker-ce-packaging's `deb/common/control` and `rpm/SPECS/*.spec`, and
//! containerd-packaging's `containerd.io`), written for a dockyard bundle.

/// Where a package's version comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionOf {
    /// The Docker release (`29.7.2`): the engine, the CLI, the rootless extras.
    Release,
    /// A component's own version (`containerd` 2.3.3, `buildx` 0.34.1).
    Component(&'static str),
}

/// One installed file and where its bytes come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// A file of the bundle (`docker/dockerd`), installed at `to` with mode 0755.
    Bundle {
        /// Its path in the bundle.
        from: &'static str,
        /// Its installed path.
        to: &'static str,
    },
    /// One of the bundle's systemd units (`systemd/docker.service`), installed in the
    /// distribution's unit folder.
    Unit(&'static str),
    /// A configuration file of our own text (a conffile, `%config(noreplace)`).
    Config {
        /// Its installed path.
        to: &'static str,
        /// Its text.
        text: &'static str,
    },
    /// A file of the bundle's packaging folder installed at `to` with `mode`, in the deb only
    /// (moby's SysV init script and its defaults, conffiles: Docker's rpm starts dockerd
    /// through systemd alone; the CLI's README, as debhelper's `debian/docs`).
    DebFile {
        /// Its path in the bundle.
        from: &'static str,
        /// Its installed path.
        to: &'static str,
        /// Its mode.
        mode: u32,
        /// A conffile.
        config: bool,
    },
    /// An empty folder the deb makes (`/etc/docker`, docker-ce-packaging's `docker-ce.dirs`).
    DebFolder(&'static str),
    /// Every man page of the bundle in these sections (`man/man1/docker-run.1`), compressed
    /// as debhelper and rpm's `brp-compress` do, at `/usr/share/man/man1/docker-run.1.gz`.
    ManPages(&'static [u8]),
    /// The shell completion the bundle's `docker` writes for `shell` (`docker completion
    /// bash`), as the CLI's `make shell-completion` makes them, installed at `to`.
    Completion {
        /// `bash`, `zsh` or `fish`.
        shell: &'static str,
        /// Its installed path.
        to: &'static str,
    },
}

/// Relations between packages, in each format's own words.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Relations {
    /// `Pre-Depends`.
    pub pre_depends: &'static str,
    /// `Depends` / `Requires` (comma-separated; `{containerd}` is containerd's version).
    pub depends: &'static str,
    /// `Recommends`.
    pub recommends: &'static str,
    /// `Suggests`.
    pub suggests: &'static str,
    /// `Conflicts`.
    pub conflicts: &'static str,
    /// `Replaces` (deb).
    pub replaces: &'static str,
    /// `Breaks` (deb).
    pub breaks: &'static str,
    /// `Enhances`.
    pub enhances: &'static str,
    /// `Provides`.
    pub provides: &'static str,
}

impl Relations {
    /// Whether a field names the bundle's containerd version (`{containerd}`).
    pub fn names_containerd(&self) -> bool {
        [
            self.pre_depends,
            self.depends,
            self.recommends,
            self.suggests,
        ]
        .iter()
        .any(|v| v.contains("{containerd}"))
    }

    /// The fields that are set, as `format` names them, in the order Debian's policy lists
    /// them (rpm has no `Pre-Depends`, `Breaks` or `Replaces`), with `{containerd}` filled in.
    pub fn fields(&self, format: crate::Format, containerd: &str) -> Vec<(&'static str, String)> {
        let depends = match format {
            crate::Format::Deb => "Depends",
            crate::Format::Rpm => "Requires",
        };
        [
            ("Pre-Depends", self.pre_depends),
            (depends, self.depends),
            ("Recommends", self.recommends),
            ("Suggests", self.suggests),
            ("Enhances", self.enhances),
            ("Breaks", self.breaks),
            ("Conflicts", self.conflicts),
            ("Replaces", self.replaces),
            ("Provides", self.provides),
        ]
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(field, value)| (field, value.replace("{containerd}", containerd)))
        .collect()
    }
}

/// What a package's maintainer scripts do, beyond placing files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scripts {
    /// Creates the `docker` group (`groupadd --system docker`) if it is missing: docker.socket
    /// gives it the API socket.
    pub docker_group: bool,
    /// The units enabled on install (and started when systemd runs), stopped and disabled on
    /// removal, as debhelper's and rpm's systemd helpers do.
    pub units: &'static [&'static str],
    /// The SysV init script registered (`update-rc.d NAME defaults`) and started where no
    /// systemd runs, as debhelper's `dh_installinit` does it (deb only).
    pub sysv_init: Option<&'static str>,
}

/// One package.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageSpec {
    /// `docker-ce`.
    pub name: &'static str,
    /// Where its version comes from.
    pub version: VersionOf,
    /// The deb epoch (`5:` for the engine's packages; none for the plugins).
    pub deb_epoch: Option<u32>,
    /// The rpm epoch (3 for docker-ce, 1 for the CLI).
    pub rpm_epoch: Option<u32>,
    /// The upstream it is made from, for its copyright file and homepage.
    pub homepage: &'static str,
    /// The copyright holder and licence of what it ships.
    pub copyright: (&'static str, &'static str),
    /// The one-line description.
    pub summary: &'static str,
    /// The long description, one paragraph.
    pub description: &'static str,
    /// Its files.
    pub contents: &'static [Content],
    /// Relations, deb.
    pub deb: Relations,
    /// Relations, rpm.
    pub rpm: Relations,
    /// Maintainer scripts.
    pub scripts: Scripts,
}

impl Content {
    /// Whether a bundle of Docker `release` has it: a binary only some releases ship (Docker
    /// 27's rootlesskit-docker-proxy) is in those releases' packages alone, as its component's
    /// spec says.
    pub fn in_release(&self, release: bundle_format::ReleaseLine) -> bool {
        let Content::Bundle { from, .. } = self else {
            return true;
        };
        let name = from.rsplit('/').next().unwrap_or(from);
        bundle_format::building(name).is_none_or(|c| c.binaries_for(release).contains(&name))
    }
}

const fn bin(from: &'static str, to: &'static str) -> Content {
    Content::Bundle { from, to }
}

const APACHE: &str = "Apache-2.0";

/// containerd's configuration as Docker's `containerd.io` ships it: the CRI plugin off, since
/// Docker does not use it.
const CONTAINERD_CONFIG: &str = "# containerd's configuration, as Docker's containerd.io ships it: Docker does not use\n# the CRI plugin (Kubernetes' interface), so it is off. See containerd-config.toml(5).\ndisabled_plugins = [\"cri\"]\n";

/// Every package, in the order `apt-get install` is given them.
pub const PACKAGES: &[PackageSpec] = &[
    PackageSpec {
        name: "containerd.io",
        version: VersionOf::Component("containerd"),
        deb_epoch: None,
        rpm_epoch: None,
        homepage: "https://containerd.io",
        copyright: ("The containerd Authors", APACHE),
        summary: "An open and reliable container runtime",
        description: "containerd manages the complete container lifecycle of its host system: image transfer and storage, container execution and supervision, and low-level storage and network attachments. This package also holds runc, the OCI runtime it starts containers with.",
        contents: &[
            bin("docker/containerd", "/usr/bin/containerd"),
            bin(
                "docker/containerd-shim-runc-v2",
                "/usr/bin/containerd-shim-runc-v2",
            ),
            bin("docker/ctr", "/usr/bin/ctr"),
            bin("docker/runc", "/usr/bin/runc"),
            Content::Unit("containerd.service"),
            Content::Config {
                to: "/etc/containerd/config.toml",
                text: CONTAINERD_CONFIG,
            },
        ],
        deb: Relations {
            provides: "containerd, runc",
            conflicts: "containerd, runc",
            replaces: "containerd, runc",
            ..NONE
        },
        rpm: Relations {
            provides: "containerd, runc",
            conflicts: "containerd, runc",
            ..NONE
        },
        scripts: Scripts {
            docker_group: false,
            units: &["containerd.service"],
            sysv_init: None,
        },
    },
    PackageSpec {
        name: "docker-ce-cli",
        version: VersionOf::Release,
        deb_epoch: Some(5),
        rpm_epoch: Some(1),
        homepage: "https://www.docker.com",
        copyright: ("Docker, Inc.", APACHE),
        summary: "Docker CLI: the open-source application container engine",
        description: "Docker is a product for you to build, ship and run any application as a lightweight container. This package holds the docker command-line client, its shell completions and man pages.",
        contents: &[
            bin("docker/docker", "/usr/bin/docker"),
            Content::Completion {
                shell: "bash",
                to: "/usr/share/bash-completion/completions/docker",
            },
            Content::Completion {
                shell: "zsh",
                to: "/usr/share/zsh/vendor-completions/_docker",
            },
            Content::Completion {
                shell: "fish",
                to: "/usr/share/fish/vendor_completions.d/docker.fish",
            },
            // docker-ce-packaging's `docker-ce-cli.manpages`: `cli/man/man*/*`.
            Content::ManPages(&[1, 5]),
        ],
        deb: Relations {
            recommends: "docker-buildx-plugin, docker-compose-plugin",
            conflicts: "docker.io, docker-cli",
            replaces: "docker-ce (<< 5:0)",
            breaks: "docker-ce (<< 5:0)",
            ..NONE
        },
        rpm: Relations {
            depends: "/usr/sbin/groupadd",
            recommends: "docker-buildx-plugin, docker-compose-plugin",
            conflicts: "docker, docker-io, docker-ee, docker-ee-cli",
            ..NONE
        },
        // The rpm CLI creates the group too (its docker-ce-cli.spec %post); the deb's does not.
        scripts: Scripts {
            docker_group: false,
            units: &[],
            sysv_init: None,
        },
    },
    PackageSpec {
        name: "docker-ce",
        version: VersionOf::Release,
        deb_epoch: Some(5),
        rpm_epoch: Some(3),
        homepage: "https://www.docker.com",
        copyright: ("The Moby Project", APACHE),
        summary: "Docker: the open-source application container engine",
        description: "Docker is a product for you to build, ship and run any application as a lightweight container. This package holds the Docker daemon (dockerd), its userland proxy and docker-init, and the systemd units that start them.",
        contents: &[
            bin("docker/dockerd", "/usr/bin/dockerd"),
            bin("docker/docker-proxy", "/usr/bin/docker-proxy"),
            bin("docker/docker-init", "/usr/libexec/docker/docker-init"),
            Content::Unit("docker.service"),
            Content::Unit("docker.socket"),
            // docker-ce-packaging's dh_installinit --name=docker.
            Content::DebFile {
                from: "packaging/docker.init",
                to: "/etc/init.d/docker",
                mode: 0o755,
                config: true,
            },
            Content::DebFile {
                from: "packaging/docker.default",
                to: "/etc/default/docker",
                mode: 0o644,
                config: true,
            },
            Content::DebFile {
                from: "packaging/cli-README.md",
                to: "/usr/share/doc/docker-ce/README.md",
                mode: 0o644,
                config: false,
            },
            Content::DebFolder("/etc/docker"),
            // `docker-ce.manpages`: `engine/man/man*/*`, which is `dockerd.8`.
            Content::ManPages(&[8]),
        ],
        deb: Relations {
            pre_depends: "init-system-helpers (>= 1.54~)",
            depends: "containerd.io (>= {containerd}), docker-ce-cli, iptables, nftables",
            recommends: "apparmor, ca-certificates, docker-ce-rootless-extras, git, pigz, procps, xz-utils",
            suggests: "cgroupfs-mount | cgroup-lite",
            conflicts: "docker.io",
            replaces: "docker-ce-cli (<< 5:28.0.0)",
            ..NONE
        },
        rpm: Relations {
            depends: "/usr/sbin/groupadd, docker-ce-cli, container-selinux, systemd, (iptables-nft or iptables), nftables, containerd.io >= {containerd}, tar, xz",
            recommends: "docker-ce-rootless-extras",
            conflicts: "docker, docker-io, docker-ee",
            ..NONE
        },
        scripts: Scripts {
            docker_group: true,
            units: &["docker.socket", "docker.service"],
            sysv_init: Some("docker"),
        },
    },
    PackageSpec {
        name: "docker-ce-rootless-extras",
        version: VersionOf::Release,
        deb_epoch: Some(5),
        rpm_epoch: None,
        homepage: "https://docs.docker.com/go/rootless/",
        copyright: (
            "The Moby Project and the Rootless Containers authors",
            APACHE,
        ),
        summary: "Rootless support for Docker.",
        description: "Use dockerd-rootless.sh to run the daemon as an unprivileged user, in a user namespace made by rootlesskit; dockerd-rootless-setuptool.sh sets it up for a user.",
        contents: &[
            bin("docker-rootless-extras/rootlesskit", "/usr/bin/rootlesskit"),
            // Docker 27's alone (docker-ce-packaging's 27.x `deb/common/rules` and
            // `docker-ce-rootless-extras.spec`).
            bin(
                "docker-rootless-extras/rootlesskit-docker-proxy",
                "/usr/bin/rootlesskit-docker-proxy",
            ),
            bin(
                "docker-rootless-extras/dockerd-rootless.sh",
                "/usr/bin/dockerd-rootless.sh",
            ),
            bin(
                "docker-rootless-extras/dockerd-rootless-setuptool.sh",
                "/usr/bin/dockerd-rootless-setuptool.sh",
            ),
        ],
        deb: Relations {
            depends: "dbus-user-session",
            enhances: "docker-ce",
            conflicts: "rootlesskit",
            replaces: "rootlesskit",
            breaks: "rootlesskit",
            ..NONE
        },
        rpm: Relations {
            depends: "docker-ce",
            conflicts: "rootlesskit",
            ..NONE
        },
        scripts: NO_SCRIPTS,
    },
    PackageSpec {
        name: "docker-buildx-plugin",
        version: VersionOf::Component("buildx"),
        deb_epoch: None,
        rpm_epoch: None,
        homepage: "https://github.com/docker/buildx",
        copyright: ("Docker, Inc.", APACHE),
        summary: "Docker Buildx cli plugin.",
        description: "This plugin provides the 'docker buildx' subcommand, and is what 'docker build' runs: BuildKit builds with multi-platform images, cache mounts and secrets.",
        contents: &[bin(
            "cli-plugins/docker-buildx",
            "/usr/libexec/docker/cli-plugins/docker-buildx",
        )],
        deb: Relations {
            replaces: "docker-ce-cli",
            enhances: "docker-ce-cli",
            ..NONE
        },
        rpm: NONE,
        scripts: NO_SCRIPTS,
    },
    PackageSpec {
        name: "docker-compose-plugin",
        version: VersionOf::Component("compose"),
        deb_epoch: None,
        rpm_epoch: None,
        homepage: "https://github.com/docker/compose",
        copyright: ("Docker, Inc.", APACHE),
        summary: "Docker Compose (V2) plugin for the Docker CLI.",
        description: "This plugin provides the 'docker compose' subcommand: define and run multi-container applications from a compose file.",
        contents: &[bin(
            "cli-plugins/docker-compose",
            "/usr/libexec/docker/cli-plugins/docker-compose",
        )],
        deb: Relations {
            recommends: "docker-buildx-plugin (>= 0.17.0)",
            enhances: "docker-ce-cli",
            ..NONE
        },
        rpm: Relations {
            recommends: "docker-buildx-plugin >= 0.17.0",
            enhances: "docker-ce-cli",
            ..NONE
        },
        scripts: NO_SCRIPTS,
    },
];

const NONE: Relations = Relations {
    pre_depends: "",
    depends: "",
    recommends: "",
    suggests: "",
    conflicts: "",
    replaces: "",
    breaks: "",
    enhances: "",
    provides: "",
};

const NO_SCRIPTS: Scripts = Scripts {
    docker_group: false,
    units: &[],
    sysv_init: None,
};

#[cfg(test)]
mod tests {
    use super::*;
    use bundle_format::{Archive, ReleaseLine};

    /// Every bundle file the packages install from a bundle of Docker `release`, sorted.
    fn packaged(release: ReleaseLine) -> Vec<&'static str> {
        let mut shipped: Vec<&str> = PACKAGES
            .iter()
            .flat_map(|p| p.contents)
            .filter(|c| c.in_release(release))
            .filter_map(|c| match c {
                Content::Bundle { from, .. } => Some(*from),
                _ => None,
            })
            .collect();
        shipped.sort_unstable();
        shipped
    }

    #[test]
    fn every_bundle_file_of_a_full_bundle_is_in_exactly_one_package() {
        for release in [(27, 0), (27, 5), (28, 5), (29, 7)] {
            let release = ReleaseLine::new(release.0, release.1);
            let mut bundle: Vec<String> = Archive::ALL
                .iter()
                .flat_map(|a| {
                    bundle_format::contents_of(*a, release)
                        .into_iter()
                        .map(move |name| a.path_of(name))
                })
                .collect();
            bundle.sort_unstable();
            assert_eq!(packaged(release), bundle, "Docker {release}");
        }
    }

    #[test]
    fn docker_27_s_rootless_extras_package_has_rootlesskit_docker_proxy_and_28_s_not() {
        let proxy = "docker-rootless-extras/rootlesskit-docker-proxy";
        assert!(packaged(ReleaseLine::new(27, 5)).contains(&proxy));
        assert!(!packaged(ReleaseLine::new(28, 0)).contains(&proxy));
    }
}
