//! The private network's way out, and the host's way in: slirp4netns, a user-mode network
//! stack, joined to the engine's namespace by its path. It gives the namespace `tap0`
//! (`10.0.2.100`) with a default route through [`HOST`], which is the host's own loopback, and
//! forwards ports from host addresses into the namespace through its API socket. It runs as an
//! ordinary process on the host, so the host's firewall, routes and sysctls stay as they were.
//!
//! Why slirp4netns and not pasta: Debian 12's pasta, run as root, drops to `nobody` and cannot
//! join a network namespace made without a user namespace; slirp4netns takes one by path
//! (`--netns-type=path`) and is what rootless Docker and Podman have long used for the same job.
//!
//! A forwarded connection arrives in the namespace at `GUEST:PORT`. One DNAT rule (with
//! `route_localnet` on `tap0`) sends it on to `127.0.0.1:PORT`, where dockerd's published port
//! listens, so `-p 127.0.0.1:8080:80` answers on the host's 127.0.0.1:8080.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};

use crate::EngineError;

/// The host's loopback, as the namespace (and every container in it) reaches it.
pub const HOST: &str = "10.0.2.2";
/// The namespace's address on the uplink.
pub(crate) const GUEST: &str = "10.0.2.100";
/// The uplink's device in the namespace.
const DEVICE: &str = "tap0";

/// Where Debian keeps it, and how to get it.
const MISSING: EngineError = EngineError::MissingProgram {
    program: "slirp4netns",
    fix: "apt-get install slirp4netns (the private network's way out)",
};

/// slirp4netns for the namespace kept at `netns`, with its API on `api`.
pub(crate) fn command(netns: &Utf8Path, api: &Utf8Path) -> Result<LoggedCommand, EngineError> {
    let program = which::which("slirp4netns").map_err(|_| MISSING)?;
    Ok(LoggedCommand::new(program.to_string_lossy())
        .args(["--configure", "--mtu=65520", "--netns-type=path"])
        .arg(format!("--api-socket={api}"))
        .arg(netns.as_str())
        .arg(DEVICE))
}

/// Run on a thread inside the namespace once the uplink answers: the namespace forwards IPv4
/// (its containers' traffic out; dockerd's iptables backend would turn it on too, its nftables
/// backend leaves it to the host, and here the namespace is the host), and forwarded
/// connections reach its loopback. Needs `iptables` (dockerd needs it anyway).
pub(crate) fn prepare_namespace() -> Result<(), EngineError> {
    for (sysctl, value) in [
        ("/proc/sys/net/ipv4/ip_forward".to_owned(), "1\n"),
        (
            format!("/proc/sys/net/ipv4/conf/{DEVICE}/route_localnet"),
            "1\n",
        ),
    ] {
        std::fs::write(&sysctl, value).map_err(EngineError::io("writing", sysctl.as_str()))?;
    }
    let iptables = which::which("iptables").map_err(|_| EngineError::MissingProgram {
        program: "iptables",
        fix: "apt-get install iptables",
    })?;
    let rule = [
        "-t",
        "nat",
        "PREROUTING",
        "-i",
        DEVICE,
        "-d",
        GUEST,
        "-j",
        "DNAT",
        "--to-destination",
        "127.0.0.1",
    ];
    let iptables = |action: &str| {
        LoggedCommand::new(iptables.to_string_lossy())
            .args(rule[..2].iter().copied())
            .arg(action)
            .args(rule[2..].iter().copied())
            .output()
    };
    // Once per namespace: a restarted uplink finds its rule in place.
    if !iptables("-C")?.status.success() {
        let out = iptables("-I")?;
        if !out.status.success() {
            return Err(EngineError::Check(format!(
                "iptables could not route forwarded ports in the engine's namespace: {}",
                out.stderr.trim()
            )));
        }
    }
    Ok(())
}

/// The uplink's API: forwards from host addresses into the namespace.
#[derive(Clone, Debug)]
pub struct UplinkApi {
    socket: Utf8PathBuf,
}

/// A protocol slirp4netns forwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl UplinkApi {
    /// The API on `socket`.
    pub fn at(socket: impl Into<Utf8PathBuf>) -> UplinkApi {
        UplinkApi {
            socket: socket.into(),
        }
    }

    /// It answers (slirp4netns opens it once the namespace is configured).
    pub fn answers(&self) -> bool {
        // slirp4netns 1.2 answers `{"entries": […]}`, without the `return` of its other answers.
        self.request(r#"{"execute":"list_hostfwd"}"#)
            .is_ok_and(|v| v.get("entries").or_else(|| v.get("return")).is_some())
    }

    /// Forwards `host_ip:port` on the host to the same port in the namespace; returns the
    /// forward's id. Refused, with the reason, when the host's port cannot be bound.
    pub fn forward(&self, protocol: Protocol, host_ip: &str, port: u16) -> Result<u64, String> {
        let proto = match protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        };
        let request = serde_json::json!({
            "execute": "add_hostfwd",
            "arguments": {"proto": proto, "host_addr": host_ip, "host_port": port, "guest_port": port},
        });
        let answer = self
            .request(&request.to_string())
            .map_err(|e| format!("the engine's uplink ({}) does not answer: {e}", self.socket))?;
        if let Some(id) = answer["return"]["id"].as_u64() {
            return Ok(id);
        }
        Err(format!(
            "the host's {host_ip}:{port}/{proto} cannot be published: it is in use on the host, \
             or not an address of the host (slirp4netns: {})",
            answer["error"]["desc"]
                .as_str()
                .unwrap_or("no reason given")
        ))
    }

    /// Removes a forward [`UplinkApi::forward`] made.
    pub fn remove(&self, id: u64) -> Result<(), String> {
        let request = serde_json::json!({"execute": "remove_hostfwd", "arguments": {"id": id}});
        match self.request(&request.to_string()) {
            Ok(answer) if answer.get("return").is_some() => Ok(()),
            Ok(answer) => Err(answer["error"]["desc"]
                .as_str()
                .unwrap_or("refused")
                .to_owned()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// One request, one JSON answer (read until it parses: slirp4netns may keep the
    /// connection open after answering).
    fn request(&self, json: &str) -> std::io::Result<serde_json::Value> {
        let mut stream = UnixStream::connect(&self.socket)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        stream.write_all(json.as_bytes())?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return serde_json::from_slice(&answer).map_err(std::io::Error::other);
            }
            answer.extend_from_slice(&chunk[..n]);
            if let Ok(value) = serde_json::from_slice(&answer) {
                return Ok(value);
            }
        }
    }
}
