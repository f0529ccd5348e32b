//! What an isolated engine needs from the machine.

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};

use crate::EngineError;

/// Root, a cgroup file system and network namespaces: checked before anything starts.
pub fn check_machine() -> Result<(), EngineError> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(EngineError::NotRoot);
    }
    for (path, what) in [
        ("/sys/fs/cgroup", "a cgroup file system"),
        ("/proc/self/ns/net", "network namespaces"),
    ] {
        if !Utf8Path::new(path).exists() {
            return Err(EngineError::MachineLacks { what, path });
        }
    }
    Ok(())
}

/// Brings up loopback in the calling thread's network namespace (a new one has it down).
pub(crate) fn loopback_up() -> Result<(), EngineError> {
    let ip = which::which("ip").map_err(|_| EngineError::MissingProgram {
        program: "ip",
        fix: "apt-get install iproute2",
    })?;
    LoggedCommand::new(ip.to_string_lossy())
        .args(["link", "set", "lo", "up"])
        .read()?;
    Ok(())
}

/// A program the engine or its checks run from the host, with the Debian package that has it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EngineTool {
    /// Its name on `PATH`.
    pub program: &'static str,
    /// The Debian package.
    pub package: &'static str,
    /// What needs it.
    pub purpose: &'static str,
    /// Where it was found.
    pub found: Option<Utf8PathBuf>,
}

impl std::fmt::Display for EngineTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.found {
            Some(path) => write!(f, "{} ({}) at {path}", self.program, self.purpose),
            None => write!(
                f,
                "{} ({}): apt-get install {}",
                self.program, self.purpose, self.package
            ),
        }
    }
}

/// What an engine in a private network needs: its namespace's loopback, dockerd's firewall
/// (iptables by default, nftables with `firewall-backend`) and the uplink.
const PRIVATE_NETWORK: [(&str, &str, &str); 4] = [
    ("ip", "iproute2", "the engine's network namespace"),
    (
        "iptables",
        "iptables",
        "dockerd's firewall in the engine's namespace",
    ),
    ("nft", "nftables", "dockerd's nftables firewall backend"),
    ("slirp4netns", "slirp4netns", "the private network's uplink"),
];

/// Every program `up` and `smoke` run from the host, found or not.
pub fn engine_tools() -> Vec<EngineTool> {
    let smoke = [
        (
            "docker-registry",
            "docker-registry",
            "smoke's push and pull",
        ),
        ("busybox", "busybox-static", "smoke's test image"),
        ("newuidmap", "uidmap", "smoke's rootless dockerd"),
    ];
    PRIVATE_NETWORK
        .into_iter()
        .chain(smoke)
        .map(|(program, package, purpose)| EngineTool {
            program,
            package,
            purpose,
            found: which::which(program)
                .ok()
                .and_then(|p| Utf8PathBuf::from_path_buf(p).ok()),
        })
        .collect()
}

/// The first program a private network needs that is missing.
pub(crate) fn check_private_network_tools() -> Result<(), EngineError> {
    for (program, package, _) in PRIVATE_NETWORK {
        if which::which(program).is_err() {
            return Err(EngineError::MissingTool {
                program,
                package,
                purpose: "an engine in a private network",
            });
        }
    }
    Ok(())
}
