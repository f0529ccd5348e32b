//! P8: a team's CI, simulated on this machine (issue #34). `plan` lists the jobs, one per
//! component and target, against a team's cache that holds nothing (a repository of its own
//! each run). Each job is a fresh machine of its own (an empty dockyard cache, an empty Go
//! cache) that builds its one component for its one target and pushes it, with Go's shared
//! cache, to the registry on the loopback; they run two at a time (this machine has two cores;
//! a team has a runner per job). Then the assembler, a fresh machine, makes both targets'
//! bundles from the registry alone, compiling nothing. Against it, a single fresh machine
//! builds both targets in one `bundle`: its bundles must be the assembler's, byte for byte.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use build_core::Target;
use build_core::process::LoggedCommand;
use build_core::progress::Progress;
use camino::{Utf8Path, Utf8PathBuf};

use crate::memory::PeakSampler;
use crate::runner::{BenchError, BundleRun, Result, Runner, timed};
use crate::shared::{TeamRegistry, machine};

/// The platforms P8 builds for: this machine's and a cross target.
pub(crate) const TARGETS: [&str; 2] = ["linux/amd64", "linux/arm64"];

/// How many jobs run at once: this machine has two cores (a team has a runner per job).
pub(crate) const AT_ONCE: usize = 2;

/// One job's build.
#[derive(Clone, Debug)]
pub(crate) struct JobTime {
    /// The component (`runc`).
    pub(crate) component: String,
    /// The platform (`linux/arm64`).
    pub(crate) target: String,
    /// Wall seconds of its `bundle --only`.
    pub(crate) seconds: f64,
}

/// What P8 measured, in seconds and MiB.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub(crate) struct ScaleOutTimes {
    /// `plan`'s own time.
    pub(crate) plan: f64,
    /// Each job, in the plan's order.
    pub(crate) jobs: Vec<JobTime>,
    /// Every job, [`AT_ONCE`] at a time.
    pub(crate) jobs_wall: f64,
    /// Peak summed RSS while they ran.
    pub(crate) jobs_peak: f64,
    /// The assembler's bundles of both targets from the registry.
    pub(crate) assembler: f64,
    /// A single fresh machine's bundles of both targets.
    pub(crate) single: f64,
    /// Its peak summed RSS.
    pub(crate) single_peak: f64,
    /// Files compared byte for byte between the assembler's bundles and the single machine's
    /// (all identical, or P8 failed).
    pub(crate) compared: usize,
}

impl ScaleOutTimes {
    /// Every job one after another.
    pub(crate) fn serial(&self) -> f64 {
        self.jobs.iter().map(|j| j.seconds).sum()
    }

    /// The slowest job.
    pub(crate) fn longest(&self) -> Option<&JobTime> {
        self.jobs
            .iter()
            .max_by(|a, b| a.seconds.total_cmp(&b.seconds))
    }

    /// What a team with a runner per job waits: the longest job, then the assembler.
    pub(crate) fn critical_path(&self) -> f64 {
        self.longest().map_or(0.0, |j| j.seconds) + self.assembler
    }

    /// The simulated CI here: the jobs [`AT_ONCE`] at a time, then the assembler.
    pub(crate) fn ci_wall(&self) -> f64 {
        self.jobs_wall + self.assembler
    }
}

/// A job ready to run: its command, its log and the machine it runs on.
struct Queued {
    what: String,
    cmd: LoggedCommand,
    log: Utf8PathBuf,
    root: Utf8PathBuf,
}

/// Plans, runs every job, assembles, and builds the same on a single machine.
pub(crate) fn measure(
    bench: &Runner,
    release: &str,
    registry: &TeamRegistry,
) -> Result<ScaleOutTimes> {
    bench.fresh_dir("p8")?;
    let unique = unique();
    let team = format!("{}/bench/p8-{unique}", registry.address);
    let go = format!("{}/bench/p8-go-{unique}", registry.address);

    bench.progress.status(
        "Measuring",
        &format!("P8 plan: {} against {team}", TARGETS.join(" and ")),
    );
    let plan_dir = bench.fresh_dir("p8/plan")?;
    let json = plan_dir.join("plan.json");
    let cmd = bench
        .dockyard
        .plan(&plan_dir.join("cache"), &TARGETS, &team, &json);
    let plan = timed(&cmd, &bench.log("p8-plan"))?;
    let text = std::fs::read_to_string(&json).map_err(|e| BenchError(format!("{json}: {e}")))?;
    let planned = bench
        .dockyard
        .planned(&text)
        .map_err(|e| BenchError(format!("P8: the plan in {json}: {e}")))?;
    if planned.is_empty()
        || planned
            .iter()
            .any(|j| j.component.is_empty() || j.target.is_empty())
    {
        return Err(BenchError(format!(
            "P8: the plan in {json} has no job, or a job without its component or target"
        )));
    }
    if let Some(held) = planned.iter().find(|j| j.held) {
        return Err(BenchError(format!(
            "P8: the fresh repository {team} already holds {} for {}",
            held.component, held.target
        )));
    }

    let mut queued = Vec::new();
    for job in &planned {
        let name = format!("p8-{}-{}", job.component, job.target.replace('/', "-"));
        let m = machine(bench, &format!("p8/{name}"))?;
        let targets = [job.target.as_str()];
        let run = BundleRun {
            only: Some(&job.component),
            targets: &targets,
            cache_to: Some(&team),
            go_cache: Some(&go),
            ..BundleRun::default()
        };
        queued.push(Queued {
            what: format!("{} {}", job.component, job.target),
            cmd: m.command(bench, run),
            log: bench.log(&name),
            root: m.root,
        });
    }
    bench.progress.status(
        "Measuring",
        &format!(
            "P8 jobs: {} on fresh machines, {AT_ONCE} at a time, pushing to {team}",
            queued.len()
        ),
    );
    let sampler = PeakSampler::start();
    let started = Instant::now();
    let seconds = at_once(bench.progress.as_ref(), queued);
    let jobs_wall = started.elapsed().as_secs_f64();
    let jobs_peak = sampler.stop();
    let jobs = planned
        .into_iter()
        .zip(seconds?)
        .map(|(j, seconds)| JobTime {
            component: j.component,
            target: j.target,
            seconds,
        })
        .collect();

    bench.progress.status(
        "Measuring",
        "P8 assembler: both targets' bundles from the registry alone",
    );
    let assembler = machine(bench, "p8/assembler")?;
    let assembling = BundleRun {
        targets: &TARGETS,
        cache_from: Some(&team),
        cache_required: true,
        ..BundleRun::default()
    };
    let assembled = assembler.bundle(bench, assembling, "p8-assembler")?;
    let log = bench.log("p8-assembler");
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    if let Some(line) = said
        .lines()
        .map(str::trim_start)
        .find(|l| l.starts_with("Building") || l.starts_with("Compiling"))
    {
        return Err(BenchError(format!(
            "P8: the assembler built something: `{line}` ({log})"
        )));
    }

    bench.progress.status(
        "Measuring",
        "P8 single machine: both targets in one bundle, from scratch",
    );
    let single = machine(bench, "p8/single")?;
    let sampler = PeakSampler::start();
    let both = BundleRun {
        targets: &TARGETS,
        ..BundleRun::default()
    };
    let single_time = single.bundle(bench, both, "p8-single")?;
    let single_peak = sampler.stop();

    let mut compared = 0;
    for target in TARGETS {
        let folder = Target::parse(target)
            .ok()
            .and_then(|t| t.architecture())
            .map(|a| a.docker)
            .ok_or_else(|| BenchError(format!("P8: no Docker folder for {target}")))?;
        let bundle = |out: &Utf8Path| out.join(folder).join(format!("docker-{release}"));
        compared += identical(&bundle(&assembler.out), &bundle(&single.out))?;
    }
    // Neither Go cache is read again, and they are the bulk of what P8 leaves.
    for dir in [&assembler.gocache, &single.gocache] {
        let _ = build_core::fs::remove_dir_all_if_exists(dir);
    }
    Ok(ScaleOutTimes {
        plan,
        jobs,
        jobs_wall,
        jobs_peak,
        assembler: assembled,
        single: single_time,
        single_peak,
        compared,
    })
}

/// Runs every job, [`AT_ONCE`] at a time (each next one as soon as one ends), and returns
/// each one's seconds in the order given; after a failure no other job starts. A job's
/// machine is thrown away once it succeeded, as a CI runner is (its log stays).
fn at_once(progress: &dyn Progress, queued: Vec<Queued>) -> Result<Vec<f64>> {
    let count = queued.len();
    let next = Mutex::new(queued.into_iter().enumerate());
    let seconds = Mutex::new(vec![0.0; count]);
    let failure: Mutex<Option<BenchError>> = Mutex::new(None);
    let failed = AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..AT_ONCE.min(count) {
            s.spawn(|| {
                while !failed.load(Ordering::SeqCst) {
                    let job = next.lock().unwrap_or_else(PoisonError::into_inner).next();
                    let Some((i, job)) = job else { break };
                    match timed(&job.cmd, &job.log) {
                        Ok(t) => {
                            progress.status("Measured", &format!("P8 job {}: {t:.1} s", job.what));
                            seconds.lock().unwrap_or_else(PoisonError::into_inner)[i] = t;
                            if let Err(e) = build_core::fs::remove_dir_all_if_exists(&job.root) {
                                progress
                                    .status("Warning", &format!("cannot remove {}: {e}", job.root));
                            }
                        }
                        Err(e) => {
                            failed.store(true, Ordering::SeqCst);
                            let mut first = failure.lock().unwrap_or_else(PoisonError::into_inner);
                            first.get_or_insert(BenchError(format!("P8 job {}: {e}", job.what)));
                        }
                    }
                }
            });
        }
    });
    match failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        Some(e) => Err(e),
        None => Ok(seconds.into_inner().unwrap_or_else(PoisonError::into_inner)),
    }
}

/// A name no earlier run used: the registry's repositories hold nothing under it.
fn unique() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH);
    format!("{}-{}", now.map_or(0, |d| d.as_secs()), std::process::id())
}

/// Checks that the folders `a` (the assembler's) and `b` (the single machine's) hold the same
/// files with the same bytes, naming every one that differs; returns how many were compared.
pub(crate) fn identical(a: &Utf8Path, b: &Utf8Path) -> Result<usize> {
    let (in_a, in_b) = (files(a)?, files(b)?);
    if in_a.is_empty() {
        return Err(BenchError(format!("P8: no bundle in {a}")));
    }
    let mut wrong = Vec::new();
    for name in &in_a {
        if !in_b.contains(name) {
            wrong.push(format!("{name} (only the assembler's)"));
        } else if read(&a.join(name))? != read(&b.join(name))? {
            wrong.push(format!("{name} (different bytes)"));
        }
    }
    for name in in_b.iter().filter(|n| !in_a.contains(n)) {
        wrong.push(format!("{name} (only the single machine's)"));
    }
    if wrong.is_empty() {
        return Ok(in_a.len());
    }
    Err(BenchError(format!(
        "P8: the assembler's bundle {a} is not the single machine's {b}: {}",
        wrong.join(", ")
    )))
}

/// Every file under `root` (a symbolic link as a file), relative to it, sorted.
fn files(root: &Utf8Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| BenchError(format!("{dir}: {e}")))?;
        for entry in entries {
            let entry = entry.map_err(|e| BenchError(format!("{dir}: {e}")))?;
            let path = Utf8PathBuf::from_path_buf(entry.path())
                .map_err(|p| BenchError(format!("not UTF-8: {}", p.display())))?;
            let kind = entry
                .file_type()
                .map_err(|e| BenchError(format!("{path}: {e}")))?;
            if kind.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                found.push(rel.to_string());
            }
        }
    }
    found.sort();
    Ok(found)
}

fn read(path: &Utf8Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| BenchError(format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::identical;
    use camino::Utf8Path;

    #[test]
    fn bundles_that_differ_are_named_file_by_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(dir.path()).unwrap();
        for (side, dockerd) in [("a", "one"), ("b", "two")] {
            std::fs::create_dir_all(root.join(side).join("docker")).unwrap();
            std::fs::write(root.join(side).join("docker/dockerd"), dockerd).unwrap();
            std::fs::write(root.join(side).join("SHA256SUMS"), "same").unwrap();
        }
        std::fs::write(root.join("b/extra"), "").unwrap();
        let e = identical(&root.join("a"), &root.join("b")).unwrap_err().0;
        assert!(e.contains("docker/dockerd (different bytes)"), "{e}");
        assert!(e.contains("extra (only the single machine's)"), "{e}");
        assert!(!e.contains("SHA256SUMS"), "{e}");
        std::fs::write(root.join("a/docker/dockerd"), "two").unwrap();
        std::fs::write(root.join("a/extra"), "").unwrap();
        assert_eq!(identical(&root.join("a"), &root.join("b")).unwrap(), 3);
    }
}
