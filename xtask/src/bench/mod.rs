//! `cargo xtask bench`: dockyard against upstream's own build entry points, on this machine, in
//! one run. Not a test: it needs the real sources (as mirrors) and takes about half an hour.
//! The measures are the bench library's (`bench::suite`); here are the command lines they run.

use ::bench::entry::entry_points;
use ::bench::report;
use ::bench::runner::{BundleRun, Dockyard, PlannedJob, Runner};
use ::bench::shared::TeamRegistry;
use ::bench::suite::{Only, Suite, bench_bundle, file_size};
use anyhow::{Context, Result, bail};
use build_core::process::LoggedCommand;
use build_core::source::Source;
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};

use crate::flags::{BenchArgs, MeasureFlag};
use crate::render::StatusLines;

/// The bench's copy of this program, with its pins and mirrors.
struct Cli {
    xtask: Utf8PathBuf,
    pins: Utf8PathBuf,
    mirrors: Vec<String>,
    root: Utf8PathBuf,
}

impl Cli {
    fn verb(&self, verb: &str, cache: &Utf8Path, out: &Utf8Path) -> LoggedCommand {
        self.sources(verb, cache).args(["--out", out.as_str()])
    }

    /// `verb --static` with the bench's pins and mirrors, its sources in `cache`.
    fn sources(&self, verb: &str, cache: &Utf8Path) -> LoggedCommand {
        let mut cmd = LoggedCommand::new(self.xtask.as_str())
            .args([verb, "--static", "--pins", self.pins.as_str()])
            .args(["--cache", cache.as_str()]);
        for m in &self.mirrors {
            cmd = cmd.arg("--mirror").arg(m.as_str());
        }
        cmd
    }
}

impl Dockyard for Cli {
    fn bundle(&self, run: &BundleRun<'_>) -> LoggedCommand {
        let cache = run
            .cache
            .map_or_else(|| self.root.join("dockyard-cache"), Utf8Path::to_owned);
        let out = run
            .out
            .map_or_else(|| self.root.join("out"), Utf8Path::to_owned);
        let mut cmd = self.verb("bundle", &cache, &out);
        if let Some((upstream, tree)) = run.source {
            cmd = cmd.arg("--source").arg(format!("{upstream}={tree}"));
        }
        for (flag, value) in [
            ("--only", run.only),
            ("--cache-from", run.cache_from),
            ("--cache-to", run.cache_to),
            ("--go-cache", run.go_cache),
        ] {
            if let Some(value) = value {
                cmd = cmd.arg(flag).arg(value);
            }
        }
        let targets = run.targets.iter().flat_map(|t| ["--target", t]);
        cmd.args(targets)
            .args(run.cache_required.then_some("--cache-required"))
    }

    fn plan(
        &self,
        cache: &Utf8Path,
        targets: &[&str],
        cache_from: &str,
        output: &Utf8Path,
    ) -> LoggedCommand {
        self.sources("plan", cache)
            .args(["--format", "json", "--output", output.as_str()])
            .args(["--cache-from", cache_from])
            .args(targets.iter().flat_map(|t| ["--target", t]))
    }

    fn planned(&self, json: &str) -> std::result::Result<Vec<PlannedJob>, String> {
        let plan: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let jobs = plan["jobs"].as_array().ok_or("no `jobs` array")?;
        let text = |j: &serde_json::Value, field| j[field].as_str().unwrap_or("").to_owned();
        let job = |j: &serde_json::Value| {
            PlannedJob::new(
                text(j, "component"),
                text(j, "target"),
                !j["held_by"].is_null(),
            )
        };
        Ok(jobs.iter().map(job).collect())
    }

    fn up_watch(&self, tree: &Utf8Path, state: &Utf8Path) -> LoggedCommand {
        let (cache, out) = (self.root.join("dockyard-cache"), self.root.join("out"));
        self.verb("up", &cache, &out)
            .args(["--watch", "--down-on-exit", "--source"])
            .arg(format!("moby={tree}"))
            .args(["--state", state.as_str()])
    }

    fn down(&self, state: &Utf8Path) -> LoggedCommand {
        LoggedCommand::new(self.xtask.as_str()).args(["down", "--purge", "--state", state.as_str()])
    }
}

pub(crate) fn run(args: &BenchArgs) -> Result<()> {
    if args.sources.repositories.mirrors.len() < 5 {
        bail!(
            "bench needs all five real sources as mirrors: --mirror cli=… --mirror containerd=… --mirror moby=… --mirror runc=… --mirror tini=…"
        );
    }
    let progress = StatusLines::default();
    let plan = crate::verbs::source_plan(&args.sources)?;
    let release = plan.release()?;
    let line = bundle::ReleaseLine::parse(&release)
        .with_context(|| format!("moby's pinned {release} is not a Docker release"))?;
    // Both sides build with the Go bundles use by default: exactly the pinned release.
    let go = GoToolchain::release(&plan.pins.go, plan.cache.is_offline())?;
    let sources: Vec<Source> = plan
        .requests
        .iter()
        .map(|r| plan.cache.prepare(r, &progress))
        .collect::<Result<_, _>>()?;
    let root = args.dir.clone();
    let xtask = ::bench::runner::copy_of_this_program(&root)?;
    let mirrors = args.sources.repositories.mirrors.iter();
    let cli = Cli {
        xtask,
        pins: args.sources.pins.clone(),
        mirrors: mirrors
            .map(|m| format!("{}={}", m.upstream, m.mirror))
            .collect(),
        root: root.clone(),
    };
    let runner = Runner {
        root: root.clone(),
        dockyard: Box::new(cli),
        gotoolchain: go.gotoolchain.clone(),
        progress: Box::new(progress),
    };
    // Logs append per command; each bench starts them afresh.
    runner.fresh_dir("logs")?;
    // P6 to P8's registry: Debian's docker-registry on the loopback, gone when the bench ends.
    let registry = match args.only {
        None | Some(MeasureFlag::P6P7 | MeasureFlag::P8) => Some(engine::Registry::start(None)?),
        Some(MeasureFlag::P1 | MeasureFlag::P5) => None,
    };
    let points = entry_points(&bundle::COMPONENTS, &sources, &plan.pins);
    let suite = Suite {
        command: "cargo xtask bench".into(),
        runner: &runner,
        sources: &sources,
        points: &points,
        release: release.clone(),
        go: format!("go{}", go.version),
        runs: usize::from(args.runs),
        registry: registry.as_ref().map(|r| TeamRegistry {
            address: r.address(),
            storage: r.storage(),
        }),
    };
    let text = match args.only {
        Some(MeasureFlag::P1) => suite.only(Only::P1)?,
        Some(MeasureFlag::P5) => suite.only(Only::P5)?,
        Some(MeasureFlag::P6P7) => suite.only(Only::P6P7)?,
        Some(MeasureFlag::P8) => suite.only(Only::P8)?,
        None => suite.all(&|bench| {
            // P4: the bench's tgz, and upstream's eight binaries packed the same way.
            let name = format!("docker-{release}");
            let tgz = file_size(&bench_bundle(bench, &release).join(format!("{name}.tgz")))?;
            let mut upstream: Vec<(&str, Utf8PathBuf)> = points
                .iter()
                .flat_map(|p| {
                    p.outputs
                        .iter()
                        .filter(|(name, _)| {
                            bundle::binaries_in(bundle::Archive::Static, line).contains(name)
                        })
                        .map(|(name, rel)| (*name, bench.scratch(p.upstream).join(rel)))
                })
                .collect();
            upstream.sort();
            let packed =
                bundle::packed_size(&upstream).map_err(::bench::runner::BenchError::from)?;
            Ok((tgz, packed))
        })?,
    };
    let path = crate::project_root().join("docs/benchmarks.md");
    report::write_merged(&path, &text)?;
    println!("{text}");
    runner.progress.status("Wrote", path.as_str());
    Ok(())
}
