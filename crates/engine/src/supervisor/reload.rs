//! After an edit: which daemons run what changed, restarting just those, and `up --watch`'s
//! loop of edit → rebuild → restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use build_core::progress::Progress;

use super::{Daemon, Engine};
use crate::{EngineError, TreeWatcher};

impl Engine {
    /// Puts `binaries` (`(name, path)`, from a bundle or the artifact cache) into the engine's
    /// `bin/` and restarts only the daemons that run one that changed, as each component's
    /// spec says (`restarts`): dockerd for dockerd and docker-proxy, containerd for
    /// containerd and the shim, nothing for what is exec'd per use (runc, docker-init, the
    /// clients).
    pub fn apply(
        &self,
        binaries: &[super::Binary],
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<Reload, EngineError> {
        let changed = self.install_binaries(binaries)?;
        let mut restarted = Vec::new();
        for daemon in daemons_running(&changed) {
            restarted.push((daemon, self.restart(daemon, timeout, progress)?));
        }
        Ok(Reload { changed, restarted })
    }
}

impl Engine {
    /// Puts the engine's binaries into its `bin/`, and the CLI plugins where the engine's
    /// `docker` finds them (`DOCKER_CONFIG/cli-plugins`), and links the shell client's to them
    /// (see `shell`); returns the names that changed.
    pub(crate) fn install_binaries(
        &self,
        binaries: &[super::Binary],
    ) -> Result<Vec<String>, EngineError> {
        let is_plugin = |b: &&super::Binary| {
            bundle_format::building(&b.name).map(|c| c.archive)
                == Some(bundle_format::Archive::Plugin)
        };
        let (plugins, engine): (Vec<&super::Binary>, Vec<&super::Binary>) =
            binaries.iter().partition(is_plugin);
        let owned = |list: Vec<&super::Binary>| list.into_iter().cloned().collect::<Vec<_>>();
        let mut changed = super::binaries::install(&self.layout.bin(), &owned(engine))?;
        changed.extend(super::binaries::install(
            &self.layout.plugins(),
            &owned(plugins),
        )?);
        self.link_shell_binaries()?;
        Ok(changed)
    }
}

/// `up --watch`: until `stop` is set, waits for a change in a watched tree, has `build` build
/// the bundle's binaries (it reports its own failure and returns `None`: the engine then runs
/// on as it was), applies them (restarting only what runs a changed one), then has `publish`
/// publish the bundle, off the path from the edit to the running engine. Each round ends in a
/// status line with its time from the change.
pub fn develop(
    engine: &Engine,
    watcher: &TreeWatcher,
    build: &mut dyn FnMut() -> Option<Vec<super::Binary>>,
    publish: &mut dyn FnMut(),
    stop: &AtomicBool,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), EngineError> {
    while !stop.load(Ordering::SeqCst) {
        let Some(changed) = watcher.next_change(Duration::from_millis(250))? else {
            continue;
        };
        let started = Instant::now();
        let names: Vec<String> = changed.iter().map(ToString::to_string).collect();
        progress.status("Changed", &names.join(", "));
        let Some(binaries) = build() else {
            progress.status(
                "Kept",
                "the running engine, as it was: fix the build and save again",
            );
            continue;
        };
        match engine.apply(&binaries, timeout, progress) {
            Ok(reload) => progress.status(
                "Reloaded",
                &format!(
                    "{reload}; {:.1}s from the change",
                    started.elapsed().as_secs_f64()
                ),
            ),
            // The developer's dockerd may not start: say why, and watch on for the fix.
            Err(e) => progress.status("Failed", &build_core::error::with_causes(&e)),
        }
        publish();
    }
    Ok(())
}

/// What [`Engine::apply`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reload {
    /// The binaries whose checksum changed.
    pub changed: Vec<String>,
    /// The daemons restarted, and how long each took to answer again.
    pub restarted: Vec<(Daemon, Duration)>,
}

impl std::fmt::Display for Reload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.changed.as_slice() {
            [] => f.write_str("no binary changed")?,
            changed => write!(f, "{} changed", changed.join(", "))?,
        }
        if self.restarted.is_empty() {
            return f.write_str("; nothing to restart");
        }
        let restarted: Vec<String> = self
            .restarted
            .iter()
            .map(|(d, took)| format!("{d} answering after {:.1}s", took.as_secs_f64()))
            .collect();
        write!(f, "; restarted {}", restarted.join(", "))
    }
}

/// The daemons that run any of `binaries`, in start order.
fn daemons_running(binaries: &[String]) -> Vec<Daemon> {
    let mut daemons: Vec<Daemon> = binaries
        .iter()
        .filter_map(|binary| {
            let component = bundle_format::building(binary)?;
            let (_, daemon) = component.restarts.iter().find(|(b, _)| b == binary)?;
            Some(*daemon)
        })
        .filter_map(Daemon::named)
        .collect();
    daemons.sort();
    daemons.dedup();
    daemons
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `restarts` entries of `components` that name a binary the component does not build or a
    /// daemon the engine does not run: they would be dropped, and nothing restarted.
    fn unknown_restarts(components: &[&bundle_format::ComponentSpec]) -> Vec<String> {
        components
            .iter()
            .flat_map(|c| c.restarts.iter().map(move |r| (c, r)))
            .filter(|(c, (binary, daemon))| {
                !c.every_binary().any(|b| b == *binary) || Daemon::named(daemon).is_none()
            })
            .map(|(c, (binary, daemon))| format!("{}: ({binary}, {daemon})", c.name))
            .collect()
    }

    #[test]
    fn every_restart_a_descriptor_declares_names_its_binary_and_a_daemon_of_the_engine() {
        assert_eq!(
            unknown_restarts(&bundle_format::COMPONENTS),
            Vec::<String>::new()
        );
        const DOCKERD: &[bundle_format::BinarySpec] = &[bundle_format::BinarySpec::new("dockerd")];
        let misspelled =
            bundle_format::ComponentSpec::new("moby", DOCKERD, bundle_format::Archive::Static)
                .with_restarts(&[("dockerd", "dockrd"), ("docker-prox", "dockerd")]);
        assert_eq!(
            unknown_restarts(&[&misspelled]),
            ["moby: (dockerd, dockrd)", "moby: (docker-prox, dockerd)"]
        );
    }

    fn restarted_for(binaries: &[&str]) -> Vec<Daemon> {
        daemons_running(&binaries.iter().map(|b| (*b).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn only_daemons_running_a_changed_binary_restart() {
        assert_eq!(restarted_for(&[]), []);
        assert_eq!(restarted_for(&["runc"]), [], "runc is exec'd per container");
        assert_eq!(restarted_for(&["docker", "docker-init", "ctr"]), []);
        assert_eq!(restarted_for(&["docker-proxy"]), [Daemon::Dockerd]);
        assert_eq!(
            restarted_for(&["containerd-shim-runc-v2"]),
            [Daemon::Containerd]
        );
        assert_eq!(
            restarted_for(&["dockerd", "containerd", "docker-proxy"]),
            [Daemon::Containerd, Daemon::Dockerd]
        );
    }
}
