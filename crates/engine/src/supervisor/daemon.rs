//! The daemons of an engine: where each one's files live in the state folder, its command
//! line, and how to tell that it runs and answers.
//!
//! containerd runs as a daemon of its own rather than under dockerd's supervision, so that a
//! new containerd (or shim) is picked up by restarting containerd alone, and each daemon has its
//! own pid, uptime and log.

use std::time::Duration;

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

use super::Network;
use crate::{EngineError, port_proxy, procs, uplink};

/// One long-running daemon of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Daemon {
    /// The private network's uplink (slirp4netns, from the host; see `uplink`): started first,
    /// and only for a private network.
    Uplink,
    /// containerd, with its shims (dockerd connects to it).
    Containerd,
    /// dockerd, with the docker-proxy processes it starts.
    Dockerd,
}

impl Daemon {
    /// Every daemon, in start order.
    pub const ALL: [Daemon; 3] = [Daemon::Uplink, Daemon::Containerd, Daemon::Dockerd];

    /// The daemons an engine in `network` runs, in start order.
    pub fn of(network: Network) -> &'static [Daemon] {
        match network {
            Network::Private => &Daemon::ALL,
            Network::Host => &Daemon::ALL[1..],
        }
    }

    /// Its program's name; for the bundle's daemons, as the component specs name it in
    /// `restarts`.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Uplink => "slirp4netns",
            Daemon::Containerd => "containerd",
            Daemon::Dockerd => "dockerd",
        }
    }

    /// It runs in the host's network namespace (and reaches into the engine's).
    pub(crate) fn on_host(self) -> bool {
        self == Daemon::Uplink
    }

    /// The daemon called `name`.
    pub fn named(name: &str) -> Option<Daemon> {
        Daemon::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl std::fmt::Display for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where everything of an engine lives, under its state folder: `data/` persists across `down`
/// (images, containers, containerd's content), `run/` and the sockets do not.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub(crate) root: Utf8PathBuf,
}

impl Layout {
    pub(crate) fn pid_file(&self, daemon: Daemon) -> Utf8PathBuf {
        self.root.join(format!("{daemon}.pid"))
    }

    pub(crate) fn log(&self, daemon: Daemon) -> Utf8PathBuf {
        self.root.join(format!("{daemon}.log"))
    }

    /// The socket each daemon answers on.
    pub(crate) fn socket(&self, daemon: Daemon) -> Utf8PathBuf {
        match daemon {
            Daemon::Uplink => self.run().join("uplink.sock"),
            Daemon::Dockerd => self.root.join("docker.sock"),
            Daemon::Containerd => self.run().join("containerd/containerd.sock"),
        }
    }

    /// The binaries the engine runs (see `binaries`).
    pub(crate) fn bin(&self) -> Utf8PathBuf {
        self.root.join("bin")
    }

    /// The CLI plugins the engine's `docker` finds: its `DOCKER_CONFIG`'s `cli-plugins/`.
    pub(crate) fn plugins(&self) -> Utf8PathBuf {
        self.client().join("cli-plugins")
    }

    /// The engine's `docker`'s configuration folder (`DOCKER_CONFIG`).
    pub(crate) fn client(&self) -> Utf8PathBuf {
        self.root.join("client")
    }

    pub(crate) fn data(&self) -> Utf8PathBuf {
        self.root.join("data")
    }

    pub(crate) fn run(&self) -> Utf8PathBuf {
        self.root.join("run")
    }

    pub(crate) fn netns(&self) -> Utf8PathBuf {
        self.root.join("netns")
    }

    pub(crate) fn record(&self) -> Utf8PathBuf {
        self.root.join("up.json")
    }

    pub(crate) fn containerd_config(&self) -> Utf8PathBuf {
        self.root.join("containerd.toml")
    }

    pub(crate) fn dockerd_config(&self) -> Utf8PathBuf {
        self.root.join("daemon.json")
    }

    /// What containerd is configured with: dockerd's own choice for the containerd it manages
    /// (version 2, which containerd 1.7 and 2.x both read; no CRI), plus an `opt` folder of its
    /// own, so nothing lands in the host's `/opt/containerd`.
    pub(crate) fn containerd_toml(&self) -> String {
        let data = self.data();
        let run = self.run();
        let socket = self.socket(Daemon::Containerd);
        format!(
            "version = 2\n\
             root = \"{data}/containerd\"\n\
             state = \"{run}/containerd\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             \n\
             [grpc]\n  address = \"{socket}\"\n\
             \n\
             [ttrpc]\n  address = \"{socket}.ttrpc\"\n\
             \n\
             [plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"{data}/containerd-opt\"\n"
        )
    }

    /// The daemon's own command line (without a debugger in front), for an engine in `network`.
    pub(crate) fn command(
        &self,
        daemon: Daemon,
        network: Network,
    ) -> Result<LoggedCommand, EngineError> {
        let r = &self.root;
        let bin = self.bin();
        if daemon == Daemon::Uplink {
            return uplink::command(&self.netns(), &self.socket(Daemon::Uplink));
        }
        // The bundle's binaries first, so nothing of an engine installed on the host is run;
        // then the system's, for the tools dockerd runs (iptables, nft, ip, modprobe, xz).
        let path = format!("{bin}:{SYSTEM_PATH}");
        let program = LoggedCommand::new(bin.join(daemon.name()).as_str())
            .env("PATH", path)
            .env("HOME", r.as_str());
        if daemon == Daemon::Containerd {
            return Ok(program
                .arg("--config")
                .arg(self.containerd_config().as_str())
                .arg("--address")
                .arg(self.socket(Daemon::Containerd).as_str()));
        }
        let dockerd = program
            .arg(format!("--host=unix://{}", self.socket(Daemon::Dockerd)))
            .arg(format!("--containerd={}", self.socket(Daemon::Containerd)))
            .arg(format!("--data-root={}/docker", self.data()))
            .arg(format!("--exec-root={}/docker", self.run()))
            .arg(format!("--pidfile={}", self.pid_file(Daemon::Dockerd)))
            .arg(format!("--config-file={}", self.dockerd_config()))
            .args(self.network_flags(network));
        Ok(match network {
            // What its userland proxies publish on the host through.
            Network::Private => {
                dockerd.env(port_proxy::UPLINK_ENV, self.socket(Daemon::Uplink).as_str())
            }
            Network::Host => dockerd,
        })
    }

    /// dockerd's flags for the engine's network. In its own namespace dockerd keeps its whole
    /// networking (firewall, forwarding, masquerading, embedded DNS): that namespace's firewall
    /// and sysctls are the engine's alone; in the host's, it leaves them be. Published ports also
    /// go to the host through the uplink, and the host's loopback ([`uplink::HOST`]) is `host-gateway` and, like a
    /// loopback, a registry that may speak plain HTTP. A setting the developer's `daemon.json`
    /// makes is left to it (dockerd refuses one given twice).
    fn network_flags(&self, network: Network) -> Vec<String> {
        let bin = self.bin();
        if network == Network::Host {
            return [
                "--iptables=false",
                "--ip6tables=false",
                "--ip-forward=false",
                "--ip-masq=false",
            ]
            .map(String::from)
            .into_iter()
            .chain([format!(
                "--userland-proxy-path={}",
                bin.join("docker-proxy")
            )])
            .collect();
        }
        let proxy = bin.join(port_proxy::PROGRAM);
        let proxy = if proxy.is_file() {
            proxy
        } else {
            bin.join("docker-proxy")
        };
        let mut flags = vec![format!("--userland-proxy-path={proxy}")];
        // Each with the daemon.json keys that set it (27 and 28 still read the singular).
        let defaults = [
            (
                &["host-gateway-ip", "host-gateway-ips"][..],
                format!("--host-gateway-ip={}", uplink::HOST),
            ),
            (
                &["insecure-registries"][..],
                format!("--insecure-registry={}/32", uplink::HOST),
            ),
        ];
        let configured = configured_keys(&self.dockerd_config());
        for (keys, flag) in defaults {
            if !keys.iter().any(|k| configured.iter().any(|c| c == k)) {
                flags.push(flag);
            }
        }
        flags
    }
}

/// The directories after the bundle's on a daemon's `PATH`.
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The top-level keys of a `daemon.json` (none when it cannot be read).
fn configured_keys(config: &Utf8Path) -> Vec<String> {
    std::fs::read(config)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&b).ok())
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The processes of `daemon` that belong to the engine in `root`: the daemon itself, and a
/// debugger running it. A pid whose command line does not name `root` is someone else's, even
/// if a pid file says otherwise (pids are recycled).
pub(crate) fn processes(daemon: Daemon, root: &Utf8Path) -> Vec<u32> {
    let mut found: Vec<(bool, u32)> = procs::naming(root)
        .into_iter()
        .filter_map(|p| {
            let itself = p.program() == daemon.name();
            let debugs_it = p.program() == "dlv" && p.runs(daemon.name());
            (itself || debugs_it).then_some((!itself, p.pid))
        })
        .collect();
    // The daemon itself first, then its debugger.
    found.sort();
    found.into_iter().map(|(_, pid)| pid).collect()
}

/// The daemon answers on its socket: dockerd's `GET /_ping` says `OK`; containerd accepts a
/// connection (its API is gRPC, and accepting is what dockerd needs before it starts); the
/// uplink lists its port forwards.
pub(crate) fn answers(daemon: Daemon, socket: &Utf8Path) -> bool {
    use std::io::{Read, Write};
    if daemon == Daemon::Uplink {
        return uplink::UplinkApi::at(socket).answers();
    }
    let Ok(mut stream) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    if daemon == Daemon::Containerd {
        return true;
    }
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.") && answer.contains(" 200 ") && answer.ends_with("OK")
}
