//! Watching developers' working trees: which upstreams' trees changed, debounced, ignoring what is
//! not source (`.git`, editors' swap and backup files).

use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use build_core::Upstream;
use camino::{Utf8Path, Utf8PathBuf};
use notify::event::EventKind;
use notify::{RecommendedWatcher, RecursiveMode, Watcher};

use crate::EngineError;

/// Watches each upstream's working tree; [`TreeWatcher::next_change`] says which changed.
pub struct TreeWatcher {
    trees: Vec<(Upstream, Utf8PathBuf)>,
    debounce: Duration,
    events: Receiver<notify::Result<notify::Event>>,
    // Watching stops when it is dropped.
    _watcher: RecommendedWatcher,
}

impl std::fmt::Debug for TreeWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeWatcher")
            .field("trees", &self.trees)
            .finish_non_exhaustive()
    }
}

impl TreeWatcher {
    /// Starts watching every tree (recursively). Writes that follow each other within
    /// `debounce` (a save, a `git checkout`) are one change.
    pub fn new(
        trees: Vec<(Upstream, Utf8PathBuf)>,
        debounce: Duration,
    ) -> Result<TreeWatcher, EngineError> {
        let failed = |path: &Utf8Path| {
            let path = path.to_owned();
            move |e: notify::Error| EngineError::Watch {
                path,
                message: e.to_string(),
            }
        };
        let (tx, events) = channel();
        let first = trees.first().map(|(_, p)| p.clone()).unwrap_or_default();
        let mut watcher = notify::recommended_watcher(tx).map_err(failed(&first))?;
        for (_, tree) in &trees {
            watcher
                .watch(tree.as_std_path(), RecursiveMode::Recursive)
                .map_err(failed(tree))?;
        }
        Ok(TreeWatcher {
            trees,
            debounce,
            events,
            _watcher: watcher,
        })
    }

    /// The upstreams whose trees changed, waiting at most `timeout` for a first change (`None`
    /// when nothing changed in that time), then until the trees are quiet for the debounce
    /// time. Reads (a build opening every file) and ignored files are no change.
    pub fn next_change(&self, timeout: Duration) -> Result<Option<Vec<Upstream>>, EngineError> {
        let mut changed: Vec<Upstream> = Vec::new();
        let mut wait = timeout;
        loop {
            let started = Instant::now();
            let event = match self.events.recv_timeout(wait) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(EngineError::Watch {
                        path: Utf8PathBuf::new(),
                        message: "the file watcher stopped".into(),
                    });
                }
            };
            let event = event.map_err(|e| EngineError::Watch {
                path: e
                    .paths
                    .first()
                    .and_then(|p| Utf8PathBuf::from_path_buf(p.clone()).ok())
                    .unwrap_or_default(),
                message: e.to_string(),
            })?;
            let mut relevant = false;
            if !matches!(event.kind, EventKind::Access(_)) {
                for upstream in event.paths.iter().filter_map(|p| self.owner(p)) {
                    relevant = true;
                    if !changed.contains(&upstream) {
                        changed.push(upstream);
                    }
                }
            }
            wait = if relevant {
                // A change: now wait until the trees are quiet.
                self.debounce
            } else {
                wait.saturating_sub(started.elapsed())
            };
        }
        Ok((!changed.is_empty()).then_some(changed))
    }

    /// The upstream whose tree holds `path`, if the path is source.
    fn owner(&self, path: &std::path::Path) -> Option<Upstream> {
        let path = Utf8Path::from_path(path)?;
        self.trees.iter().find_map(|(upstream, tree)| {
            let relative = path.strip_prefix(tree).ok()?;
            is_source(relative).then_some(*upstream)
        })
    }
}

/// Whether a change to `relative` (inside a tree) can change a build: not git's own files,
/// and not an editor's swap, backup or lock file.
pub fn is_source(relative: &Utf8Path) -> bool {
    if relative.components().any(|c| c.as_str() == ".git") {
        return false;
    }
    let Some(name) = relative.file_name() else {
        return true;
    };
    let editor_file = name.ends_with('~')
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swo", ".swx", ".tmp", ".kate-swp"]
            .iter()
            .any(|ext| name.ends_with(ext))
        // vim probes whether it may write a directory with this name.
        || name == "4913";
    !editor_file
}

#[cfg(test)]
mod tests {
    use super::is_source;
    use camino::Utf8Path;

    #[test]
    fn git_internals_and_editor_files_are_not_source() {
        for ignored in [
            ".git/index",
            ".git/objects/ab/cdef",
            "daemon/.daemon.go.swp",
            "daemon/daemon.go~",
            "daemon/.#daemon.go",
            "daemon/#daemon.go#",
            "daemon/4913",
            "main.go.tmp",
        ] {
            assert!(!is_source(Utf8Path::new(ignored)), "{ignored}");
        }
        for source in [
            "daemon/daemon.go",
            "go.mod",
            "vendor/modules.txt",
            "VERSION",
            ".gitignore",
        ] {
            assert!(is_source(Utf8Path::new(source)), "{source}");
        }
    }
}
