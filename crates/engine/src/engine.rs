//! A bundle's engine running from a state folder of its own: dockerd (which starts the bundle's
//! containerd), with its own data root, exec root, socket, pid file and config, and `PATH`
//! limited to the bundle. Nothing is shared with an engine already on the machine.

use std::time::{Duration, Instant};

use build_core::process::{Captured, LoggedCommand, tail_of_file};
use camino::{Utf8Path, Utf8PathBuf};

use crate::EngineError;
use crate::mounts::{kill_processes_mentioning, unmount_under};

/// How many log lines a failure shows.
const LOG_TAIL: usize = 20;

/// The bundle's engine. Stopped (processes, mounts, state folder) by [`Engine::stop`] or on drop.
#[derive(Debug)]
pub struct Engine {
    bin: Utf8PathBuf,
    tmp: Option<tempfile::TempDir>,
    root: Utf8PathBuf,
    daemon: Option<duct::Handle>,
}

impl Engine {
    /// An engine for the bundle folder `bundle`, with its state in a new temporary folder.
    pub fn temporary(bundle: &Utf8Path) -> Result<Engine, EngineError> {
        // Short: the daemon's unix sockets live under it, and socket paths are limited to 108 bytes.
        let tmp = tempfile::Builder::new()
            .prefix("dys-")
            .tempdir_in("/tmp")
            .map_err(EngineError::io("creating a state folder in", "/tmp"))?;
        let root = build_core::fs::utf8(tmp.path().to_owned())
            .map_err(EngineError::io("creating a state folder in", "/tmp"))?;
        let config = root.join("daemon.json");
        std::fs::write(&config, "{}\n").map_err(EngineError::io("writing", &config))?;
        Ok(Engine {
            bin: bundle.join("docker"),
            tmp: Some(tmp),
            root,
            daemon: None,
        })
    }

    /// The state folder.
    pub fn root(&self) -> &Utf8Path {
        &self.root
    }

    /// The API socket, as `DOCKER_HOST` takes it.
    pub fn socket(&self) -> String {
        format!("unix://{}/docker.sock", self.root)
    }

    /// dockerd's log.
    pub fn log(&self) -> Utf8PathBuf {
        self.root.join("dockerd.log")
    }

    /// A command running one of the bundle's binaries with only the bundle on `PATH`.
    pub fn command(&self, program: &str) -> LoggedCommand {
        LoggedCommand::new(self.bin.join(program).as_str())
            .env("PATH", self.bin.as_str())
            .env("HOME", self.root.as_str())
            .env("DOCKER_CONFIG", self.root.join("client").as_str())
    }

    /// `docker ARGS` against this engine, whatever its exit code.
    pub fn docker(&self, args: &[&str]) -> Result<Captured, EngineError> {
        Ok(self
            .command("docker")
            .arg("-H")
            .arg(self.socket())
            .args(args.iter().copied())
            .output()?)
    }

    /// `docker ARGS`, which must succeed; returns its stdout.
    pub fn docker_ok(&self, args: &[&str]) -> Result<String, EngineError> {
        let out = self.docker(args)?;
        if !out.status.success() {
            return Err(EngineError::Check(format!(
                "docker {} exited with {:?}: {}",
                args.join(" "),
                out.code,
                out.stderr.trim()
            )));
        }
        Ok(out.stdout)
    }

    /// Whether dockerd is still running.
    pub fn daemon_running(&self) -> bool {
        self.daemon
            .as_ref()
            .is_some_and(|h| h.try_wait().ok().flatten().is_none())
    }

    /// Starts dockerd and waits until `docker version` answers through its socket.
    pub fn start(&mut self, timeout: Duration) -> Result<(), EngineError> {
        let r = &self.root;
        let dockerd = self
            .command("dockerd")
            .arg(format!("--host={}", self.socket()))
            .arg(format!("--data-root={r}/data"))
            .arg(format!("--exec-root={r}/exec"))
            .arg(format!("--pidfile={r}/dockerd.pid"))
            .arg(format!("--config-file={r}/daemon.json"))
            .arg(format!(
                "--userland-proxy-path={}",
                self.bin.join("docker-proxy")
            ))
            // In a private network namespace; leave the host's firewall and sysctls alone.
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--ip-forward=false",
                "--ip-masq=false",
            ]);
        self.daemon = Some(dockerd.spawn_logged(&self.log())?);
        let deadline = Instant::now() + timeout;
        loop {
            if !self.daemon_running() {
                return Err(EngineError::DaemonExited {
                    daemon: "dockerd",
                    log: self.log(),
                    tail: tail_of_file(&self.log(), LOG_TAIL),
                });
            }
            if self
                .docker(&["version", "--format", "{{.Server.Version}}"])
                .is_ok_and(|o| o.status.success())
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(EngineError::NotReady {
                    daemon: "dockerd",
                    seconds: timeout.as_secs(),
                    log: self.log(),
                    tail: tail_of_file(&self.log(), LOG_TAIL),
                });
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Stops what was started (by pid, gracefully first), kills leftovers naming the state
    /// folder (shims, containerd), unmounts what is mounted under it and removes it.
    pub fn stop(&mut self) -> Result<(), EngineError> {
        if let Some(daemon) = self.daemon.take() {
            for pid in daemon.pids() {
                // SAFETY: signalling a child we started.
                unsafe { libc::kill(pid as i32, libc::SIGTERM) };
            }
            let deadline = Instant::now() + Duration::from_secs(30);
            while daemon.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        kill_processes_mentioning(&self.root);
        unmount_under(&self.root)?;
        if let Some(tmp) = self.tmp.take() {
            tmp.close()
                .map_err(EngineError::io("removing", self.root.clone()))?;
        }
        Ok(())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if self.tmp.is_some() {
            let _ = self.stop();
        }
    }
}
