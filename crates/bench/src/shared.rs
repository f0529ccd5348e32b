//! P6 and P7: builds shared through a registry. A team machine builds cold once, pushing its
//! components and Go's build cache to a registry on the loopback; then fresh machines (an
//! empty dockyard cache and an empty Go cache, the same mirrors and Go toolchain) pull.
//! P6 is a fresh machine's whole bundle; P7 a fresh machine's bundle after a one-line change
//! in moby, with Go's shared cache and without it.

use build_core::Upstream;
use build_core::process::LoggedCommand;
use build_core::source::Source;
use camino::{Utf8Path, Utf8PathBuf};

use crate::edits::add_to_dockerd_main;
use crate::report::{Spread, spread};
use crate::runner::{BenchError, BundleRun, Result, Runner};

/// The registry the team shares (started by the caller, alive while the bench runs).
#[derive(Clone, Debug)]
pub struct TeamRegistry {
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// Where it keeps what is pushed (its size is reported).
    pub storage: Utf8PathBuf,
}

/// What P6 and P7 measured.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub(crate) struct SharedTimes {
    /// The team's cold bundle, pushing both caches.
    pub(crate) team_cold: f64,
    /// P6: a fresh machine's whole bundle from the registry.
    pub(crate) fresh: Spread,
    /// P7 with Go's shared cache: seconds, and what the cache program said for moby's build.
    pub(crate) edit_with: (f64, String),
    /// P7 without it.
    pub(crate) edit_without: f64,
    /// The registry's storage after both, in bytes.
    pub(crate) storage: u64,
}

/// One fresh machine: its dockyard cache, output folder and Go cache, all empty.
pub(crate) struct Machine {
    /// Everything it has.
    pub(crate) root: Utf8PathBuf,
    /// Its dockyard cache (`--cache`).
    pub(crate) cache: Utf8PathBuf,
    /// Where its bundles go (`--out`).
    pub(crate) out: Utf8PathBuf,
    /// Its Go build cache (`GOCACHE`).
    pub(crate) gocache: Utf8PathBuf,
}

/// A fresh machine in `root/name`.
pub(crate) fn machine(bench: &Runner, name: &str) -> Result<Machine> {
    let root = bench.fresh_dir(name)?;
    let gocache = root.join("gocache");
    std::fs::create_dir_all(&gocache)
        .map_err(|e| BenchError(format!("cannot create {gocache}: {e}")))?;
    Ok(Machine {
        cache: root.join("cache"),
        out: root.join("out"),
        gocache,
        root,
    })
}

impl Machine {
    /// Its `bundle` as `run` says; returns the seconds.
    pub(crate) fn bundle(&self, bench: &Runner, run: BundleRun<'_>, log: &str) -> Result<f64> {
        crate::runner::timed(&self.command(bench, run), &bench.log(log))
    }

    /// The command [`Machine::bundle`] runs.
    pub(crate) fn command(&self, bench: &Runner, run: BundleRun<'_>) -> LoggedCommand {
        let run = BundleRun {
            cache: Some(&self.cache),
            out: Some(&self.out),
            ..run
        };
        bench.bundle_command(&self.gocache, &run)
    }

    fn file(&self, release: &str, name: &str) -> Result<Vec<u8>> {
        let path = self.out.join(format!("docker-{release}")).join(name);
        std::fs::read(&path).map_err(|e| BenchError(format!("{path}: {e}")))
    }
}

/// Runs the team's cold build, P6 `runs` times and P7 once each way.
pub(crate) fn measure(
    bench: &Runner,
    sources: &[Source],
    release: &str,
    registry: &TeamRegistry,
    runs: usize,
) -> Result<SharedTimes> {
    let components = format!("{}/team/dockyard", registry.address);
    let go = format!("{}/team/go-cache", registry.address);
    bench.progress.status(
        "Measuring",
        "P6 warm-up: a team machine's cold bundle, pushing its components and Go's cache",
    );
    let team = machine(bench, "p6-team")?;
    let pushing = BundleRun {
        cache_to: Some(&components),
        go_cache: Some(&go),
        ..BundleRun::default()
    };
    let team_cold = team.bundle(bench, pushing, "p6-team")?;
    let sums = team.file(release, "SHA256SUMS")?;

    let mut fresh = Vec::new();
    for i in 0..runs {
        bench
            .progress
            .status("Measuring", &format!("P6 fresh machine {i}"));
        let m = machine(bench, "p6-fresh")?;
        let pulling = BundleRun {
            cache_from: Some(&components),
            ..BundleRun::default()
        };
        let log = format!("p6-fresh-{i}");
        fresh.push(m.bundle(bench, pulling, &log)?);
        let text = std::fs::read_to_string(bench.log(&log)).unwrap_or_default();
        if text.lines().any(|l| l.trim_start().starts_with("Building")) {
            return Err(BenchError(format!(
                "P6: a fresh machine built something ({})",
                bench.log(&log)
            )));
        }
        if m.file(release, "SHA256SUMS")? != sums {
            return Err(BenchError(format!(
                "P6: the pulled bundle differs from the team's ({})",
                m.out
            )));
        }
    }

    // P7: the same one-line change on two fresh machines, with and without Go's shared cache.
    let tree = bench.working_tree(sources, Upstream::Moby)?;
    add_to_dockerd_main(&tree, "dockyard bench P7").map_err(BenchError::from)?;
    bench
        .progress
        .status("Measuring", "P7 one line in moby, with Go's shared cache");
    let with = machine(bench, "p7-with")?;
    let run = BundleRun {
        cache_from: Some(&components),
        source: Some((Upstream::Moby, tree.as_path())),
        go_cache: Some(&go),
        ..BundleRun::default()
    };
    let with_time = with.bundle(bench, run, "p7-with")?;
    let moby_log = build_core::cache::CacheLayout::new(with.cache.clone())
        .work("moby")
        .join("moby.log");
    let said = go_cache_summary(&moby_log);
    bench
        .progress
        .status("Measuring", "P7 one line in moby, without it");
    let without = machine(bench, "p7-without")?;
    let without_time = without.bundle(
        bench,
        BundleRun {
            go_cache: None,
            ..run
        },
        "p7-without",
    )?;
    if with.file(release, "docker/dockerd")? != without.file(release, "docker/dockerd")? {
        return Err(BenchError(
            "P7: dockerd differs with and without Go's shared cache".into(),
        ));
    }
    Ok(SharedTimes {
        team_cold,
        fresh: spread(fresh),
        edit_with: (with_time, said),
        edit_without: without_time,
        storage: size_of(&registry.storage),
    })
}

/// What the Go cache program said at the end of moby's build (it writes one line).
fn go_cache_summary(log: &Utf8Path) -> String {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .rev()
        .find_map(|l| {
            l.split_once("dockyard go cache: ")
                .map(|(_, s)| s.to_owned())
        })
        .unwrap_or_else(|| format!("no summary in {log}"))
}

/// Bytes under `dir`.
fn size_of(dir: &Utf8Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.extend(Utf8PathBuf::from_path_buf(entry.path()).ok()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}
