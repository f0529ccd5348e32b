//! What a development engine's state folder says runs.

use std::time::Duration;

use camino::{Utf8Path, Utf8PathBuf};
use sha2::{Digest, Sha256};

use bundle_format::Manifest;
use bundle_format::manifest::SourceKind;

use super::{Daemon, Engine, Network, network};
use crate::EngineError;

/// One daemon's state.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DaemonStatus {
    /// Which.
    pub daemon: Daemon,
    /// Its pid, while it runs.
    pub pid: Option<u32>,
    /// How long it has run.
    pub uptime: Option<Duration>,
    /// It answers on its socket.
    pub answering: bool,
    /// The debugger server's port, when it runs under one.
    pub debugger: Option<u16>,
    /// Its log.
    pub log: Utf8PathBuf,
    /// The log's last lines, when it does not run.
    pub log_tail: Option<String>,
}

/// The engine as found in its state folder; `Display` shows it as `status` does.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct DevStatus {
    /// The state folder.
    pub root: Utf8PathBuf,
    /// `unix://…/docker.sock`, as `DOCKER_HOST` takes it.
    pub socket: String,
    /// The bundle it runs, if `up` recorded one.
    pub bundle: Option<Utf8PathBuf>,
    /// The network `up` chose.
    pub network: Option<Network>,
    /// containerd, then dockerd.
    pub daemons: Vec<DaemonStatus>,
    /// The bundle's manifest: what each component was built from.
    pub manifest: Option<Manifest>,
}

impl DevStatus {
    /// Every daemon runs and answers.
    pub fn running(&self) -> bool {
        self.daemons.iter().all(|d| d.pid.is_some() && d.answering)
    }

    /// One daemon's state.
    pub fn daemon(&self, daemon: Daemon) -> Option<&DaemonStatus> {
        self.daemons.iter().find(|d| d.daemon == daemon)
    }
}

impl std::fmt::Display for DevStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.running() {
            "running"
        } else {
            "not running"
        };
        writeln!(f, "engine      {state} ({})", self.root)?;
        writeln!(f, "socket      {}", self.socket)?;
        match self.network {
            Some(Network::Private) => {
                writeln!(f, "network     private (nsenter --net={}/netns)", self.root)?
            }
            Some(Network::Host) => writeln!(f, "network     the host's")?,
            None => {}
        }
        for d in &self.daemons {
            let answering = if d.pid.is_some() && !d.answering {
                ", not answering"
            } else {
                ""
            };
            match (d.pid, d.uptime) {
                (Some(pid), Some(up)) => writeln!(
                    f,
                    "{:<11} pid {pid}, up {}{answering}",
                    d.daemon.name(),
                    duration(up)
                )?,
                (Some(pid), None) => writeln!(f, "{:<11} pid {pid}{answering}", d.daemon.name())?,
                (None, _) => writeln!(f, "{:<11} not running", d.daemon.name())?,
            }
            if let (Some(port), Some(net)) = (d.debugger, self.network) {
                writeln!(
                    f,
                    "{:<11} {}",
                    "",
                    network::connect_command(&self.root, net, port)
                )?;
            }
        }
        if let (Some(bundle), Some(manifest)) = (&self.bundle, &self.manifest) {
            let debug = if manifest.debug { ", debug build" } else { "" };
            writeln!(f, "bundle      {bundle}{debug}")?;
            for c in &manifest.components {
                let source = match (c.source, c.dirty) {
                    (SourceKind::WorkingTree, true) => "working tree, dirty",
                    (SourceKind::WorkingTree, false) => "working tree",
                    (SourceKind::Fork, _) => "fork",
                    (SourceKind::Pin, _) => "pin",
                };
                let commit = &c.commit[..12.min(c.commit.len())];
                writeln!(f, "  {:<10} {:<8} {commit} ({source})", c.name, c.version)?;
            }
        }
        for d in &self.daemons {
            if let Some(tail) = &d.log_tail {
                writeln!(f, "the last lines of {}:\n{}", d.log, tail.trim_end())?;
            }
        }
        Ok(())
    }
}

fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

impl Engine {
    /// Copies `daemon`'s log to `out`; with `follow`, goes on copying what is appended (from
    /// the start again when the log was started afresh) until writing fails.
    pub fn copy_log(
        &self,
        daemon: Daemon,
        out: &mut dyn std::io::Write,
        follow: bool,
    ) -> Result<(), EngineError> {
        use std::io::Seek;
        let path = self.log(daemon);
        let mut file = std::fs::File::open(&path).map_err(EngineError::io("reading", &path))?;
        let copying = |e| EngineError::io("copying", &path)(e);
        loop {
            std::io::copy(&mut file, out).map_err(copying)?;
            out.flush().map_err(copying)?;
            if !follow {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(250));
            let read = file.stream_position().map_err(copying)?;
            if std::fs::metadata(&path).map_or(0, |m| m.len()) < read {
                file.rewind().map_err(copying)?;
            }
        }
    }

    /// The engine of a bundle folder, in `engines`: `engines/docker-VERSION-HASH`, the hash
    /// of the folder's path, so that bundles under two output folders get two engines.
    pub fn for_bundle(engines: &Utf8Path, bundle: &Utf8Path) -> Engine {
        let id = build_core::digest::hex(&Sha256::digest(bundle.as_str()));
        let name = bundle.file_name().unwrap_or("bundle");
        Engine::at(engines.join(format!("{name}-{}", &id[..8])))
    }

    /// The engine `up` started under `engines`; when it started several, the one running.
    pub fn find(engines: &Utf8Path) -> Result<Engine, EngineError> {
        let started: Vec<Engine> = std::fs::read_dir(engines)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| Utf8PathBuf::from_path_buf(entry.path()).ok())
            .map(Engine::at)
            .filter(Engine::exists)
            .collect();
        let running: Vec<&Engine> = started.iter().filter(|e| e.status().running()).collect();
        match (started.as_slice(), running.as_slice()) {
            ([], _) => Err(EngineError::NoEngine {
                engines: engines.to_owned(),
            }),
            ([only], _) => Ok(only.clone()),
            (_, [only]) => Ok((*only).clone()),
            _ => Err(EngineError::SeveralEngines {
                roots: started.iter().map(|e| e.root().to_owned()).collect(),
            }),
        }
    }
}
