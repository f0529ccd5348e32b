//! What a build is for: the platform and how binaries link.

/// Static binaries (what Docker ships in its tgz) or dynamically linked ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Linkage {
    /// No interpreter, no shared libraries: verified by reading the ELF headers.
    Static,
    /// The platform's default linking (cgo binaries need libc and, for runc, libseccomp).
    Dynamic,
}

/// The platform to build for (Go's names).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// `GOOS`, e.g. `linux`.
    pub os: String,
    /// `GOARCH`, e.g. `amd64`.
    pub arch: String,
}

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
        }
    }
}
