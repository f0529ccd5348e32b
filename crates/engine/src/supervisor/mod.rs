//! The one engine supervisor: a bundle's containerd and dockerd running in a state folder of
//! their own (data root, exec root, sockets, pid files, logs), never the host's
//! `/var/run/docker.sock`, `/var/lib/docker` or `/run/containerd` state. `up` keeps one for as
//! long as a developer works; `smoke` runs its checks on one in a temporary folder and purges
//! it. By default it has a network namespace of its own, kept alive by a bind mount in the
//! state folder, so it outlives the command that started it, with an uplink (see `uplink`)
//! for its traffic out and its published ports in. It is found again through that folder
//! alone: `status` and `down` work after the starting process was killed or the machine
//! rebooted (stale pid files, stale mounts).

mod binaries;
mod client;
mod daemon;
mod network;
mod reload;
mod shell;
mod status;

use std::time::{Duration, Instant};

use build_core::process::{Signal, tail_of_file};
use build_core::progress::Progress;
use build_core::wait;
use camino::{Utf8Path, Utf8PathBuf};
use serde::{Deserialize, Serialize};

pub use binaries::Binary;
pub use daemon::Daemon;
use daemon::{Layout, answers, processes};
pub use network::find_delve;
pub use reload::{Reload, develop};
pub use shell::{ShellClient, user_client_config};
pub use status::{DaemonStatus, DevStatus};

use crate::mounts::unmount_under;
use crate::{EngineError, port_proxy, procs, uplink};

/// How many log lines a failure shows.
const LOG_TAIL: usize = 20;

/// Unix socket paths are limited to 108 bytes; containerd adds `.ttrpc` to its socket's.
const MAX_SOCKET_PATH: usize = 100;

/// Which network the engine uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// A network namespace of its own, with dockerd's whole networking (firewall, forwarding,
    /// masquerading, embedded DNS) in it, a way out through the host, and published ports
    /// forwarded from the host addresses they name.
    Private,
    /// The host's network, without dockerd's firewall, forwarding and masquerading (the host's
    /// are not the engine's to change): published ports listen on the host itself.
    Host,
}

/// A Delve server in front of one daemon: `dlv exec --headless` on `127.0.0.1:port`, the
/// daemon running (`--continue`) until a client stops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Debugger {
    /// The daemon it runs.
    pub daemon: Daemon,
    /// Its port on the engine's loopback.
    pub port: u16,
}

/// How `up` starts the engine: [`UpOptions::new`], then the fields that differ from its
/// defaults.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UpOptions {
    /// Private or the host's.
    pub network: Network,
    /// Daemons started under a debugger server.
    pub debuggers: Vec<Debugger>,
    /// How long each daemon may take to answer.
    pub timeout: Duration,
    /// The program that publishes a private engine's ports on the host: a binary that runs
    /// [`crate::userland_proxy`] when started as `dockyard-proxy`. Without one, published ports
    /// exist only in the engine's namespace.
    pub port_proxy: Option<Utf8PathBuf>,
    /// The person's own docker client configuration (`~/.docker/config.json`), which the
    /// engine's shell client shares (see [`Engine::shell_client`]) so that their logins stay
    /// theirs.
    pub client_config: Option<Utf8PathBuf>,
}

impl UpOptions {
    /// An engine in `network`, with the command line's defaults: no daemon under a debugger,
    /// a minute for each daemon to answer, no port proxy, and no client configuration to share.
    pub fn new(network: Network) -> UpOptions {
        UpOptions {
            network,
            debuggers: Vec::new(),
            timeout: Duration::from_secs(60),
            port_proxy: None,
            client_config: None,
        }
    }
}

/// What `up` recorded: enough to restart a daemon, or find the engine, later.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct UpRecord {
    pub(crate) bundle: Utf8PathBuf,
    pub(crate) network: Network,
    pub(crate) debuggers: Vec<Debugger>,
}

/// A development engine, addressed by its state folder.
#[derive(Clone, Debug)]
pub struct Engine {
    pub(crate) layout: Layout,
}

impl Engine {
    /// The engine whose state lives in `root` (created by [`Engine::up`]).
    pub fn at(root: Utf8PathBuf) -> Engine {
        Engine {
            layout: Layout { root },
        }
    }

    /// The state folder.
    pub fn root(&self) -> &Utf8Path {
        &self.layout.root
    }

    /// The API socket, as `DOCKER_HOST` takes it.
    pub fn socket(&self) -> String {
        format!("unix://{}", self.layout.socket(Daemon::Dockerd))
    }

    /// A daemon's log.
    pub fn log(&self, daemon: Daemon) -> Utf8PathBuf {
        self.layout.log(daemon)
    }

    /// Whether `up` left a record here: an engine was started, running or not.
    pub fn exists(&self) -> bool {
        self.record().is_some()
    }

    /// How to reach `daemon`'s Delve server, when it runs under one: `dlv connect`, through
    /// the engine's network namespace when it has its own.
    pub fn debugger_command(&self, daemon: Daemon) -> Option<String> {
        let record = self.record()?;
        let debugger = record.debuggers.iter().find(|d| d.daemon == daemon)?;
        Some(network::connect_command(
            self.root(),
            record.network,
            debugger.port,
        ))
    }

    pub(crate) fn record(&self) -> Option<UpRecord> {
        serde_json::from_slice(&std::fs::read(self.layout.record()).ok()?).ok()
    }

    /// What runs now, from the state folder alone.
    pub fn status(&self) -> DevStatus {
        let record = self.record();
        let network = record.as_ref().map_or(Network::Host, |r| r.network);
        let daemons = Daemon::of(network)
            .iter()
            .copied()
            .map(|daemon| {
                let pid = processes(daemon, self.root()).first().copied();
                DaemonStatus {
                    daemon,
                    pid,
                    uptime: pid.and_then(build_core::process::uptime),
                    answering: pid.is_some() && answers(daemon, &self.layout.socket(daemon)),
                    debugger: record
                        .as_ref()
                        .and_then(|r| r.debuggers.iter().find(|d| d.daemon == daemon))
                        .map(|d| d.port),
                    log: self.layout.log(daemon),
                    log_tail: pid
                        .is_none()
                        .then(|| self.layout.log(daemon))
                        .filter(|log| log.exists())
                        .map(|log| tail_of_file(&log, 15)),
                }
            })
            .collect();
        DevStatus {
            root: self.root().to_owned(),
            manifest: record
                .as_ref()
                .and_then(|r| bundle_format::Manifest::read(&r.bundle).ok()),
            socket: self.socket(),
            bundle: record.as_ref().map(|r| r.bundle.clone()),
            network: record.map(|r| r.network),
            daemons,
        }
    }

    /// Starts the engine of `bundle` (its `docker/` folder holds the binaries): containerd,
    /// then dockerd, each returning once it answers on its socket. Already running: says so and
    /// starts nothing.
    pub fn up(
        &self,
        bundle: &Utf8Path,
        options: &UpOptions,
        progress: &dyn Progress,
    ) -> Result<DevStatus, EngineError> {
        let now = self.status();
        if now.running() {
            progress.status("Running", &format!("already, at {}", now.socket));
            // The bundle was rebuilt since: what runs an older binary starts again.
            self.apply(&binaries::of_bundle(bundle)?, options.timeout, progress)?;
            self.share_client_config(options.client_config.as_deref())?;
            return Ok(self.status());
        }
        let longest = self.layout.socket(Daemon::Containerd).as_str().len() + ".ttrpc".len();
        if longest > MAX_SOCKET_PATH {
            return Err(EngineError::StateTooDeep {
                root: self.root().to_owned(),
                length: longest,
            });
        }
        if options.network == Network::Private {
            crate::isolation::check_private_network_tools()?;
        }
        // Whatever a killed `up` or a reboot left behind goes first.
        self.clean(false, progress)?;
        for dir in [
            self.root().to_owned(),
            self.layout.data(),
            self.layout.run(),
        ] {
            create_private_dir(&dir)?;
        }
        self.install_binaries(&binaries::of_bundle(bundle)?)?;
        self.share_client_config(options.client_config.as_deref())?;
        if let (Network::Private, Some(proxy)) = (options.network, &options.port_proxy) {
            binaries::install_program(&self.layout.bin(), port_proxy::PROGRAM, proxy)?;
        }
        let record = UpRecord {
            bundle: bundle.to_owned(),
            network: options.network,
            debuggers: options.debuggers.clone(),
        };
        write_private(
            &self.layout.record(),
            &serde_json::to_vec_pretty(&record).unwrap_or_default(),
        )?;
        write_private(
            &self.layout.containerd_config(),
            self.layout.containerd_toml().as_bytes(),
        )?;
        // Kept across `up`s: it is the developer's to edit.
        if !self.layout.dockerd_config().exists() {
            write_private(&self.layout.dockerd_config(), b"{}\n")?;
        }
        let started = Daemon::of(options.network)
            .iter()
            .try_for_each(|daemon| self.start(&record, *daemon, options.timeout, progress));
        if let Err(e) = started {
            // Half an engine is no engine: stop what did start (its log stays to read).
            let _ = self.clean(false, progress);
            return Err(e);
        }
        Ok(self.status())
    }

    /// Stops `daemon` and starts it again from the engine's `bin/`, in the engine's network;
    /// returns once it answers.
    pub fn restart(
        &self,
        daemon: Daemon,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<Duration, EngineError> {
        let record = self.record().ok_or_else(|| EngineError::NotStarted {
            root: self.root().to_owned(),
        })?;
        let started = Instant::now();
        self.stop(daemon, progress);
        self.start(&record, daemon, timeout, progress)?;
        Ok(started.elapsed())
    }

    /// Runs `start` on a thread of its own inside the engine's network, so that what it starts
    /// lives there while the caller's thread stays in the host's (and can still fetch).
    fn in_network(
        &self,
        network: Network,
        start: impl FnOnce() -> Result<(), EngineError> + Send,
    ) -> Result<(), EngineError> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    network::enter(&self.layout, network)?;
                    start()
                })
                .join()
                .unwrap_or_else(|panic| {
                    Err(EngineError::Check(format!(
                        "starting a daemon panicked: {}",
                        build_core::error::panic_message(panic)
                    )))
                })
        })
    }

    /// Stops the engine (gracefully, then by pid), unmounts what it mounted (its network
    /// namespace included) and removes its runtime state; the data root stays unless `purge`.
    pub fn down(&self, purge: bool, progress: &dyn Progress) -> Result<(), EngineError> {
        self.clean(purge, progress)
    }

    /// Starts `daemon` where it runs: the uplink on the host, reaching into the engine's
    /// namespace (made first), the bundle's daemons in the engine's network.
    fn start(
        &self,
        record: &UpRecord,
        daemon: Daemon,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<(), EngineError> {
        if !daemon.on_host() {
            return self.in_network(record.network, || {
                self.start_here(record, daemon, timeout, progress)
            });
        }
        self.in_network(record.network, || Ok(()))?;
        self.start_here(record, daemon, timeout, progress)?;
        self.in_network(record.network, uplink::prepare_namespace)
    }

    fn start_here(
        &self,
        record: &UpRecord,
        daemon: Daemon,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<(), EngineError> {
        let socket = self.layout.socket(daemon);
        if std::fs::symlink_metadata(&socket).is_ok() {
            std::fs::remove_file(&socket).map_err(EngineError::io("removing", &socket))?;
        }
        let mut command = self.layout.command(daemon, record.network)?;
        let debugger = record.debuggers.iter().find(|d| d.daemon == daemon);
        if let Some(debugger) = debugger {
            command = command.run_by(
                network::find_delve()?.as_str(),
                [
                    "exec".to_owned(),
                    "--headless".to_owned(),
                    format!("--listen=127.0.0.1:{}", debugger.port),
                    "--api-version=2".to_owned(),
                    "--accept-multiclient".to_owned(),
                    "--continue".to_owned(),
                ],
                Some("--"),
            );
        }
        let under = debugger.map_or(String::new(), |d| {
            format!(" under Delve on 127.0.0.1:{}", d.port)
        });
        progress.status("Starting", &format!("{daemon} of {}{under}", record.bundle));
        let log = self.layout.log(daemon);
        // Stopped if it never answers; detached (it outlives us, found again by its command
        // line) once it does.
        let running = command.spawn_daemon(&log)?;
        if daemon != Daemon::Dockerd {
            // dockerd writes its own; the others have none.
            write_private(
                &self.layout.pid_file(daemon),
                running.pid().to_string().as_bytes(),
            )?;
        }
        let exited = || EngineError::DaemonExited {
            daemon: daemon.name(),
            log: log.clone(),
            tail: tail_of_file(&log, LOG_TAIL),
        };
        // A socket that starts to answer is no event to block on: this polls.
        let ready = wait::until(timeout, Duration::from_millis(50), || {
            if !matches!(running.try_wait(), Ok(None)) {
                return Some(Err(exited()));
            }
            answers(daemon, &socket).then_some(Ok(()))
        });
        match ready {
            Ok(answered) => answered?,
            Err(_) => {
                return Err(EngineError::NotReady {
                    daemon: daemon.name(),
                    seconds: timeout.as_secs(),
                    log: log.clone(),
                    tail: tail_of_file(&log, LOG_TAIL),
                });
            }
        }
        running.detach();
        // For root only, whatever group the daemon gave it.
        set_mode(&socket, 0o600)
    }

    /// SIGTERM to the daemon (and its debugger), SIGKILL after 30 s.
    fn stop(&self, daemon: Daemon, progress: &dyn Progress) {
        let pids = processes(daemon, self.root());
        if pids.is_empty() {
            return;
        }
        progress.status("Stopping", &format!("{daemon} (pid {})", pids[0]));
        build_core::process::stop(&pids, Signal::Terminate, Duration::from_secs(30));
    }

    fn clean(&self, purge: bool, progress: &dyn Progress) -> Result<(), EngineError> {
        if !self.root().exists() {
            return Ok(());
        }
        // dockerd first: it stops its containers while containerd still answers; the uplink
        // last, once no proxy forwards through it.
        for daemon in Daemon::ALL.into_iter().rev() {
            self.stop(daemon, progress);
        }
        // Shims, docker-proxy, and anything a killed daemon left.
        procs::kill_naming(self.root());
        unmount_under(self.root())?;
        let l = &self.layout;
        for leftover in [
            l.pid_file(Daemon::Dockerd),
            l.pid_file(Daemon::Containerd),
            l.pid_file(Daemon::Uplink),
            l.socket(Daemon::Dockerd),
            l.netns(),
            l.record(),
        ] {
            if std::fs::symlink_metadata(&leftover).is_ok() {
                std::fs::remove_file(&leftover).map_err(EngineError::io("removing", &leftover))?;
            }
        }
        for runtime in [l.run(), l.bin()] {
            build_core::fs::remove_dir_all_if_exists(&runtime)
                .map_err(EngineError::io("removing", runtime))?;
        }
        if purge {
            build_core::fs::remove_dir_all_if_exists(self.root())
                .map_err(EngineError::io("removing", self.root().to_owned()))?;
        }
        Ok(())
    }
}

fn create_private_dir(dir: &Utf8Path) -> Result<(), EngineError> {
    std::fs::create_dir_all(dir).map_err(EngineError::io("creating", dir))?;
    set_mode(dir, 0o700)
}

fn write_private(path: &Utf8Path, bytes: &[u8]) -> Result<(), EngineError> {
    build_core::fs::write_atomic(path, bytes).map_err(EngineError::io("writing", path))?;
    set_mode(path, 0o600)
}

fn set_mode(path: &Utf8Path, mode: u32) -> Result<(), EngineError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(EngineError::io("setting the mode of", path))
}
