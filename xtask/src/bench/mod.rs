//! `cargo xtask bench`: dockyard against upstream's own build entry points, on this machine, in
//! one run. Not a test: it needs the real sources (as mirrors) and takes about a quarter hour.
//!
//! The upstream side runs in scratch copies of the same pinned trees, so nothing it writes
//! touches dockyard's inputs. Both sides get Go's offline, vendored settings.

use anyhow::{Context, Result, bail};
use build_core::Upstream;
use build_core::source::READY_MARKER;
use build_core::source::Source;
use build_core::toolchain::GoToolchain;
use camino::Utf8PathBuf;

use crate::flags::BenchArgs;
use crate::render::StatusLines;
use ::bench::edits::append_line;
use ::bench::entry::entry_points;
use ::bench::report::{self, Report, spread};
use ::bench::runner::Runner;

mod p5;

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
    let bench = Runner {
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
        progress: Box::new(progress),
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
