//! A real registry on the host's loopback for checks and tests: Debian's `docker-registry`
//! (the CNCF distribution server), in a temporary folder of its own, optionally behind
//! htpasswd authentication. Stopped, and its folder removed, when dropped.

use std::io::{Read, Write};
use std::time::Duration;

use build_core::process::{LoggedCommand, Running, Signal, tail_of_file};
use build_core::wait;
use camino::{Utf8Path, Utf8PathBuf};

use crate::EngineError;

/// A user the registry accepts.
#[derive(Clone)]
pub struct RegistryAuth {
    /// The user name.
    pub user: String,
    /// The password (never printed: `Debug` hides it).
    pub password: String,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RegistryAuth {{ user: {:?}, password: <hidden> }}",
            self.user
        )
    }
}

/// The certificate and key a registry serves HTTPS with (PEM files).
#[derive(Clone, Debug)]
pub struct RegistryTls {
    /// The server's certificate (its chain, leaf first).
    pub certificate: Utf8PathBuf,
    /// Its private key.
    pub key: Utf8PathBuf,
}

/// A running registry on `127.0.0.1`.
#[derive(Debug)]
pub struct Registry {
    folder: tempfile::TempDir,
    process: Option<Running>,
    port: u16,
    tls: bool,
}

impl Registry {
    /// Starts a registry on a free port of `127.0.0.1` and waits until it answers `/v2/`.
    pub fn start(auth: Option<&RegistryAuth>) -> Result<Registry, EngineError> {
        Registry::start_with(auth, None)
    }

    /// Starts a registry that serves HTTPS with `tls`, optionally behind htpasswd.
    pub fn start_with(
        auth: Option<&RegistryAuth>,
        tls: Option<&RegistryTls>,
    ) -> Result<Registry, EngineError> {
        let folder = tempfile::Builder::new()
            .prefix("dockyard-registry-")
            .tempdir()
            .map_err(EngineError::io("creating a folder in", "/tmp"))?;
        let dir = build_core::fs::utf8(folder.path().to_owned())
            .map_err(EngineError::io("creating a folder in", "/tmp"))?;
        let port = free_port()?;
        let mut config = format!(
            "version: 0.1\n\
             log:\n  level: info\n\
             storage:\n  filesystem:\n    rootdirectory: {dir}/data\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n  secret: dockyard-{port}\n"
        );
        if let Some(tls) = tls {
            config.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                tls.certificate, tls.key
            ));
        }
        if let Some(auth) = auth {
            let hash = bcrypt::hash(&auth.password, 5)
                .map_err(|e| EngineError::Check(format!("cannot hash a password: {e}")))?;
            let htpasswd = dir.join("htpasswd");
            std::fs::write(&htpasswd, format!("{}:{hash}\n", auth.user))
                .map_err(EngineError::io("writing", &htpasswd))?;
            config.push_str(&format!(
                "auth:\n  htpasswd:\n    realm: dockyard\n    path: {htpasswd}\n"
            ));
        }
        let config_file = dir.join("config.yml");
        std::fs::write(&config_file, config).map_err(EngineError::io("writing", &config_file))?;
        let mut registry = Registry {
            folder,
            process: None,
            port,
            tls: tls.is_some(),
        };
        registry.resume()?;
        Ok(registry)
    }

    /// Stops the server at once (SIGKILL), as a crash or a pulled cable would; what it
    /// stored stays for [`Registry::resume`].
    pub fn stop(&mut self) {
        if let Some(process) = self.process.take() {
            let _ = process.stop(Signal::Kill, Duration::ZERO);
        }
    }

    /// Starts the server again on the same port and storage (after [`Registry::stop`]).
    pub fn resume(&mut self) -> Result<(), EngineError> {
        if self.process.is_some() {
            return Ok(());
        }
        let program = which::which("docker-registry").map_err(|_| EngineError::MissingProgram {
            program: "docker-registry",
            fix: "apt-get install docker-registry (Debian's CNCF distribution server)",
        })?;
        let config_file = self.dir().join("config.yml");
        let log = self.dir().join("registry.log");
        let process = LoggedCommand::new(program.to_string_lossy())
            .args(["serve", config_file.as_str()])
            .spawn_logged(&log)?;
        self.process = Some(process);
        self.wait_until_it_answers(&log, Duration::from_secs(15))
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its port on the host's loopback.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its log (requests, pushes).
    pub fn log(&self) -> Utf8PathBuf {
        self.dir().join("registry.log")
    }

    /// Where it keeps what is pushed.
    pub fn storage(&self) -> Utf8PathBuf {
        self.dir().join("data")
    }

    fn dir(&self) -> &Utf8Path {
        Utf8Path::from_path(self.folder.path()).unwrap_or(Utf8Path::new("/tmp"))
    }

    fn wait_until_it_answers(&self, log: &Utf8Path, timeout: Duration) -> Result<(), EngineError> {
        // A server that starts to answer is no event to block on: this polls.
        let answered = wait::until(timeout, Duration::from_millis(100), || {
            // 200 without authentication, 401 with it, 400 to plain HTTP when it serves HTTPS:
            // either way, it serves the API.
            if let Some(status) = v2_status(self.port)
                && (status == 200 || status == 401 || (self.tls && status == 400))
            {
                return Some(true);
            }
            let exited = self
                .process
                .as_ref()
                .is_none_or(|p| p.try_wait().ok().flatten().is_some());
            exited.then_some(false)
        });
        match answered {
            Ok(true) => Ok(()),
            _ => Err(EngineError::DaemonExited {
                daemon: "docker-registry",
                log: log.to_owned(),
                tail: tail_of_file(log, 20),
            }),
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A port of `127.0.0.1` free now.
fn free_port() -> Result<u16, EngineError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(EngineError::io("finding a free port on", "127.0.0.1"))
}

/// The HTTP status of `GET /v2/` on `127.0.0.1:port`.
fn v2_status(port: u16) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.split_whitespace().nth(1)?.parse().ok()
}
