//! Talking to a running engine as a person would: the bundle's own `docker` client (and its
//! other binaries) from the engine's `bin/`, with a client configuration of the engine's own,
//! so `docker login` in a check never touches the caller's `~/.docker`.

use build_core::process::{Captured, LoggedCommand};

use super::{Daemon, Engine};
use crate::EngineError;

impl Engine {
    /// A command running one of the engine's binaries (`docker`, `runc`…) with its `bin/`
    /// first on `PATH` and the engine's own client configuration.
    pub fn command(&self, program: &str) -> LoggedCommand {
        let bin = self.layout.bin();
        // A CLI plugin is where the engine's docker finds it.
        let plugin = self.layout.plugins().join(program);
        let path = match plugin.is_file() {
            true => plugin,
            false => bin.join(program),
        };
        LoggedCommand::new(path.as_str())
            .env("PATH", format!("{bin}:/usr/sbin:/usr/bin:/sbin:/bin"))
            .env("HOME", self.root().as_str())
            .env("DOCKER_CONFIG", self.layout.client().as_str())
            .env("DOCKER_HOST", self.socket())
    }

    /// `docker ARGS` against this engine, whatever its exit code.
    pub fn docker(&self, args: &[&str]) -> Result<Captured, EngineError> {
        Ok(self.command("docker").args(args.iter().copied()).output()?)
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

    /// dockerd runs.
    pub fn daemon_running(&self) -> bool {
        !super::daemon::processes(Daemon::Dockerd, self.root()).is_empty()
    }
}
