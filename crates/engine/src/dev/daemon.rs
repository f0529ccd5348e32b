//! The two daemons of a development engine: where each one's files live in the state folder,
//! its command line, and how to tell that it runs and answers.
//!
//! containerd runs as a daemon of its own rather than under dockerd's supervision, so that a
//! new containerd (or shim) is picked up by restarting containerd alone, and each daemon has its
//! own pid, uptime and log.

use std::time::Duration;

use build_core::process::LoggedCommand;
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

/// One long-running daemon of the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Daemon {
    /// containerd, with its shims (started first: dockerd connects to it).
    Containerd,
    /// dockerd, with the docker-proxy processes it starts.
    Dockerd,
}

impl Daemon {
    /// Both, in start order.
    pub const ALL: [Daemon; 2] = [Daemon::Containerd, Daemon::Dockerd];

    /// Its binary's name, as component descriptors name it in `restarts`.
    pub fn name(self) -> &'static str {
        match self {
            Daemon::Containerd => "containerd",
            Daemon::Dockerd => "dockerd",
        }
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
            Daemon::Dockerd => self.root.join("docker.sock"),
            Daemon::Containerd => self.run().join("containerd/containerd.sock"),
        }
    }

    /// The binaries the engine runs (see `binaries`).
    pub(crate) fn bin(&self) -> Utf8PathBuf {
        self.root.join("bin")
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

    /// The daemon's own command line (without a debugger in front).
    pub(crate) fn command(&self, daemon: Daemon, bin: &Utf8Path) -> LoggedCommand {
        let r = &self.root;
        let program = LoggedCommand::new(bin.join(daemon.name()).as_str())
            .env("PATH", bin.as_str())
            .env("HOME", r.as_str());
        match daemon {
            Daemon::Containerd => program
                .arg("--config")
                .arg(self.containerd_config().as_str())
                .arg("--address")
                .arg(self.socket(Daemon::Containerd).as_str()),
            Daemon::Dockerd => program
                .arg(format!("--host=unix://{}", self.socket(Daemon::Dockerd)))
                .arg(format!("--containerd={}", self.socket(Daemon::Containerd)))
                .arg(format!("--data-root={}/docker", self.data()))
                .arg(format!("--exec-root={}/docker", self.run()))
                .arg(format!("--pidfile={}", self.pid_file(Daemon::Dockerd)))
                .arg(format!("--config-file={}", self.dockerd_config()))
                .arg(format!(
                    "--userland-proxy-path={}",
                    bin.join("docker-proxy")
                ))
                // Leave the host's firewall and sysctls alone.
                .args([
                    "--iptables=false",
                    "--ip6tables=false",
                    "--ip-forward=false",
                    "--ip-masq=false",
                ]),
        }
    }
}

/// The processes of `daemon` that belong to the engine in `root`: the daemon itself, and a
/// debugger running it. A pid whose command line does not name `root` is someone else's, even
/// if a pid file says otherwise (pids are recycled).
pub(crate) fn processes(daemon: Daemon, root: &Utf8Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<(bool, u32)> = entries
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let args = cmdline(pid);
            let program = args.first().map(|a| file_name(a))?;
            let runs_it = args.iter().skip(1).any(|a| file_name(a) == daemon.name());
            let itself = program == daemon.name();
            let ours = (itself || (program == "dlv" && runs_it))
                && args.iter().any(|a| a.contains(root.as_str()))
                && running(pid);
            ours.then_some((!itself, pid))
        })
        .collect();
    // The daemon itself first, then its debugger.
    found.sort();
    found.into_iter().map(|(_, pid)| pid).collect()
}

fn cmdline(pid: u32) -> Vec<String> {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

fn file_name(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// Not exited, and not a zombie waiting to be reaped.
pub(crate) fn running(pid: u32) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    matches!(state, Some(s) if s != "Z" && s != "X")
}

/// How long `pid` has run, from its start time in clock ticks since boot.
pub(crate) fn uptime(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let started_ticks: f64 = fields.get(19)?.parse().ok()?;
    let since_boot: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(Duration::from_secs_f64(
        (since_boot - started_ticks / ticks).max(0.0),
    ))
}

/// The daemon answers on its socket: dockerd's `GET /_ping` says `OK`; containerd accepts a
/// connection (its API is gRPC, and accepting is what dockerd needs before it starts).
pub(crate) fn answers(daemon: Daemon, socket: &Utf8Path) -> bool {
    use std::io::{Read, Write};
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
