//! The distributions packages are made for, and the version strings each gets: Docker's
//! packaging names every package version for the distribution it was built for.

use std::fmt;

use build_core::Target;

use crate::PackageError;

/// A package format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Debian's `.deb`, built with `dpkg-deb`.
    Deb,
    /// `.rpm`, built with `rpmbuild`.
    Rpm,
}

impl Format {
    /// `deb` or `rpm`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "deb" => Some(Format::Deb),
            "rpm" => Some(Format::Rpm),
            _ => None,
        }
    }
}

impl Format {
    /// The format's name for a target's architecture (`amd64`, `armhf`; rpm's `x86_64`,
    /// `armv7hl`), as its package files and indexes carry it.
    pub fn architecture(self, target: &Target) -> Option<&'static str> {
        match self {
            Format::Deb => target.architecture().map(|a| a.debian),
            Format::Rpm => Some(match (target.arch.as_str(), target.variant.as_deref()) {
                ("amd64", _) => "x86_64",
                ("arm64", _) => "aarch64",
                ("arm", Some("v7")) => "armv7hl",
                ("arm", Some("v6")) => "armv6hl",
                ("ppc64le", _) => "ppc64le",
                ("s390x", _) => "s390x",
                ("riscv64", _) => "riscv64",
                _ => return None,
            }),
        }
    }

    /// Every architecture name of the format dockyard builds packages for.
    pub fn architectures(self) -> Vec<&'static str> {
        build_core::platform::ARCHITECTURES
            .iter()
            .filter_map(|a| self.architecture(&Target::parse(a.docker).ok()?))
            .collect()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Deb => "deb",
            Format::Rpm => "rpm",
        })
    }
}

/// A distribution release packages are built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Distro {
    /// `debian-12`, as people name it.
    pub name: &'static str,
    /// Its package format.
    pub format: Format,
    /// `debian`, `ubuntu`, `centos`, `fedora`: `ID` in its `/etc/os-release` for deb, and the
    /// folder of Docker's download tree (`linux/debian/`, `linux/centos/`).
    pub id: &'static str,
    /// `12`, `24.04`, `9`, `43`: `VERSION_ID` for deb; for rpm the major release, the
    /// `$releasever` of Docker's rpm repositories (`linux/centos/9/`).
    pub version_id: &'static str,
    /// `bookworm` (deb), or the rpm dist tag (`el9`, `fc43`).
    pub suite: &'static str,
    /// Where its systemd units live: Debian moved them to `/usr/lib` with trixie.
    pub unit_dir: &'static str,
}

const fn deb(
    name: &'static str,
    id: &'static str,
    version_id: &'static str,
    suite: &'static str,
    unit_dir: &'static str,
) -> Distro {
    Distro {
        name,
        format: Format::Deb,
        id,
        version_id,
        suite,
        unit_dir,
    }
}

const fn rpm(
    name: &'static str,
    id: &'static str,
    version_id: &'static str,
    dist: &'static str,
) -> Distro {
    Distro {
        name,
        format: Format::Rpm,
        id,
        version_id,
        suite: dist,
        unit_dir: "/usr/lib/systemd/system",
    }
}

/// Every distribution Docker's packaging builds for that dockyard knows, deb ones first.
pub const DISTROS: &[Distro] = &[
    deb(
        "debian-11",
        "debian",
        "11",
        "bullseye",
        "/lib/systemd/system",
    ),
    deb(
        "debian-12",
        "debian",
        "12",
        "bookworm",
        "/lib/systemd/system",
    ),
    deb(
        "debian-13",
        "debian",
        "13",
        "trixie",
        "/usr/lib/systemd/system",
    ),
    deb(
        "ubuntu-22.04",
        "ubuntu",
        "22.04",
        "jammy",
        "/lib/systemd/system",
    ),
    deb(
        "ubuntu-24.04",
        "ubuntu",
        "24.04",
        "noble",
        "/usr/lib/systemd/system",
    ),
    rpm("centos-9", "centos", "9", "el9"),
    rpm("centos-10", "centos", "10", "el10"),
    rpm("fedora-43", "fedora", "43", "fc43"),
];

impl Distro {
    /// The distribution called `name` (`debian-12`).
    pub fn named(name: &str) -> Option<&'static Distro> {
        DISTROS.iter().find(|d| d.name == name)
    }

    /// The release called `name` for `format`'s packages, or the default for the format.
    pub fn choose(name: Option<&str>, format: Format) -> Result<&'static Distro, PackageError> {
        let Some(name) = name else {
            return Ok(Self::default_for(format));
        };
        match Self::named(name) {
            Some(d) if d.format == format => Ok(d),
            Some(d) => Err(PackageError::WrongFormat {
                distro: d.name,
                format: d.format,
                asked: format,
                choices: Self::names(format),
            }),
            None => Err(PackageError::UnknownDistro {
                name: name.to_owned(),
                choices: Self::names(format),
            }),
        }
    }

    /// The names of those of `format`, for messages.
    pub fn names(format: Format) -> String {
        DISTROS
            .iter()
            .filter(|d| d.format == format)
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The default for `format`: this machine's own release when it is one of them (read from
    /// `/etc/os-release`), else Debian 12 for deb and CentOS Stream 9 (el9) for rpm.
    pub fn default_for(format: Format) -> &'static Distro {
        let host = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|text| Self::from_os_release(&text));
        match host {
            Some(d) if d.format == format => d,
            _ => match format {
                Format::Deb => &DISTROS[1],
                Format::Rpm => &DISTROS[5],
            },
        }
    }

    /// The release an `/etc/os-release` describes, if it is one of [`DISTROS`].
    pub fn from_os_release(text: &str) -> Option<&'static Distro> {
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
                .map(|v| v.trim_matches('"').to_owned())
        };
        let (id, version) = (field("ID")?, field("VERSION_ID")?);
        let major = version.split('.').next().unwrap_or_default();
        DISTROS.iter().find(|d| match d.format {
            Format::Deb => d.id == id && d.version_id == version,
            Format::Rpm => {
                matches!(
                    (id.as_str(), d.suite),
                    ("centos" | "rhel" | "rocky" | "almalinux", s) if s == format!("el{major}")
                ) || (id == "fedora" && d.suite == format!("fc{major}"))
            }
        })
    }

    /// A package's full version, as Docker's packaging writes it: for deb
    /// `[EPOCH:]VERSION-1~debian.12~bookworm`, for rpm `[EPOCH:]VERSION-1.el9`. A `-` in the
    /// upstream version (a pre-release) becomes `~`, so it sorts before the release.
    pub fn version(&self, epoch: Option<u32>, upstream: &str) -> PackageVersion {
        let upstream = upstream.trim_start_matches('v').replace('-', "~");
        let release = match self.format {
            Format::Deb => format!("1~{}.{}~{}", self.id, self.version_id, self.suite),
            Format::Rpm => format!("1.{}", self.suite),
        };
        PackageVersion {
            epoch,
            upstream,
            release,
        }
    }
}

/// A package version in its three parts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PackageVersion {
    /// Docker's packages carry epochs (deb 5 for the engine and CLI; rpm 3 and 1).
    pub epoch: Option<u32>,
    /// `29.7.2`, or with the patch marker `29.7.2+patches.1a2b3c4d`.
    pub upstream: String,
    /// `1~debian.12~bookworm`, `1.el9`.
    pub release: String,
}

impl PackageVersion {
    /// Without the epoch, as file names carry it (`29.7.2-1~debian.12~bookworm`).
    pub fn without_epoch(&self) -> String {
        format!("{}-{}", self.upstream, self.release)
    }
}

impl fmt::Display for PackageVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(epoch) = self.epoch {
            write!(f, "{epoch}:")?;
        }
        f.write_str(&self.without_epoch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_docker_s_packaging() {
        let bookworm = Distro::named("debian-12").unwrap();
        assert_eq!(
            bookworm.version(Some(5), "29.7.2").to_string(),
            "5:29.7.2-1~debian.12~bookworm"
        );
        assert_eq!(
            bookworm.version(None, "v0.34.1").to_string(),
            "0.34.1-1~debian.12~bookworm"
        );
        assert_eq!(
            bookworm.version(Some(5), "29.0.0-rc.1").without_epoch(),
            "29.0.0~rc.1-1~debian.12~bookworm"
        );
        let el9 = Distro::named("centos-9").unwrap();
        assert_eq!(el9.version(Some(3), "29.7.2").to_string(), "3:29.7.2-1.el9");
    }

    #[test]
    fn every_architecture_has_its_name_in_both_formats() {
        let names: Vec<(&str, &str, &str)> = build_core::platform::ARCHITECTURES
            .iter()
            .map(|a| {
                let target = Target::parse(a.docker).unwrap();
                let name = |f: Format| f.architecture(&target).unwrap();
                (a.docker, name(Format::Deb), name(Format::Rpm))
            })
            .collect();
        assert_eq!(
            names,
            [
                ("x86_64", "amd64", "x86_64"),
                ("aarch64", "arm64", "aarch64"),
                ("armhf", "armhf", "armv7hl"),
                ("armel", "armel", "armv6hl"),
                ("ppc64le", "ppc64el", "ppc64le"),
                ("s390x", "s390x", "s390x"),
                ("riscv64", "riscv64", "riscv64"),
            ]
        );
        assert_eq!(Format::Rpm.architectures().len(), 7);
    }

    #[test]
    fn the_host_release_is_read_from_os_release() {
        let bookworm =
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n";
        assert_eq!(Distro::from_os_release(bookworm).unwrap().name, "debian-12");
        let rocky = "ID=\"rocky\"\nVERSION_ID=\"9.4\"\n";
        assert_eq!(Distro::from_os_release(rocky).unwrap().name, "centos-9");
        assert_eq!(Distro::from_os_release("ID=arch\n"), None);
    }
}
