//! The development engine's verbs: `up`, `down`, `status`, `logs`.

use camino::Utf8PathBuf;
use clap::Args;

use super::{BundleArgs, absolute_path};

/// Which development engine: shared by down, status and logs.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// The engine's state folder. [default: the engine `up` started under the cache's
    /// engines/, when there is one]
    #[arg(long, value_name = "DIR", value_parser = absolute_path)]
    pub state: Option<Utf8PathBuf>,

    /// The cache whose engines/ is searched [default: $DOCKYARD_CACHE, else ~/.cache/dockyard].
    #[arg(long, value_name = "DIR", env = "DOCKYARD_CACHE", hide_env_values = true, value_parser = absolute_path)]
    pub cache: Option<Utf8PathBuf>,
}

/// `up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub bundle: BundleArgs,

    /// The engine's state folder: data root, sockets, pid files, logs. [default: one per
    /// bundle under the cache's engines/]
    #[arg(long, value_name = "DIR", value_parser = absolute_path)]
    pub state: Option<Utf8PathBuf>,

    /// `private`: a network namespace of its own with dockerd's whole networking in it
    /// (firewall, forwarding, embedded DNS), a way out through slirp4netns (the host's loopback
    /// is 10.0.2.2 there), and `-p ADDR:PORT:…` published on the host's ADDR:PORT; the host's
    /// firewall and sysctls are never touched. `host`: the host's network, with dockerd's
    /// firewall off.
    #[arg(long, value_name = "NETWORK", value_enum, default_value_t = NetworkFlag::Private)]
    pub network: NetworkFlag,

    /// Stay, watching every --source working tree: on a change, rebuild that component and
    /// restart only what runs it (dockerd for moby and proxy, containerd for containerd;
    /// nothing for runc, tini and cli, which run per use). A failed build keeps the engine
    /// running. Ctrl-C stops watching and leaves the engine up.
    #[arg(long)]
    pub watch: bool,

    /// With --watch: stop the engine too on Ctrl-C.
    #[arg(long, requires = "watch")]
    pub down_on_exit: bool,

    /// Start DAEMON (dockerd or containerd) under Delve's headless server on 127.0.0.1:PORT,
    /// running until a client stops it; implies --debug. Repeat for both. Needs dlv (`go
    /// install github.com/go-delve/delve/cmd/dlv@latest`).
    #[arg(long, value_name = "DAEMON:PORT", value_parser = parse_debugger)]
    pub dlv: Vec<engine::Debugger>,
}

/// `--network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NetworkFlag {
    /// Its own network namespace.
    Private,
    /// The host's network.
    Host,
}

/// `down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub engine: EngineArgs,

    /// Also remove the state folder, data root included.
    #[arg(long)]
    pub purge: bool,
}

/// `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub engine: EngineArgs,
}

/// `logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Whose log.
    #[arg(value_name = "DAEMON", value_enum, default_value_t = DaemonFlag::Dockerd)]
    pub daemon: DaemonFlag,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub engine: EngineArgs,

    /// Keep printing what is written to it.
    #[arg(short, long)]
    pub follow: bool,
}

/// A development engine's daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DaemonFlag {
    /// dockerd.
    Dockerd,
    /// containerd.
    Containerd,
    /// slirp4netns, the private network's uplink.
    Slirp4netns,
}

impl From<DaemonFlag> for engine::Daemon {
    fn from(flag: DaemonFlag) -> engine::Daemon {
        match flag {
            DaemonFlag::Dockerd => engine::Daemon::Dockerd,
            DaemonFlag::Containerd => engine::Daemon::Containerd,
            DaemonFlag::Slirp4netns => engine::Daemon::Uplink,
        }
    }
}

/// `--dlv DAEMON:PORT`.
fn parse_debugger(text: &str) -> Result<engine::Debugger, String> {
    let (name, port) = text
        .split_once(':')
        .ok_or_else(|| format!("expected DAEMON:PORT (dockerd:2345), not `{text}`"))?;
    let daemon = engine::Daemon::named(name)
        .filter(|d| *d != engine::Daemon::Uplink)
        .ok_or_else(|| format!("`{name}` is not a daemon: dockerd or containerd"))?;
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("`{port}` is not a port (1 to 65535)"))?;
    Ok(engine::Debugger { daemon, port })
}
