//! `cargo xtask bench`: dockyard against upstream's own build entry points, on this machine, in
//! one run. Not a test: it needs the real sources (as mirrors) and takes about a quarter hour.
//!
//! The upstream side runs in scratch copies of the same pinned trees, so nothing it writes
//! touches dockyard's inputs. Both sides get Go's offline, vendored settings.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use build_core::Upstream;
use build_core::component::Stamps;
use build_core::process::LoggedCommand;
use build_core::progress::Progress;
use build_core::source::READY_MARKER;
use build_core::source::Source;
use build_core::toolchain::GoToolchain;
use camino::{Utf8Path, Utf8PathBuf};

use crate::flags::BenchArgs;
use crate::render::StatusLines;
use ::bench::edits::append_line;
use ::bench::entry::{EntryPoint, entry_points};
use ::bench::report::{self, Report, spread};

mod p5;

struct Bench {
    root: Utf8PathBuf,
    xtask: Utf8PathBuf,
    mirrors: Vec<String>,
    /// `GOTOOLCHAIN` exactly as dockyard's builds set it.
    gotoolchain: String,
    pins: Utf8PathBuf,
    progress: StatusLines,
}

impl Bench {
    fn log(&self, name: &str) -> Utf8PathBuf {
        self.root.join("logs").join(format!("{name}.log"))
    }

    /// `xtask bundle --static` as its own process, with the bench's caches.
    fn bundle(&self, gocache: &Utf8Path, extra: &[String], log: &str) -> Result<f64> {
        let cmd = self.xtask("bundle", gocache).args(extra.iter().cloned());
        let started = Instant::now();
        cmd.run_logged(&self.log(log))
            .with_context(|| format!("dockyard bundle failed (log: {})", self.log(log)))?;
        Ok(started.elapsed().as_secs_f64())
    }

    /// `xtask VERB --static` with the bench's pins, mirrors and caches.
    fn xtask(&self, verb: &str, gocache: &Utf8Path) -> LoggedCommand {
        let mut cmd = LoggedCommand::new(self.xtask.as_str())
            .args([verb, "--static", "--pins", self.pins.as_str()])
            .args(["--cache", self.root.join("dockyard-cache").as_str()])
            .args(["--out", self.root.join("out").as_str()])
            .env("GOCACHE", gocache.as_str());
        for m in &self.mirrors {
            cmd = cmd.arg("--mirror").arg(m.as_str());
        }
        cmd
    }

    /// Every upstream entry point one after another in the scratch trees; returns the seconds.
    fn upstream(&self, points: &[EntryPoint], gocache: &Utf8Path, log: &str) -> Result<f64> {
        let started = Instant::now();
        for point in points {
            self.upstream_one(point, gocache, log)?;
        }
        Ok(started.elapsed().as_secs_f64())
    }

    fn upstream_one(&self, point: &EntryPoint, gocache: &Utf8Path, log: &str) -> Result<f64> {
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
        cmd.run_logged(&log)
            .with_context(|| format!("upstream {} failed (log: {log})", point.upstream))?;
        Ok(started.elapsed().as_secs_f64())
    }

    fn scratch(&self, upstream: Upstream) -> Utf8PathBuf {
        self.root.join("upstream").join(upstream.name())
    }

    fn fresh_dir(&self, name: &str) -> Result<Utf8PathBuf> {
        let dir = self.root.join(name);
        build_core::fs::remove_dir_all_if_exists(&dir)?;
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {dir}"))?;
        Ok(dir)
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
    // Both sides build with the Go bundles use by default: exactly the pinned release.
    let go = GoToolchain::release(&plan.pins.go, plan.cache.is_offline())?;
    let sources: Vec<Source> = plan
        .requests
        .iter()
        .map(|r| plan.cache.prepare(r, &progress))
        .collect::<Result<_, _>>()?;
    let root = args.dir.clone();
    // Logs append per command; each bench starts them afresh.
    build_core::fs::remove_dir_all_if_exists(&root.join("logs"))?;
    std::fs::create_dir_all(root.join("logs"))?;
    // A copy of ourselves: a `cargo build` during the quarter hour must not change what runs.
    let exe = Utf8PathBuf::from_path_buf(std::env::current_exe()?)
        .map_err(|p| anyhow::anyhow!("not UTF-8: {}", p.display()))?;
    let xtask = root.join("xtask");
    std::fs::copy(&exe, &xtask).with_context(|| format!("cannot copy {exe} to {xtask}"))?;
    let bench = Bench {
        root: root.clone(),
        xtask,
        mirrors: args
            .sources
            .repositories
            .mirrors
            .iter()
            .map(|m| format!("{}={}", m.upstream, m.mirror))
            .collect(),
        gotoolchain: go.gotoolchain.clone(),
        pins: args.sources.pins.clone(),
        progress,
    };
    let points = entry_points(&bundle::COMPONENTS, &sources, &plan.pins);
    let runs = usize::from(args.runs);
    let docs = crate::project_root().join("docs");
    if args.only.is_some() {
        let dy_gocache = bench.root.join("gocache-dockyard");
        let up_gocache = bench.root.join("gocache-upstream");
        let (dy, up) = p5::measure(&bench, &sources, &points, (&dy_gocache, &up_gocache), runs)?;
        let path = docs.join("benchmarks.md");
        let report = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Benchmarks\n".into());
        let section = report::p5_section(dy, up, runs);
        std::fs::write(&path, report::merged(&section, &report))
            .with_context(|| format!("cannot write {path}"))?;
        println!("{section}");
        bench.progress.status("Wrote", path.as_str());
        return Ok(());
    }
    let copy_trees = || -> Result<()> {
        bench.fresh_dir("upstream")?;
        for source in &sources {
            let scratch = bench.scratch(source.upstream);
            build_core::fs::copy_tree(&source.dir, &scratch, &[READY_MARKER])
                .with_context(|| format!("cannot copy {} to {scratch}", source.dir))?;
        }
        Ok(())
    };

    // P1: cold, each side once, interleaved: dockyard first so its peak RSS is its own.
    bench.progress.status(
        "Measuring",
        "P1 dockyard cold (empty Go cache, empty dockyard cache)",
    );
    let dy_gocache = bench.fresh_dir("gocache-dockyard")?;
    bench.fresh_dir("dockyard-cache")?;
    bench.fresh_dir("out")?;
    let sampler = ::bench::memory::PeakSampler::start();
    let dy_cold = bench.bundle(&dy_gocache, &[], "p1-dockyard")?;
    let peak_rss = sampler.stop();
    bench.progress.status(
        "Measured",
        &format!("dockyard cold {dy_cold:.1}s, peak RSS {peak_rss:.0} MiB"),
    );

    bench.progress.status(
        "Measuring",
        "P1 upstream cold (entry points in sequence, one empty Go cache)",
    );
    copy_trees()?;
    let up_gocache = bench.fresh_dir("gocache-upstream")?;
    let sampler = ::bench::memory::PeakSampler::start();
    let up_cold = bench.upstream(&points, &up_gocache, "p1-upstream")?;
    let up_peak_rss = sampler.stop();
    bench
        .progress
        .status("Measured", &format!("upstream cold {up_cold:.1}s"));

    // P2: nothing changed.
    let mut dy_noop = Vec::new();
    let mut up_noop = Vec::new();
    for i in 0..runs {
        dy_noop.push(bench.bundle(&dy_gocache, &[], &format!("p2-dockyard-{i}"))?);
        up_noop.push(bench.upstream(&points, &up_gocache, &format!("p2-upstream-{i}"))?);
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
    let runc_override = bench.working_tree(&sources, Upstream::Runc)?;
    let override_flag = vec!["--source".to_owned(), format!("runc={runc_override}")];
    bench.bundle(&dy_gocache, &override_flag, "p3-dockyard-warmup")?;
    let runc_point = points
        .iter()
        .find(|p| p.upstream == Upstream::Runc)
        .context("no runc entry point")?;
    let mut dy_line = Vec::new();
    let mut up_line = Vec::new();
    for i in 0..runs {
        append_line(&runc_override.join("main.go"), i)?;
        dy_line.push(bench.bundle(&dy_gocache, &override_flag, &format!("p3-dockyard-{i}"))?);
        append_line(&bench.scratch(Upstream::Runc).join("main.go"), i)?;
        up_line.push(bench.upstream_one(runc_point, &up_gocache, &format!("p3-upstream-{i}"))?);
    }
    let (dy_line, up_line) = (spread(dy_line), spread(up_line));

    // P4: sizes, packed the same way.
    let name = format!("docker-{release}");
    let tgz = std::fs::metadata(root.join("out").join(&name).join(format!("{name}.tgz")))
        .with_context(|| format!("the bench's bundle {name} has no tgz"))?
        .len();
    let mut upstream_files: Vec<(&str, Utf8PathBuf)> = points
        .iter()
        .flat_map(|p| {
            p.outputs
                .iter()
                .filter(|(name, _)| bundle::binaries_in(bundle::Archive::Static).contains(name))
                .map(|(name, rel)| (*name, bench.scratch(p.upstream).join(rel)))
        })
        .collect();
    upstream_files.sort();
    let upstream_tgz = bundle::packed_size(&upstream_files)?;

    // P5 last: its working tree changes dockerd in the bench's bundle.
    let (dy_edit, up_edit) =
        p5::measure(&bench, &sources, &points, (&dy_gocache, &up_gocache), runs)?;

    let report = Report {
        command: "cargo xtask bench".into(),
        go: format!("go{}", go.version),
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
        p5: report::p5_section(dy_edit, up_edit, runs),
    };
    let text = report.markdown();
    std::fs::create_dir_all(&docs).with_context(|| format!("cannot create {docs}"))?;
    let previous = std::fs::read_to_string(docs.join("benchmarks.md")).unwrap_or_default();
    std::fs::write(docs.join("benchmarks.md"), report::merged(&text, &previous))?;
    println!("{text}");
    bench
        .progress
        .status("Wrote", docs.join("benchmarks.md").as_str());
    Ok(())
}

impl Bench {
    /// A copy of `upstream`'s pinned tree made a git working tree whose HEAD commits it all
    /// (git2, as the sources are read), for `--source`.
    fn working_tree(&self, sources: &[Source], upstream: Upstream) -> Result<Utf8PathBuf> {
        let source = sources.iter().find(|s| s.upstream == upstream);
        let source = source.with_context(|| format!("no {upstream} source"))?;
        let tree = self.fresh_dir(&format!("{upstream}-override"))?;
        build_core::fs::copy_tree(&source.dir, &tree, &[READY_MARKER])?;
        let repo = git2::Repository::init(&tree)?;
        let mut index = repo.index()?;
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
        index.write()?;
        let files = repo.find_tree(index.write_tree()?)?;
        let signature = git2::Signature::now("dockyard bench", "bench@localhost")?;
        repo.commit(Some("HEAD"), &signature, &signature, "pinned", &files, &[])?;
        Ok(tree)
    }
}
