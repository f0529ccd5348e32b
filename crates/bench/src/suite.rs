//! The measurements in the order the bench takes them: P1 cold (dockyard first, so its peak
//! memory is its own), P2 no-op, P3 one line in runc, P4 sizes (the caller's), P6 and P7
//! through a registry and P8 (a team's CI simulated through it) when one is given, and P5 last
//! (its working tree changes dockerd in the bench's bundle).

use build_core::Upstream;
use build_core::source::{READY_MARKER, Source};
use camino::Utf8Path;

use crate::edits::append_line;
use crate::entry::EntryPoint;
use crate::report::{self, Report, spread};
use crate::runner::{BenchError, BundleRun, Result, Runner};
use crate::shared::TeamRegistry;

/// What a bench run measures with.
pub struct Suite<'a> {
    /// The command that measures, as a person runs it (the report names it).
    pub command: String,
    /// Commands, folders, progress.
    pub runner: &'a Runner,
    /// The pinned sources, prepared.
    pub sources: &'a [Source],
    /// Upstream's entry points for them.
    pub points: &'a [EntryPoint],
    /// The release (`29.7.2`).
    pub release: String,
    /// The Go release both sides build with (`go1.26.5`).
    pub go: String,
    /// Repetitions of the short measures.
    pub runs: usize,
    /// The registry P6, P7 and P8 share builds through; without one they are not measured.
    pub registry: Option<TeamRegistry>,
}

/// One measure alone (`bench --only`), reusing the caches a previous run left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Only {
    /// Cold builds: dockyard's bundle against upstream's entry points.
    P1,
    /// Edit → running engine.
    P5,
    /// Builds shared through a registry.
    P6P7,
    /// A team's CI simulated: a job per component and target, then an assembler.
    P8,
}

impl Suite<'_> {
    fn gocaches(&self) -> (camino::Utf8PathBuf, camino::Utf8PathBuf) {
        let root = &self.runner.root;
        (root.join("gocache-dockyard"), root.join("gocache-upstream"))
    }

    /// One measure's section of docs/benchmarks.md.
    pub fn only(&self, only: Only) -> Result<String> {
        match only {
            Only::P5 => {
                let (dy, up) = self.gocaches();
                let (dy, up) = crate::p5::measure(
                    self.runner,
                    self.sources,
                    self.points,
                    (&dy, &up),
                    self.runs,
                )?;
                Ok(report::p5_section(dy, up, self.runs))
            }
            Only::P1 => {
                let cold = self.cold()?;
                Ok(report::cold_section(&cold))
            }
            Only::P6P7 => self.shared(None),
            Only::P8 => self.scale_out(),
        }
    }

    /// P1: dockyard's cold bundle (first, so its peak memory is its own), then upstream's
    /// entry points cold in scratch copies of the same trees.
    fn cold(&self) -> Result<report::Cold> {
        let bench = self.runner;
        bench.progress.status(
            "Measuring",
            "P1 dockyard cold (empty Go cache, empty dockyard cache)",
        );
        let dy_gocache = bench.fresh_dir("gocache-dockyard")?;
        bench.fresh_dir("dockyard-cache")?;
        bench.fresh_dir("out")?;
        let sampler = crate::memory::PeakSampler::start();
        let dockyard = bench.bundle(&dy_gocache, &BundleRun::default(), "p1-dockyard")?;
        let dockyard_rss = sampler.stop();
        bench.progress.status(
            "Measured",
            &format!("dockyard cold {dockyard:.1}s, peak RSS {dockyard_rss:.0} MiB"),
        );
        bench.progress.status(
            "Measuring",
            "P1 upstream cold (entry points in sequence, one empty Go cache)",
        );
        bench.fresh_dir("upstream")?;
        for source in self.sources {
            let scratch = bench.scratch(source.upstream);
            build_core::fs::copy_tree(&source.dir, &scratch, &[READY_MARKER])
                .map_err(|e| BenchError(format!("cannot copy {} to {scratch}: {e}", source.dir)))?;
        }
        let up_gocache = bench.fresh_dir("gocache-upstream")?;
        let sampler = crate::memory::PeakSampler::start();
        let upstream = bench.upstream(self.points, &up_gocache, "p1-upstream")?;
        let upstream_rss = sampler.stop();
        bench
            .progress
            .status("Measured", &format!("upstream cold {upstream:.1}s"));
        Ok(report::Cold {
            dockyard,
            upstream,
            dockyard_rss,
            upstream_rss,
        })
    }

    fn scale_out(&self) -> Result<String> {
        let registry = self
            .registry
            .as_ref()
            .ok_or_else(|| BenchError("P8 needs a registry".into()))?;
        let times = crate::scale_out::measure(self.runner, &self.release, registry)?;
        Ok(report::scale_out_section(&times))
    }

    fn shared(&self, cold: Option<f64>) -> Result<String> {
        let registry = self
            .registry
            .as_ref()
            .ok_or_else(|| BenchError("P6 and P7 need a registry".into()))?;
        let times = crate::shared::measure(
            self.runner,
            self.sources,
            &self.release,
            registry,
            self.runs,
        )?;
        Ok(report::shared_section(&times, cold, self.runs))
    }

    /// Every measure; `sizes` is P4 (dockyard's tgz, upstream's binaries packed the same way),
    /// measured by the caller once P1 to P3 have left their outputs.
    pub fn all(&self, sizes: &dyn Fn(&Runner) -> Result<(u64, u64)>) -> Result<String> {
        let bench = self.runner;
        let (points, sources, runs) = (self.points, self.sources, self.runs);
        let plain = BundleRun::default();
        let report::Cold {
            dockyard: dy_cold,
            upstream: up_cold,
            dockyard_rss: peak_rss,
            upstream_rss: up_peak_rss,
        } = self.cold()?;
        let (dy_gocache, up_gocache) = self.gocaches();

        // P2: nothing changed.
        let (mut dy_noop, mut up_noop) = (Vec::new(), Vec::new());
        for i in 0..runs {
            dy_noop.push(bench.bundle(&dy_gocache, &plain, &format!("p2-dockyard-{i}"))?);
            up_noop.push(bench.upstream(points, &up_gocache, &format!("p2-upstream-{i}"))?);
        }
        let (dy_noop, up_noop) = (spread(dy_noop), spread(up_noop));
        bench.progress.status(
            "Measured",
            &format!(
                "no-op: dockyard {:.2}s, upstream {:.1}s",
                dy_noop.median, up_noop.median
            ),
        );

        // P3: one line appended to a Go file of runc, as an override for dockyard.
        let runc_tree = bench.working_tree(sources, Upstream::Runc)?;
        let runc_override = BundleRun {
            source: Some((Upstream::Runc, runc_tree.as_path())),
            ..plain
        };
        bench.bundle(&dy_gocache, &runc_override, "p3-dockyard-warmup")?;
        let runc_point = points
            .iter()
            .find(|p| p.upstream == Upstream::Runc)
            .ok_or_else(|| BenchError("no runc entry point".into()))?;
        let (mut dy_line, mut up_line) = (Vec::new(), Vec::new());
        for i in 0..runs {
            append_line(&runc_tree.join("main.go"), i).map_err(BenchError::from)?;
            dy_line.push(bench.bundle(&dy_gocache, &runc_override, &format!("p3-dockyard-{i}"))?);
            append_line(&bench.scratch(Upstream::Runc).join("main.go"), i)
                .map_err(BenchError::from)?;
            up_line.push(bench.upstream_one(
                runc_point,
                &up_gocache,
                &format!("p3-upstream-{i}"),
            )?);
        }
        let (dy_line, up_line) = (spread(dy_line), spread(up_line));

        let (tgz, upstream_tgz) = sizes(bench)?;
        let shared = match &self.registry {
            Some(_) => format!("{}\n{}", self.shared(Some(dy_cold))?, self.scale_out()?),
            None => String::new(),
        };
        let (p5_dy, p5_up) =
            crate::p5::measure(bench, sources, points, (&dy_gocache, &up_gocache), runs)?;
        let report = Report {
            command: self.command.clone(),
            go: self.go.clone(),
            dy_cold,
            up_cold,
            dy_noop,
            up_noop,
            dy_line,
            up_line,
            tgz,
            upstream_tgz,
            peak_rss,
            up_peak_rss,
            runs,
            p5: report::p5_section(p5_dy, p5_up, runs),
        };
        Ok(format!("{}\n{shared}", report.markdown()))
    }
}

/// The bench's bundle folder for `release`, as P1 to P3 published it.
pub fn bench_bundle(bench: &Runner, release: &str) -> camino::Utf8PathBuf {
    let (_, out) = bench.defaults();
    out.join(format!("docker-{release}"))
}

/// `path`'s size in bytes.
pub fn file_size(path: &Utf8Path) -> Result<u64> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| BenchError(format!("{path}: {e}")))
}
