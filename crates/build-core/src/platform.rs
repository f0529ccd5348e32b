//! What a build is for: the platform and how binaries link.

use std::fmt;

use component_specs::Layout;

use crate::executable::ExecutableFormat;

/// Static binaries (what Docker ships in its tgz) or dynamically linked ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Linkage {
    /// No interpreter, no shared libraries: verified by reading the ELF headers.
    Static,
    /// The platform's default linking (cgo binaries need libc and, for runc, libseccomp).
    Dynamic,
}

/// The platform to build for (Go's names, and the ARM variant as OCI platforms write it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// `GOOS`, e.g. `linux`.
    pub os: String,
    /// `GOARCH`, e.g. `amd64`.
    pub arch: String,
    /// `v7` or `v6` for `arm` (`GOARM`); none elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// One architecture dockyard builds the bundle for (each Docker ships its static tgz for, and
/// riscv64), under every name it goes by.
#[derive(Debug)]
#[non_exhaustive]
pub struct Architecture {
    /// Go's `GOARCH`.
    pub goarch: &'static str,
    /// The OCI variant (`GOARM` without the `v`).
    pub variant: Option<&'static str>,
    /// Docker's download folder (`aarch64`).
    pub docker: &'static str,
    /// Debian's architecture (`arm64`).
    pub debian: &'static str,
    /// The GNU triplet of its cross tools (`aarch64-linux-gnu`).
    pub triplet: &'static str,
    /// qemu's user-mode emulator name (`aarch64`, as in `qemu-aarch64-static`).
    pub qemu: &'static str,
    /// The ELF `e_machine` of its binaries.
    pub elf_machine: u16,
    /// 64-bit ELF.
    pub elf64: bool,
    /// Whether a large Go program linked statically with cgo against Debian's glibc for it
    /// starts. On 32-bit ARM it does not: binutils writes the addresses of glibc's ifunc
    /// resolvers (Thumb code) without the Thumb bit, so start-up enters `memchr_ifunc` in ARM
    /// state and crashes (dockerd and containerd 29.7.2 under qemu-arm here; on boards, moby/moby#42212).
    /// A small cgo program such as runc happens to start, and is checked like every binary.
    pub static_cgo: bool,
    /// The Debian release whose archive its C libraries (`libseccomp-dev`) are fetched from,
    /// when the host's own apt sources may lack the architecture: riscv64 is a release
    /// architecture only from Debian 13 (`trixie`), and Debian 12's archive has none of it.
    /// `None`: the host's sources.
    pub debian_suite: Option<&'static str>,
}

/// Every architecture of Docker's download tree (linux/static/stable/ARCH/), and riscv64, which
/// Debian 13 and Alpine ship Docker's engine for but that tree does not have yet.
pub const ARCHITECTURES: [Architecture; 7] = [
    Architecture {
        goarch: "amd64",
        variant: None,
        docker: "x86_64",
        debian: "amd64",
        triplet: "x86_64-linux-gnu",
        qemu: "x86_64",
        elf_machine: 62,
        elf64: true,
        static_cgo: true,
        debian_suite: None,
    },
    Architecture {
        goarch: "arm64",
        variant: None,
        docker: "aarch64",
        debian: "arm64",
        triplet: "aarch64-linux-gnu",
        qemu: "aarch64",
        elf_machine: 183,
        elf64: true,
        static_cgo: true,
        debian_suite: None,
    },
    Architecture {
        goarch: "arm",
        variant: Some("v7"),
        docker: "armhf",
        debian: "armhf",
        triplet: "arm-linux-gnueabihf",
        qemu: "arm",
        elf_machine: 40,
        elf64: false,
        static_cgo: false,
        debian_suite: None,
    },
    Architecture {
        goarch: "arm",
        variant: Some("v6"),
        docker: "armel",
        debian: "armel",
        triplet: "arm-linux-gnueabi",
        qemu: "arm",
        elf_machine: 40,
        elf64: false,
        static_cgo: false,
        debian_suite: None,
    },
    Architecture {
        goarch: "ppc64le",
        variant: None,
        docker: "ppc64le",
        debian: "ppc64el",
        triplet: "powerpc64le-linux-gnu",
        qemu: "ppc64le",
        elf_machine: 21,
        elf64: true,
        static_cgo: true,
        debian_suite: None,
    },
    Architecture {
        goarch: "s390x",
        variant: None,
        docker: "s390x",
        debian: "s390x",
        triplet: "s390x-linux-gnu",
        qemu: "s390x",
        elf_machine: 22,
        elf64: true,
        static_cgo: true,
        debian_suite: None,
    },
    Architecture {
        goarch: "riscv64",
        variant: None,
        // Not in Docker's download tree yet; the name its other folders' rule gives (`uname -m`).
        docker: "riscv64",
        debian: "riscv64",
        triplet: "riscv64-linux-gnu",
        qemu: "riscv64",
        // EM_RISCV.
        elf_machine: 243,
        elf64: true,
        // dockerd and containerd 29.7.2, static with cgo against Debian 12's riscv64 glibc,
        // start under qemu-riscv64 and pass their version checks and `dockerd --validate`.
        static_cgo: true,
        debian_suite: Some("trixie"),
    },
];

/// A platform outside Linux that Docker's download tree has: Windows' zip (the client and
/// dockerd) and macOS's client. Go cross-compiles them from here with cgo off, as Docker's own
/// cross builds do.
#[derive(Debug)]
#[non_exhaustive]
pub struct ForeignPlatform {
    /// Go's `GOOS`.
    pub goos: &'static str,
    /// Go's `GOARCH`.
    pub goarch: &'static str,
    /// Docker's folder for it, below the tree's `static/stable/` (`win/x86_64`).
    pub docker: &'static str,
    /// What its executables are.
    pub format: ExecutableFormat,
    /// What runs its binaries here to check what they show, if anything does: Wine for
    /// Windows; nothing for macOS, whose stamps are read from the binary's symbol table.
    pub runner: Option<Runner>,
}

/// A program that runs another system's binaries here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runner {
    /// Wine (Debian's `wine` and `wine64`), for Windows' console programs.
    Wine,
}

/// Every platform of Docker's download tree outside Linux (`win/static/stable/x86_64/`,
/// `mac/static/stable/{x86_64,aarch64}/`).
pub const FOREIGN_PLATFORMS: [ForeignPlatform; 3] = [
    ForeignPlatform {
        goos: "windows",
        goarch: "amd64",
        docker: "win/x86_64",
        format: ExecutableFormat::Pe { machine: 0x8664 },
        runner: Some(Runner::Wine),
    },
    ForeignPlatform {
        goos: "darwin",
        goarch: "amd64",
        docker: "mac/x86_64",
        format: ExecutableFormat::MachO {
            cputype: 0x0100_0007,
        },
        runner: None,
    },
    ForeignPlatform {
        goos: "darwin",
        goarch: "arm64",
        docker: "mac/aarch64",
        format: ExecutableFormat::MachO {
            cputype: 0x0100_000c,
        },
        runner: None,
    },
];

impl Target {
    /// The machine dockyard runs on.
    pub fn host() -> Target {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Target {
            os: std::env::consts::OS.to_owned(),
            arch: arch.to_owned(),
            variant: None,
        }
    }

    /// `linux/arm64`, `linux/arm/v7`, `windows/amd64`, `darwin/arm64` (OCI platform names) or
    /// Docker's folder names (`aarch64`, `armhf`, `armel`, `x86_64`, `ppc64le`, `s390x`,
    /// `riscv64`, `win/x86_64`, `mac/x86_64`, `mac/aarch64`).
    pub fn parse(name: &str) -> Result<Target, String> {
        let foreign = FOREIGN_PLATFORMS
            .iter()
            .find(|p| name == format!("{}/{}", p.goos, p.goarch) || name == p.docker);
        if let Some(p) = foreign {
            return Ok(Target {
                os: p.goos.into(),
                arch: p.goarch.into(),
                variant: None,
            });
        }
        let found = ARCHITECTURES.iter().find(|a| {
            let oci = match a.variant {
                Some(v) => format!("linux/{}/{v}", a.goarch),
                None => format!("linux/{}", a.goarch),
            };
            name == oci || name == a.docker
        });
        match found {
            Some(a) => Ok(Target {
                os: "linux".into(),
                arch: a.goarch.into(),
                variant: a.variant.map(str::to_owned),
            }),
            None => Err(format!(
                "`{name}` is not a platform dockyard builds: {}",
                (ARCHITECTURES.iter().map(|a| a.docker))
                    .chain(FOREIGN_PLATFORMS.iter().map(|p| p.docker))
                    .map(|docker| Target::parse(docker)
                        .map(|t| t.to_string())
                        .unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Its architecture's names, when dockyard builds for it.
    pub fn architecture(&self) -> Option<&'static Architecture> {
        ARCHITECTURES.iter().find(|a| {
            self.os == "linux" && a.goarch == self.arch && a.variant == self.variant.as_deref()
        })
    }

    /// Its platform's names, when it is one outside Linux that Docker ships.
    pub fn foreign(&self) -> Option<&'static ForeignPlatform> {
        FOREIGN_PLATFORMS
            .iter()
            .find(|p| self.os == p.goos && self.arch == p.goarch && self.variant.is_none())
    }

    /// Which of Docker's download trees its bundle is laid out as.
    pub fn layout(&self) -> Option<Layout> {
        Layout::for_os(&self.os)
    }

    /// Docker's folder for it (`aarch64`, `win/x86_64`), where a build with several targets
    /// publishes its bundle.
    pub fn download_folder(&self) -> Option<&'static str> {
        match self.foreign() {
            Some(p) => Some(p.docker),
            None => self.architecture().map(|a| a.docker),
        }
    }

    /// What its executables must be.
    pub fn executable_format(&self) -> Option<ExecutableFormat> {
        match self.foreign() {
            Some(p) => Some(p.format),
            None => self.architecture().map(|a| ExecutableFormat::Elf {
                machine: a.elf_machine,
                elf64: a.elf64,
            }),
        }
    }

    /// Whether cgo builds for it here: Linux's, with the target's C compiler and libraries.
    /// Windows and macOS are cross-compiled with cgo off, as Docker's cross builds are.
    pub fn has_cgo(&self) -> bool {
        self.os == "linux"
    }

    /// Whether binaries for it run here natively.
    pub fn is_host(&self) -> bool {
        *self == Target::host()
    }

    /// Whether optional cgo may be used in a static binary for it (see [`Architecture::static_cgo`]).
    pub fn static_cgo(&self) -> bool {
        self.has_cgo() && self.architecture().is_none_or(|a| a.static_cgo)
    }

    /// `GOARM` (`7`), for `arm`.
    pub(crate) fn goarm(&self) -> Option<&str> {
        self.variant.as_deref().map(|v| v.trim_start_matches('v'))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Layout, Target};

    #[test]
    fn oci_and_docker_names_name_the_same_platforms() {
        for (oci, docker) in [
            ("linux/amd64", "x86_64"),
            ("linux/arm64", "aarch64"),
            ("linux/arm/v7", "armhf"),
            ("linux/arm/v6", "armel"),
            ("linux/ppc64le", "ppc64le"),
            ("linux/s390x", "s390x"),
            ("linux/riscv64", "riscv64"),
        ] {
            let target = Target::parse(oci).unwrap();
            assert_eq!(Target::parse(docker).unwrap(), target);
            assert_eq!(target.to_string(), oci);
            assert_eq!(target.architecture().unwrap().docker, docker);
        }
        assert_eq!(Target::parse("armhf").unwrap().goarm(), Some("7"));
        let err = Target::parse("linux/mips").unwrap_err();
        assert!(
            err.contains("linux/arm/v7")
                && err.contains("linux/s390x")
                && err.contains("linux/riscv64"),
            "{err}"
        );
        assert!(
            err.contains("windows/amd64, darwin/amd64, darwin/arm64"),
            "{err}"
        );
    }

    #[test]
    fn windows_and_macos_are_named_as_docker_s_tree_names_them() {
        for (oci, docker) in [
            ("windows/amd64", "win/x86_64"),
            ("darwin/amd64", "mac/x86_64"),
            ("darwin/arm64", "mac/aarch64"),
        ] {
            let target = Target::parse(oci).unwrap();
            assert_eq!(Target::parse(docker).unwrap(), target);
            assert_eq!(target.to_string(), oci);
            assert_eq!(target.download_folder(), Some(docker));
            assert!(target.architecture().is_none() && !target.has_cgo() && !target.static_cgo());
        }
        let windows = Target::parse("windows/amd64").unwrap();
        assert_eq!(windows.layout(), Some(Layout::Windows));
        assert_eq!(
            windows.executable_format().unwrap().to_string(),
            "a PE for machine 0x8664 (x86-64)"
        );
        assert_eq!(
            Target::parse("x86_64").unwrap().download_folder(),
            Some("x86_64")
        );
    }
}
