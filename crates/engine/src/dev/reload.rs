//! After an edit: which daemons run what changed, restarting just those, and `up --watch`'s
//! loop of edit → rebuild → restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use build_core::progress::Progress;
use bundle::Manifest;

use super::{Daemon, DevEngine};
use crate::{EngineError, TreeWatcher};

impl DevEngine {
    /// After the bundle was republished (`before` → `after`), restarts only the daemons that
    /// run a binary that changed, as each component's descriptor says (`restarts`): dockerd for
    /// dockerd and docker-proxy, containerd for containerd and the shim, nothing for what is
    /// exec'd per use (runc, docker-init, the clients).
    pub fn reload(
        &self,
        before: &Manifest,
        after: &Manifest,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<Reload, EngineError> {
        let changed = changed_binaries(before, after);
        let mut restarted = Vec::new();
        for daemon in daemons_running(&changed) {
            restarted.push((daemon, self.restart(daemon, timeout, progress)?));
        }
        Ok(Reload { changed, restarted })
    }
}

/// `up --watch`: until `stop` is set, waits for a change in a watched tree, has `rebuild`
/// republish the bundle (it reports its own failure and returns false: the engine then runs
/// on as it was), and restarts only the daemons running a binary that changed. Each round
/// ends in one status line with its time from the change.
pub fn develop(
    engine: &DevEngine,
    watcher: &TreeWatcher,
    rebuild: &mut dyn FnMut() -> bool,
    stop: &AtomicBool,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), EngineError> {
    let bundle = engine
        .record()
        .ok_or_else(|| EngineError::NotStarted {
            root: engine.root().to_owned(),
        })?
        .bundle;
    while !stop.load(Ordering::SeqCst) {
        let Some(changed) = watcher.next_change(Duration::from_millis(250))? else {
            continue;
        };
        let started = Instant::now();
        let names: Vec<String> = changed.iter().map(ToString::to_string).collect();
        progress.status("Changed", &names.join(", "));
        let before = Manifest::read(&bundle)?;
        if !rebuild() {
            progress.status(
                "Kept",
                "the running engine, as it was: fix the build and save again",
            );
            continue;
        }
        let after = Manifest::read(&bundle)?;
        match engine.reload(&before, &after, timeout, progress) {
            Ok(reload) => progress.status(
                "Reloaded",
                &format!(
                    "{}; {:.1}s from the change",
                    reload,
                    started.elapsed().as_secs_f64()
                ),
            ),
            // The developer's dockerd may not start: say why, and watch on for the fix.
            Err(e) => progress.status("Failed", &e.to_string()),
        }
    }
    Ok(())
}

/// What [`DevEngine::reload`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
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
        .filter_map(|binary| bundle::building(binary)?.restarts)
        .filter_map(Daemon::named)
        .collect();
    daemons.sort();
    daemons.dedup();
    daemons
}

/// The bundle's binaries whose checksum differs between the two manifests.
fn changed_binaries(before: &Manifest, after: &Manifest) -> Vec<String> {
    after
        .files
        .iter()
        .filter(|file| {
            !before
                .files
                .iter()
                .any(|old| old.path == file.path && old.sha256 == file.sha256)
        })
        .filter_map(|file| file.path.strip_prefix("docker/"))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bundle::manifest::ManifestFile;

    fn manifest(files: &[(&str, &str)]) -> Manifest {
        Manifest {
            format: bundle::manifest::FORMAT,
            version: "29.7.2".into(),
            linkage: build_core::Linkage::Static,
            target: build_core::Target::host(),
            source_date_epoch: 0,
            debug: false,
            bundle_key: String::new(),
            components: Vec::new(),
            files: files
                .iter()
                .map(|(path, sha)| ManifestFile {
                    path: (*path).into(),
                    sha256: (*sha).into(),
                    size: 1,
                    link: None,
                })
                .collect(),
        }
    }

    fn daemons_to_restart(before: &Manifest, after: &Manifest) -> Vec<Daemon> {
        daemons_running(&changed_binaries(before, after))
    }

    #[test]
    fn only_daemons_running_a_changed_binary_restart() {
        let before = manifest(&[
            ("docker/containerd", "a"),
            ("docker/containerd-shim-runc-v2", "b"),
            ("docker/dockerd", "c"),
            ("docker/docker-proxy", "d"),
            ("docker/runc", "e"),
            ("docker/docker", "f"),
            ("docker-29.7.2.tgz", "g"),
        ]);
        let with = |changes: &[(&str, &str)]| {
            let mut after = before.clone();
            for (path, sha) in changes {
                let file = after.files.iter_mut().find(|f| f.path == *path).unwrap();
                file.sha256 = (*sha).into();
            }
            after
        };
        let tgz = ("docker-29.7.2.tgz", "new");
        assert_eq!(daemons_to_restart(&before, &before), []);
        assert_eq!(
            daemons_to_restart(&before, &with(&[("docker/runc", "x"), tgz])),
            [],
            "runc is exec'd per container"
        );
        assert_eq!(
            daemons_to_restart(&before, &with(&[("docker/docker", "x"), tgz])),
            []
        );
        assert_eq!(
            daemons_to_restart(&before, &with(&[("docker/docker-proxy", "x"), tgz])),
            [Daemon::Dockerd]
        );
        assert_eq!(
            daemons_to_restart(
                &before,
                &with(&[("docker/containerd-shim-runc-v2", "x"), tgz])
            ),
            [Daemon::Containerd]
        );
        assert_eq!(
            daemons_to_restart(
                &before,
                &with(&[("docker/dockerd", "x"), ("docker/containerd", "y"), tgz])
            ),
            [Daemon::Containerd, Daemon::Dockerd]
        );
    }
}
