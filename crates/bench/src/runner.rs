//! The bench's runner: dockyard's own command line and upstream's entry points run as
//! processes with the bench's caches, scratch trees and logs, and a running command watched
//! through its log.

use std::time::{Duration, Instant};

use build_core::Upstream;
use build_core::component::Stamps;
use build_core::process::{LoggedCommand, Running, tail_of_file};
use build_core::progress::Progress;
use build_core::source::{READY_MARKER, Source, commit_as_working_tree};
use build_core::wait;
use camino::{Utf8Path, Utf8PathBuf};

use crate::entry::EntryPoint;

/// A bench failure: what failed, with its log.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BenchError(pub String);

impl BenchError {
    /// Any failure, as its message and its causes.
    pub fn from(e: impl std::error::Error + 'static) -> BenchError {
        BenchError(build_core::error::with_causes(&e))
    }
}

/// What the bench's steps return.
pub(crate) type Result<T> = std::result::Result<T, BenchError>;

/// One `bundle` as the bench runs it: which "machine" (caches and output) and what it adds.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct BundleRun<'a> {
    /// dockyard's cache; the bench's own when `None`.
    pub cache: Option<&'a Utf8Path>,
    /// The output folder; the bench's own when `None`.
    pub out: Option<&'a Utf8Path>,
    /// A working tree replacing an upstream's pin.
    pub source: Option<(Upstream, &'a Utf8Path)>,
    /// The team's component cache, pulled from.
    pub cache_from: Option<&'a str>,
    /// The team's component cache, pushed to.
    pub cache_to: Option<&'a str>,
    /// Go's shared build cache.
    pub go_cache: Option<&'a str>,
    /// Only this component, into the cache (no bundle published).
    pub only: Option<&'a str>,
    /// The platforms (`linux/arm64`), each bundle in `out/ARCH/`; the host's alone, in
    /// `out/`, when empty.
    pub targets: &'a [&'a str],
    /// Fail rather than build anything: every component comes from `cache_from`.
    pub cache_required: bool,
}

/// One job of a plan: a component for a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedJob {
    /// The component (`runc`), as `bundle --only` names it.
    pub component: String,
    /// The platform (`linux/arm64`).
    pub target: String,
    /// Whether the team's cache already holds it.
    pub held: bool,
}

impl PlannedJob {
    /// `component` for `target`, `held` when the team's cache has it.
    pub fn new(component: String, target: String, held: bool) -> PlannedJob {
        PlannedJob {
            component,
            target,
            held,
        }
    }
}

/// dockyard's own command line, as the bench runs it. The command line implements it, so its
/// flags are named in one place: here are only the verbs' meanings.
pub trait Dockyard {
    /// `bundle --static` with the bench's pins and mirrors, as `run` says.
    fn bundle(&self, run: &BundleRun<'_>) -> LoggedCommand;
    /// `plan --format json` of `targets` against the team's cache `cache_from`, with the
    /// bench's pins and mirrors, its sources checked out in `cache`, written to `output`.
    fn plan(
        &self,
        cache: &Utf8Path,
        targets: &[&str],
        cache_from: &str,
        output: &Utf8Path,
    ) -> LoggedCommand;
    /// The jobs of what [`Dockyard::plan`] wrote.
    fn planned(&self, json: &str) -> std::result::Result<Vec<PlannedJob>, String>;
    /// `up --watch` over the moby working tree `tree`, its engine's state in `state`, stopping
    /// the engine when interrupted.
    fn up_watch(&self, tree: &Utf8Path, state: &Utf8Path) -> LoggedCommand;
    /// `down`, purging the engine whose state is in `state`.
    fn down(&self, state: &Utf8Path) -> LoggedCommand;
}

/// What every measurement runs with.
pub struct Runner {
    /// The bench's folder (caches, scratch trees, logs).
    pub root: Utf8PathBuf,
    /// dockyard's command line.
    pub dockyard: Box<dyn Dockyard>,
    /// `GOTOOLCHAIN` exactly as dockyard's builds set it.
    pub gotoolchain: String,
    /// Where status lines go.
    pub progress: Box<dyn Progress>,
}

impl Runner {
    /// The log file of the command named `name`.
    pub(crate) fn log(&self, name: &str) -> Utf8PathBuf {
        self.root.join("logs").join(format!("{name}.log"))
    }

    /// dockyard's bench cache and output folder.
    pub(crate) fn defaults(&self) -> (Utf8PathBuf, Utf8PathBuf) {
        (self.root.join("dockyard-cache"), self.root.join("out"))
    }

    /// `bundle` as its own process with `GOCACHE=gocache`; returns the seconds.
    pub(crate) fn bundle(&self, gocache: &Utf8Path, run: &BundleRun<'_>, log: &str) -> Result<f64> {
        timed(&self.bundle_command(gocache, run), &self.log(log))
    }

    /// The command [`Runner::bundle`] runs.
    pub(crate) fn bundle_command(&self, gocache: &Utf8Path, run: &BundleRun<'_>) -> LoggedCommand {
        let (cache, out) = self.defaults();
        let run = BundleRun {
            cache: Some(run.cache.unwrap_or(&cache)),
            out: Some(run.out.unwrap_or(&out)),
            ..*run
        };
        self.dockyard.bundle(&run).env("GOCACHE", gocache.as_str())
    }

    /// Every upstream entry point one after another in the scratch trees; returns the seconds.
    pub(crate) fn upstream(
        &self,
        points: &[EntryPoint],
        gocache: &Utf8Path,
        log: &str,
    ) -> Result<f64> {
        let started = Instant::now();
        for point in points {
            self.upstream_one(point, gocache, log)?;
        }
        Ok(started.elapsed().as_secs_f64())
    }

    /// One upstream entry point in its scratch tree; returns the seconds.
    pub(crate) fn upstream_one(
        &self,
        point: &EntryPoint,
        gocache: &Utf8Path,
        log: &str,
    ) -> Result<f64> {
        let tree = self.scratch(point.upstream);
        let stamps = Stamps {
            version: &point.version,
            commit: &point.commit,
        };
        let cmd = point
            .build
            .command_in(&tree, stamps, &self.gotoolchain, gocache);
        let started = Instant::now();
        let log = self.log(&format!("{log}-{}", point.upstream));
        cmd.run_logged(&log).map_err(|e| {
            BenchError(format!(
                "upstream {} failed (log: {log}): {}",
                point.upstream,
                build_core::error::with_causes(&e)
            ))
        })?;
        Ok(started.elapsed().as_secs_f64())
    }

    /// The scratch copy of `upstream`'s tree upstream's builds run in.
    pub fn scratch(&self, upstream: Upstream) -> Utf8PathBuf {
        self.root.join("upstream").join(upstream.name())
    }

    /// `root/name`, empty.
    pub fn fresh_dir(&self, name: &str) -> Result<Utf8PathBuf> {
        let dir = self.root.join(name);
        build_core::fs::remove_dir_all_if_exists(&dir).map_err(BenchError::from)?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| BenchError(format!("cannot create {dir}: {e}")))?;
        Ok(dir)
    }
}

impl Runner {
    /// A copy of `upstream`'s pinned tree made a git working tree whose HEAD commits it all,
    /// to build from in place of the pin. Committed at the pinned commit's time, as a clone of
    /// it would be, so the bundle's epoch (the newest commit of the set) and every other
    /// component's key stay the pinned ones.
    pub(crate) fn working_tree(
        &self,
        sources: &[Source],
        upstream: Upstream,
    ) -> Result<Utf8PathBuf> {
        let source = sources.iter().find(|s| s.upstream == upstream);
        let source = source.ok_or_else(|| BenchError(format!("no {upstream} source")))?;
        let tree = self.fresh_dir(&format!("{upstream}-override"))?;
        build_core::fs::copy_tree(&source.dir, &tree, &[READY_MARKER]).map_err(BenchError::from)?;
        commit_as_working_tree(upstream, &tree, source.commit_time).map_err(BenchError::from)?;
        Ok(tree)
    }
}

/// A copy of the running program in `root`, for the bench to run: a `cargo build` during the
/// half hour must not change what runs.
pub fn copy_of_this_program(root: &Utf8Path) -> std::result::Result<Utf8PathBuf, BenchError> {
    let exe = std::env::current_exe().map_err(BenchError::from)?;
    let exe = Utf8PathBuf::from_path_buf(exe)
        .map_err(|p| BenchError(format!("not UTF-8: {}", p.display())))?;
    std::fs::create_dir_all(root).map_err(|e| BenchError(format!("cannot create {root}: {e}")))?;
    let copy = root.join(exe.file_name().unwrap_or("dockyard"));
    std::fs::copy(&exe, &copy)
        .map_err(|e| BenchError(format!("cannot copy {exe} to {copy}: {e}")))?;
    Ok(copy)
}

/// Runs dockyard's `cmd` to its end, output in `log`; returns the seconds.
pub(crate) fn timed(cmd: &LoggedCommand, log: &Utf8Path) -> Result<f64> {
    let started = Instant::now();
    cmd.run_logged(log).map_err(|e| {
        BenchError(format!(
            "dockyard failed (log: {log}): {}",
            build_core::error::with_causes(&e)
        ))
    })?;
    Ok(started.elapsed().as_secs_f64())
}

/// The `up --watch` being measured, read through its log.
pub(crate) struct LogWatch<'a> {
    /// The command.
    pub(crate) up: &'a Running,
    /// Its log.
    pub(crate) log: &'a Utf8Path,
    /// The log of the dockerd it runs.
    pub(crate) dockerd_log: Utf8PathBuf,
}

impl LogWatch<'_> {
    /// Waits for the end of round `round` (its first is 0), which must have restarted a
    /// dockerd that prints `marker`.
    pub(crate) fn reloaded(&self, round: usize, marker: &str) -> Result<String> {
        let ends = |text: &str| {
            text.lines()
                .map(str::trim_start)
                .filter(|l| {
                    ["Reloaded", "Kept", "Failed"]
                        .iter()
                        .any(|e| l.starts_with(e))
                })
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let text = self.wait(|text| ends(text).len() > round, 900)?;
        let last = ends(&text).pop().unwrap_or_default();
        if !last.contains("restarted dockerd") {
            return Err(BenchError(format!(
                "P5: the edit did not restart dockerd: {last} (log: {})",
                self.log
            )));
        }
        if !std::fs::read_to_string(&self.dockerd_log).is_ok_and(|l| l.contains(marker)) {
            return Err(BenchError(format!(
                "P5: the restarted dockerd is not the edited one ({})",
                self.dockerd_log
            )));
        }
        Ok(text)
    }

    /// Polls the log until `done`; fails when `up` exits first or after `seconds`.
    pub(crate) fn wait(&self, done: impl Fn(&str) -> bool, seconds: u64) -> Result<String> {
        let stalled = || {
            let tail = tail_of_file(self.log, 15);
            BenchError(format!(
                "P5: the watching engine stopped or stalled; {}:\n{tail}",
                self.log
            ))
        };
        // A line another process appends to its log is no event to block on: this polls.
        let every = Duration::from_millis(20);
        let seen = wait::until(Duration::from_secs(seconds), every, || {
            let text = std::fs::read_to_string(self.log).unwrap_or_default();
            if done(&text.replace('\r', "\n")) {
                return Some(Ok(text));
            }
            match self.up.try_wait() {
                Ok(None) => None,
                Ok(Some(_)) => Some(Err(stalled())),
                Err(e) => Some(Err(BenchError::from(e))),
            }
        });
        seen.unwrap_or_else(|_| Err(stalled()))
    }
}
